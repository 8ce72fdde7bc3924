/**
 * The reads the web application sits on, through the real stack: the caller's allowed actions (computed by the
 * workflow's own rules) agree with what the workflow then accepts or refuses; the task list's filters, search and
 * sorting; names instead of ids; a campaign's per-unit figures; the directory; 常用意见; notifications.
 */
import request from 'supertest';
import { as, assigned, demoCast, eventually, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let campaignId: string;
let taskId: string;
let otherTaskId: string;

type TAllowed = { action: string; periods?: string[]; candidates?: { id: string; name: string }[] }[];
const actionsOf = async (user: { token: string }, id = taskId): Promise<TAllowed> => {
  const res = await as(stack.app, user).get(`/api/tasks/${id}`);
  expect(res.status).toBe(200);
  return res.body.allowedActions as TAllowed;
};
const kinds = (allowed: TAllowed) => allowed.map((a) => a.action).sort();

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
  const res = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
    tasks: [
      taskBody(cast.medicalStaff.unitId, cast.leader.userId, {
        problem: { category: '党的领导', title: '医疗质量管控不严' },
        measure: '建立医疗质量月度通报制度',
      }),
      taskBody(cast.financeStaff.unitId, cast.leader.userId, {
        problem: { category: '作风建设', title: '财务报销审核流于形式' },
        measure: '修订报销审核细则',
        deadline: '2034年6月30日前完成',
      }),
    ],
  });
  expect(res.status).toBe(201);
  [taskId, otherTaskId] = res.body.tasks.map((t: { id: string }) => t.id);
  await assigned(stack.app, cast.office, taskId);
  await assigned(stack.app, cast.office, otherTaskId);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

