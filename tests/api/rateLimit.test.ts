/**
 * Write rate limits (api/rateLimit.ts): the token bucket on a clock of our own, then the real app on a fresh database
 * with WRITE_RATE_PER_MINUTE small: writes beyond the rate answer 429 with Retry-After and a Chinese message and
 * write nothing; reads, other users and sign-in are not counted.
 */
import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { DEFAULT_WRITE_RATE_PER_MINUTE, WriteBuckets, writeRateFromEnv } from '../../api/rateLimit';
import { seedDemo, type TDemoUser } from '../../scripts/seed-demo';
import { createTestDb, type TTestDb } from '../helpers/db';

describe('WriteBuckets', () => {
  it('When a user spends the burst, then the next write waits until a token is back, and the rate refills it', () => {
    let now = 1_000_000;
    const buckets = new WriteBuckets(6, () => now); // 6 a minute: one token every 10 s
    for (let i = 0; i < 6; i++) expect(buckets.take('u1')).toBe(0);
    expect(buckets.take('u1')).toBe(10);
    now += 4_000;
    expect(buckets.take('u1')).toBe(6);
    expect(buckets.take('u2')).toBe(0);
    now += 6_000;
    expect(buckets.take('u1')).toBe(0);
    expect(buckets.take('u1')).toBe(10);
    // A minute idle fills it again, never beyond the burst.
    now += 10 * 60_000;
    for (let i = 0; i < 6; i++) expect(buckets.take('u1')).toBe(0);
    expect(buckets.take('u1')).toBeGreaterThan(0);
  });

  it('When many users have come and gone, then full buckets are forgotten', () => {
    let now = 0;
    const buckets = new WriteBuckets(60, () => now);
    for (let i = 0; i < 9_999; i++) buckets.take(`user-${i}`);
    expect(buckets.size).toBe(9_999);
    now += 60_000;
    buckets.take('one-more');
    expect(buckets.size).toBe(1);
  });

  it('reads WRITE_RATE_PER_MINUTE, defaults to 600 and refuses nonsense', () => {
    expect(writeRateFromEnv({})).toBe(DEFAULT_WRITE_RATE_PER_MINUTE);
    expect(DEFAULT_WRITE_RATE_PER_MINUTE).toBe(600);
    expect(writeRateFromEnv({ WRITE_RATE_PER_MINUTE: '30' })).toBe(30);
    expect(() => writeRateFromEnv({ WRITE_RATE_PER_MINUTE: '0' })).toThrow();
    expect(() => writeRateFromEnv({ WRITE_RATE_PER_MINUTE: 'many' })).toThrow();
  });
});

describe('write rate limit in the app', () => {
  let t: TTestDb;
  let users: TDemoUser[];
  let app: Express;
  const by = (username: string): TDemoUser => users.find((u) => u.username === username)!;
  // The routes exercised here read and write the database only: no Temporal client is needed (a call would throw).
  const client = {} as Client;

  beforeAll(async () => {
    t = await createTestDb();
    users = await seedDemo(t.db);
    const previous = process.env.WRITE_RATE_PER_MINUTE;
    process.env.WRITE_RATE_PER_MINUTE = '3';
    try {
      app = createApp({ db: t.db, client });
    } finally {
      if (previous === undefined) delete process.env.WRITE_RATE_PER_MINUTE;
      else process.env.WRITE_RATE_PER_MINUTE = previous;
    }
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const write = (user: TDemoUser, text: string) =>
    request(app).post('/api/opinions').set('Authorization', `Bearer ${user.token}`).send({ text });

  it('When a user writes beyond the rate, then 429 with Retry-After and a Chinese message, and nothing is written', async () => {
    const staff = by('medical_staff');
    // Every write counts, a refused one too (an invalid body: 400).
    expect((await write(staff, '')).status).toBe(400);
    expect((await write(staff, '请补充佐证材料')).status).toBe(201);
    expect((await write(staff, '请细化整改措施')).status).toBe(201);
    const refused = await write(staff, '请明确完成时限');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(20);
    expect(refused.body).toEqual({
      error: { code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/^操作过于频繁，请\d+秒后再试$/) as string },
    });
    expect(await t.db.commonOpinion.count({ where: { text: '请明确完成时限' } })).toBe(0);

    // Reads are not limited; another user (even of the same unit) has a bucket of their own.
    const read = await request(app).get('/api/opinions').set('Authorization', `Bearer ${staff.token}`);
    expect(read.status).toBe(200);
    expect((await write(by('medical_head'), '请明确完成时限')).status).toBe(201);
  });

  it('When a browser signs in, then sign-in is not a counted write; its writes are counted per user like a token', async () => {
    const staff = by('finance_staff');
    let cookie = '';
    let csrf = '';
    for (let i = 0; i < 4; i++) {
      const login = await request(app)
        .post('/api/auth/login')
        .send({ username: staff.username, password: staff.password });
      expect(login.status).toBe(200);
      cookie = (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
      csrf = (login.body as { csrfToken: string }).csrfToken;
    }
    const viaCookie = (text: string) =>
      request(app).post('/api/opinions').set('Cookie', cookie).set('X-CSRF-Token', csrf).send({ text });
    expect((await viaCookie('一')).status).toBe(201);
    expect((await write(staff, '二')).status).toBe(201);
    expect((await viaCookie('三')).status).toBe(201);
    expect((await viaCookie('四')).status).toBe(429);
  });
});
