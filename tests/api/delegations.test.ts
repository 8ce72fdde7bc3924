/**
 * Delegations that can be trusted, on the real stack: an identical delegation in force is refused (409); the
 * principal (or an admin) revokes one with DELETE /api/delegations/:id, after which the deputy can neither sign nor
 * open the task nor find it in the inbox while the principal signs as before; nobody else revokes it (403); a
 * delegation grants read access only within its dates; GET /api/delegations lists what the caller gave and received.
 *
 * The deputies here sit in a unit of their own (the province's leadership), so that nothing but the delegation could
 * let them see the task: the demo's deputy leader sits in the province itself, whose scope holds every task anyway.
 */
import type { Express } from 'express';
import request from 'supertest';
import { generateToken, hashToken } from '../../api/auth';
import { createApp } from '../../api/app';
import { addDaysToDate, dateOf } from '../../domain/calendar';
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let campaignId: string;
/** Two leaders of a leadership unit that contains no department: principal and deputy. */
let principal: { userId: string; token: string };
let deputy: { userId: string; token: string };

const dayMs = 24 * 3600 * 1000;

async function addUser(name: string, role: string, unitId: string): Promise<{ userId: string; token: string }> {
  const user = await stack.db.user.create({ data: { name, role, unitId } });
  const token = generateToken();
  await stack.db.apiToken.create({ data: { userId: user.id, tokenHash: hashToken(token) } });
  return { userId: user.id, token };
}

function del(app: Express, user: { token: string }, url: string) {
  return request(app).delete(url).set('Authorization', `Bearer ${user.token}`);
}

/** The same app on the same database, reading at a chosen instant. */
function readingAt(instant: Date): Express {
  return createApp({ db: stack.db, client: stack.testEnv.client, now: () => instant });
}

async function today(): Promise<string> {
  return dateOf((await stack.now()).toISOString());
}

