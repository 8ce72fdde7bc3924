/**
 * The inbox's to-do lists from `TaskPendingAction` (projected with every task change by activities/pendingActions.ts):
 * an indexed query on who each task waits on, then the rows of only those tasks. Nothing scans the caller's tasks or
 * parses their states, except the few tasks where the caller is a deputy (to check the delegation's dates today).
 */
import type { Db, Prisma } from '../../db/client';
import { delegationActive, type PendingActionKind, type TaskState, type TaskStatus } from '../../domain/task';
import type { TApiActor } from '../auth';
import { scopeOf, taskScopeWhere } from '../scope';
import { loadRowNames, taskRow, type TTaskRow } from '../tasks/rows';

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

export interface TPendingInbox {
  reportsDue: TInboxItem[];
  reviews: TInboxItem[];
  signOffs: TInboxItem[];
  other: TInboxItem[];
  /** Present (true) only when a group was cut at `INBOX_GROUP_CAP`. */
  truncated?: true;
}

/**
 * The rows waiting on `actor`: held by their role (and unit, and user, where the row names them) on a task in their
 * read scope, or by them as a deputy (any task: a delegation reaches beyond read scope); never an application of
 * their own. Deputy rows are excluded from the first branch, so a deputy's row always goes through the date check.
 */
function waitingOn(actor: TApiActor, scopeWhere: Prisma.TaskWhereInput | null): Prisma.TaskPendingActionWhereInput {
  const held: Prisma.TaskPendingActionWhereInput = {
    role: actor.role,
    deputyForUserId: null,
    AND: [{ OR: [{ unitId: null }, { unitId: actor.unitId }] }, { OR: [{ userId: null }, { userId: actor.userId }] }],
    ...(scopeWhere ? { task: scopeWhere } : {}),
  };
  return {
    AND: [
      { OR: [held, { userId: actor.userId, deputyForUserId: { not: null } }] },
      // `<>` alone drops NULLs in SQL: rows without an applicant must stay.
      { OR: [{ excludedUserId: null }, { excludedUserId: { not: actor.userId } }] },
    ],
  };
}

export async function pendingFor(db: Db, actor: TApiActor, now: Date): Promise<TPendingInbox> {
  const nowIso = now.toISOString();
  const scope = await scopeOf(db, actor);
  const where = waitingOn(actor, scope.all ? null : (taskScopeWhere(scope) as Prisma.TaskWhereInput));
  const groupNames = Object.keys(GROUPS) as TGroup[];
  // One indexed query per group, each cut at the cap (+1 to know there were more), oldest task first as before.
  const perGroup = await Promise.all(
    groupNames.map((group) =>
      db.taskPendingAction.findMany({
        where: { AND: [where, { action: { in: [...GROUPS[group]] } }] },
        orderBy: [{ task: { createdAt: 'asc' } }, { taskId: 'asc' }, { period: 'asc' }, { level: 'asc' }],
        take: INBOX_GROUP_CAP + 1,
      }),
    ),
  );
  const truncated = perGroup.some((rows) => rows.length > INBOX_GROUP_CAP);
  const kept = perGroup.map((rows) => rows.slice(0, INBOX_GROUP_CAP));

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

  const taskIds = [...new Set(shown.flat().map((r) => r.taskId))];
  const tasks = taskIds.length > 0 ? await db.task.findMany({ where: { id: { in: taskIds } } }) : [];
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
  const answer: TPendingInbox = { reportsDue: [], reviews: [], signOffs: [], other: [] };
  groupNames.forEach((group, i) => {
    for (const r of shown[i]!) {
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
