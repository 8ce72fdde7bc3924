/**
 * Browser sign-in through the real stack: the session cookie and its flags, what the database keeps (hashes only),
 * one answer for every wrong credential, throttling per account and per address (held in the database), CSRF on
 * cookie writes refused before anything is written, logout, expiry, and bearer tokens working as before.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../api/app';
import { verifyPassword } from '../../api/auth/password';
import type { TDemoUser } from '../../scripts/seed-demo';
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function login(username: string, password: string, app = stack.app) {
  return request(app).post('/api/auth/login').send({ username, password });
}

/** The `zg_session` Set-Cookie line of a response. */
function sessionSetCookie(res: request.Response): string {
  const lines = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const line = lines.find((l) => l.startsWith('zg_session='));
  if (!line) throw new Error(`no zg_session cookie in ${JSON.stringify(lines)}`);
  return line;
}

interface TBrowser {
  cookie: string;
  secret: string;
  csrfToken: string;
}

async function signIn(user: TDemoUser): Promise<TBrowser> {
  const res = await login(user.username, user.password);
  expect(res.status).toBe(200);
  const pair = sessionSetCookie(res).split(';')[0];
  return { cookie: pair, secret: pair.slice('zg_session='.length), csrfToken: res.body.csrfToken as string };
}

/** supertest as a browser: the cookie always, the CSRF header only when asked. */
function browser(b: TBrowser) {
  return {
    get: (url: string) => request(stack.app).get(url).set('Cookie', b.cookie),
    post: (url: string, body: object = {}, csrf?: string) => {
      const r = request(stack.app).post(url).set('Cookie', b.cookie);
      return (csrf === undefined ? r : r.set('X-CSRF-Token', csrf)).send(body);
    },
  };
}

const INVALID = { error: { code: 'INVALID_CREDENTIALS', message: '用户名或密码错误' } };

describe('signing in', () => {
  it('When demo staff signs in, then a httpOnly SameSite=Strict session cookie is set and the answer names the user', async () => {
    const staff = cast.medicalStaff;
    const res = await login(staff.username, staff.password);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: {
        id: staff.userId,
        name: staff.name,
        username: staff.username,
        role: 'unit_staff',
        unitId: staff.unitId,
        unitName: '医政医管处',
      },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
    });
    const cookie = sessionSetCookie(res);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toMatch(/; Path=\//i);
    // Plain http here: a Secure cookie would never come back.
    expect(cookie).not.toMatch(/; Secure/i);
    expect(JSON.stringify(res.body)).not.toContain(staff.password);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('When signed in, then /api/auth/me and /api/inbox work with the cookie alone', async () => {
    const b = await signIn(cast.medicalStaff);
    const me = await browser(b).get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: cast.medicalStaff.userId, username: 'medical_staff', role: 'unit_staff' });
    expect(me.body.csrfToken).toBe(b.csrfToken);
    const inbox = await browser(b).get('/api/inbox');
    expect(inbox.status).toBe(200);
    expect(inbox.body).toHaveProperty('reportsDue');
  });

  it('When nobody is signed in, then /api/auth/me is 401; with a bearer token it names the user and has no CSRF token', async () => {
    expect((await request(stack.app).get('/api/auth/me')).status).toBe(401);
    const bogus = await request(stack.app)
      .get('/api/auth/me')
      .set('Cookie', `zg_session=${'x'.repeat(43)}`);
    expect(bogus.status).toBe(401);
    const res = await as(stack.app, cast.office).get('/api/auth/me');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: expect.objectContaining({ id: cast.office.userId, username: 'office', role: 'office' }),
      csrfToken: null,
    });
  });

  it('When a session starts, then the database keeps the SHA-256 of its secret and the scrypt hash of the password, never either in clear', async () => {
    const b = await signIn(cast.financeHead);
    const session = await stack.db.session.findUnique({ where: { tokenHash: sha256(b.secret) } });
    expect(session).not.toBeNull();
    expect(session!.userId).toBe(cast.financeHead.userId);
    expect(session!.csrfToken).toBe(b.csrfToken);
    expect(await stack.db.session.count({ where: { tokenHash: b.secret } })).toBe(0);
    // Lifetime: 12 hours from sign-in.
    expect(session!.expiresAt.getTime() - session!.createdAt.getTime()).toBe(12 * 60 * 60 * 1000);

    const user = await stack.db.user.findUniqueOrThrow({ where: { id: cast.financeHead.userId } });
    expect(user.passwordHash).not.toBeNull();
    expect(user.passwordHash).not.toContain(cast.financeHead.password);
    expect(user.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(await verifyPassword(cast.financeHead.password, user.passwordHash!)).toBe(true);
    expect(await verifyPassword(`${cast.financeHead.password}x`, user.passwordHash!)).toBe(false);
    // Every demo user has their own salt.
    const hashes = (await stack.db.user.findMany()).map((u) => u.passwordHash!.split('$')[4]);
    expect(new Set(hashes).size).toBe(stack.users.length);
  });

  it('When the username or the password is wrong, or the user has no password, then the answer is one and the same', async () => {
    await stack.db.loginThrottle.deleteMany();
    const wrongPassword = await login(cast.leader.username, 'Wrong-password-1');
    const unknownUser = await login('nobody_here', cast.leader.password);
    const noPasswordUser = await stack.db.user.create({
      data: { name: '无密码用户', role: 'unit_staff', unitId: cast.medicalStaff.unitId, username: 'token_only' },
    });
    const noPassword = await login('token_only', '');
    const noPassword2 = await login('token_only', 'anything');
    for (const res of [wrongPassword, unknownUser, noPassword2]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual(INVALID);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    // An empty password is malformed, not a credential: refused before any check.
    expect(noPassword.status).toBe(400);
    expect(noPassword.body.error.code).toBe('VALIDATION');
    expect(await stack.db.session.count({ where: { userId: noPasswordUser.id } })).toBe(0);
    await stack.db.loginThrottle.deleteMany();
  });
});

