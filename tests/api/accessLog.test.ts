/**
 * The access log (api/accessLog.ts) through the real app on a fresh database with the demo organisation: one JSON
 * line per request with method, path, status, duration, user id and request id, and nothing secret (no query string,
 * cookie, Authorization, CSRF token, password or body). Its request id is the caller's when well-formed, echoed.
 * The routes exercised here read and write the database only: the Temporal client is never called.
 */
import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { seedDemo, type TDemoUser } from '../../scripts/seed-demo';
import { createTestDb, type TTestDb } from '../helpers/db';

type TLine = Record<string, unknown> & { req?: { id?: string; method?: string; path?: string } };

let t: TTestDb;
let users: TDemoUser[];
// The routes exercised here read and write the database only: no Temporal client is needed (a call would throw).
const client = {} as Client;
const by = (username: string): TDemoUser => users.find((u) => u.username === username)!;

beforeAll(async () => {
  t = await createTestDb();
  users = await seedDemo(t.db);
});

afterAll(async () => {
  await t.cleanup();
});

/** Builds the app with LOG_LEVEL as given and collects what it writes to stdout. */
function withLog(level: string | undefined): { app: Express; lines: () => TLine[]; restore: () => void } {
  const previous = process.env.LOG_LEVEL;
  if (level === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = level;
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write);
  let app: Express;
  try {
    app = createApp({ db: t.db, client });
  } catch (error) {
    spy.mockRestore();
    throw error;
  } finally {
    if (previous === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = previous;
  }
  return {
    app,
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as TLine),
    restore: () => spy.mockRestore(),
  };
}

describe('access log', () => {
  it('When a user reads with a bearer token and a query string, then one line names method, path, status, duration, user and request id, and nothing secret', async () => {
    const log = withLog('info');
    const office = by('office');
    try {
      const res = await request(log.app)
        .get('/api/tasks?q=%E7%A7%98%E5%AF%86&token=abc123secret')
        .set('Authorization', `Bearer ${office.token}`)
        .set('X-Request-Id', 'edge-4f1c2a.7:1');
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe('edge-4f1c2a.7:1');
      const lines = log.lines().filter((l) => l.req?.path === '/api/tasks');
      expect(lines).toHaveLength(1);
      const line = lines[0]!;
      expect(line).toMatchObject({
        level: 30,
        msg: 'request',
        req: { id: 'edge-4f1c2a.7:1', method: 'GET', path: '/api/tasks' },
        res: { status: 200 },
        userId: office.userId,
      });
      expect(typeof line.durationMs).toBe('number');
      expect(typeof line.time).toBe('string');
      const text = JSON.stringify(line);
      for (const secret of [office.token, 'abc123secret', '秘密', '%E7', 'Bearer', 'authorization', 'headers']) {
        expect(text).not.toContain(secret);
      }
    } finally {
      log.restore();
    }
  });

  it('When a browser signs in and writes, then the lines hold no password, cookie, CSRF token or body', async () => {
    const log = withLog('info');
    const staff = by('medical_staff');
    try {
      const login = await request(log.app)
        .post('/api/auth/login')
        .send({ username: staff.username, password: staff.password });
      expect(login.status).toBe(200);
      const cookie = (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
      const csrf = (login.body as { csrfToken: string }).csrfToken;
      const write = await request(log.app)
        .post('/api/opinions')
        .set('Cookie', cookie)
        .set('X-CSRF-Token', csrf)
        .send({ text: '佐证材料不充分，请补充会议纪要' });
      expect(write.status).toBe(201);
      const lines = log.lines();
      const loginLine = lines.find((l) => l.req?.path === '/api/auth/login')!;
      const writeLine = lines.find((l) => l.req?.path === '/api/opinions')!;
      expect(loginLine).toMatchObject({ req: { method: 'POST' }, res: { status: 200 } });
      expect(writeLine).toMatchObject({ req: { method: 'POST' }, res: { status: 201 }, userId: staff.userId });
      const text = JSON.stringify(lines);
      for (const secret of [staff.password, cookie.split('=')[1]!, csrf, '佐证材料', 'zg_session', staff.username]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      log.restore();
    }
  });

  it('When the request id sent is malformed, then a new one is given, echoed and logged; a refused caller is logged as a warning without a user', async () => {
    const log = withLog('info');
    try {
      const res = await request(log.app).get('/api/tasks').set('X-Request-Id', 'bad id"} {"forged":1');
      expect(res.status).toBe(401);
      const id = res.headers['x-request-id'] as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const line = log.lines().find((l) => l.req?.id === id)!;
      expect(line).toMatchObject({ level: 40, res: { status: 401 }, req: { path: '/api/tasks' } });
      expect(line.userId).toBeUndefined();
      expect(JSON.stringify(log.lines())).not.toContain('forged');
      const tooLong = await request(log.app).get('/health').set('X-Request-Id', 'a'.repeat(129));
      expect(tooLong.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      // The orchestrator's health polls are not logged.
      expect(log.lines().filter((l) => l.req?.path === '/health')).toEqual([]);
    } finally {
      log.restore();
    }
  });

  it('When LOG_LEVEL is unset under Jest, then nothing is written, and the request id is still echoed', async () => {
    const log = withLog(undefined);
    try {
      const res = await request(log.app)
        .get('/api/tasks')
        .set('Authorization', `Bearer ${by('office').token}`);
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(log.lines()).toEqual([]);
    } finally {
      log.restore();
    }
  });

  it('When LOG_LEVEL is not a level, then the app refuses to start', () => {
    expect(() => withLog('loud')).toThrow(/LOG_LEVEL/);
  });
});
