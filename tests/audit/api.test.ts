/**
 * The audit chain on the real stack (dev server, worker, fresh database, Express app): campaign creation, task
 * creation and the workflows' projections (assignment, a decision) all append through `appendAudit`, so every record
 * is chained and `GET /api/audit/verify` answers ok to the admin and the supervisor (others 403); after an attacker
 * deletes one record it names the first broken link.
 */
import request from 'supertest';
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from '../api/harness';
import { testProvider } from '../helpers/db';
import { attackerOf, lit } from './tamper';

const sqliteOnly = testProvider() === 'sqlite' ? it : it.skip;

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let url = '';

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  // The harness keeps its database's URL to itself: the file behind the client is the one the attacker opens.
  if (testProvider() === 'sqlite') {
    const rows = await stack.db.$queryRawUnsafe<{ file: string }[]>(
      "SELECT file FROM pragma_database_list WHERE name = 'main'",
    );
    url = `file:${rows[0]!.file}`;
  }
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

describe('GET /api/audit/verify', () => {
  let taskIds: string[];

  it('When a campaign and two tasks are created and one task is acknowledged, then every audit record is chained and the trail verifies', async () => {
    const campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
    const created = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
      tasks: [
        taskBody(cast.medicalStaff.unitId, cast.leader.userId),
        taskBody(cast.financeStaff.unitId, cast.leader.userId, { measure: '完善财务审批制度' }),
      ],
    });
    expect(created.status).toBe(201);
    taskIds = (created.body as { tasks: { id: string }[] }).tasks.map((t) => t.id);
    for (const id of taskIds) await assigned(stack.app, cast.office, id);
    const ack = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskIds[0]}/acknowledge`);
    expect(ack.status).toBe(200);

    const all = await stack.db.auditEvent.findMany({ orderBy: { chainSeq: 'asc' } });
    const actions = all.map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['CampaignCreated', 'TaskCreated', 'TaskAssigned']));
    expect(all.every((r) => r.chainSeq !== null && r.hash !== null)).toBe(true);
    expect(all.map((r) => r.chainSeq)).toEqual(all.map((_, i) => i + 1));

    for (const user of [cast.admin, cast.supervisor]) {
      const res = await as(stack.app, user).get('/api/audit/verify');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true, checked: all.length, unchained: 0, sealed: false });
    }
  });

  it('When anyone else asks, then 403 (401 without credentials)', async () => {
    for (const user of [cast.office, cast.leader, cast.medicalStaff, cast.medicalHead]) {
      expect((await as(stack.app, user).get('/api/audit/verify')).status).toBe(403);
    }
    expect((await request(stack.app).get('/api/audit/verify')).status).toBe(401);
  });

  // The attacker opens the SQLite file; the tamper cases run on both providers in chain.test.ts.
  sqliteOnly(
    'When someone with database access deletes the record of the acknowledgement, then the answer names the first broken link',
    async () => {
      const ack = await stack.db.auditEvent.findFirstOrThrow({
        where: { taskId: taskIds[0], action: 'TaskAcknowledged' },
      });
      const next = await stack.db.auditEvent.findUnique({ where: { chainSeq: ack.chainSeq! + 1 } });
      await attackerOf({ db: stack.db, url, cleanup: async () => undefined }).run(
        `DELETE FROM "AuditEvent" WHERE "id" = ${lit(ack.id)}`,
      );
      const res = await as(stack.app, cast.supervisor).get('/api/audit/verify');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        ok: false,
        firstBroken: next ? { id: next.id, check: 'sequence' } : { check: 'globalHead' },
      });
    },
  );
});
