/**
 * The read model answers from indexes (issue 10): every statement the task list (with each filter and sort), the task
 * detail, the inbox and the campaign stats send to the database reaches the big tables by an index — no table is read
 * whole. The statements are caught from a second Prisma client on the same SQLite file (its query log) while the real
 * app answers real requests, then put to SQLite's EXPLAIN QUERY PLAN.
 */
import Database from 'better-sqlite3';
import request from 'supertest';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { createApp } from '../../api/app';
import type { Db } from '../../db/client';
import { PrismaClient } from '../../prisma/generated/sqlite/client';
import { testProvider } from '../helpers/db';
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from '../api/harness';

jest.setTimeout(180_000);

/** Tables that grow with the tasks: none may be read whole. */
const BIG = [
  'Task',
  'TaskPendingAction',
  'TaskParticipant',
  'Report',
  'ReviewDecision',
  'CloseoutApplication',
  'SignOffDecision',
  'ExtensionRequest',
  'SupervisionNotice',
  'Notification',
  'Evidence',
  'AuditEvent',
  'TaskLightChange',
];

(testProvider() === 'sqlite' ? describe : describe.skip)('query plans of the read endpoints', () => {
  let stack: TApiStack;
  let logged: PrismaClient;
  let sqlite: Database.Database;
  const statements: { sql: string; params: unknown[] }[] = [];
  let campaignId: string;
  let taskId: string;
  let cast: ReturnType<typeof demoCast>;

  beforeAll(async () => {
    stack = await startApiStack();
    cast = demoCast(stack.users);
    campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
    const res = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
      tasks: Array.from({ length: 12 }, (_, i) =>
        taskBody(i % 2 ? cast.medicalStaff.unitId : cast.financeStaff.unitId, cast.leader.userId, {
          measure: `措施${i}`,
          participatingUnitIds: [i % 2 ? cast.financeStaff.unitId : cast.medicalStaff.unitId],
        }),
      ),
    });
    expect(res.status).toBe(201);
    taskId = res.body.tasks[0].id as string;
    for (const t of res.body.tasks as { id: string }[]) await assigned(stack.app, cast.office, t.id);
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${res.body.tasks[1].id as string}/acknowledge`);
    await as(stack.app, cast.financeStaff).post(`/api/tasks/${taskId}/acknowledge`);
    // SQLite plans from its statistics, as a database in service has them.
    const file = stack.dbUrl.slice('file:'.length);
    sqlite = new Database(file);
    sqlite.exec('ANALYZE');
    logged = new PrismaClient({
      adapter: new PrismaBetterSqlite3({ url: stack.dbUrl }),
      log: [{ emit: 'event', level: 'query' }],
    });
    // The query event's type is not derived from the log option here: typed by hand.
    (logged as unknown as { $on(event: 'query', cb: (e: { query: string; params: string }) => void): void }).$on(
      'query',
      (e) => statements.push({ sql: e.query, params: JSON.parse(e.params) as unknown[] }),
    );
  });

  afterAll(async () => {
    sqlite?.close();
    await logged?.$disconnect();
    await stack?.teardown();
  });

  const plansOf = (): { sql: string; plan: string }[] =>
    statements
      .filter((s) => /^\s*(SELECT|WITH)/i.test(s.sql))
      .map(({ sql, params }) => ({
        sql,
        plan: (
          sqlite
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .all(...(params.map((p) => (typeof p === 'boolean' ? Number(p) : p)) as never[])) as { detail: string }[]
        )
          .map((r) => r.detail)
          .join('; '),
      }));

  /** A whole-table read of a big table: "SCAN Task" with no index (an index walk, "USING INDEX", is allowed). */
  const fullScans = (plan: string): string[] =>
    BIG.filter((t) => new RegExp(`\\bSCAN ${t}\\b(?! USING (COVERING )?INDEX)`).test(plan));

  it.each([
    ['office', '/api/tasks'],
    ['office', '/api/tasks?sort=deadline&order=asc'],
    ['office', '/api/tasks?status=IN_PROGRESS'],
    ['office', '/api/tasks?trafficLight=green'],
    ['office', '/api/tasks?overdue=true'],
    ['medicalStaff', '/api/tasks'],
    ['medicalStaff', '/api/tasks?unitId=UNIT'],
    ['leader', '/api/tasks'],
    ['office', '/api/tasks/TASK'],
    ['medicalStaff', '/api/tasks/TASK'],
    ['office', '/api/inbox'],
    ['medicalStaff', '/api/inbox'],
    ['leader', '/api/inbox'],
    ['office', '/api/campaigns/CAMPAIGN/stats'],
    ['office', '/api/notifications'],
    ['office', '/api/notifications?unread=true'],
  ] as const)('When %s reads %s, then no big table is read whole', async (who, path) => {
    const app = createApp({ db: logged as unknown as Db, client: stack.testEnv.client, taskQueue: 'plans' });
    const url = path.replace('TASK', taskId).replace('CAMPAIGN', campaignId).replace('UNIT', cast.medicalStaff.unitId);
    statements.length = 0;
    const res = await request(app).get(url).set('Authorization', `Bearer ${cast[who].token}`);
    expect(res.status).toBe(200);
    const plans = plansOf();
    expect(plans.length).toBeGreaterThan(0);
    for (const { sql, plan } of plans) {
      expect({ sql: sql.slice(0, 200), plan, scans: fullScans(plan) }).toEqual({
        sql: sql.slice(0, 200),
        plan,
        scans: [],
      });
    }
  });
});
