/**
 * "Waiting on whom": the task's pending actions as rows of `TaskPendingAction`, rewritten with every projection so
 * that the inbox is an indexed query (role + unit, or user) instead of a scan of every task's state.
 *
 * Rows are written for the state as of the projection and must stay right until the next one, with no event in
 * between. So nothing written may depend on the projection's clock beyond what an event changes anyway:
 * - deputy rows are written for EVERY delegation whose principal holds the level, active or not: a delegation dated
 *   from next week becomes active with no event to project it. The inbox checks the delegation's dates against the
 *   task's state when it reads a deputy row (a handful per user), so a deputy sees the action only while it is valid;
 * - a period marked overdue is owed from the moment it was marked (the workflow marks it at its due instant), so its
 *   row is written without comparing the due instant to the projection's clock (`signersFor`'s check, which could be
 *   false when the mark's instant equals the due instant to the millisecond);
 * - the next report owed (`nextReportDue`) changes only when a period is settled (a report or an overdue mark: both
 *   are events), so it is written with its due instant.
 */
import type { Db } from '../db/client';
import { ZCampaignPolicy, type TCampaignPolicy } from '../domain/policy';
import {
  hasReportIn,
  matchesLevel,
  nextReportDue,
  signersFor,
  WORKING_STATUSES,
  type PendingAction,
  type ResolvedSignOffLevel,
  type TaskState,
} from '../domain/task';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];
/** The part of the client the writer uses: a transaction or the client itself. */
type TDbLike = Pick<Tx, 'taskPendingAction' | 'campaign'>;

export interface TPendingActionRow {
  taskId: string;
  action: string;
  role: string;
  unitId: string | null;
  userId: string | null;
  deputyForUserId: string | null;
  period: string | null;
  level: number | null;
  levelName: string | null;
  excludedUserId: string | null;
  dueAt: Date | null;
}

/** The campaign's policy as the read side parses it: a stored policy that no longer parses falls back to defaults. */
export function parsePolicy(policy: unknown): TCampaignPolicy {
  const parsed = ZCampaignPolicy.safeParse(policy ?? {});
  return parsed.success ? parsed.data : ZCampaignPolicy.parse({});
}

/** The level a pending action is held at, so delegations can be matched to it (as `decide` matches them). */
function heldLevel(action: PendingAction): ResolvedSignOffLevel {
  const level: ResolvedSignOffLevel = {
    level: action.level ?? 0,
    name: action.levelName ?? action.role,
    role: action.role as ResolvedSignOffLevel['role'],
    scope: 'office',
  };
  if (action.unitId !== undefined) level.unitId = action.unitId;
  if (action.userId !== undefined) level.userId = action.userId;
  return level;
}

