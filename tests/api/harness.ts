/**
 * The real stack for API tests: the embedded dev server (time skipping), the product's worker on a private task
 * queue, a fresh database with the demo organisation, and the Express app. Each test file starts one and tears it
 * down.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { Db } from '../../db/client';
import { periodOf } from '../../domain/calendar';
import { createTestEnvironment } from '../../devserver/src/testing';
import { seedDemo, type TDemoUser } from '../../scripts/seed-demo';
import { createTaskWorker } from '../../worker';
import { createTestDb } from '../helpers/db';

export interface TApiStack {
  app: Express;
  db: Db;
  /** The database's URL (`file:…` for SQLite), for a second client on the same database. */
  dbUrl: string;
  testEnv: TestWorkflowEnvironment;
  users: TDemoUser[];
  /** The workflows' clock (the dev server's virtual time). */
  now(): Promise<Date>;
  /** The reporting period (Shanghai month) of the workflows' clock. */
  currentPeriod(): Promise<string>;
  teardown(): Promise<void>;
}

export async function startApiStack(): Promise<TApiStack> {
  const { testEnv, teardown: stopServer } = await createTestEnvironment();
  const { db, cleanup, url: dbUrl } = await createTestDb();
  // A private queue per test file: two files never take each other's workflow tasks.
  const taskQueue = `api-test-${randomUUID()}`;
  const worker = await createTaskWorker({ connection: testEnv.nativeConnection, taskQueue, deps: { db } });
  const running = worker.run();
  const users = await seedDemo(db);
  const now = async () => new Date(await testEnv.currentTimeMs());
  const app = createApp({ db, client: testEnv.client, taskQueue });
  return {
    app,
    db,
    dbUrl,
    testEnv,
    users,
    now,
    currentPeriod: async () => periodOf((await now()).toISOString()),
    teardown: async () => {
      worker.shutdown();
      await running;
      await cleanup();
      await stopServer();
    },
  };
}

/** The demo users the tests act as, by their place in the demo organisation. */
export function demoCast(users: TDemoUser[]) {
  const one = (role: TDemoUser['role'], nameIncludes: string): TDemoUser => {
    const user = users.find((u) => u.role === role && u.name.includes(nameIncludes));
    if (!user) throw new Error(`No demo ${role} whose name includes ${nameIncludes}`);
    return user;
  };
  return {
    office: one('office', '省整改办'),
    leader: one('leader', '牵头领导'),
    supervisor: one('supervisor', '纪检监察组'),
    admin: one('admin', '管理员'),
    medicalStaff: one('unit_staff', '医政医管处'),
    medicalHead: one('unit_head', '医政医管处'),
    financeStaff: one('unit_staff', '财务处'),
    financeHead: one('unit_head', '财务处'),
    cityOffice: one('office', '东州市整改办'),
    cityLeader: one('leader', '东州市领导'),
    cityStaff: one('unit_staff', '东州市医政科'),
    cityBLeader: one('leader', '西州市领导'),
    cityBStaff: one('unit_staff', '西州市医政科'),
    deputyLeader: one('leader', '张副主任'),
    deputyOffice: one('office', '孙整改'),
  };
}

/** supertest with the user's bearer token. */
export function as(app: Express, user: { token: string }) {
  const auth = (r: request.Test): request.Test => r.set('Authorization', `Bearer ${user.token}`);
  return {
    get: (url: string) => auth(request(app).get(url)),
    post: (url: string, body?: object) => {
      const req = auth(request(app).post(url));
      // Task creation without a key counts the same body from the same person within minutes as a retry; tests that
      // create alike tasks on purpose say so with a key of their own (a test may still .set or .unset it).
      if (/^\/api\/campaigns\/[^/]+\/tasks$/.test(url)) req.set('Idempotency-Key', randomUUID());
      return req.send(body ?? {});
    },
  };
}

/** Opens a campaign for the province (as its office) and returns its ID. */
export async function openCampaign(
  app: Express,
  office: TDemoUser,
  provinceUnitId: string,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const res = await as(app, office).post('/api/campaigns', {
    name: '省委第一巡视组反馈意见整改',
    kind: 'xunshi',
    inspectingBody: '省委第一巡视组',
    inspectedUnitId: provinceUnitId,
    feedbackDate: '2020-06-30',
    ...overrides,
  });
  if (res.status !== 201) throw new Error(`campaign not created: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

export function taskBody(leadUnitId: string, leaderId: string, overrides: Record<string, unknown> = {}) {
  return {
    problem: { category: '党的建设', title: '整改责任落实不到位' },
    measure: '建立整改台账，逐项销号',
    leadUnitId,
    leaderId,
    // Far in the future: the walkthrough must never trip the deadline timer.
    deadline: '2035年12月31日前完成',
    ...overrides,
  };
}

/** The projection runs right after a workflow start or timer: poll the read model briefly until `ok` holds. */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the workflow has projected its assignment, so later snapshots compare a settled task. */
export async function assigned(app: Express, reader: { token: string }, taskId: string): Promise<void> {
  await eventually(
    async () => (await as(app, reader).get(`/api/tasks/${taskId}`)).body as { audit?: { action: string }[] },
    (body) => (body.audit ?? []).some((a) => a.action === 'TaskAssigned'),
    `task ${taskId} to be assigned by its workflow`,
  );
}
