/**
 * Authorization, bad input and refusals through the real stack: every refused request answers with the right status
 * and leaves the task exactly as it was.
 */
import { dateOf } from '../../domain/calendar';
import request from 'supertest';
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

async function createTask(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await as(stack.app, cast.office).post(
    `/api/campaigns/${campaignId}/tasks`,
    taskBody(cast.medicalStaff.unitId, cast.leader.userId, overrides),
  );
  expect(res.status).toBe(201);
  const id = res.body.tasks[0].id as string;
  await assigned(stack.app, cast.office, id);
  return id;
}

/** Everything a refused request could have changed: the task's status, reports, sign-offs and audit trail. */
async function snapshot(taskId: string) {
  const res = await as(stack.app, cast.office).get(`/api/tasks/${taskId}`);
  expect(res.status).toBe(200);
  const { status, reports, signOffs, audit, closeoutApplications, round } = res.body;
  const notifications = await stack.db.notification.count({ where: { taskId } });
  return { status, reports, signOffs, audit, closeoutApplications, round, notifications };
}

async function inClosure(applicant: { token: string }): Promise<string> {
  const taskId = await createTask();
  expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`)).status).toBe(200);
  const applied = await as(stack.app, applicant).post(`/api/tasks/${taskId}/closure`, { summary: '已完成整改' });
  expect(applied.status).toBe(200);
  return taskId;
}

describe('authentication', () => {
  it('When no token is sent, then the answer is 401', async () => {
    const res = await request(stack.app).get('/api/tasks');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('When an unknown token is sent, then the answer is 401', async () => {
    const res = await as(stack.app, { token: 'zg_not-a-real-token' }).get('/api/tasks');
    expect(res.status).toBe(401);
  });

  it('When a token was revoked, then the answer is 401', async () => {
    const { financeHead } = cast;
    await stack.db.apiToken.updateMany({ where: { userId: financeHead.userId }, data: { revokedAt: new Date() } });
    expect((await as(stack.app, financeHead).get('/api/tasks')).status).toBe(401);
  });
});

describe('authorization', () => {
  it('When a unit reports on another unit’s task, then the answer is 403 and nothing changes', async () => {
    const taskId = await createTask();
    const before = await snapshot(taskId);
    const res = await as(stack.app, cast.financeStaff).post(`/api/tasks/${taskId}/reports`, {
      period: await stack.currentPeriod(),
      progress: '越权报送',
    });
    expect(res.status).toBe(403);
    expect(await snapshot(taskId)).toEqual(before);
  });

  it('When someone in scope but not of the lead unit reports, then the workflow refuses it with 403', async () => {
    const taskId = await createTask();
    const res = await as(stack.app, cast.office).post(`/api/tasks/${taskId}/reports`, {
      period: await stack.currentPeriod(),
      progress: '整改办代报',
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });

  it('When a unit reads another unit’s task, then the answer is 403', async () => {
    const taskId = await createTask();
    expect((await as(stack.app, cast.financeStaff).get(`/api/tasks/${taskId}`)).status).toBe(403);
    expect((await as(stack.app, cast.medicalStaff).get(`/api/tasks/${taskId}`)).status).toBe(200);
  });

  it('When a unit lists tasks, then it sees only its own', async () => {
    const taskId = await createTask();
    const mine = await as(stack.app, cast.medicalStaff).get(`/api/tasks?campaignId=${campaignId}&pageSize=200`);
    const theirs = await as(stack.app, cast.financeStaff).get(`/api/tasks?campaignId=${campaignId}`);
    expect(mine.body.items.map((t: { id: string }) => t.id)).toContain(taskId);
    expect(theirs.body).toMatchObject({ total: 0, items: [] });
  });

  it('When the wrong signer signs the current level, then the answer is 403 and nothing changes', async () => {
    const taskId = await inClosure(cast.medicalStaff);
    const before = await snapshot(taskId);
    // Level 1 belongs to the lead unit's head; the office signs at level 2 only.
    const res = await as(stack.app, cast.office).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/level 1/);
    expect(await snapshot(taskId)).toEqual(before);
  });

  it('When the unit head applies for close-out, then the answer is 403 and nothing changes (the head signs level 1)', async () => {
    const taskId = await createTask();
    expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`)).status).toBe(200);
    const before = await snapshot(taskId);
    const res = await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/closure`, { summary: '已完成整改' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/level 1/);
    expect(await snapshot(taskId)).toEqual(before);
  });

  it('When the office names the applicant its deputy, then the delegation is refused (a deputy holds the same role) and nothing changes', async () => {
    const taskId = await inClosure(cast.medicalStaff);
    expect(
      (await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' })).status,
    ).toBe(200);
    const before = await snapshot(taskId);
    const today = dateOf((await stack.now()).toISOString());
    const delegated = await as(stack.app, cast.office).post('/api/delegations', {
      taskId,
      toUserId: cast.medicalStaff.userId,
      from: today,
      to: today,
    });
    expect(delegated.status).toBe(403);
    expect(delegated.body.error.message).toMatch(/same role/);
    const res = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' });
    expect(res.status).toBe(403);
    expect(await snapshot(taskId)).toEqual(before);
  });

  it('When the unit head holds the office’s and the leader’s levels as deputy, then after signing level 1 the head signs no other level', async () => {
    // The office and the leader each name a deputy of their own role; the head can no longer be named at all, and
    // a second person of the office may sign level 2 only if they did not sign level 1.
    const taskId = await inClosure(cast.medicalStaff);
    const today = dateOf((await stack.now()).toISOString());
    for (const [principal, deputy] of [
      [cast.office, cast.medicalHead],
      [cast.leader, cast.medicalHead],
    ] as const) {
      const res = await as(stack.app, principal).post('/api/delegations', {
        taskId,
        toUserId: deputy.userId,
        from: today,
        to: today,
      });
      expect(res.status).toBe(403);
    }
    expect(
      (await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' })).status,
    ).toBe(200);
    const again = await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' });
    expect(again.status).toBe(403);
    const office = await as(stack.app, cast.deputyOffice).post(`/api/tasks/${taskId}/sign-off`, {
      decision: 'approve',
    });
    expect(office.status).toBe(200);
    expect(office.body.currentSignOff.level).toBe(3);
  });

  it('When a unit member tries to open a campaign or create tasks, then the answer is 403', async () => {
    const campaign = await as(stack.app, cast.medicalStaff).post('/api/campaigns', {
      name: 'x',
      kind: 'xunshi',
      inspectingBody: 'x',
      inspectedUnitId: cast.leader.unitId,
      feedbackDate: '2020-06-30',
    });
    expect(campaign.status).toBe(403);
    const tasks = await as(stack.app, cast.medicalStaff).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId),
    );
    expect(tasks.status).toBe(403);
  });

  it('When a city office adds tasks to a province campaign, then the answer is 403', async () => {
    const res = await as(stack.app, cast.cityOffice).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId),
    );
    expect(res.status).toBe(403);
  });
});

describe('refused transitions and unknown objects', () => {
  it('When a task is acknowledged twice, then the second answer is 409 and nothing changes', async () => {
    const taskId = await createTask();
    expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`)).status).toBe(200);
    const before = await snapshot(taskId);
    const res = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect(await snapshot(taskId)).toEqual(before);
  });

  it('When someone signs off a task with no application, then the answer is 409', async () => {
    const taskId = await createTask();
    const res = await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' });
    expect(res.status).toBe(409);
  });

  it('When a task does not exist, then reads and decisions answer 404', async () => {
    expect((await as(stack.app, cast.office).get('/api/tasks/no-such-task')).status).toBe(404);
    const res = await as(stack.app, cast.medicalStaff).post('/api/tasks/no-such-task/acknowledge');
    expect(res.status).toBe(404);
    expect((await as(stack.app, cast.office).get('/api/campaigns/no-such-campaign/stats')).status).toBe(404);
  });
});

