/**
 * The lifecycle additions through the API on the real stack: extensions (approved and refused), reassignment,
 * delegated sign-off, cascade into city tasks, urging, overdue tasks and the traffic light; reading campaigns.
 */
import { dateOf } from '../../domain/calendar';
import { as, assigned, demoCast, eventually, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let campaignId: string;

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

async function createTask(overrides: Record<string, unknown> = {}, leadUnitId = cast.medicalStaff.unitId) {
  const res = await as(stack.app, cast.office).post(
    `/api/campaigns/${campaignId}/tasks`,
    taskBody(leadUnitId, cast.leader.userId, overrides),
  );
  expect(res.status).toBe(201);
  const id = res.body.tasks[0].id as string;
  await assigned(stack.app, cast.office, id);
  return id;
}

async function acknowledged(overrides: Record<string, unknown> = {}) {
  const id = await createTask(overrides);
  expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/acknowledge`)).status).toBe(200);
  return id;
}

describe('campaigns', () => {
  it('When campaigns are read, then each caller sees those of its scope, with the policy in force', async () => {
    const id = await openCampaign(stack.app, cast.office, cast.leader.unitId, {
      name: '省生态环境保护督察反馈问题整改',
      kind: 'ducha',
      inspectingBody: '省生态环境保护督察组',
      feedbackDate: '2026-09-30',
    });
    expect(await stack.db.auditEvent.count({ where: { campaignId: id, action: 'CampaignCreated' } })).toBe(1);

    const listed = await as(stack.app, cast.office).get('/api/campaigns?kind=ducha');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({
        id,
        kind: 'ducha',
        feedbackDate: '2026-09-30',
        policy: expect.objectContaining({ reportDueDay: 25 }),
      }),
    );
    const otherKind = await as(stack.app, cast.office).get('/api/campaigns?kind=xuncha');
    expect(otherKind.body.items.map((c: { id: string }) => c.id)).not.toContain(id);

    // A department sees a campaign once it has a task in it; another city's department never does.
    expect((await as(stack.app, cast.medicalStaff).get(`/api/campaigns/${id}`)).status).toBe(403);
    const task = await as(stack.app, cast.office).post(
      `/api/campaigns/${id}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId),
    );
    expect(task.status).toBe(201);
    const detail = await as(stack.app, cast.medicalStaff).get(`/api/campaigns/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id, name: '省生态环境保护督察反馈问题整改', taskCount: 1 });
    const theirs = await as(stack.app, cast.medicalStaff).get('/api/campaigns');
    expect(theirs.body.items.map((c: { id: string }) => c.id)).toContain(id);
    const others = await as(stack.app, cast.cityBStaff).get('/api/campaigns');
    expect(others.body.items.map((c: { id: string }) => c.id)).not.toContain(id);

    expect((await as(stack.app, cast.office).get('/api/campaigns/no-such-campaign')).status).toBe(404);
    expect((await as(stack.app, cast.office).get('/api/campaigns?pageSize=0')).status).toBe(400);
    expect((await as(stack.app, cast.office).get('/api/campaigns?kind=other')).status).toBe(400);
  });
});

describe('deadline extensions', () => {
  it('When the office and then the leader approve an extension, then the deadline moves and the audit shows both dates', async () => {
    const id = await acknowledged();
    const requested = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/extension`, {
      newDate: '2036-06-30',
      reason: '涉及跨部门协调，需延期',
    });
    expect(requested.status).toBe(200);
    expect(requested.body.extensions[0]).toMatchObject({
      oldDate: '2035-12-31',
      newDate: '2036-06-30',
      status: 'pending',
    });
    const byOffice = await as(stack.app, cast.office).post(`/api/tasks/${id}/extension/decision`, {
      decision: 'approve',
    });
    expect(byOffice.status).toBe(200);
    expect(byOffice.body.deadline.date).toBe('2035-12-31');
    const leaderInbox = await as(stack.app, cast.leader).get('/api/inbox');
    expect(leaderInbox.body.other).toContainEqual(expect.objectContaining({ taskId: id, action: 'decide_extension' }));
    const byLeader = await as(stack.app, cast.leader).post(`/api/tasks/${id}/extension/decision`, {
      decision: 'approve',
    });
    expect(byLeader.status).toBe(200);
    expect(byLeader.body.deadline).toEqual({ kind: 'date', date: '2036-06-30' });
    expect(byLeader.body.extensions[0].status).toBe('approved');
    const extended = byLeader.body.audit.find((a: { action: string }) => a.action === 'DeadlineExtended');
    expect(extended.detail).toMatchObject({ fromDate: '2035-12-31', toDate: '2036-06-30' });
  });

  it('When the office refuses an extension, then the deadline stays and a second decision is refused with 409', async () => {
    const id = await acknowledged();
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/extension`, {
      newDate: '2036-06-30',
      reason: '需延期',
    });
    const refused = await as(stack.app, cast.office).post(`/api/tasks/${id}/extension/decision`, {
      decision: 'refuse',
      reason: '理由不充分',
    });
    expect(refused.status).toBe(200);
    expect(refused.body.deadline.date).toBe('2035-12-31');
    expect(refused.body.extensions[0].status).toBe('refused');
    const again = await as(stack.app, cast.leader).post(`/api/tasks/${id}/extension/decision`, { decision: 'approve' });
    expect(again.status).toBe(409);
  });
});

describe('reassignment and delegation', () => {
  it('When the office moves a task to another unit, then the new unit sees it and the old one no longer does', async () => {
    const id = await acknowledged();
    const res = await as(stack.app, cast.office).post(`/api/tasks/${id}/reassign`, {
      leadUnitId: cast.financeStaff.unitId,
      reason: '职能调整',
    });
    expect(res.status).toBe(200);
    expect(res.body.leadUnitId).toBe(cast.financeStaff.unitId);
    expect(res.body.signOffChain[0]).toMatchObject({ role: 'unit_head', unitId: cast.financeStaff.unitId });
    const reassigned = res.body.audit.find((a: { action: string }) => a.action === 'TaskReassigned');
    expect(reassigned.detail.from.leadUnitId).toBe(cast.medicalStaff.unitId);
    expect((await as(stack.app, cast.financeStaff).get(`/api/tasks/${id}`)).status).toBe(200);
    expect((await as(stack.app, cast.medicalStaff).get(`/api/tasks/${id}`)).status).toBe(403);
  });

  it('When a task is reassigned to a unit that does not exist, then the answer is 400 and nothing changes', async () => {
    const id = await acknowledged();
    const res = await as(stack.app, cast.office).post(`/api/tasks/${id}/reassign`, { leadUnitId: 'no-such-unit' });
    expect(res.status).toBe(400);
    expect((await as(stack.app, cast.office).get(`/api/tasks/${id}`)).body.leadUnitId).toBe(cast.medicalStaff.unitId);
  });

  it('When the leader delegates to a deputy, then the deputy sees the sign-off and signs it on the leader’s behalf', async () => {
    const id = await acknowledged();
    const today = dateOf((await stack.now()).toISOString());
    // A deputy must hold the leader's role in the leader's unit: a city's leader may not stand in.
    const foreign = await as(stack.app, cast.leader).post('/api/delegations', {
      taskId: id,
      toUserId: cast.cityLeader.userId,
      from: today,
      to: today,
    });
    expect(foreign.status).toBe(403);
    const tooLong = await as(stack.app, cast.leader).post('/api/delegations', {
      taskId: id,
      toUserId: cast.deputyLeader.userId,
      from: '2000-01-01',
      to: '2035-12-31',
    });
    expect(tooLong.status).toBe(400);
    const delegated = await as(stack.app, cast.leader).post('/api/delegations', {
      taskId: id,
      toUserId: cast.deputyLeader.userId,
      from: today,
      to: today,
    });
    expect(delegated.status).toBe(201);
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/closure`, { summary: '已完成' });
    await as(stack.app, cast.medicalHead).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' });
    await as(stack.app, cast.office).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' });
    const inbox = await as(stack.app, cast.deputyLeader).get('/api/inbox');
    expect(inbox.body.signOffs).toContainEqual(expect.objectContaining({ taskId: id, level: 3 }));
    const signed = await as(stack.app, cast.deputyLeader).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' });
    expect(signed.status).toBe(200);
    expect(signed.body.status).toBe('CLOSED');
    expect(signed.body.signOffs[2]).toMatchObject({
      level: 3,
      signerId: cast.deputyLeader.userId,
      onBehalfOfId: cast.leader.userId,
    });
  });

  it('When someone who holds no level delegates, then the answer is 403', async () => {
    const id = await acknowledged();
    const res = await as(stack.app, cast.supervisor).post('/api/delegations', {
      taskId: id,
      toUserId: cast.cityLeader.userId,
      from: '2000-01-01',
      to: '2035-12-31',
    });
    expect(res.status).toBe(403);
  });
});

