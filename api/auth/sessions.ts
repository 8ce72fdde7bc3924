/**
 * Browser sessions. The cookie `zg_session` holds a random secret; the database keeps only its SHA-256, so a copy of
 * the database does not let anyone sign in. Each session has its own CSRF token, which the browser receives in the
 * login (and /me) answer and echoes in `X-CSRF-Token` on every write.
 *
 * Lifetime: 12 hours from sign-in at most (one working day, then sign in again), and 2 hours without a request
 * (a screen left open at lunch on a shared office computer). `lastSeenAt` is written at most once a minute, so the
 * idle limit is exact to the minute and reading pages does not turn every request into a database write.
 * The cookie itself carries no Max-Age: it ends with the browser, the server enforces both limits.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import type { Db } from '../../db/client';

export const SESSION_COOKIE = 'zg_session';
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
const LAST_SEEN_RESOLUTION_MS = 60 * 1000;

/** SHA-256 (hex) of the cookie's secret: what the database keeps. */
export function hashSessionSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export interface TSessionRow {
  id: string;
  userId: string;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** The value of one cookie from the Cookie header, or null. Parsed here: one cookie does not need a dependency. */
export function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    // Our secrets are base64url; anything else is not one of ours and is treated as absent.
    return /^[A-Za-z0-9_-]{20,200}$/.test(value) ? value : null;
  }
  return null;
}

function cookieOptions(req: Request): CookieOptions {
  // Secure whenever the request came over https (req.secure honours `trust proxy` only when the app sets it).
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure };
}

export function setSessionCookie(req: Request, res: Response, secret: string): void {
  res.cookie(SESSION_COOKIE, secret, cookieOptions(req));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, cookieOptions(req));
}

export async function createSession(db: Db, userId: string, now: Date): Promise<{ secret: string; csrfToken: string }> {
  const secret = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  await db.session.create({
    data: {
      userId,
      tokenHash: hashSessionSecret(secret),
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS),
    },
  });
  // Housekeeping: this user's sessions that can never be used again.
  await db.session.deleteMany({ where: { userId, expiresAt: { lte: now } } });
  return { secret, csrfToken };
}

/** Whether a session may still be used at `now`: not revoked, within its absolute lifetime and its idle limit. */
export function isSessionLive(session: TSessionRow, now: Date): boolean {
  const t = now.getTime();
  if (session.revokedAt && session.revokedAt.getTime() <= t) return false;
  if (session.expiresAt.getTime() <= t) return false;
  return session.lastSeenAt.getTime() + SESSION_IDLE_MS > t;
}

/** Records activity, at most once a minute per session. */
export async function touchSession(db: Db, session: TSessionRow, now: Date): Promise<void> {
  if (now.getTime() - session.lastSeenAt.getTime() < LAST_SEEN_RESOLUTION_MS) return;
  await db.session.update({ where: { id: session.id }, data: { lastSeenAt: now } });
}

export async function revokeSession(db: Db, sessionId: string, now: Date): Promise<void> {
  await db.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now } });
}

/** Compares the X-CSRF-Token header with the session's token in constant time. */
export function csrfMatches(header: string | undefined, expected: string): boolean {
  if (!header) return false;
  const a = Buffer.from(header, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
