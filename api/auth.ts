/**
 * Authentication, two ways:
 * - Machine clients: `Authorization: Bearer <token>`. Tokens are random secrets shown once; the database keeps only
 *   their SHA-256 (hex), so a leaked database does not leak usable tokens. No CSRF token: a browser never attaches
 *   this header on its own.
 * - The browser: the `zg_session` cookie (auth/sessions.ts). A cookie is sent by the browser whoever asked for the
 *   request, so every cookie-authenticated write must also carry `X-CSRF-Token` equal to the session's token —
 *   checked here, before any route runs, so a forged request writes nothing.
 * The resolved actor travels with every workflow update.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Db } from '../db/client';
import {
  SESSION_COOKIE,
  clearSessionCookie,
  csrfMatches,
  hashSessionSecret,
  isSessionLive,
  readCookie,
  touchSession,
} from './auth/sessions';
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

/** Methods that must not change anything, so need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How the caller authenticated; `csrfToken` is the session's, for GET /api/auth/me. */
export type TAuthVia = { kind: 'bearer' } | { kind: 'session'; sessionId: string; csrfToken: string };

export function authenticate(db: Db, now: () => Date = () => new Date()): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    // Node keeps only the first of two Authorization headers (or joins them, with joinDuplicateHeaders): either way
    // the server and a proxy in front of it could each honour a different one. Refused whole, by the raw headers.
    if (req.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'authorization').length > 1) {
      throw AppError.validation('Only one Authorization header may be sent');
    }
    const authorization = req.get('authorization');
    // Any Authorization header means a machine client: the bearer rules apply exactly as they always did.
    if (authorization !== undefined || readCookie(req, SESSION_COOKIE) === null) {
      const match = BEARER.exec(authorization ?? '');
      if (!match) throw AppError.unauthenticated();
      const token = await db.apiToken.findUnique({
        where: { tokenHash: hashToken(match[1]) },
        include: { user: true },
      });
      // A deactivated person's tokens are revoked with them; refused here as well, whatever the token row says.
      if (!token || (token.revokedAt && token.revokedAt.getTime() <= Date.now()) || !token.user.active) {
        throw AppError.unauthenticated('Unknown or revoked token');
      }
      res.locals.actor = toActor(token.user);
      res.locals.authVia = { kind: 'bearer' } satisfies TAuthVia;
      next();
      return;
    }
    const secret = readCookie(req, SESSION_COOKIE)!;
    const at = now();
    const session = await db.session.findUnique({
      where: { tokenHash: hashSessionSecret(secret) },
      include: { user: true },
    });
    if (!session || !isSessionLive(session, at) || !session.user.active) {
      clearSessionCookie(req, res);
      throw AppError.unauthenticated('登录已失效，请重新登录');
    }
    if (!SAFE_METHODS.has(req.method) && !csrfMatches(req.get('x-csrf-token'), session.csrfToken)) {
      throw new AppError('CSRF_FAILED', '安全校验失败，请刷新页面后重试');
    }
    res.locals.actor = toActor(session.user);
    res.locals.authVia = { kind: 'session', sessionId: session.id, csrfToken: session.csrfToken } satisfies TAuthVia;
    await touchSession(db, session, at);
    next();
  };
}

/** How `authenticate` let the caller in. */
export function authViaOf(res: Response): TAuthVia {
  const via = res.locals.authVia as TAuthVia | undefined;
  if (!via) throw AppError.unauthenticated();
  return via;
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
