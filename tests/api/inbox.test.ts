/**
 * GET /api/inbox from the projected "waiting on whom" rows (TaskPendingAction), on the real stack: each party sees
 * what waits on them and nothing else, deputies only within their delegation's dates, never the applicant; the answer
 * comes from the rows (not from scanning tasks), and the one-time backfill rebuilds them.
 */
import type { Express } from 'express';
import { backfillPendingActions } from '../../activities/pendingActions';
import { createApp } from '../../api/app';
import { addDaysToDate, dateOf, dueInstant } from '../../domain/calendar';
import type { TDemoUser } from '../../scripts/seed-demo';
import { as, assigned, demoCast, eventually, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let campaignId: string;

interface TItem {
  taskId: string;
  action: string;
  period?: string;
  dueAt?: string;
  level?: number;
  levelName?: string;
  measure: string;
  problemTitle: string | null;
  leadUnitName: string | null;
  status: string;
  trafficLight: string;
}
interface TInbox {
  reportsDue: TItem[];
  reviews: TItem[];
  signOffs: TItem[];
  other: TItem[];
  notifications: unknown[];
  truncated?: boolean;
}

const demo = (role: TDemoUser['role'], nameIncludes: string): TDemoUser => {
  const user = stack.users.find((u) => u.role === role && u.name.includes(nameIncludes));
  if (!user) throw new Error(`no demo ${role} ${nameIncludes}`);
  return user;
};

async function inbox(user: { token: string }, app: Express = stack.app): Promise<TInbox> {
  const res = await as(app, user).get('/api/inbox');
  expect(res.status).toBe(200);
  return res.body as TInbox;
}
const all = (box: TInbox) => [...box.reportsDue, ...box.reviews, ...box.signOffs, ...box.other];
const ofTask = (box: TInbox, taskId: string) => all(box).filter((i) => i.taskId === taskId);

/** The same app on the same database, reading at a chosen instant (the deputy's dates are checked at read time). */
function readingAt(instant: Date): Express {
  return createApp({ db: stack.db, client: stack.testEnv.client, now: () => instant });
}

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

async function createTask(
  overrides: Record<string, unknown> = {},
  lead: { unitId: string } = cast.medicalStaff,
  campaign = campaignId,
  creator: TDemoUser = cast.office,
  leaderId = cast.leader.userId,
) {
  const res = await as(stack.app, creator).post(
    `/api/campaigns/${campaign}/tasks`,
    taskBody(lead.unitId, leaderId, overrides),
  );
  expect(res.status).toBe(201);
  const id = res.body.tasks[0].id as string;
  await assigned(stack.app, creator, id);
  return id;
}

describe('the inbox from pending-action rows', () => {
  it('When a task is assigned and reported, then the unit, the office and the signers each see their step', async () => {
    const id = await createTask();
    expect(ofTask(await inbox(cast.medicalStaff), id)).toEqual([
      expect.objectContaining({ action: 'acknowledge', status: 'ASSIGNED', measure: '建立整改台账，逐项销号' }),
      expect.objectContaining({ action: 'submit_report' }),
    ]);
    expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/acknowledge`)).status).toBe(200);

    // The report due: its period and due instant, on the unit staff's list only.
    const due = (await inbox(cast.medicalStaff)).reportsDue.find((i) => i.taskId === id);
    expect(due).toMatchObject({
      action: 'submit_report',
      status: 'IN_PROGRESS',
      problemTitle: '整改责任落实不到位',
      leadUnitName: expect.any(String),
      trafficLight: 'green',
    });
    expect(due!.dueAt).toBe(dueInstant(due!.period!, 25));
    expect(ofTask(await inbox(cast.medicalHead), id)).toEqual([]);
    expect(ofTask(await inbox(cast.financeStaff), id)).toEqual([]);

    const period = due!.period!;
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/reports`, { period, progress: '已完成第一批整改。' });
    expect((await inbox(cast.office)).reviews).toContainEqual(
      expect.objectContaining({ taskId: id, action: 'review_report', period }),
    );
    await as(stack.app, cast.office).post(`/api/tasks/${id}/reports/${period}/review`, {
      decision: 'return',
      reason: '佐证材料不完整',
    });
    expect((await inbox(cast.medicalStaff)).reportsDue).toContainEqual(
      expect.objectContaining({ taskId: id, action: 'resubmit_report', period }),
    );
    expect(ofTask(await inbox(cast.office), id)).toEqual([]);

    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/reports`, { period, progress: '补充后重报。' });
    await as(stack.app, cast.office).post(`/api/tasks/${id}/reports/${period}/review`, { decision: 'accept' });
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/closure`, { summary: '整改任务已全部完成。' });
    expect((await inbox(cast.medicalHead)).signOffs).toContainEqual(
      expect.objectContaining({ taskId: id, action: 'sign_off', level: 1, levelName: '责任单位负责人' }),
    );
    expect(ofTask(await inbox(cast.office), id)).toEqual([]);
    await as(stack.app, cast.medicalHead).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' });
    expect((await inbox(cast.office)).signOffs).toContainEqual(
      expect.objectContaining({ taskId: id, action: 'sign_off', level: 2 }),
    );
    expect(ofTask(await inbox(cast.medicalHead), id)).toEqual([]);
  });

  it('When an extension waits on the office and then the leader, then each sees it in "other" in turn', async () => {
    const id = await createTask();
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/acknowledge`);
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/extension`, {
      newDate: '2036-06-30',
      reason: '需延期',
    });
    expect((await inbox(cast.office)).other).toContainEqual(
      expect.objectContaining({ taskId: id, action: 'decide_extension' }),
    );
    expect(ofTask(await inbox(cast.leader), id)).toEqual([]);
    await as(stack.app, cast.office).post(`/api/tasks/${id}/extension/decision`, { decision: 'approve' });
    expect((await inbox(cast.leader)).other).toContainEqual(
      expect.objectContaining({ taskId: id, action: 'decide_extension' }),
    );
    expect(ofTask(await inbox(cast.office), id)).toEqual([]);
  });

  it('When the leader delegates, then the deputy sees the sign-off only within the delegation’s dates', async () => {
    const id = await createTask();
    const now = await stack.now();
    const today = dateOf(now.toISOString());
    const dayMs = 24 * 3600 * 1000;
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/acknowledge`);
    const delegated = await as(stack.app, cast.leader).post('/api/delegations', {
      taskId: id,
      toUserId: cast.deputyLeader.userId,
      from: addDaysToDate(today, 1),
      to: addDaysToDate(today, 2),
    });
    expect(delegated.status).toBe(201);
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/closure`, { summary: '已完成' });
    await as(stack.app, cast.medicalHead).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' });
    await as(stack.app, cast.office).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' });

    const level3 = expect.objectContaining({ taskId: id, action: 'sign_off', level: 3 });
    // Before the delegation starts: the leader only.
    expect((await inbox(cast.leader, readingAt(now))).signOffs).toContainEqual(level3);
    expect(ofTask(await inbox(cast.deputyLeader, readingAt(now)), id)).toEqual([]);
    // While it runs: the deputy too (once, though two rows could name them).
    const during = await inbox(cast.deputyLeader, readingAt(new Date(now.getTime() + dayMs)));
    expect(during.signOffs.filter((i) => i.taskId === id)).toEqual([level3]);
    // After it ended: the leader only again.
    expect(ofTask(await inbox(cast.deputyLeader, readingAt(new Date(now.getTime() + 3 * dayMs))), id)).toEqual([]);
    expect((await inbox(cast.leader, readingAt(new Date(now.getTime() + 3 * dayMs)))).signOffs).toContainEqual(level3);
  });

  it('When the applicant holds a later level, then they never see their own application to sign', async () => {
    const policyCampaign = await openCampaign(stack.app, cast.office, cast.leader.unitId, {
      name: '经办人复核',
      policy: {
        signOffLevels: [
          { name: '责任单位负责人', role: 'unit_head', scope: 'lead_unit' },
          { name: '经办人复核', role: 'unit_staff', scope: 'lead_unit' },
        ],
      },
    });
    const id = await createTask({}, cast.medicalStaff, policyCampaign);
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/acknowledge`);
    await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/closure`, { summary: '已完成' });
    expect(
      (await as(stack.app, cast.medicalHead).post(`/api/tasks/${id}/sign-off`, { decision: 'approve' })).status,
    ).toBe(200);
    // The row waits on the unit's staff at level 2 — and names the applicant, who is that staff member.
    expect(
      await stack.db.taskPendingAction.findFirst({ where: { taskId: id, action: 'sign_off', level: 2 } }),
    ).toMatchObject({ role: 'unit_staff', unitId: cast.medicalStaff.unitId, excludedUserId: cast.medicalStaff.userId });
    expect((await inbox(cast.medicalStaff)).signOffs.filter((i) => i.taskId === id)).toEqual([]);
  });

  it('When another office’s level holds a task, then an office sees nothing of it; out-of-scope rows are never shown', async () => {
    const xizhouOffice = demo('office', '西州市整改办');
    const xizhouStaff = cast.cityBStaff;
    const cityCampaign = await openCampaign(stack.app, xizhouOffice, (await unitParent(xizhouOffice.unitId))!, {
      name: '西州市委巡察整改',
      kind: 'xuncha',
      inspectingBody: '西州市委巡察组',
    });
    const id = await createTask({}, xizhouStaff, cityCampaign, xizhouOffice, demo('leader', '西州市领导').userId);
    await as(stack.app, xizhouStaff).post(`/api/tasks/${id}/acknowledge`);
    const period = (await inbox(xizhouStaff)).reportsDue.find((i) => i.taskId === id)!.period!;
    expect(
      (await as(stack.app, xizhouStaff).post(`/api/tasks/${id}/reports`, { period, progress: '进展' })).status,
    ).toBe(200);
    expect((await inbox(xizhouOffice)).reviews).toContainEqual(expect.objectContaining({ taskId: id, period }));
    // The province office sees the city in its scope but the review is the city office's; 东州 sees neither.
    expect(ofTask(await inbox(cast.office), id)).toEqual([]);
    expect(ofTask(await inbox(cast.cityOffice), id)).toEqual([]);
    expect(ofTask(await inbox(cast.cityStaff), id)).toEqual([]);

    // A row naming 东州's office on a task outside 东州's scope (as a stale or wrong projection might): still not shown.
    await stack.db.taskPendingAction.create({
      data: { taskId: id, action: 'review_report', role: 'office', unitId: cast.cityOffice.unitId, period },
    });
    expect(ofTask(await inbox(cast.cityOffice), id)).toEqual([]);
    await stack.db.taskPendingAction.deleteMany({ where: { taskId: id, unitId: cast.cityOffice.unitId } });
  });

  it('When a task’s rows are deleted, then its items disappear: the inbox reads the rows, not the tasks', async () => {
    const id = await createTask();
    const other = await createTask();
    expect(ofTask(await inbox(cast.medicalStaff), id).map((i) => i.action)).toContain('acknowledge');
    await stack.db.taskPendingAction.deleteMany({ where: { taskId: id } });
    const box = await inbox(cast.medicalStaff);
    expect(ofTask(box, id)).toEqual([]);
    expect(ofTask(box, other).map((i) => i.action)).toContain('acknowledge');
    // The task itself is unchanged and still waits on the unit: only the rows say so, and they are gone.
    expect((await as(stack.app, cast.medicalStaff).get(`/api/tasks/${id}`)).body.status).toBe('ASSIGNED');
  });

  it('When the table is empty (a database projected before it existed), then the backfill restores every task’s rows', async () => {
    const id = await createTask();
    const before = ofTask(await inbox(cast.medicalStaff), id);
    expect(before.map((i) => i.action)).toEqual(['acknowledge', 'submit_report']);
    await stack.db.taskPendingAction.deleteMany({});
    expect(ofTask(await inbox(cast.medicalStaff), id)).toEqual([]);
    const result = await backfillPendingActions(stack.db, { now: await stack.now(), log: () => undefined });
    expect(result.tasks).toBe(await stack.db.task.count());
    expect(result.rows).toBeGreaterThan(0);
    expect(ofTask(await inbox(cast.medicalStaff), id)).toEqual(before);
  });

  it('When a group holds more than the cap, then it answers the cap and says truncated', async () => {
    const id = await createTask();
    const rows = Array.from({ length: 201 }, (_, i) => ({
      taskId: id,
      action: 'review_report',
      role: 'office',
      unitId: cast.office.unitId,
      period: `2${String(i).padStart(3, '0')}-01`,
    }));
    await stack.db.taskPendingAction.createMany({ data: rows });
    const box = await inbox(cast.office);
    expect(box.reviews).toHaveLength(200);
    expect(box.truncated).toBe(true);
    await stack.db.taskPendingAction.deleteMany({ where: { taskId: id, action: 'review_report' } });
    const after = await eventually(
      () => inbox(cast.office),
      (b) => b.reviews.length < 200,
      'the extra rows to go',
    );
    expect(after.truncated).toBeUndefined();
  });
});

async function unitParent(unitId: string): Promise<string | null> {
  return (await stack.db.unit.findUnique({ where: { id: unitId } }))?.parentId ?? null;
}
