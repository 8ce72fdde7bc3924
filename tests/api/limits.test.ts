/**
 * Backpressure (api/limits.ts) through the real app (createApp, a migrated database with the demo organisation): the
 * task reads are made slow by a database whose `task` queries wait first, so requests overlap deterministically.
 * Reads touch no workflow, so the Temporal client is a stub that answers the health probe only.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import express from 'express';
import { createApp } from '../../api/app';
import { lateErrorSink, requestDeadline, UNAVAILABLE_MESSAGE, type TApiLimits } from '../../api/limits';
import { errorMiddleware } from '../../api/errors';
import type { Db } from '../../db/client';
import { seedDemo, type TDemoUser } from '../../scripts/seed-demo';
import { createTestDb, type TTestDb } from '../helpers/db';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A db whose `task.*` queries first wait `delay.ms` (changeable during the test). */
function slowTaskDb(db: Db, delay: { ms: number }): Db {
  const slowTask = new Proxy(db.task, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await sleep(delay.ms);
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'task') return slowTask;
      return Reflect.get(target, prop, receiver);
    },
  });
}

const stubClient = { workflowService: { getSystemInfo: async () => ({}) } } as unknown as Client;

async function listen(app: express.Express): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('API limits through createApp', () => {
  let testDb: TTestDb;
  let office: TDemoUser;
  const delay = { ms: 0 };

  beforeAll(async () => {
    testDb = await createTestDb();
    const users = await seedDemo(testDb.db);
    office = users.find((u) => u.role === 'office' && u.name.includes('省整改办'))!;
  });
  afterAll(async () => {
    await testDb.cleanup();
  });

  async function start(limits: Partial<TApiLimits>) {
    const app = createApp({ db: slowTaskDb(testDb.db, delay), client: stubClient, limits });
    const { server, base } = await listen(app);
    const get = (path: string, signal?: AbortSignal) =>
      fetch(base + path, { headers: { Authorization: `Bearer ${office.token}` }, signal });
    return { server, base, get };
  }

  it('answers 503 with Retry-After to the read beyond N in flight + the queue, and health stays 200', async () => {
    // Generous delays: the machine running the tests may be busy, the order of arrival must still hold.
    delay.ms = 1500;
    const { server, base, get } = await start({ maxConcurrentReads: 2, maxQueuedReads: 1, requestTimeoutMs: 10_000 });
    try {
      const reads = [0, 1, 2, 3].map(async (i) => {
        await sleep(i * 50); // in order: the fourth arrives when two run and one waits
        return get('/api/tasks');
      });
      await sleep(300);
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      // Light routes are not bounded by the heavy-read limiter.
      expect((await get('/api/units')).status).toBe(200);
      const answers = await Promise.all(reads);
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 503]);
      const refused = answers[3]!;
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({ error: { code: 'UNAVAILABLE', message: UNAVAILABLE_MESSAGE } });
      // Everything released: a new burst of three fits again.
      const again = await Promise.all([get('/api/tasks'), get('/api/tasks'), get('/api/tasks')]);
      expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    } finally {
      await close(server);
    }
  });

  it('a read past its deadline answers 503, keeps its slot until its late result is dropped, then all is well', async () => {
    delay.ms = 1500;
    const { server, get } = await start({ maxConcurrentReads: 1, maxQueuedReads: 0, requestTimeoutMs: 300 });
    try {
      const started = Date.now();
      const slow = await get('/api/tasks');
      expect(slow.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1400);
      expect(slow.headers.get('retry-after')).toBe('1');
      expect(await slow.json()).toEqual({ error: { code: 'UNAVAILABLE', message: UNAVAILABLE_MESSAGE } });
      // Its query is still running: the slot is still taken, so another heavy read is refused at once.
      delay.ms = 0;
      const meanwhile = await get('/api/tasks');
      expect(meanwhile.status).toBe(503);
      await sleep(1500);
      // The late result was dropped (no crash, no second answer) and the slot came back.
      const after = await get('/api/tasks');
      expect(after.status).toBe(200);
      expect(Array.isArray(((await after.json()) as { items: unknown }).items)).toBe(true);
    } finally {
      await close(server);
    }
  });

  it('a queued client that disconnects leaves the queue (its place is free for the next one)', async () => {
    delay.ms = 500;
    const { server, get } = await start({ maxConcurrentReads: 1, maxQueuedReads: 1, requestTimeoutMs: 10_000 });
    try {
      const first = get('/api/tasks');
      await sleep(100);
      const abort = new AbortController();
      const leaving = get('/api/tasks', abort.signal).catch((err: unknown) => err);
      await sleep(100);
      abort.abort();
      await leaving;
      await sleep(50);
      // Were the departed request still queued, this one would be refused (queue of 1).
      const next = get('/api/tasks');
      expect((await first).status).toBe(200);
      expect((await next).status).toBe(200);
    } finally {
      await close(server);
    }
  });
});

describe('requestDeadline on handlers that answer late', () => {
  it('drops a late GET answer and a late error, leaves POSTs alone, and the server keeps answering', async () => {
    const app = express();
    const logged: unknown[] = [];
    app.use(requestDeadline({ requestTimeoutMs: 100 }));
    app.get('/late', async (_req, res) => {
      await sleep(300);
      res.set('X-Late', 'yes').status(200).json({ late: true });
    });
    app.get('/late-error', async () => {
      await sleep(300);
      throw new Error('boom after the deadline');
    });
    app.post('/decision', async (_req, res) => {
      await sleep(300); // longer than the GET deadline: a decision waits for its update's own answer
      res.json({ decided: true });
    });
    app.get('/ok', (_req, res) => {
      res.json({ ok: true });
    });
    app.use(lateErrorSink());
    app.use(errorMiddleware({ error: (message, meta) => logged.push({ message, meta }) }));
    const { server, base } = await listen(app);
    try {
      const late = await fetch(`${base}/late`);
      expect(late.status).toBe(503);
      expect(late.headers.get('x-late')).toBeNull();
      expect(late.headers.get('retry-after')).toBe('1');
      const lateError = await fetch(`${base}/late-error`);
      expect(lateError.status).toBe(503);
      const decision = await fetch(`${base}/decision`, { method: 'POST' });
      expect(decision.status).toBe(200);
      expect(await decision.json()).toEqual({ decided: true });
      await sleep(400);
      const ok = await fetch(`${base}/ok`);
      expect(ok.status).toBe(200);
      expect(logged).toEqual([]);
    } finally {
      await close(server);
    }
  });
});