describe('bad input', () => {
  it('When a report has a malformed period, then the answer is 400 with the Zod issue and nothing changes', async () => {
    const taskId = await createTask();
    const before = await snapshot(taskId);
    const res = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/reports`, {
      period: '2024-13',
      progress: '',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    const paths = res.body.error.issues.map((i: { path: string[] }) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['period', 'progress']));
    expect(await snapshot(taskId)).toEqual(before);
  });

  it('When the body is malformed JSON, then the answer is 400, not 500', async () => {
    const taskId = await createTask();
    const res = await request(stack.app)
      .post(`/api/tasks/${taskId}/reports`)
      .set('Authorization', `Bearer ${cast.medicalStaff.token}`)
      .set('Content-Type', 'application/json')
      .send('{"period": "2024-01",');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('Malformed JSON body');
  });

  it('When a body is sent as something other than JSON, then the answer is 415, not a misleading 400', async () => {
    const res = await request(stack.app)
      .post('/api/campaigns')
      .set('Authorization', `Bearer ${cast.office.token}`)
      .set('Content-Type', 'text/plain')
      .send('name=x');
    expect(res.status).toBe(415);
    expect(res.body.error).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Request bodies must be JSON (Content-Type: application/json)',
    });
    // A decision that takes no body (acknowledge) needs no Content-Type.
    const taskId = await createTask();
    const ack = await request(stack.app)
      .post(`/api/tasks/${taskId}/acknowledge`)
      .set('Authorization', `Bearer ${cast.medicalStaff.token}`);
    expect(ack.status).toBe(200);
  });

  it('When a report is returned without a reason, then the answer is 400', async () => {
    const taskId = await createTask();
    const res = await as(stack.app, cast.office).post(`/api/tasks/${taskId}/reports/2024-01/review`, {
      decision: 'return',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toEqual(['reason']);
  });

  it('When one deadline wording of a batch is unknown, then the answer is 400 naming the text and no task is created', async () => {
    const before = await stack.db.task.count();
    const res = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
      tasks: [
        taskBody(cast.medicalStaff.unitId, cast.leader.userId),
        taskBody(cast.financeStaff.unitId, cast.leader.userId, { deadline: '看情况再说' }),
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('看情况再说');
    expect(res.body.error.issues[0].path).toEqual(['tasks', 1, 'deadline']);
    expect(await stack.db.task.count()).toBe(before);
  });

  it('When a task names an unknown unit or a leader who is not a leader, then the answer is 400', async () => {
    const res = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody('no-such-unit', cast.medicalHead.userId),
    );
    expect(res.status).toBe(400);
    const paths = res.body.error.issues.map((i: { path: (string | number)[] }) => i.path.join('.'));
    expect(paths).toEqual(['tasks.0.leadUnitId', 'tasks.0.leaderId']);
  });

  it('When a list asks for an unknown traffic light, then the answer is 400', async () => {
    expect((await as(stack.app, cast.office).get('/api/tasks?trafficLight=blue')).status).toBe(400);
  });
});

describe('task creation', () => {
  it('When deadlines come as wording or structured, then each task shows its parsed deadline', async () => {
    const res = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
      tasks: [
        taskBody(cast.medicalStaff.unitId, cast.leader.userId, { deadline: '立行立改' }),
        taskBody(cast.medicalStaff.unitId, cast.leader.userId, { deadline: '长期坚持' }),
        taskBody(cast.medicalStaff.unitId, cast.leader.userId, { deadline: '2035年6月30日前完成，并长期推进' }),
        taskBody(cast.medicalStaff.unitId, cast.leader.userId, { deadline: { kind: 'date', date: '2035-03-31' } }),
      ],
    });
    expect(res.status).toBe(201);
    const deadlines = [];
    for (const { id } of res.body.tasks) {
      deadlines.push((await as(stack.app, cast.office).get(`/api/tasks/${id}`)).body.deadline);
    }
    expect(deadlines[0]).toEqual({ kind: 'immediate', date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(deadlines.slice(1)).toEqual([
      { kind: 'long_term' },
      { kind: 'date_then_long_term', date: '2035-06-30' },
      { kind: 'date', date: '2035-03-31' },
    ]);
  });

  it('When a creation is retried with the same Idempotency-Key, then the same tasks come back and none is duplicated', async () => {
    const post = () =>
      as(stack.app, cast.office)
        .post(`/api/campaigns/${campaignId}/tasks`, { tasks: [taskBody(cast.financeStaff.unitId, cast.leader.userId)] })
        .set('Idempotency-Key', 'plan-2020-annex-1');
    const first = await post();
    const before = await stack.db.task.count();
    const second = await post();
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(await stack.db.task.count()).toBe(before);
  });

  it('When tasks are listed with paging, then total counts all matches and each page holds at most pageSize', async () => {
    const all = await as(stack.app, cast.office).get(`/api/tasks?campaignId=${campaignId}&pageSize=200`);
    const page2 = await as(stack.app, cast.office).get(`/api/tasks?campaignId=${campaignId}&page=2&pageSize=2`);
    expect(all.body.total).toBeGreaterThan(3);
    expect(page2.body).toMatchObject({ total: all.body.total, page: 2, pageSize: 2 });
    expect(page2.body.items.map((t: { id: string }) => t.id)).toEqual(
      all.body.items.slice(2, 4).map((t: { id: string }) => t.id),
    );
    const green = await as(stack.app, cast.office).get(
      `/api/tasks?campaignId=${campaignId}&trafficLight=green&pageSize=200`,
    );
    const yellow = await as(stack.app, cast.office).get(
      `/api/tasks?campaignId=${campaignId}&trafficLight=yellow&pageSize=200`,
    );
    const red = await as(stack.app, cast.office).get(
      `/api/tasks?campaignId=${campaignId}&trafficLight=red&pageSize=200`,
    );
    expect(green.body.total + yellow.body.total + red.body.total).toBe(all.body.total);
    // Tasks due in 2035 and freshly assigned are on track.
    expect(green.body.total).toBeGreaterThan(0);
  });
});
