/**
 * The measures of a campaign within a caller's scope, read for the figures (domain/stats/figures.ts):
 * - now: one SQL GROUP BY over the read model's columns (problem, lead unit, leader, status, light, overdue), never
 *   a task's stateJson; a measure is a task in scope whose parent is not in scope (a split parent counts once);
 * - as of a past date: the tasks' columns and their audit trail's status changes (domain/stats/asOf.ts).
 */
import type { Db, Prisma } from '../../db/client';
import { endOfDayInstant } from '../../domain/calendar';
import { taskAsOf } from '../../domain/stats/asOf';
import { measuresOf } from '../../domain/stats/figures';
import { taskScopeWhere, type TScope } from '../scope';

export type TStatsBy = 'category' | 'unit' | 'leader';

/** One group of measures sharing every column, with how many. */
export interface TRawMeasureRow {
  problemId: string;
  leadUnitId: string;
  leaderId: string;
  leaderText: string | null;
  status: string;
  light: string;
  overdue: boolean;
  count: number;
}

/** The `where` of the measures in scope: in scope, and the parent (if any) is not. */
export function measureWhere(campaignId: string, scope: TScope): Prisma.TaskWhereInput {
  if (scope.all) return { campaignId, parentTaskId: null };
  const inScope = taskScopeWhere(scope);
  return {
    AND: [{ campaignId }, inScope, { OR: [{ parentTaskId: null }, { parentTask: { is: { NOT: inScope } } }] }],
  };
}

/** The measures now, grouped in SQL. The caller refreshes stale lights first (api/tasks/light.ts). */
export async function currentMeasureRows(db: Db, campaignId: string, scope: TScope): Promise<TRawMeasureRow[]> {
  const groups = await db.task.groupBy({
    by: ['problemId', 'leadUnitId', 'leaderId', 'leaderText', 'status', 'trafficLight', 'overdue'],
    where: measureWhere(campaignId, scope),
    _count: { _all: true },
  });
  return groups.map((g) => ({
    problemId: g.problemId,
    leadUnitId: g.leadUnitId,
    leaderId: g.leaderId,
    leaderText: g.leaderText,
    status: g.status,
    light: g.trafficLight,
    overdue: g.overdue,
    count: g._count._all,
  }));
}

/** A measure as of a past date, one per task (for the notice's lists of overdue and red tasks too). */
export interface TMeasureAsOf extends TRawMeasureRow {
  id: string;
}

/** Tasks read per round, and the audit rows of that many tasks: bounds the memory of a large campaign. */
const AS_OF_BATCH = 500;

/** The measures at the end of `asOf` (a Shanghai date in the past), rebuilt from the audit trail. */
export async function measuresAsOf(db: Db, campaignId: string, scope: TScope, asOf: string): Promise<TMeasureAsOf[]> {
  const end = new Date(endOfDayInstant(asOf));
  const where: Prisma.TaskWhereInput = scope.all
    ? { campaignId, createdAt: { lt: end } }
    : { AND: [{ campaignId, createdAt: { lt: end } }, taskScopeWhere(scope)] };
  const tasks = await db.task.findMany({
    where,
    select: {
      id: true,
      parentTaskId: true,
      problemId: true,
      leadUnitId: true,
      leaderId: true,
      leaderText: true,
      deadlineDate: true,
      createdAt: true,
      status: true,
      updatedAt: true,
    },
    orderBy: { id: 'asc' },
  });
  const measures = measuresOf(tasks);
  const out: TMeasureAsOf[] = [];
  for (let i = 0; i < measures.length; i += AS_OF_BATCH) {
    const batch = measures.slice(i, i + AS_OF_BATCH);
    const events = await db.auditEvent.findMany({
      where: {
        taskId: { in: batch.map((t) => t.id) },
        at: { lt: end },
        OR: [{ toStatus: { not: null } }, { action: 'EscalationStepReached' }],
      },
      select: { taskId: true, toStatus: true, action: true, detail: true, at: true },
    });
    const byTask = new Map<string, typeof events>();
    for (const e of events) {
      const list = byTask.get(e.taskId!) ?? [];
      list.push(e);
      byTask.set(e.taskId!, list);
    }
    const withHistory = new Set(
      (
        await db.auditEvent.groupBy({
          by: ['taskId'],
          where: { taskId: { in: batch.map((t) => t.id) }, toStatus: { not: null } },
        })
      ).map((g) => g.taskId),
    );
    for (const task of batch) {
      const own = byTask.get(task.id) ?? [];
      // A task with no recorded status change at all (written by a bulk load, not by its workflow) is taken at its
      // current status if it last changed by then.
      const changes = withHistory.has(task.id)
        ? own.filter((e) => e.toStatus !== null).map((e) => ({ toStatus: e.toStatus!, at: e.at.toISOString() }))
        : task.updatedAt < end
          ? [{ toStatus: task.status, at: task.updatedAt.toISOString() }]
          : [];
      const escalations = own
        .filter((e) => e.action === 'EscalationStepReached')
        .map((e) => ({ step: String((e.detail as { step?: unknown } | null)?.step ?? ''), at: e.at.toISOString() }));
      const figures = taskAsOf(
        { createdAt: task.createdAt.toISOString(), deadlineDate: task.deadlineDate, changes, escalations },
        asOf,
      );
      if (!figures) continue;
      out.push({
        id: task.id,
        problemId: task.problemId,
        leadUnitId: task.leadUnitId,
        leaderId: task.leaderId,
        leaderText: task.leaderText,
        status: figures.status,
        light: figures.light,
        overdue: figures.overdue,
        count: 1,
      });
    }
  }
  return out;
}
