/**
 * The inbox's to-do lists from `TaskPendingAction` (projected with every task change by activities/pendingActions.ts):
 * an indexed query on who each task waits on, then the rows of only those tasks. Nothing scans the caller's tasks or
 * parses their states, except the few tasks where the caller is a deputy (to check the delegation's dates today).
 */
import type { Db, Prisma } from '../../db/client';
import { delegationActive, type PendingActionKind, type TaskState, type TaskStatus } from '../../domain/task';
import type { TApiActor } from '../auth';
import { scopeOf, taskScopeWhere } from '../scope';
import { LIST_ROW_COLUMNS, loadRowNames, taskRow, withStaleStates, type TTaskRow } from '../tasks/rows';
import { nextLightChange, ReadCache, tasksVersion } from '../readCache';
import { dateOf } from '../../domain/calendar';

export interface TInboxItem {
  taskId: string;
  measure: string;
  problemTitle: string | null;
  leadUnitName: string | null;
  deadline: TTaskRow['deadline'];
  trafficLight: TTaskRow['trafficLight'];
  status: TaskStatus;
  action: PendingActionKind;
  period?: string;
  dueAt?: string;
  level?: number;
  levelName?: string;
}

/** The most items one group answers: a to-do list, not a report; `truncated: true` says more are waiting. */
export const INBOX_GROUP_CAP = 200;

const GROUPS = {
  reportsDue: ['acknowledge', 'submit_report', 'resubmit_report'],
  reviews: ['review_report'],
  signOffs: ['sign_off'],
  other: ['decide_extension', 'look_back'],
} as const satisfies Record<string, readonly PendingActionKind[]>;
type TGroup = keyof typeof GROUPS;

/**
 * The roles that can hold each group's actions (domain/task/signOff.ts `signersFor`: the unit's staff acknowledges
 * and reports, the office reviews and judges look-backs, the office or the lead leader decides extensions; a
 * sign-off level may name any role). A group no row of the caller's role can be in is not queried: the index is on
 * (role, unitId) without the action, so an empty group would otherwise read every row of the caller's unit.
 */
const GROUP_ROLES: Record<TGroup, readonly string[] | 'any'> = {
  reportsDue: ['unit_staff'],
  reviews: ['office'],
  signOffs: 'any',
  other: ['office', 'leader'],
};

export interface TPendingInbox {
  reportsDue: TInboxItem[];
  reviews: TInboxItem[];
  signOffs: TInboxItem[];
  other: TInboxItem[];
  /** Present (true) only when a group was cut at `INBOX_GROUP_CAP`. */
  truncated?: true;
}

type TRow = Awaited<ReturnType<Db['taskPendingAction']['findMany']>>[number];

/**
 * The rows waiting on `actor`, by indexed queries each cut at the cap (two per group, one for deputies):
 * - held by their unit: `role = ? AND unitId = ?` (index (role, unitId)), the row's user, if any, being them;
 * - held by them by name (a leader's level, a leader's extension step): `userId = ?` (index userId), no unit;
 * - as a deputy: `userId = ?` with `deputyForUserId` set (one query for all groups: a handful of rows).
 * Every row the projection writes names a unit or a user (every sign-off scope binds one), so these cover
 * "role = mine AND (unit null or mine) AND (user null or me)". Held rows must be on a task in the caller's read
 * scope (the join runs only on the rows read, not on the caller's tasks); deputy rows are not (a delegation reaches
 * beyond read scope) but are checked against the delegation's dates below. Never an application of their own.
 *
 * Ordered by the index's own columns: the database walks the index and stops at the cap instead of sorting every
 * match (sorting by anything else sorted tens of thousands of rows for a province office: 150–450 ms at 10⁵ tasks).
 * Within one key an index keeps rows in insertion order, so a cut list keeps the rows projected longest ago.
 */
async function rowsWaitingOn(
  db: Db,
  actor: TApiActor,
  scopeWhere: Prisma.TaskWhereInput | null,
): Promise<{ groups: TRow[][]; cut: boolean }> {
  const notMine: Prisma.TaskPendingActionWhereInput = {
    // `<>` alone drops NULLs in SQL: rows without an applicant must stay.
    OR: [{ excludedUserId: null }, { excludedUserId: { not: actor.userId } }],
  };
  const inScope = scopeWhere ? { task: scopeWhere } : {};
  const take = INBOX_GROUP_CAP + 1;
  const groupNames = Object.keys(GROUPS) as TGroup[];
  const [held, deputy] = await Promise.all([
    Promise.all(
      groupNames.map(async (group): Promise<readonly [TRow[], TRow[]]> => {
        const roles = GROUP_ROLES[group];
        if (roles !== 'any' && !roles.includes(actor.role)) return [[], []];
        const action = { in: [...GROUPS[group]] };
        const [byUnit, byName] = await Promise.all([
          db.taskPendingAction.findMany({
            where: {
              role: actor.role,
              unitId: actor.unitId,
              deputyForUserId: null,
              action,
              AND: [{ OR: [{ userId: null }, { userId: actor.userId }] }, notMine],
              ...inScope,
            },
            orderBy: [{ role: 'asc' }, { unitId: 'asc' }],
            take,
          }),
          db.taskPendingAction.findMany({
            where: {
              userId: actor.userId,
              role: actor.role,
              unitId: null,
              deputyForUserId: null,
              action,
              ...notMine,
              ...inScope,
            },
            orderBy: { userId: 'asc' },
            take,
          }),
        ]);
        return [byUnit, byName] as const;
      }),
    ),
    db.taskPendingAction.findMany({
      where: { userId: actor.userId, deputyForUserId: { not: null }, ...notMine },
      orderBy: { userId: 'asc' },
      take: take * groupNames.length,
    }),
  ]);
  const cut =
    held.some(([a, b]) => a.length === take || b.length === take) || deputy.length === take * groupNames.length;
  const groups = groupNames.map((group, i) => {
    const actions: readonly string[] = GROUPS[group];
    return [...held[i]![0], ...held[i]![1], ...deputy.filter((r) => actions.includes(r.action))];
  });
  return { groups, cut };
}