describe('forged sign-in', () => {
  it('When another site posts a form (not JSON) to the login route, then it is refused and no session starts', async () => {
    const before = await stack.db.session.count();
    const form = await request(stack.app)
      .post('/api/auth/login')
      .type('form')
      .send({ username: cast.office.username, password: cast.office.password });
    expect(form.status).toBe(400);
    expect(form.headers['set-cookie']).toBeUndefined();
    const text = await request(stack.app)
      .post('/api/auth/login')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ username: cast.office.username, password: cast.office.password }));
    expect(text.status).toBe(400);
    expect(await stack.db.session.count()).toBe(before);
  });
});

describe('throttling', () => {
  beforeEach(async () => {
    await stack.db.loginThrottle.deleteMany();
  });
  afterAll(async () => {
    await stack.db.loginThrottle.deleteMany();
  });

  it('When one account fails 5 times, then the 6th attempt is refused with 429 and Retry-After even with the right password', async () => {
    const target = cast.financeStaff;
    for (let i = 0; i < 5; i++) {
      const res = await login(target.username, `wrong-${i}`);
      expect(res.status).toBe(401);
    }
    const res = await login(target.username, target.password);
    expect(res.status).toBe(429);
    expect(res.body.error).toEqual({ code: 'TOO_MANY_REQUESTS', message: '登录失败次数过多，请15分钟后再试' });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(res.headers['set-cookie']).toBeUndefined();
    // Case does not open a second budget for the same account.
    expect((await login(target.username.toUpperCase(), target.password)).status).toBe(429);
    // Held in the database, so another process (a new app on the same database) refuses too.
    const other = createApp({ db: stack.db, client: stack.testEnv.client });
    expect((await login(target.username, target.password, other)).status).toBe(429);
    // Other accounts from this address still sign in.
    expect((await login(cast.financeHead.username, cast.financeHead.password)).status).toBe(200);

    // When the lock has run out, the right password works again and clears the counter.
    const past = new Date(Date.now() - 16 * 60_000);
    await stack.db.loginThrottle.update({
      where: { key: 'user:finance_staff' },
      data: { lockedUntil: new Date(Date.now() - 1000), windowStart: past },
    });
    expect((await login(target.username, target.password)).status).toBe(200);
    expect(await stack.db.loginThrottle.findUnique({ where: { key: 'user:finance_staff' } })).toBeNull();
  });

  it('When an account fails 4 times and then signs in, then its counter starts again from zero', async () => {
    const target = cast.cityStaff;
    for (let i = 0; i < 4; i++) expect((await login(target.username, `wrong-${i}`)).status).toBe(401);
    expect((await login(target.username, target.password)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(target.username, `wrong-${i}`)).status).toBe(401);
    expect((await login(target.username, target.password)).status).toBe(200);
  });

  it('When one address fails 20 times across accounts, then it is refused even for another account with its right password; X-Forwarded-For is not trusted by default', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await request(stack.app)
        .post('/api/auth/login')
        .set('X-Forwarded-For', `203.0.113.${i + 1}`)
        .send({ username: `guess_${i % 4}`, password: `wrong-${i}` });
      expect(res.status).toBe(401);
    }
    const res = await request(stack.app)
      .post('/api/auth/login')
      .set('X-Forwarded-For', '198.51.100.7')
      .send({ username: cast.cityBStaff.username, password: cast.cityBStaff.password });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.error.code).toBe('TOO_MANY_REQUESTS');
    const rows = await stack.db.loginThrottle.findMany({ where: { key: { startsWith: 'ip:' } } });
    expect(rows).toHaveLength(1);
    expect(rows[0].key).toMatch(/^ip:(127\.0\.0\.1|::1::\/64|0:0:0:0::\/64)$/);
  });

  it('When the app is configured to trust its proxy, then the forwarded address is the one throttled', async () => {
    const proxied = createApp({ db: stack.db, client: stack.testEnv.client });
    proxied.set('trust proxy', 'loopback');
    for (let i = 0; i < 20; i++) {
      await request(proxied)
        .post('/api/auth/login')
        .set('X-Forwarded-For', '203.0.113.9')
        .send({ username: `guess_${i % 4}`, password: `wrong-${i}` });
    }
    const blocked = await request(proxied)
      .post('/api/auth/login')
      .set('X-Forwarded-For', '203.0.113.9')
      .send({ username: cast.cityBStaff.username, password: cast.cityBStaff.password });
    expect(blocked.status).toBe(429);
    const elsewhere = await request(proxied)
      .post('/api/auth/login')
      .set('X-Forwarded-For', '203.0.113.10')
      .send({ username: cast.cityBStaff.username, password: cast.cityBStaff.password });
    expect(elsewhere.status).toBe(200);
  });
});

