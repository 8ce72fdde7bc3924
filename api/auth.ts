/**
 * Bearer-token authentication. Tokens are random secrets shown once; the database keeps only their SHA-256 (hex), so
 * a leaked database does not leak usable tokens. The resolved actor travels with every workflow update.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Db } from '../db/client';
import { AppError } from './errors';

import { ROLES, type TRole } from '../domain/policy';

export { ROLES, type TRole };

/** The authenticated caller: the same shape the workflow validators check decisions against. */
export interface TApiActor {
  userId: string;
  role: TRole;
  unitId: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 32 random bytes, base64url: unguessable and safe in a header. */
export function generateToken(): string {
  return `zg_${randomBytes(32).toString('base64url')}`;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function authenticate(db: Db): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match) throw AppError.unauthenticated();
    const token = await db.apiToken.findUnique({
      where: { tokenHash: hashToken(match[1]) },
      include: { user: true },
    });
    if (!token || (token.revokedAt && token.revokedAt.getTime() <= Date.now())) {
      throw AppError.unauthenticated('Unknown or revoked token');
    }
    res.locals.actor = toActor(token.user);
    next();
  };
}

function toActor(user: { id: string; role: string; unitId: string }): TApiActor {
  if (!(ROLES as readonly string[]).includes(user.role)) {
    // A role the API does not know grants nothing: treat the token as unusable rather than guessing.
    throw AppError.unauthenticated('Token belongs to a user without a known role');
  }
  return { userId: user.id, role: user.role as TRole, unitId: user.unitId };
}

/** The actor set by `authenticate`; routes behind it can rely on it. */
export function actorOf(res: Response): TApiActor {
  const actor = res.locals.actor as TApiActor | undefined;
  if (!actor) throw AppError.unauthenticated();
  return actor;
}

export function requireRole(actor: TApiActor, roles: readonly TRole[]): void {
  if (!roles.includes(actor.role)) throw AppError.forbidden(`Only ${roles.join(', ')} may do this`);
}