/** Each person's to-do lists, by person, role, unit and day: see `pendingForCached`. */
const inboxes = new ReadCache<TPendingInbox>(1_000);

/**
 * `pendingFor`, kept per person while nothing it reads has changed: the rows waiting on whom and the tasks' columns
 * (the database moves `tasksVersion` with every write of them), a delegation's validity with the day (in the key).
 * Items show each task's light: while some stored light anywhere is past its change instant (a workflow behind), the
 * answer is computed afresh, so a light shown is never older than its stored instant. The web application asks for
 * the inbox on every page and badge refresh; a person with hundreds of waiting items no longer costs a dozen
 * queries each time.
 */
export async function pendingForCached(db: Db, actor: TApiActor, now: Date): Promise<TPendingInbox> {
  const [version, next] = await Promise.all([tasksVersion(db), nextLightChange(db, {})]);
  if (next !== null && next.getTime() <= now.getTime()) return pendingFor(db, actor, now);
  const key = JSON.stringify([actor.userId, actor.role, actor.unitId, dateOf(now.toISOString())]);
  return inboxes.get(key, `${version}|${next?.toISOString() ?? '-'}`, () => pendingFor(db, actor, now));
}

export async function pendingFor(db: Db, actor: TApiActor, now: Date): Promise<TPendingInbox> {
  const nowIso = now.toISOString();
  const scope = await scopeOf(db, actor);
  const { groups: kept, cut } = await rowsWaitingOn(
    db,
    actor,
    scope.all ? null : (taskScopeWhere(scope) as Prisma.TaskWhereInput),
  );
  const groupNames = Object.keys(GROUPS) as TGroup[];

  // Deputy rows hold for every delegation of the level: keep those whose delegation is valid today (Shanghai date).
  const deputyRows = kept.flat().filter((r) => r.deputyForUserId !== null);
  const activeDeputy = new Set<string>();
  if (deputyRows.length > 0) {
    const states = await db.task.findMany({
      where: { id: { in: [...new Set(deputyRows.map((r) => r.taskId))] } },
      select: { id: true, stateJson: true },
    });
    for (const t of states) {
      const delegations = (t.stateJson as TaskState | null)?.delegations ?? [];
      for (const d of delegations) {
        if (d.toUserId === actor.userId && delegationActive(d, nowIso))
          activeDeputy.add(`${t.id}\u0000${d.fromUserId}`);
      }
    }
  }
  const shown = kept.map((rows) => {
    const seen = new Set<string>();
    return rows.filter((r) => {
      if (r.deputyForUserId !== null) {
        if (!activeDeputy.has(`${r.taskId}\u0000${r.deputyForUserId}`)) return false;
        // Nobody's deputy signs the principal's own application either.
        if (r.deputyForUserId === r.excludedUserId) return false;
      }
      // One item per action, whether the caller holds it in person and as a deputy, or as deputy of two holders.
      const key = `${r.taskId}\u0000${r.action}\u0000${r.period ?? ''}\u0000${r.level ?? ''}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  });
  const truncated = cut || shown.some((rows) => rows.length > INBOX_GROUP_CAP);
  shown.forEach((rows, i) => (shown[i] = rows.slice(0, INBOX_GROUP_CAP)));

  const taskIds = [...new Set(shown.flat().map((r) => r.taskId))];
  const tasks =
    taskIds.length > 0
      ? await withStaleStates(
          db,
          await db.task.findMany({ where: { id: { in: taskIds } }, select: LIST_ROW_COLUMNS }),
          now,
        )
      : [];
  const names = await loadRowNames(db, tasks);
  const bases = new Map(
    tasks.map((task) => {
      const row = taskRow(task, names, now);
      const base = {
        taskId: task.id,
        measure: task.measure,
        problemTitle: row.problemTitle,
        leadUnitName: row.leadUnitName,
        deadline: row.deadline,
        trafficLight: row.trafficLight,
        status: task.status as TaskStatus,
      };
      return [task.id, base] as const;
    }),
  );
  // Shown oldest task first, then by period and level, as the inbox always listed them: the cut was made above, on
  // the index's order; this sorts only what is answered.
  const createdAt = new Map(tasks.map((t) => [t.id, t.createdAt.getTime()]));
  const byTaskAge = (a: TRow, b: TRow) =>
    (createdAt.get(a.taskId) ?? 0) - (createdAt.get(b.taskId) ?? 0) ||
    a.taskId.localeCompare(b.taskId) ||
    (a.period ?? '').localeCompare(b.period ?? '') ||
    (a.level ?? 0) - (b.level ?? 0);
  const answer: TPendingInbox = { reportsDue: [], reviews: [], signOffs: [], other: [] };
  groupNames.forEach((group, i) => {
    for (const r of [...shown[i]!].sort(byTaskAge)) {
      const base = bases.get(r.taskId);
      if (!base) continue;
      const item: TInboxItem = { ...base, action: r.action as PendingActionKind };
      if (r.period !== null) item.period = r.period;
      if (r.dueAt !== null) item.dueAt = r.dueAt.toISOString();
      if (r.level !== null) item.level = r.level;
      if (r.levelName !== null) item.levelName = r.levelName;
      answer[group].push(item);
    }
  });
  if (truncated) answer.truncated = true;
  return answer;
}