/** The rows for a task in `state` (pure: no I/O), for the projection and the backfill alike. */
export function pendingActionRows(state: TaskState, policy: TCampaignPolicy, at: string): TPendingActionRow[] {
  // Without `now`, signersFor neither filters deputies by date nor lists overdue periods: both are handled here.
  const actions = signersFor(state, undefined, policy);
  if (WORKING_STATUSES.includes(state.status) || state.status === 'LONG_TERM') {
    for (const o of state.overdueReports) {
      if (o.round === state.round && !hasReportIn(state, o.period)) {
        actions.push({ action: 'submit_report', role: 'unit_staff', unitId: state.leadUnitId, period: o.period });
      }
    }
  }
  const due = nextReportDue(state, policy, at);
  if (
    due &&
    !actions.some((a) => (a.action === 'submit_report' || a.action === 'resubmit_report') && a.period === due.period)
  ) {
    actions.push({ action: 'submit_report', role: 'unit_staff', unitId: state.leadUnitId, period: due.period });
  }

  const rows: TPendingActionRow[] = [];
  for (const a of actions) {
    const row: TPendingActionRow = {
      taskId: state.taskId,
      action: a.action,
      role: a.role,
      unitId: a.unitId ?? null,
      userId: a.userId ?? null,
      deputyForUserId: null,
      period: a.period ?? null,
      level: a.level ?? null,
      levelName: a.levelName ?? null,
      excludedUserId: a.excludedUserId ?? null,
      dueAt: due && a.period !== undefined && a.period === due.period ? new Date(due.dueAt) : null,
    };
    rows.push(row);
    // Delegation carries the sign-off and the extension decisions (decide's authorityFor for both).
    if (a.action !== 'sign_off' && a.action !== 'decide_extension') continue;
    const level = heldLevel(a);
    const seen = new Set<string>();
    for (const d of state.delegations) {
      if (!matchesLevel({ userId: d.fromUserId, role: d.fromRole, unitId: d.fromUnitId }, level)) continue;
      const key = `${d.toUserId}\u0000${d.fromUserId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ ...row, userId: d.toUserId, deputyForUserId: d.fromUserId });
    }
  }
  return rows;
}

/** Rewrites the task's pending-action rows: deleted and written again, in the caller's transaction. */
export async function writePendingActions(
  tx: TDbLike,
  state: TaskState,
  policy: TCampaignPolicy,
  at: string,
): Promise<number> {
  await tx.taskPendingAction.deleteMany({ where: { taskId: state.taskId } });
  const rows = pendingActionRows(state, policy, at);
  if (rows.length > 0) await tx.taskPendingAction.createMany({ data: rows });
  return rows.length;
}

/** For the projection: reads the task's campaign policy in the same transaction, then rewrites the rows. */
export async function projectPendingActions(tx: TDbLike, state: TaskState, at: string): Promise<void> {
  const campaign = await tx.campaign.findUnique({ where: { id: state.campaignId }, select: { policy: true } });
  await writePendingActions(tx, state, parsePolicy(campaign?.policy), at);
}

/**
 * Once, for a database projected before `TaskPendingAction` existed: when the table is empty and tasks are not,
 * writes every projected task's rows from its stored state, in batches (keyset by id, so memory stays bounded).
 * Tasks never projected (no state yet) get their rows from their first projection. Returns how many were written.
 */
export async function backfillPendingActions(
  db: Db,
  options: { batchSize?: number; now?: Date; log?: (line: string) => void } = {},
): Promise<{ tasks: number; rows: number }> {
  const batchSize = options.batchSize ?? 500;
  const log = options.log ?? ((line: string) => console.log(line));
  if ((await db.taskPendingAction.findFirst({ select: { id: true } })) !== null) return { tasks: 0, rows: 0 };
  if ((await db.task.findFirst({ select: { id: true } })) === null) return { tasks: 0, rows: 0 };
  const at = (options.now ?? new Date()).toISOString();
  const policies = new Map(
    (await db.campaign.findMany({ select: { id: true, policy: true } })).map((c) => [c.id, parsePolicy(c.policy)]),
  );
  let tasks = 0;
  let rows = 0;
  let after: string | undefined;
  for (;;) {
    const batch = await db.task.findMany({
      where: after !== undefined ? { id: { gt: after } } : {},
      select: { id: true, campaignId: true, stateJson: true },
      orderBy: { id: 'asc' },
      take: batchSize,
    });
    if (batch.length === 0) break;
    after = batch[batch.length - 1]!.id;
    const written = await db.$transaction(async (tx) => {
      // A projection that ran meanwhile (the worker may already be running) wrote newer rows than this state's:
      // those tasks are left as the projection wrote them.
      const projected = new Set(
        (
          await tx.taskPendingAction.findMany({
            where: { taskId: { in: batch.map((t) => t.id) } },
            select: { taskId: true },
            distinct: ['taskId'],
          })
        ).map((r) => r.taskId),
      );
      const data = batch.flatMap((t) => {
        const state = t.stateJson as TaskState | null;
        // Never projected yet: the first projection writes its rows.
        if (projected.has(t.id) || !state || typeof state !== 'object' || !Array.isArray(state.delegations)) return [];
        return pendingActionRows(state, policies.get(t.campaignId) ?? parsePolicy(null), at);
      });
      if (data.length > 0) await tx.taskPendingAction.createMany({ data });
      return data.length;
    });
    tasks += batch.length;
    rows += written;
  }
  log(`[pending-actions] backfilled ${rows} pending actions for ${tasks} tasks`);
  return { tasks, rows };
}
