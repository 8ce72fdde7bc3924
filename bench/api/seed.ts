/**
 * Bulk rows for `npm run bench:api`: tasks as the workflow would have projected them, written straight through Prisma
 * `createMany` in chunks inside transactions (10⁵ tasks in minutes, not hours). Each task's state is built by the
 * domain itself (`initialState`, then `applyCommand` for acknowledge / report / review / closure / deadline passed),
 * so `stateJson`, `status`, `trafficLight` (computeTrafficLight), `lightChangesAt` (nextLightChange), the reports and
 * the `TaskPendingAction` rows (pendingActionRows, the projection's own function) agree with one another. These tasks
 * have no workflow (their `workflowId` names none): they are for reading; decisions go to the live ones.
 */
import { appendAudits } from '../../activities/audit';
import { randomUUID } from 'node:crypto';
import { pendingActionRows } from '../../activities/pendingActions';
import type { Db, Prisma } from '../../db/client';
import { dateOf, periodOf } from '../../domain/calendar';
import { ZCampaignPolicy, type TCampaignPolicy } from '../../domain/policy';
import { applyCommand, initialState, type Actor, type TaskCommand, type TaskState } from '../../domain/task';
import { computeTrafficLight, nextLightChange } from '../../domain/trafficLight';

export interface TSeedUnit {
  leadUnitId: string;
  staff: Actor;
  head: Actor;
  leaderId: string;
  office: Actor;
}