describe('allowed actions', () => {
  it('When the lead unit staff opens a new task, then they may acknowledge, report and ask for more time — and the workflow agrees', async () => {
    const staff = await actionsOf(cast.medicalStaff);
    expect(kinds(staff)).toEqual(['acknowledge', 'request_extension', 'submit_report']);
    expect(staff.find((a) => a.action === 'submit_report')?.periods?.[0]).toBe(await stack.currentPeriod());
    // What is not offered is refused by the workflow: applying for close-out before acknowledging.
    const refused = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/closure`, { summary: '已完成' });
    expect(refused.status).toBe(409);
    const ack = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`);
    expect(ack.status).toBe(200);
    // The decision answers the task view with the caller's actions after it.
    expect(kinds(ack.body.allowedActions)).toEqual(['request_closure', 'request_extension', 'submit_report']);
  });

  it('When another unit, the supervisor or the office open it, then each sees only its own part', async () => {
    const other = await as(stack.app, cast.financeStaff).get(`/api/tasks/${taskId}`);
    expect(other.status).toBe(403);
    expect(kinds(await actionsOf(cast.supervisor))).toEqual(['urge']);
    const office = await actionsOf(cast.office);
    expect(kinds(office)).toEqual(['delegate', 'reassign', 'split', 'urge']);
    // The deputies offered are the office's own colleagues, the people the rule accepts.
    expect(office.find((a) => a.action === 'delegate')).toEqual({
      action: 'delegate',
      candidates: [{ id: cast.deputyOffice.userId, name: '孙整改（省整改办）' }],
    });
    // The head signs level 1 of every close-out, so never files one (and is not offered to).
    // …and has no colleague of the same role in the unit to stand in, so is not offered a delegation either.
    expect(kinds(await actionsOf(cast.medicalHead))).toEqual(['request_extension', 'submit_report']);
    const headApplies = await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/closure`, {
      summary: '已完成',
    });
    expect(headApplies.status).toBe(403);
  });

  it('When a report is in, then the office is offered its review for that period and the review is accepted', async () => {
    const period = await stack.currentPeriod();
    const report = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/reports`, {
      period,
      progress: '已建立月度通报制度',
    });
    expect(report.status).toBe(200);
    expect(kinds(report.body.allowedActions)).not.toContain('submit_report');
    const office = await actionsOf(cast.office);
    expect(office.find((a) => a.action === 'review_report')).toEqual({ action: 'review_report', periods: [period] });
    const review = await as(stack.app, cast.office).post(`/api/tasks/${taskId}/reports/${period}/review`, {
      decision: 'accept',
    });
    expect(review.status).toBe(200);
    expect(kinds(review.body.allowedActions)).not.toContain('review_report');
  });

  it('When staff applies for close-out, then sign_off is offered to the head alone, and to the office after the head signed', async () => {
    const apply = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/closure`, { summary: '已完成' });
    expect(apply.status).toBe(200);
    expect(kinds(await actionsOf(cast.medicalHead))).toContain('sign_off');
    expect(kinds(await actionsOf(cast.office))).not.toContain('sign_off');
    expect(kinds(await actionsOf(cast.medicalStaff))).not.toContain('sign_off');
    const head = await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' });
    expect(head.status).toBe(200);
    expect(kinds(head.body.allowedActions)).not.toContain('sign_off');
    expect(kinds(await actionsOf(cast.office))).toContain('sign_off');
  });
});

describe('the task page names people and units', () => {
  it('When the office reads the task, then every id on the page has a name', async () => {
    const res = await as(stack.app, cast.office).get(`/api/tasks/${taskId}`);
    const task = res.body;
    expect(task).toMatchObject({
      problemTitle: '医疗质量管控不严',
      category: '党的领导',
      leadUnitName: '医政医管处',
      leaderName: '李主任（牵头领导）',
      campaignName: '省委第一巡视组反馈意见整改',
    });
    for (const a of task.audit as { actorId: string | null }[]) {
      if (a.actorId) expect(task.names.users[a.actorId]).toEqual(expect.any(String));
    }
    expect(task.names.users[cast.medicalStaff.userId]).toBe('陈干事（医政医管处）');
    expect(task.names.units[cast.medicalStaff.unitId]).toBe('医政医管处');
    expect(task.reports[0]).toMatchObject({ problems: null, nextPlan: null });
  });
});

describe('the timeline’s notices', () => {
  it('When the office urges the unit, then the task page lists the urge once, though each member got it', async () => {
    const urged = await as(stack.app, cast.office).post(`/api/tasks/${otherTaskId}/urge`, {
      message: '请本周内报送进展',
    });
    expect(urged.status).toBe(202);
    const messages = await eventually(
      async () =>
        (await as(stack.app, cast.office).get(`/api/tasks/${otherTaskId}`)).body.messages as {
          kind: string;
          body: string;
        }[],
      (list) => list.some((m) => m.kind === 'urge'),
      'the urge to reach the task page',
    );
    expect(messages.filter((m) => m.kind === 'urge')).toHaveLength(1);
    expect(messages[0]!.body).toContain('请本周内报送进展');
    // Both members of the unit were notified.
    const rows = await stack.db.notification.count({ where: { taskId: otherTaskId, kind: 'urge' } });
    expect(rows).toBe(2);
  });
});

describe('the task list', () => {
  const list = async (user: { token: string }, query: string) => {
    const res = await as(stack.app, user).get(`/api/tasks?${query}`);
    expect(res.status).toBe(200);
    return res.body as { items: Record<string, unknown>[]; total: number };
  };

  it('When the office searches by text, then only matching problems or measures come back, with names', async () => {
    const byTitle = await list(cast.office, `q=${encodeURIComponent('报销')}`);
    expect(byTitle.items.map((t) => t.id)).toEqual([otherTaskId]);
    expect(byTitle.items[0]).toMatchObject({
      problemTitle: '财务报销审核流于形式',
      leadUnitName: '财务处',
      leaderName: '李主任（牵头领导）',
      campaignName: '省委第一巡视组反馈意见整改',
      deadlineText: '2034年6月30日前完成',
      deadline: { kind: 'date', date: '2034-06-30' },
    });
    const byMeasure = await list(cast.office, `q=${encodeURIComponent('月度通报')}`);
    expect(byMeasure.items.map((t) => t.id)).toEqual([taskId]);
  });

  it('When sorted by deadline, then the earlier deadline comes first, and desc reverses it', async () => {
    const asc = await list(cast.office, `campaignId=${campaignId}&sort=deadline&order=asc`);
    expect(asc.items.map((t) => t.id)).toEqual([otherTaskId, taskId]);
    const desc = await list(cast.office, `campaignId=${campaignId}&sort=deadline&order=desc`);
    expect(desc.items.map((t) => t.id)).toEqual([taskId, otherTaskId]);
  });

  it('When filtered by overdue, then none of these far-future tasks is listed; a bad value names the field', async () => {
    expect((await list(cast.office, 'overdue=true')).total).toBe(0);
    expect((await list(cast.office, `overdue=false&campaignId=${campaignId}`)).total).toBe(2);
    const bad = await as(stack.app, cast.office).get('/api/tasks?overdue=yes');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toEqual(['overdue']);
    const badSort = await as(stack.app, cast.office).get('/api/tasks?sort=stateJson');
    expect(badSort.status).toBe(400);
  });

  it('When unit staff list tasks, then they see their own unit only', async () => {
    const mine = await list(cast.financeStaff, '');
    expect(mine.items.map((t) => t.id)).toEqual([otherTaskId]);
  });
});

describe('campaign statistics', () => {
  it('When the office reads the figures, then they come per unit, with the overdue list', async () => {
    const res = await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    const units = res.body.byUnit as { unitName: string; total: number }[];
    expect(units.map((u) => u.unitName).sort()).toEqual(['医政医管处', '财务处'].sort());
    expect(units.every((u) => u.total === 1)).toBe(true);
    expect(res.body.overdueTasks).toEqual([]);
  });

  it('When a city office asks for the figures of a province campaign, then it is refused', async () => {
    const res = await as(stack.app, cast.cityOffice).get(`/api/campaigns/${campaignId}/stats`);
    expect(res.status).toBe(403);
  });
});

describe('directory, 常用意见 and notifications', () => {
  it('When a user lists units and the leaders of a unit, then names come back, filtered', async () => {
    const units = await as(stack.app, cast.office).get('/api/units');
    expect(units.body.items.map((u: { name: string }) => u.name)).toContain('医政医管处');
    const leaders = await as(stack.app, cast.office).get(`/api/users?role=leader&unitId=${cast.leader.unitId}`);
    expect(leaders.body.items).toContainEqual({
      id: cast.leader.userId,
      name: '李主任（牵头领导）',
      role: 'leader',
      unitId: cast.leader.unitId,
    });
    expect(leaders.body.items.every((u: { role: string; unitId: string }) => u.role === 'leader')).toBe(true);
    expect(leaders.body.items.every((u: { unitId: string }) => u.unitId === cast.leader.unitId)).toBe(true);
    expect((await as(stack.app, cast.office).get('/api/users?role=king')).status).toBe(400);
  });

  it('When the office saves a 常用意见, then its colleagues see it and other units do not; saving it twice keeps one', async () => {
    const text = '佐证材料不充分，请补充';
    const first = await as(stack.app, cast.office).post('/api/opinions', { text });
    expect(first.status).toBe(201);
    const again = await as(stack.app, cast.office).post('/api/opinions', { text: ` ${text} ` });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect((await as(stack.app, cast.office).get('/api/opinions')).body.items).toEqual([{ id: first.body.id, text }]);
    expect((await as(stack.app, cast.cityOffice).get('/api/opinions')).body.items).toEqual([]);
    const del = (user: { token: string }) =>
      request(stack.app).delete(`/api/opinions/${first.body.id}`).set('Authorization', `Bearer ${user.token}`);
    expect((await del(cast.cityOffice)).status).toBe(404);
    expect((await del(cast.office)).status).toBe(204);
    expect((await as(stack.app, cast.office).get('/api/opinions')).body.items).toEqual([]);
    expect((await as(stack.app, cast.office).post('/api/opinions', { text: '' })).status).toBe(400);
  });

  it('When notifications are read all at once, then none is unread and the list keeps them', async () => {
    const before = await eventually(
      async () => (await as(stack.app, cast.office).get('/api/notifications')).body,
      (body: { unread: number; total: number; items: { readAt: string | null }[] }) => body.unread > 0,
      'the office to have unread notifications',
    );
    expect(before.items[0]).toMatchObject({ readAt: null });
    const done = await as(stack.app, cast.office).post('/api/notifications/read-all');
    expect(done.status).toBe(204);
    const after = (await as(stack.app, cast.office).get('/api/notifications')).body;
    expect(after.unread).toBe(0);
    expect(after.total).toBe(before.total);
    expect((await as(stack.app, cast.office).get('/api/notifications?unread=true')).body.items).toEqual([]);
    expect((await as(stack.app, cast.office).get('/api/inbox')).body.notifications).toEqual([]);
  });
});
