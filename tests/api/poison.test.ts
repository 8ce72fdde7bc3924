/**
 * Inputs that once wedged a task's workflow or answered 500 are refused at the edge with a 400 naming the field, and
 * change nothing: a deadline or extension in the year 9999 (the calendar ran past its range and every workflow task
 * failed), an escalation step a hundred million days late, an empty or unpadded feedback date.
 */
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

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

const paths = (body: { error: { issues?: { path: (string | number)[] }[] } }) =>
  (body.error.issues ?? []).map((i) => i.path.join('.'));

describe('dates outside any plan', () => {
  it.each([['9999年12月31日前完成'], [{ kind: 'date', date: '9999-12-31' }], [{ kind: 'date', date: '1900-01-01' }]])(
    'When a task is created with the deadline %j, then 400 names tasks.0.deadline and no task is written',
    async (deadline) => {
      const before = await stack.db.task.count();
      const res = await as(stack.app, cast.office).post(
        `/api/campaigns/${campaignId}/tasks`,
        taskBody(cast.medicalStaff.unitId, cast.leader.userId, { deadline }),
      );
      expect(res.status).toBe(400);
      expect(paths(res.body)[0]).toMatch(/^tasks\.0\.deadline/);
      expect(await stack.db.task.count()).toBe(before);
    },
  );

  it('When an extension to 9999-12-31 is asked, then 400 names newDate and the task keeps answering', async () => {
    const created = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId),
    );
    const id = created.body.tasks[0].id as string;
    await assigned(stack.app, cast.office, id);
    const res = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/extension`, {
      newDate: '9999-12-31',
      reason: '需要更多时间',
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain('newDate');
    // A NUL in a report once wedged the projection on PostgreSQL: refused at the edge on every database.
    const nul = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/reports`, {
      period: await stack.currentPeriod(),
      progress: '已完成\u0000',
    });
    expect(nul.status).toBe(400);
    expect(paths(nul.body)).toContain('progress');
    const ack = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/acknowledge`);
    expect(ack.status).toBe(200);
    expect((await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats`)).status).toBe(200);
    expect((await as(stack.app, cast.office).get('/api/tasks?trafficLight=red')).status).toBe(200);
  });
});

describe("dates outside the plan's window", () => {
  const today = new Date().toISOString().slice(0, 10);
  const yearsFrom = (date: string, years: number): string => `${Number(date.slice(0, 4)) + years}${date.slice(4)}`;

  it.each([
    ['more than ten years ahead', () => yearsFrom(today, 11)],
    // The harness's campaign had its feedback on 2020-06-30: a deadline may not lie before 2019-06-30.
    ["more than a year before the campaign's feedback date", () => '2019-06-29'],
  ])('When a deadline lies %s, then 400 names tasks.0.deadline and nothing is written', async (_what, date) => {
    const before = await stack.db.task.count();
    const res = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId, { deadline: { kind: 'date', date: date() } }),
    );
    expect(res.status).toBe(400);
    expect(paths(res.body)[0]).toMatch(/^tasks\.0\.deadline/);
    expect(res.body.error.issues[0].message).toMatch(/十年|反馈日期/);
    expect(await stack.db.task.count()).toBe(before);
  });

  it('When an extension asks for more than ten years ahead, then 400 names newDate; within them it is accepted', async () => {
    const created = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId, { deadline: { kind: 'date', date: yearsFrom(today, 1) } }),
    );
    const id = created.body.tasks[0].id as string;
    await assigned(stack.app, cast.office, id);
    const far = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/extension`, {
      newDate: yearsFrom(today, 11),
      reason: '需要更多时间',
    });
    expect(far.status).toBe(400);
    expect(paths(far.body)).toContain('newDate');
    const near = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/extension`, {
      newDate: yearsFrom(today, 2),
      reason: '需要更多时间',
    });
    expect(near.status).toBe(200);
  });
});

describe('campaign inputs', () => {
  it.each([[''], ['2027-1-1'], ['2027-02-30'], ['9999-12-31']])(
    'When feedbackDate is %j, then 400 names feedbackDate (never 500)',
    async (feedbackDate) => {
      const res = await as(stack.app, cast.office).post('/api/campaigns', {
        name: 'x',
        kind: 'xunshi',
        inspectingBody: 'x',
        inspectedUnitId: cast.leader.unitId,
        feedbackDate,
      });
      expect(res.status).toBe(400);
      expect(paths(res.body)).toContain('feedbackDate');
    },
  );

  it('When a policy puts an escalation step a hundred million days late, then 400 names it', async () => {
    const res = await as(stack.app, cast.office).post('/api/campaigns', {
      name: 'x',
      kind: 'xunshi',
      inspectingBody: 'x',
      inspectedUnitId: cast.leader.unitId,
      feedbackDate: '2026-10-15',
      policy: { escalationLadder: [{ step: 'reminder', afterDaysOverdue: 100_000_000, notify: ['office'] }] },
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain('policy.escalationLadder.0.afterDaysOverdue');
  });
});