export interface TSeedCampaign {
  id: string;
  /** Share of the bulk tasks (the shares need not sum to 1). */
  weight: number;
  units: TSeedUnit[];
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same mix. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const CATEGORIES = ['党的领导', '全面从严治党', '选人用人', '巡视整改', '财务管理', '医疗质量', '行风建设', '安全生产'];

function step(state: TaskState, command: TaskCommand, at: number, policy: TCampaignPolicy): TaskState | null {
  const result = applyCommand(state, command, { now: new Date(at).toISOString(), policy });
  return result.ok ? result.value.state : null;
}

/** One task's life up to `now`: how far it got is drawn from `rand`, every step decided by the domain. */
function evolveTask(
  base: TaskState,
  unit: TSeedUnit,
  policy: TCampaignPolicy,
  assignedAt: number,
  now: number,
  rand: () => number,
): TaskState {
  let state = base;
  const r = rand();
  let t = assignedAt;
  const tick = (days: number): number => {
    t = Math.min(now - 60_000, t + days * DAY);
    return t;
  };
  const go = (command: TaskCommand, at: number): boolean => {
    const next = step(state, command, at, policy);
    if (next) state = next;
    return next !== null;
  };
  // The deadline passed: the workflow would have decided it at the deadline (or at the first instant we know of).
  const deadlinePassed = (): void => {
    const date = state.deadline.kind === 'date' ? state.deadline.date : undefined;
    if (date && Date.parse(`${date}T16:00:00Z`) < now) go({ type: 'deadlinePassed' }, now - 30_000);
  };
  if (r < 0.15) {
    deadlinePassed();
    return state; // ASSIGNED
  }
  if (!go({ type: 'acknowledge', actor: unit.staff }, tick(1 + rand() * 5))) return state;
  if (r < 0.3) {
    deadlinePassed();
    return state; // IN_PROGRESS, nothing reported yet
  }
  const period = periodOf(new Date(tick(2)).toISOString());
  const reportId = randomUUID();
  const submitted = go(
    { type: 'submitReport', actor: unit.staff, period, progress: '已制定整改方案，正在推进', reportId },
    t,
  );
  if (!submitted || r < 0.45) {
    deadlinePassed();
    return state; // report awaiting review
  }
  const accept = r >= 0.52;
  go(
    accept
      ? { type: 'reviewReport', actor: unit.office, period, decision: 'accept' }
      : { type: 'reviewReport', actor: unit.office, period, decision: 'return', reason: '缺少佐证材料' },
    tick(1 + rand() * 3),
  );
  if (!accept || r < 0.75) {
    deadlinePassed();
    return state;
  }
  if (
    !go(
      { type: 'requestClosure', actor: unit.staff, summary: '整改完成，申请销号', applicationId: randomUUID() },
      tick(3),
    )
  ) {
    return state;
  }
  if (r < 0.85) return state; // CLOSURE_REQUESTED at level 1
  // Sign-off level by level: unit head, office, leader.
  const signers: Actor[] = [unit.head, unit.office, { userId: unit.leaderId, role: 'leader', unitId: unit.leadUnitId }];
  for (const signer of signers) {
    if (state.status !== 'CLOSURE_REQUESTED') break;
    if (!go({ type: 'signOff', actor: signer, decision: 'approve' }, tick(1))) break;
  }
  return state;
}

export interface TBulkSeedOptions {
  db: Db;
  campaigns: TSeedCampaign[];
  tasks: number;
  now: Date;
  seed?: number;
  /** Tasks per chunk (default 250); one transaction writes a chunk's rows of every table. */
  chunk?: number;
  /** Users who receive notifications (office, leader, staff of the demo), unread for a third. */
  notifyUserIds: string[];
  onProgress?: (done: number) => void;
}

export async function seedBulkTasks(options: TBulkSeedOptions): Promise<void> {
  const { db, campaigns, now, notifyUserIds } = options;
  const rand = prng(options.seed ?? 42);
  const chunk = options.chunk ?? 250;
  const nowMs = now.getTime();
  const totalWeight = campaigns.reduce((s, c) => s + c.weight, 0);

  // Categories once per campaign.
  const categoryIds = new Map<string, string[]>();
  for (const c of campaigns) {
    const existing = await db.category.findMany({ where: { campaignId: c.id } });
    const missing = CATEGORIES.filter((name) => !existing.some((e) => e.name === name));
    await db.category.createMany({ data: missing.map((name) => ({ id: randomUUID(), campaignId: c.id, name })) });
    const all = await db.category.findMany({ where: { campaignId: c.id }, select: { id: true } });
    categoryIds.set(
      c.id,
      all.map((x) => x.id),
    );
  }
  const policies = new Map<string, TCampaignPolicy>();
  for (const c of campaigns) {
    const row = await db.campaign.findUniqueOrThrow({ where: { id: c.id }, select: { policy: true } });
    const parsed = ZCampaignPolicy.safeParse(row.policy ?? {});
    policies.set(c.id, parsed.success ? parsed.data : ZCampaignPolicy.parse({}));
  }

  for (let done = 0; done < options.tasks; done += chunk) {
    const n = Math.min(chunk, options.tasks - done);
    const problems: { id: string; campaignId: string; categoryId: string; title: string }[] = [];
    const tasks: Prisma.TaskCreateManyInput[] = [];
    const reports: Prisma.ReportCreateManyInput[] = [];
    const pending: Prisma.TaskPendingActionCreateManyInput[] = [];
    const notifications: Prisma.NotificationCreateManyInput[] = [];
    for (let i = 0; i < n; i++) {
      let pick = rand() * totalWeight;
      const campaign = campaigns.find((c) => (pick -= c.weight) < 0) ?? campaigns[campaigns.length - 1]!;
      const policy = policies.get(campaign.id)!;
      const unit = campaign.units[Math.floor(rand() * campaign.units.length)]!;
      const categories = categoryIds.get(campaign.id)!;
      const taskId = randomUUID();
      const problemId = randomUUID();
      // Assigned over the last two years; deadlines from a year back to a year ahead of now.
      const assignedAt = nowMs - Math.floor(rand() * 700 + 5) * DAY;
      const deadlineMs = Math.max(assignedAt + 30 * DAY, nowMs + Math.floor(rand() * 730 - 365) * DAY);
      const deadlineDate = dateOf(new Date(deadlineMs).toISOString());
      const kindDraw = rand();
      const deadline =
        kindDraw < 0.85
          ? ({ kind: 'date', date: deadlineDate } as const)
          : kindDraw < 0.95
            ? ({ kind: 'date_then_long_term', date: deadlineDate } as const)
            : ({ kind: 'long_term' } as const);
      const base = initialState({
        taskId,
        campaignId: campaign.id,
        leadUnitId: unit.leadUnitId,
        leaderId: unit.leaderId,
        officeUnitId: unit.office.unitId,
        deadline,
        signOffChain: policy.signOffLevels,
        assignedAt: new Date(assignedAt).toISOString(),
      });
      const state = evolveTask(base, unit, policy, assignedAt, nowMs, rand);
      const at = now.toISOString();
      const light = computeTrafficLight(state, { now: at, policy });
      const change = nextLightChange(state, policy, at);
      const title = `${CATEGORIES[i % CATEGORIES.length]}方面问题 第${done + i + 1}项`;
      problems.push({ id: problemId, campaignId: campaign.id, categoryId: categories[i % categories.length]!, title });
      const lastEventAt = Math.min(nowMs, assignedAt + 20 * DAY);
      tasks.push({
        id: taskId,
        campaignId: campaign.id,
        problemId,
        measure: `建立台账，逐项整改（第${done + i + 1}项）`,
        leadUnitId: state.leadUnitId,
        leaderId: state.leaderId,
        deadlineKind: deadline.kind,
        deadlineDate: 'date' in deadline ? deadline.date : null,
        status: state.status,
        overdue: state.overdue,
        round: state.round,
        reopenCount: state.reopenCount,
        currentSignOffLevel:
          state.status === 'CLOSURE_REQUESTED' && state.closure ? state.closure.levelReached + 1 : null,
        trafficLight: light,
        lightChangesAt: change ? new Date(change) : null,
        stateJson: JSON.parse(JSON.stringify(state)) as object,
        workflowId: `task-${taskId}`,
        createdAt: new Date(assignedAt),
        updatedAt: new Date(lastEventAt),
        closedAt: state.closedAt ? new Date(state.closedAt) : null,
      });
      for (const r of state.reports) {
        reports.push({
          id: `${r.reportId}-v${r.version}`,
          taskId,
          period: r.period,
          round: r.round,
          version: r.version,
          progress: r.progress,
          status: r.status,
          late: r.late,
          submittedById: r.submittedBy,
          submittedAt: new Date(r.submittedAt),
        });
      }
      for (const row of pendingActionRows(state, policy, at)) pending.push({ id: randomUUID(), ...row });
      for (const userId of notifyUserIds) {
        if (rand() < 0.5) continue;
        notifications.push({
          id: randomUUID(),
          idempotencyKey: `bench:${taskId}:${userId}`,
          userId,
          taskId,
          kind: 'report_submitted',
          title: `${title}：月报已提交`,
          body: '请及时审核',
          createdAt: new Date(lastEventAt),
          readAt: rand() < 0.33 ? null : new Date(lastEventAt + DAY),
        });
      }
    }
    await db.$transaction(async (tx) => {
      await tx.problem.createMany({ data: problems });
      await tx.task.createMany({ data: tasks });
      if (reports.length) await tx.report.createMany({ data: reports });
      if (pending.length) await tx.taskPendingAction.createMany({ data: pending });
      if (notifications.length) await tx.notification.createMany({ data: notifications });
      // The record of each task's first projected event, as its workflow would have written it: the reconciler of
      // `npm start` (api/tasks/reconcile.ts) takes a task without it for one whose creation crashed before its
      // workflow started, and would start 10⁵ workflows for the bulk rows of a directory served with DATA_DIR.
      await appendAudits(
        tx,
        tasks.map((t) => ({
          idempotencyKey: `${t.workflowId}:0000000000`,
          taskId: t.id!,
          campaignId: t.campaignId,
          actorRole: 'system',
          action: 'TaskAssigned',
          toStatus: 'ASSIGNED',
          at: new Date(t.createdAt!),
        })),
      );
    });
    options.onProgress?.(done + n);
    // Building and writing a chunk is synchronous work (the domain, better-sqlite3): let the event loop breathe
    // between chunks, or the embedded dev server sharing it misses its gRPC keep-alives.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