/** A task led by the medical department, its leader the principal; acknowledged. */
async function createTask(): Promise<string> {
  const deadline = addDaysToDate(await today(), 300);
  const res = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
    tasks: [taskBody(cast.medicalStaff.unitId, principal.userId, { deadline: { kind: 'date', date: deadline } })],
  });
  expect(res.status).toBe(201);
  const id = (res.body as { tasks: { id: string }[] }).tasks[0]!.id;
  await assigned(stack.app, cast.office, id);
  expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/acknowledge`)).status).toBe(200);
  return id;
}

/** Application filed and levels 1 and 2 signed: level 3 (the leader's) waits. */
async function awaitingLeader(id: string): Promise<void> {
  expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/closure`, { summary: '已完成' })).status).toBe(
    200,
  );
  expect(
    (await as(stack.app, cast.medicalHead).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' })).status,
  ).toBe(200);
  expect((await as(stack.app, cast.office).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' })).status).toBe(
    200,
  );
}

async function delegate(id: string, from: string, to: string, by = principal, toUser = deputy) {
  return as(stack.app, by).post('/api/delegations', { taskId: id, toUserId: toUser.userId, from, to });
}

async function inboxSignOffs(user: { token: string }, app: Express = stack.app): Promise<{ taskId: string }[]> {
  const res = await as(app, user).get('/api/inbox');
  expect(res.status).toBe(200);
  return (res.body as { signOffs: { taskId: string }[] }).signOffs;
}

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  const provinceId = cast.leader.unitId;
  const leadership = await stack.db.unit.create({
    data: { name: '省委领导小组', level: 'province', kind: 'government', parentId: provinceId },
  });
  principal = await addUser('甲组长（领导小组）', 'leader', leadership.id);
  deputy = await addUser('乙副组长（领导小组）', 'leader', leadership.id);
  campaignId = await openCampaign(stack.app, cast.office, provinceId);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

describe('delegations: deduplicated', () => {
  it('When the same delegation is given twice, then the second answers 409 and only one row exists', async () => {
    const id = await createTask();
    const day = await today();
    const first = await delegate(id, day, addDaysToDate(day, 5));
    expect(first.status).toBe(201);
    expect(first.body.id).toMatch(/:delegation:\d+$/);
    const again = await delegate(id, day, addDaysToDate(day, 5));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    expect(again.body.error.message).toMatch(/already in force/);
    // Other dates are another delegation.
    expect((await delegate(id, day, addDaysToDate(day, 6))).status).toBe(201);
    const rows = await stack.db.delegation.findMany({ where: { id: { startsWith: `task-${id}:` } } });
    expect(rows).toHaveLength(2);
  });
});

describe('delegations: revoked', () => {
  it('When the principal revokes, then the deputy can neither sign nor open the task nor find it, and the principal signs', async () => {
    const id = await createTask();
    const day = await today();
    const given = await delegate(id, day, addDaysToDate(day, 5));
    expect(given.status).toBe(201);
    const delegationId = given.body.id as string;
    await awaitingLeader(id);
    // While it runs: the deputy sees the task and the sign-off.
    expect((await as(stack.app, deputy).get(`/api/tasks/${id}`)).status).toBe(200);
    expect(await inboxSignOffs(deputy)).toContainEqual(expect.objectContaining({ taskId: id }));

    // Someone else, even the deputy or the office, may not revoke it; an unknown id is 404.
    expect((await del(stack.app, deputy, `/api/delegations/${encodeURIComponent(delegationId)}`)).status).toBe(403);
    expect((await del(stack.app, cast.office, `/api/delegations/${encodeURIComponent(delegationId)}`)).status).toBe(
      403,
    );
    expect(
      (await del(stack.app, principal, `/api/delegations/${encodeURIComponent('task-x:delegation:1')}`)).status,
    ).toBe(404);

    const revoked = await del(stack.app, principal, `/api/delegations/${encodeURIComponent(delegationId)}`);
    expect(revoked.status).toBe(204);
    expect((await del(stack.app, principal, `/api/delegations/${encodeURIComponent(delegationId)}`)).status).toBe(409);

    expect((await as(stack.app, deputy).get(`/api/tasks/${id}`)).status).toBe(403);
    expect((await inboxSignOffs(deputy)).filter((i) => i.taskId === id)).toEqual([]);
    const signed = await as(stack.app, deputy).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' });
    expect(signed.status).toBe(403);
    // The revocation is in the audit trail, naming the row.
    const audit = await stack.db.auditEvent.findMany({ where: { taskId: id, action: 'DelegationRevoked' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toMatchObject({ delegationId, fromUserId: principal.userId, toUserId: deputy.userId });
    expect(audit[0]!.actorId).toBe(principal.userId);

    expect(await inboxSignOffs(principal)).toContainEqual(expect.objectContaining({ taskId: id }));
    const closed = await as(stack.app, principal).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('CLOSED');
  });

  it('When an admin revokes someone’s delegation, then it stops granting too; and the same may be given again', async () => {
    const id = await createTask();
    const day = await today();
    const given = await delegate(id, day, day);
    expect(given.status).toBe(201);
    expect((await del(stack.app, cast.admin, `/api/delegations/${encodeURIComponent(given.body.id)}`)).status).toBe(
      204,
    );
    expect((await as(stack.app, deputy).get(`/api/tasks/${id}`)).status).toBe(403);
    const again = await delegate(id, day, day);
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(given.body.id);
    expect((await as(stack.app, deputy).get(`/api/tasks/${id}`)).status).toBe(200);
  });

  it('When the caller lists delegations, then given and received ones show with task, names, dates and revoked flag', async () => {
    const id = await createTask();
    const day = await today();
    const kept = await delegate(id, day, addDaysToDate(day, 2));
    const gone = await delegate(id, day, addDaysToDate(day, 3));
    expect([kept.status, gone.status]).toEqual([201, 201]);
    expect((await del(stack.app, principal, `/api/delegations/${encodeURIComponent(gone.body.id)}`)).status).toBe(204);

    const given = await as(stack.app, principal).get('/api/delegations');
    expect(given.status).toBe(200);
    const mine = (given.body.items as { id: string; taskId: string }[]).filter((d) => d.taskId === id);
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: kept.body.id,
          direction: 'given',
          measure: '建立整改台账，逐项销号',
          problemTitle: '整改责任落实不到位',
          fromUserName: '甲组长（领导小组）',
          toUserName: '乙副组长（领导小组）',
          from: day,
          to: addDaysToDate(day, 2),
          revoked: false,
        }),
        expect.objectContaining({ id: gone.body.id, direction: 'given', revoked: true }),
      ]),
    );
    expect(mine).toHaveLength(2);
    const received = await as(stack.app, deputy).get('/api/delegations');
    expect((received.body.items as { id: string; direction: string }[]).filter((d) => d.id === kept.body.id)).toEqual([
      expect.objectContaining({ direction: 'received' }),
    ]);
    // Nobody else's delegations are listed to a third party.
    const other = await as(stack.app, cast.office).get('/api/delegations');
    expect((other.body.items as { taskId: string }[]).filter((d) => d.taskId === id)).toEqual([]);
  });
});

describe('delegations: read access only within the dates', () => {
  it('When a delegation starts tomorrow, then the deputy cannot open the task today, can tomorrow, and not after it ends', async () => {
    const id = await createTask();
    const now = await stack.now();
    const day = dateOf(now.toISOString());
    expect((await delegate(id, addDaysToDate(day, 1), addDaysToDate(day, 2))).status).toBe(201);
    expect((await as(readingAt(now), deputy).get(`/api/tasks/${id}`)).status).toBe(403);
    expect((await as(readingAt(new Date(now.getTime() + dayMs)), deputy).get(`/api/tasks/${id}`)).status).toBe(200);
    expect((await as(readingAt(new Date(now.getTime() + 3 * dayMs)), deputy).get(`/api/tasks/${id}`)).status).toBe(403);
    // And a deputy who may not see the task may not sign or act on it through the API today.
    await awaitingLeader(id);
    expect((await as(readingAt(now), deputy).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' })).status).toBe(
      403,
    );
  });
});