describe('cascade', () => {
  it('When the office splits a task into two city tasks, then the parent shows them and cannot apply for close-out before they close', async () => {
    const id = await acknowledged();
    const res = await as(stack.app, cast.office).post(`/api/tasks/${id}/split`, {
      children: [
        { leadUnitId: cast.cityStaff.unitId, leaderId: cast.cityLeader.userId },
        { leadUnitId: cast.cityBStaff.unitId, leaderId: cast.cityBLeader.userId, measure: '西州市专项整治' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.children).toHaveLength(2);
    expect(res.body.children.map((c: { leadUnitId: string }) => c.leadUnitId)).toEqual([
      cast.cityStaff.unitId,
      cast.cityBStaff.unitId,
    ]);
    const childId = res.body.children[0].id as string;
    // The city's own office reviews and signs its child task.
    const child = await eventually(
      async () => (await as(stack.app, cast.cityOffice).get(`/api/tasks/${childId}`)).body,
      (body) => Array.isArray(body.signOffChain) && body.signOffChain.length > 0,
      'the child task to be projected',
    );
    expect(child.parentTaskId).toBe(id);
    expect(child.signOffChain.map((l: { unitId?: string; role: string }) => l.role)).toContain('office');
    const closure = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/closure`, { summary: '申请销号' });
    expect(closure.status).toBe(409);
    expect(closure.body.error.message).toMatch(/child tasks are open/);
  });

  it('When a split names a leader who is not a leader, then the answer is 400', async () => {
    const id = await acknowledged();
    const res = await as(stack.app, cast.office).post(`/api/tasks/${id}/split`, {
      children: [{ leadUnitId: cast.cityStaff.unitId, leaderId: cast.cityStaff.userId }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toEqual(['children', 0, 'leaderId']);
  });
});

describe('urging, overdue tasks and the traffic light', () => {
  it('When the office urges a unit, then the message reaches the unit’s inbox until it is read', async () => {
    const id = await acknowledged();
    const urged = await as(stack.app, cast.office).post(`/api/tasks/${id}/urge`, { message: '请加快整改进度' });
    expect(urged.status).toBe(202);
    const inbox = await eventually(
      async () => (await as(stack.app, cast.medicalStaff).get('/api/inbox')).body,
      (body) => body.notifications.some((n: { kind: string; taskId: string }) => n.kind === 'urge' && n.taskId === id),
      'the urge notification',
    );
    const note = inbox.notifications.find(
      (n: { kind: string; taskId: string }) => n.kind === 'urge' && n.taskId === id,
    );
    // The office's message inside a Chinese text naming the task and its unit, with the task's link.
    expect(note.title).toMatch(/^【催办】.+“整改责任落实不到位”$/);
    expect(note.body).toContain('：请加快整改进度。');
    expect(note.body).toContain(`查看：/tasks/${id}`);
    const read = await as(stack.app, cast.medicalStaff).post(`/api/inbox/notifications/${note.id}/read`);
    expect(read.status).toBe(204);
    const after = await as(stack.app, cast.medicalStaff).get('/api/inbox');
    expect(after.body.notifications.map((n: { id: string }) => n.id)).not.toContain(note.id);
    // Someone else's notification is not theirs to mark.
    expect((await as(stack.app, cast.financeStaff).post(`/api/inbox/notifications/${note.id}/read`)).status).toBe(404);
  });

  it('When a task is past its deadline, then it is OVERDUE, red, filterable and counted per campaign', async () => {
    const id = await createTask({ deadline: '2020年12月31日前完成' });
    const task = await eventually(
      async () => (await as(stack.app, cast.office).get(`/api/tasks/${id}`)).body,
      (body) => body.status === 'OVERDUE',
      'the deadline timer to mark the task overdue',
    );
    expect(task).toMatchObject({ overdue: true, trafficLight: 'red' });
    const red = await as(stack.app, cast.office).get(`/api/tasks?campaignId=${campaignId}&trafficLight=red`);
    expect(red.body.items.map((t: { id: string }) => t.id)).toContain(id);
    const green = await as(stack.app, cast.office).get(
      `/api/tasks?campaignId=${campaignId}&trafficLight=green&pageSize=200`,
    );
    expect(green.body.items.map((t: { id: string }) => t.id)).not.toContain(id);
    const stats = await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats`);
    expect(stats.body.byTrafficLight.red).toBeGreaterThanOrEqual(1);
    expect(stats.body.byStatus.OVERDUE).toBeGreaterThanOrEqual(1);
    expect(stats.body.overdue).toBeGreaterThanOrEqual(1);
  });
});

describe('long-term tasks and look-back', () => {
  async function signedOff(overrides: Record<string, unknown> = {}): Promise<string> {
    const id = await acknowledged(overrides);
    expect(
      (await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/closure`, { summary: '已完成' })).status,
    ).toBe(200);
    for (const signer of [cast.medicalHead, cast.office, cast.leader]) {
      expect((await as(stack.app, signer).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' })).status).toBe(200);
    }
    return id;
  }

  it('When a long-term task is signed off, then it is LONG_TERM until the office ends it', async () => {
    const id = await signedOff({ deadline: '长期坚持' });
    expect((await as(stack.app, cast.office).get(`/api/tasks/${id}`)).body.status).toBe('LONG_TERM');
    expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/end-long-term`)).status).toBe(403);
    const ended = await as(stack.app, cast.office).post(`/api/tasks/${id}/end-long-term`, { reason: '长效机制已建立' });
    expect(ended.status).toBe(200);
    expect(ended.body.status).toBe('CLOSED');
  });

  // Last in this file: it moves the shared dev server's clock ahead.
  it('When the look-back finds a rebound, then the task reopens with its history and reopen count; a consolidated one is VERIFIED', async () => {
    // A campaign whose policy looks back after one month: the clock then only has to skip five weeks.
    campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId, {
      name: '回头看',
      kind: 'xuncha',
      inspectingBody: '省委巡察组',
      feedbackDate: '2021-03-31',
      policy: { lookBackDelayMonths: 1 },
    });
    const rebound = await signedOff();
    const consolidated = await signedOff();
    await stack.testEnv.sleep('35 days');
    await eventually(
      async () => (await as(stack.app, cast.office).get('/api/inbox')).body,
      (body) =>
        body.other.some((i: { taskId: string; action: string }) => i.taskId === rebound && i.action === 'look_back'),
      'the look-back to fall due',
    );
    const reopened = await as(stack.app, cast.office).post(`/api/tasks/${rebound}/look-back`, {
      verdict: 'rebound',
      reason: '问题反弹',
      newDeadlineDate: '2035-12-31',
    });
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({ status: 'IN_PROGRESS', reopenCount: 1, round: 2 });
    expect(reopened.body.signOffs).toHaveLength(3);
    expect(reopened.body.audit.map((a: { action: string }) => a.action)).toContain('TaskReopened');
    const verified = await as(stack.app, cast.office).post(`/api/tasks/${consolidated}/look-back`, {
      verdict: 'consolidated',
    });
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe('VERIFIED');
  });
});
