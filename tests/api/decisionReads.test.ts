/**
 * What a decision reads, cut to fewer statements (issue 10), must read the same: the task page's reports with their
 * reviews and evidence, and its applications with their sign-offs and evidence, as Prisma's nested includes give them;
 * and who may see a task (lead unit, participating unit, leader, nobody else; 404 before 403).
 */
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

const evidence = (name: string, digit: string) => ({
  fileName: name,
  sha256: digit.repeat(64),
  sizeBytes: 100,
  mimeType: 'application/pdf',
});

describe('a task page after decisions with evidence', () => {
  let taskId: string;

  it('When a task gets reports (returned, resubmitted, accepted) and an application with evidence, then its page shows them as nested reads of the database would', async () => {
    const campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
    const created = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId, { participatingUnitIds: [cast.financeStaff.unitId] }),
    );
    expect(created.status).toBe(201);
    taskId = created.body.tasks[0].id;
    await assigned(stack.app, cast.office, taskId);
    const period = await stack.currentPeriod();
    const staff = as(stack.app, cast.medicalStaff);
    expect((await staff.post(`/api/tasks/${taskId}/acknowledge`)).status).toBe(200);
    const first = await staff.post(`/api/tasks/${taskId}/reports`, {
      period,
      progress: '第一次报送',
      evidence: [evidence('一.pdf', 'a'), evidence('二.pdf', 'b')],
    });
    expect(first.status).toBe(200);
    const returned = await as(stack.app, cast.office).post(`/api/tasks/${taskId}/reports/${period}/review`, {
      decision: 'return',
      reason: '补充材料',
    });
    expect(returned.status).toBe(200);
    expect(
      (
        await staff.post(`/api/tasks/${taskId}/reports`, {
          period,
          progress: '第二次报送',
          evidence: [evidence('三.pdf', 'c')],
        })
      ).status,
    ).toBe(200);
    expect(
      (await as(stack.app, cast.office).post(`/api/tasks/${taskId}/reports/${period}/review`, { decision: 'accept' }))
        .status,
    ).toBe(200);
    const applied = await staff.post(`/api/tasks/${taskId}/closure`, {
      summary: '已完成',
      evidence: [evidence('成效.pdf', 'd'), evidence('台账.pdf', 'e')],
    });
    expect(applied.status).toBe(200);
    const signed = await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/sign-off`, {
      decision: 'return',
      reason: '材料不足',
    });
    expect(signed.status).toBe(200);

    const nested = await stack.db.task.findUniqueOrThrow({
      where: { id: taskId },
      include: {
        reports: {
          include: { reviews: { orderBy: { decidedAt: 'asc' } }, evidence: true },
          orderBy: [{ submittedAt: 'asc' }, { version: 'asc' }],
        },
        applications: {
          include: { decisions: { orderBy: { decidedAt: 'asc' } }, evidence: true },
          orderBy: { appliedAt: 'asc' },
        },
      },
    });
    const page = signed.body;
    expect(page.reports.map((r: { id: string }) => r.id)).toEqual(nested.reports.map((r) => r.id));
    expect(page.reports.map((r: { reviews: { decision: string }[] }) => r.reviews.map((v) => v.decision))).toEqual(
      nested.reports.map((r) => r.reviews.map((v) => v.decision)),
    );
    expect(page.reports.map((r: { evidence: { id: string }[] }) => r.evidence.map((e) => e.id))).toEqual(
      nested.reports.map((r) => r.evidence.map((e) => e.id)),
    );
    expect(page.reports.map((r: { evidence: { fileName: string }[] }) => r.evidence.map((e) => e.fileName))).toEqual([
      ['一.pdf', '二.pdf'],
      ['三.pdf'],
    ]);
    expect(page.closeoutApplications.map((a: { evidence: { id: string }[] }) => a.evidence.map((e) => e.id))).toEqual(
      nested.applications.map((a) => a.evidence.map((e) => e.id)),
    );
    expect(page.closeoutApplications[0].evidence.map((e: { fileName: string }) => e.fileName)).toEqual([
      '成效.pdf',
      '台账.pdf',
    ]);
    expect(page.signOffs.map((s: { decision: string; signerId: string }) => [s.decision, s.signerId])).toEqual(
      nested.applications.flatMap((a) => a.decisions.map((d) => [d.decision, d.signerId])),
    );
    expect(page.campaign.id).toBe(nested.campaignId);
    expect(page.problem.title).toBe('整改责任落实不到位');
    expect(page.category).toBe('党的建设');
    expect(page.children).toEqual([]);
  });

  it('When a change of light is recorded for the task, then its page lists it (a list read only when it has rows)', async () => {
    const before = await as(stack.app, cast.office).get(`/api/tasks/${taskId}`);
    expect(before.body.lightChanges).toEqual([]);
    await stack.db.taskLightChange.create({
      data: {
        idempotencyKey: `${taskId}:test:light:yellow`,
        taskId,
        fromLight: 'green',
        toLight: 'yellow',
        reason: 'deadline_near',
        at: new Date('2026-01-05T00:00:00.000Z'),
      },
    });
    const after = await as(stack.app, cast.office).get(`/api/tasks/${taskId}`);
    expect(after.body.lightChanges).toEqual([
      expect.objectContaining({ fromLight: 'green', toLight: 'yellow', at: '2026-01-05T00:00:00.000Z' }),
    ]);
  });

  it('When people ask for the task, then its lead unit, a participating unit, its leader and the office see it, another unit is refused and an unknown task is not found', async () => {
    for (const user of [cast.medicalStaff, cast.financeStaff, cast.leader, cast.office, cast.admin]) {
      expect((await as(stack.app, user).get(`/api/tasks/${taskId}`)).status).toBe(200);
    }
    expect((await as(stack.app, cast.cityBStaff).get(`/api/tasks/${taskId}`)).status).toBe(403);
    expect((await as(stack.app, cast.cityBStaff).post(`/api/tasks/${taskId}/acknowledge`)).status).toBe(403);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await as(stack.app, cast.medicalStaff).get(`/api/tasks/${unknown}`)).status).toBe(404);
    expect((await as(stack.app, cast.admin).get(`/api/tasks/${unknown}`)).status).toBe(404);
  });
});