describe('CSRF, logout, expiry and bearer tokens', () => {
  let taskId: string;

  beforeAll(async () => {
    const campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
    const res = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId),
    );
    expect(res.status).toBe(201);
    taskId = res.body.tasks[0].id;
    await assigned(stack.app, cast.office, taskId);
  });

  const status = async () => (await stack.db.task.findUniqueOrThrow({ where: { id: taskId } })).status;

  it('When a cookie write comes without (or with a wrong) X-CSRF-Token, then it is refused with 403 CSRF_FAILED and nothing changes; with it, it is accepted', async () => {
    const b = await signIn(cast.medicalStaff);
    const missing = await browser(b).post(`/api/tasks/${taskId}/acknowledge`);
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('CSRF_FAILED');
    expect(missing.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    // One character changed — to a different one: a token that happened to end in "A" once stayed right (1 in 64).
    const altered = `${b.csrfToken.slice(0, -1)}${b.csrfToken.endsWith('A') ? 'B' : 'A'}`;
    const wrong = await browser(b).post(`/api/tasks/${taskId}/acknowledge`, {}, altered);
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('CSRF_FAILED');
    // Another session's token does not do either.
    const other = await signIn(cast.medicalStaff);
    expect((await browser(b).post(`/api/tasks/${taskId}/acknowledge`, {}, other.csrfToken)).status).toBe(403);
    expect(await status()).toBe('ASSIGNED');
    const audit = await as(stack.app, cast.office).get(`/api/tasks/${taskId}`);
    expect(audit.body.audit.map((a: { action: string }) => a.action)).not.toContain('TaskAcknowledged');

    const ok = await browser(b).post(`/api/tasks/${taskId}/acknowledge`, {}, b.csrfToken);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('IN_PROGRESS');
    expect(await status()).toBe('IN_PROGRESS');
  });

  it('When a cookie write to delegations comes without X-CSRF-Token, then no delegation is created', async () => {
    const b = await signIn(cast.leader);
    const before = await stack.db.delegation.count();
    const res = await browser(b).post('/api/delegations', {
      taskId,
      toUserId: cast.cityLeader.userId,
      from: '2035-01-01',
      to: '2035-01-31',
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CSRF_FAILED');
    expect(await stack.db.delegation.count()).toBe(before);
  });

  it('When a bearer token writes, then it needs no CSRF token, exactly as before', async () => {
    const res = await as(stack.app, cast.office).post(`/api/tasks/${taskId}/urge`, { message: '请抓紧推进整改' });
    expect(res.status).toBe(202);
    expect((await as(stack.app, cast.office).get('/api/tasks')).status).toBe(200);
    const revoked = await request(stack.app).get('/api/tasks').set('Authorization', 'Bearer zg_not-a-token');
    expect(revoked.status).toBe(401);
  });

  it('When the user logs out, then the session is revoked, the cookie cleared, and the old cookie no longer works', async () => {
    const b = await signIn(cast.medicalHead);
    expect((await browser(b).get('/api/auth/me')).status).toBe(200);
    // Without the token, logout is a forged write like any other.
    expect((await browser(b).post('/api/auth/logout')).status).toBe(403);
    expect((await browser(b).get('/api/auth/me')).status).toBe(200);

    const res = await browser(b).post('/api/auth/logout', {}, b.csrfToken);
    expect(res.status).toBe(204);
    expect(sessionSetCookie(res)).toMatch(/^zg_session=;.*Expires=Thu, 01 Jan 1970/i);
    const session = await stack.db.session.findUniqueOrThrow({ where: { tokenHash: sha256(b.secret) } });
    expect(session.revokedAt).not.toBeNull();
    expect((await browser(b).get('/api/auth/me')).status).toBe(401);
    expect((await browser(b).get('/api/inbox')).status).toBe(401);
    // Logging out again, or without a session, is harmless.
    expect((await request(stack.app).post('/api/auth/logout')).status).toBe(204);
  });

  it('When a session is past its 12-hour lifetime or idle for over 2 hours, then it is refused', async () => {
    const expired = await signIn(cast.supervisor);
    await stack.db.session.update({
      where: { tokenHash: sha256(expired.secret) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const res = await browser(expired).get('/api/inbox');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');

    const idle = await signIn(cast.supervisor);
    await stack.db.session.update({
      where: { tokenHash: sha256(idle.secret) },
      data: { lastSeenAt: new Date(Date.now() - 2 * 60 * 60 * 1000 - 1000) },
    });
    expect((await browser(idle).get('/api/inbox')).status).toBe(401);

    const live = await signIn(cast.supervisor);
    expect((await browser(live).get('/api/inbox')).status).toBe(200);
  });

  it('When a session is used, then lastSeenAt moves at most once a minute', async () => {
    const b = await signIn(cast.admin);
    const where = { tokenHash: sha256(b.secret) };
    const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000);
    await stack.db.session.update({ where, data: { lastSeenAt: fiveMinutesAgo } });
    expect((await browser(b).get('/api/auth/me')).status).toBe(200);
    const touched = (await stack.db.session.findUniqueOrThrow({ where })).lastSeenAt;
    expect(touched.getTime()).toBeGreaterThan(Date.now() - 30_000);
    const thirtySecondsAgo = new Date(Date.now() - 30_000);
    await stack.db.session.update({ where, data: { lastSeenAt: thirtySecondsAgo } });
    expect((await browser(b).get('/api/auth/me')).status).toBe(200);
    expect((await stack.db.session.findUniqueOrThrow({ where })).lastSeenAt).toEqual(thirtySecondsAgo);
  });
});

describe('security headers', () => {
  it('When anything is answered, then it carries nosniff, DENY framing, same-origin referrers and a self-only CSP', async () => {
    for (const res of [
      await request(stack.app).get('/api/auth/me'),
      await login(cast.office.username, cast.office.password),
      await request(stack.app).get('/'),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('same-origin');
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).toContain("img-src 'self' data: blob:");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    }
  });
});
