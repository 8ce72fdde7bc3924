/**
 * The README's walkthrough through the real stack (dev server, worker, fresh database, Express app): a task goes from
 * creation to CLOSED through acknowledgement, a returned and resubmitted report, a close-out returned at sign-off,
 * a second application and three approvals; GET shows its reports, sign-offs and audit trail.
 */
import { as, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

describe('the close-out walkthrough', () => {
  let campaignId: string;
  let taskId: string;
  let period: string;

  const get = async () => {
    const res = await as(stack.app, cast.office).get(`/api/tasks/${taskId}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('When the office opens a campaign and posts a task with the plan wording, then the task starts ASSIGNED with its workflow', async () => {
    campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
    const res = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId),
    );
    expect(res.status).toBe(201);
    expect(res.body.tasks).toHaveLength(1);
    taskId = res.body.tasks[0].id;
    expect(res.body.tasks[0].workflowId).toBe(`task-${taskId}`);
    const task = await get();
    expect(task).toMatchObject({
      id: taskId,
      status: 'ASSIGNED',
      deadline: { kind: 'date', date: '2035-12-31' },
      deadlineText: '2035年12月31日前完成',
      trafficLight: 'green',
      reopenCount: 0,
    });
    expect(task.signOffChain.map((l: { role: string }) => l.role)).toEqual(['unit_head', 'office', 'leader']);
    period = await stack.currentPeriod();
  });

  it('When the lead unit acknowledges, then the task is IN_PROGRESS', async () => {
    const res = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('IN_PROGRESS');
  });

  it('When the unit reports, then the office sees a review in its inbox', async () => {
    const res = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/reports`, {
      period,
      progress: '已建立整改台账，完成第一批问题整改。',
      evidence: [{ fileName: '台账.pdf', sha256: 'a'.repeat(64), sizeBytes: 1024, mimeType: 'application/pdf' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.reports).toHaveLength(1);
    expect(res.body.reports[0]).toMatchObject({ period, status: 'submitted', version: 1 });
    expect(res.body.reports[0].evidence[0]).toMatchObject({ fileName: '台账.pdf', sha256: 'a'.repeat(64) });
    const inbox = await as(stack.app, cast.office).get('/api/inbox');
    expect(inbox.status).toBe(200);
    expect(inbox.body.reviews).toContainEqual(expect.objectContaining({ taskId, action: 'review_report', period }));
  });

  it('When the office returns the report with a reason, then the unit must resubmit it', async () => {
    const res = await as(stack.app, cast.office).post(`/api/tasks/${taskId}/reports/${period}/review`, {
      decision: 'return',
      reason: '佐证材料不完整',
    });
    expect(res.status).toBe(200);
    expect(res.body.reports[0]).toMatchObject({ status: 'returned' });
    expect(res.body.reports[0].reviews[0]).toMatchObject({ decision: 'return', reason: '佐证材料不完整' });
    const inbox = await as(stack.app, cast.medicalStaff).get('/api/inbox');
    expect(inbox.body.reportsDue).toContainEqual(
      expect.objectContaining({ taskId, action: 'resubmit_report', period }),
    );
    expect(inbox.body.notifications.map((n: { kind: string }) => n.kind)).toContain('report_returned');
  });

  it('When the unit resubmits and the office accepts, then the report is accepted as version 2', async () => {
    const resubmitted = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/reports`, {
      period,
      progress: '补充佐证材料后重新报送。',
    });
    expect(resubmitted.status).toBe(200);
    const accepted = await as(stack.app, cast.office).post(`/api/tasks/${taskId}/reports/${period}/review`, {
      decision: 'accept',
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body.reports.map((r: { version: number; status: string }) => [r.version, r.status])).toEqual([
      [1, 'returned'],
      [2, 'accepted'],
    ]);
  });

  it('When the unit applies for close-out, then the unit head has a sign-off waiting', async () => {
    const res = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/closure`, {
      summary: '整改任务已全部完成。',
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CLOSURE_REQUESTED');
    expect(res.body.currentSignOff).toMatchObject({ level: 1, role: 'unit_head' });
    const inbox = await as(stack.app, cast.medicalHead).get('/api/inbox');
    expect(inbox.body.signOffs).toContainEqual(expect.objectContaining({ taskId, action: 'sign_off', level: 1 }));
  });

  it('When the unit head returns the application, then the task is back IN_PROGRESS', async () => {
    const res = await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/sign-off`, {
      decision: 'return',
      reason: '整改成效材料不足',
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('IN_PROGRESS');
    expect(res.body.closeoutApplications[0].status).toBe('returned');
  });

  it('When the unit re-applies and all three levels approve, then the task is CLOSED', async () => {
    const applied = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/closure`, {
      summary: '补充整改成效材料后再次申请销号。',
    });
    expect(applied.status).toBe(200);
    for (const [signer, level] of [
      [cast.medicalHead, 1],
      [cast.office, 2],
    ] as const) {
      const res = await as(stack.app, signer).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' });
      expect(res.status).toBe(200);
      expect(res.body.currentSignOff.level).toBe(level + 1);
    }
    const last = await as(stack.app, cast.leader).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' });
    expect(last.status).toBe(200);
    expect(last.body.status).toBe('CLOSED');
    expect(last.body.closedAt).not.toBeNull();
  });

  it('When the task is read, then it shows both report versions, every sign-off and the audit trail in order', async () => {
    const task = await get();
    expect(task.status).toBe('CLOSED');
    expect(task.reports).toHaveLength(2);
    expect(task.signOffs.map((s: { level: number; decision: string }) => `${s.level}:${s.decision}`)).toEqual([
      '1:return',
      '1:approve',
      '2:approve',
      '3:approve',
    ]);
    expect(task.signOffs.map((s: { signerId: string }) => s.signerId)).toEqual([
      cast.medicalHead.userId,
      cast.medicalHead.userId,
      cast.office.userId,
      cast.leader.userId,
    ]);
    const actions = task.audit.map((a: { action: string }) => a.action);
    expect(actions).toEqual([
      'TaskCreated',
      'TaskAssigned',
      'TaskAcknowledged',
      'ReportSubmitted',
      'ReportReturned',
      'ReportSubmitted',
      'ReportAccepted',
      'ClosureRequested',
      'SignOffReturned',
      'ClosureRequested',
      'SignOffApproved',
      'SignOffApproved',
      'SignOffApproved',
      'TaskClosed',
    ]);
    expect(task.audit.find((a: { action: string }) => a.action === 'TaskAcknowledged')).toMatchObject({
      actorId: cast.medicalStaff.userId,
      actorRole: 'unit_staff',
      fromStatus: 'ASSIGNED',
      toStatus: 'IN_PROGRESS',
    });
  });

  it('When the campaign is summarised and listed, then the closed task counts as completed', async () => {
    const stats = await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ total: 1, completed: 1, completionRate: 1 });
    expect(stats.body.byStatus.CLOSED).toBe(1);
    expect(stats.body.byTrafficLight).toEqual({ green: 1, yellow: 0, red: 0 });
    const list = await as(stack.app, cast.office).get(`/api/tasks?campaignId=${campaignId}&status=CLOSED`);
    expect(list.body).toMatchObject({ total: 1, page: 1, pageSize: 50 });
    expect(list.body.items[0]).toMatchObject({ id: taskId, status: 'CLOSED', trafficLight: 'green' });
  });

  it('When the service health is checked, then the database and Temporal are both up', async () => {
    const res = await as(stack.app, cast.office).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', db: 'up', temporal: 'up' });
    // Next year has no official calendar data in the pinned package (its last year is 2026): health says so.
    expect(res.body.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/没有官方节假日安排数据/)]));
  });
});
