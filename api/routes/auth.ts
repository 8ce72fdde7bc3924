/**
 * Sign-in for the browser: POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me.
 * Mounted before `authenticate` and the app's JSON parser, so each route parses its own (small) body.
 */
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { actorOf, authenticate, authViaOf } from '../auth';
import { dummyPasswordHash, verifyPassword } from '../auth/password';
import {
  SESSION_COOKIE,
  clearSessionCookie,
  createSession,
  csrfMatches,
  hashSessionSecret,
  readCookie,
  revokeSession,
  setSessionCookie,
} from '../auth/sessions';
import { accountKey, addressKey, clearFailures, lockedForSeconds, recordFailure } from '../auth/throttle';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';

export const ZLoginBody = z.object({
  username: z.string().trim().min(1).max(64),
  // Bounded: scrypt hashes whatever it is given, and a megabyte-long "password" is only a way to burn CPU.
  password: z.string().min(1).max(256),
});
export type TLoginBody = z.infer<typeof ZLoginBody>;

/** The signed-in user as the browser shows it. */
export interface TMe {
  id: string;
  name: string;
  username: string | null;
  role: string;
  unitId: string;
  unitName: string;
}

const INVALID_CREDENTIALS = '用户名或密码错误';

/**
 * A sign-in body is two short strings: 10 kB is plenty, and nothing larger is parsed before authentication. Only
 * `application/json` is parsed: another site can post a form (text/plain, urlencoded) here but not JSON without a
 * CORS preflight, so a forged sign-in (into the attacker's account) arrives without a body and is refused.
 */
const smallJson = express.json({ limit: '10kb' });

export function authRouter(deps: TAppDeps): Router {
  const { db, now } = deps;
  const router = Router();

  router.post('/auth/login', smallJson, async (req: Request, res: Response) => {
    const body = ZLoginBody.parse(req.body ?? {});
    const at = now();
    const keys = [accountKey(body.username), addressKey(req.ip)];
    // Before any password work: a locked account or address costs no scrypt, and the right password does not help.
    const lockedSeconds = await lockedForSeconds(db, keys, at);
    if (lockedSeconds > 0) throw tooManyRequests(res, lockedSeconds);

    const user = await db.user.findUnique({ where: { username: body.username }, include: { unit: true } });
    // Always one scrypt, against a dummy hash when there is no user or no password: the timing tells nothing.
    const ok = await verifyPassword(body.password, user?.passwordHash ?? (await dummyPasswordHash()));
    // A deactivated person cannot sign in (answered like a wrong password: the account's state is not disclosed).
    if (!user || !user.passwordHash || !ok || !user.active) {
      await recordFailure(db, keys, at);
      throw new AppError('INVALID_CREDENTIALS', INVALID_CREDENTIALS);
    }
    await clearFailures(db, keys[0]);
    // A new session on every sign-in; one the browser held before is ended rather than left live beside it.
    const previous = readCookie(req, SESSION_COOKIE);
    if (previous) {
      await db.session.updateMany({
        where: { tokenHash: hashSessionSecret(previous), revokedAt: null },
        data: { revokedAt: at },
      });
    }
    const { secret, csrfToken } = await createSession(db, user.id, at);
    setSessionCookie(req, res, secret);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ user: toMe(user), csrfToken });
  });

  router.post('/auth/logout', async (req: Request, res: Response) => {
    const secret = readCookie(req, SESSION_COOKIE);
    if (secret) {
      const session = await db.session.findUnique({ where: { tokenHash: hashSessionSecret(secret) } });
      if (session && !session.revokedAt) {
        // Logging out is a write like any other: without the token another site could sign the user out.
        if (!csrfMatches(req.get('x-csrf-token'), session.csrfToken)) {
          throw new AppError('CSRF_FAILED', '安全校验失败，请刷新页面后重试');
        }
        await revokeSession(db, session.id, now());
      }
    }
    clearSessionCookie(req, res);
    res.status(204).end();
  });

  router.get('/auth/me', authenticate(db, now), async (_req: Request, res: Response) => {
    const actor = actorOf(res);
    const via = authViaOf(res);
    const user = await db.user.findUnique({ where: { id: actor.userId }, include: { unit: true } });
    if (!user) throw AppError.unauthenticated();
    res.setHeader('Cache-Control', 'no-store');
    res.json({ user: toMe(user), csrfToken: via.kind === 'session' ? via.csrfToken : null });
  });

  return router;
}

function toMe(user: {
  id: string;
  name: string;
  username: string | null;
  role: string;
  unitId: string;
  unit: { name: string };
}): TMe {
  return {
    id: user.id,
    name: user.name,
    username: user.username,
    role: user.role,
    unitId: user.unitId,
    unitName: user.unit.name,
  };
}

function tooManyRequests(res: Response, seconds: number): AppError {
  // Set here, sent by the error middleware with its JSON body.
  res.setHeader('Retry-After', String(seconds));
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return new AppError('TOO_MANY_REQUESTS', `登录失败次数过多，请${minutes}分钟后再试`);
}
