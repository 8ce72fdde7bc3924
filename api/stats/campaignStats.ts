/**
 * `GET /api/campaigns/:id/stats[?by=category|unit|leader][&asOf=YYYY-MM-DD]`.
 * - Without `by`: the summary the 统计 page shows (status, light, per unit, overdue list; `completed` and
 *   `completionRate` there count every task, long-term included, as they always did) plus `totals` and
 *   `definitions`: the figures over measures (domain/stats/figures.ts), as notices count them.
 * - With `by`: `{ campaignId, by, asOf, source, definitions, totals, groups }`, each group `{ key, name, problems,
 *   measures, completed, inProgress, longTerm, overdue, red, completionRate }`. `asOf` (a Shanghai date, not in the
 *   future; default today) before today rebuilds the figures from the audit trail (`source: 'audit'`).
 */
import { z } from 'zod';
import type { Db } from '../../db/client';
import { dateOf, isValidDate } from '../../domain/calendar';
import { STATS_DEFINITIONS, totalsOf } from '../../domain/stats/figures';
import { TASK_STATUSES, type TaskStatus } from '../../domain/task';
import type { TrafficLight } from '../../domain/trafficLight';
import type { TApiActor } from '../auth';
import { AppError } from '../errors';
import { taskScopeWhere, type TScope } from '../scope';
import { refreshStaleLights } from '../tasks/light';
import { ReadCache, readVersion } from '../readCache';
import { LIST_ROW_COLUMNS, taskRows, withStaleStates } from '../tasks/rows';
import { requireVisibleCampaign } from './access';
import { figuresBy } from './groups';
import { currentMeasureRows, measuresAsOf, type TRawMeasureRow } from './measures';

export const ZIsoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD')
  .refine(isValidDate, '不是有效的日期');

export const ZStatsQuery = z.object({
  by: z.enum(['category', 'unit', 'leader']).optional(),
  asOf: ZIsoDay.optional(),
});
export type TStatsQuery = z.infer<typeof ZStatsQuery>;

/** Statuses counted as rectified by the summary's `completed` (its meaning kept for existing callers). */
const DONE: readonly TaskStatus[] = ['CLOSED', 'VERIFIED', 'LONG_TERM'];
const LIGHTS: readonly TrafficLight[] = ['green', 'yellow', 'red'];
/** How many overdue tasks the summary lists. */
const OVERDUE_LISTED = 200;

/** Checks `asOf` against today (Shanghai): a future date is refused; returns the date and whether it is today. */
export function resolveAsOf(asOf: string | undefined, now: Date): { asOf: string; today: boolean } {
  const today = dateOf(now.toISOString());
  if (asOf === undefined || asOf === today) return { asOf: today, today: true };
  if (asOf > today) {
    const message = `截至日期 ${asOf} 晚于今天（${today}）`;
    throw AppError.validation(message, [{ code: 'custom', path: ['asOf'], message }]);
  }
  return { asOf, today: false };
}

/**
 * The measure rows of a campaign as of a date: today's read model (lights refreshed first) or, for a past date,
 * the audit trail's.
 */
export async function measureRowsAsOf(
  db: Db,
  campaignId: string,
  scope: TScope,
  asOf: { asOf: string; today: boolean },
  now: Date,
): Promise<{ rows: TRawMeasureRow[]; source: 'current' | 'audit' }> {
  if (!asOf.today) return { rows: await measuresAsOf(db, campaignId, scope, asOf.asOf), source: 'audit' };
  await refreshStaleLights(db, { campaignId, ...taskScopeWhere(scope) }, now);
  return { rows: await currentMeasureRows(db, campaignId, scope), source: 'current' };
}

/** Today's figures, by key (campaign, grouping, day, scope): see api/readCache.ts for when an entry holds. */
const todaysStats = new ReadCache<unknown>();

export async function campaignStats(db: Db, actor: TApiActor, campaignId: string, query: TStatsQuery, now: Date) {
  const { scope } = await requireVisibleCampaign(db, actor, campaignId);
  const asOf = resolveAsOf(query.asOf, now);
  if (query.by === undefined && !asOf.today) {
    const message = '按日期统计需同时指定 by（category、unit 或 leader）';
    throw AppError.validation(message, [{ code: 'custom', path: ['asOf'], message }]);
  }
  const compute = async () => {
    if (query.by === undefined) return summaryStats(db, campaignId, scope, now);
    const { rows, source } = await measureRowsAsOf(db, campaignId, scope, asOf, now);
    const { totals, groups } = await figuresBy(db, campaignId, rows, query.by);
    return { campaignId, by: query.by, asOf: asOf.asOf, source, definitions: STATS_DEFINITIONS, totals, groups };
  };
  if (!asOf.today) return compute();
  // Lights due to change are repaired first, so the version read next covers them.
  const inScope = { campaignId, ...taskScopeWhere(scope) };
  await refreshStaleLights(db, inScope, now);
  const key = JSON.stringify([campaignId, query.by ?? '', asOf.asOf, scope]);
  return todaysStats.get(key, await readVersion(db, inScope), compute) as ReturnType<typeof compute>;
}

/** The summary without `by` (its fields unchanged for existing callers) plus `totals` and `definitions`. */
async function summaryStats(db: Db, campaignId: string, scope: TScope, now: Date) {
  const inScope = { campaignId, ...taskScopeWhere(scope) };
  // Counted in SQL on the stored light: the rows whose light may have changed since it was projected are
  // recomputed first (only those), so the counts are exact at `now`.
  await refreshStaleLights(db, inScope, now);
  // One GROUP BY gives every figure: a campaign has at most units × statuses × 3 lights × 2 groups.
  const [groups, overdueRows, measureRows] = await Promise.all([
    db.task.groupBy({
      by: ['leadUnitId', 'status', 'trafficLight', 'overdue'],
      where: inScope,
      _count: { _all: true },
    }),
    // A summary, not an archive: the list links to the task list filtered to overdue for the rest. The order is
    // taken on ids alone (an index holds campaign, overdue, deadline, id), then only the 200 rows shown are read.
    db.task
      .findMany({
        where: { ...inScope, overdue: true },
        orderBy: [{ deadlineDate: { sort: 'asc', nulls: 'first' } }, { id: 'asc' }],
        take: OVERDUE_LISTED,
        select: { id: true },
      })
      .then(async (ids) => {
        const order = new Map(ids.map((r, i) => [r.id, i]));
        const rows = await db.task.findMany({ where: { id: { in: [...order.keys()] } }, select: LIST_ROW_COLUMNS });
        return (await withStaleStates(db, rows, now)).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      }),
    currentMeasureRows(db, campaignId, scope),
  ]);
  const byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  const byTrafficLight: Record<TrafficLight, number> = { green: 0, yellow: 0, red: 0 };
  const byUnitMap = new Map<
    string,
    { total: number; completed: number; overdue: number } & Record<TrafficLight, number>
  >();
  let total = 0;
  let done = 0;
  let overdue = 0;
  for (const g of groups) {
    const n = g._count._all;
    const status = g.status as TaskStatus;
    const light = (LIGHTS.includes(g.trafficLight as TrafficLight) ? g.trafficLight : 'green') as TrafficLight;
    const completed = DONE.includes(status);
    total += n;
    byStatus[status] = (byStatus[status] ?? 0) + n;
    byTrafficLight[light] += n;
    if (completed) done += n;
    if (g.overdue) overdue += n;
    const unit = byUnitMap.get(g.leadUnitId) ?? { total: 0, completed: 0, overdue: 0, green: 0, yellow: 0, red: 0 };
    unit.total += n;
    if (completed) unit.completed += n;
    if (g.overdue) unit.overdue += n;
    unit[light] += n;
    byUnitMap.set(g.leadUnitId, unit);
  }
  const unitNames = new Map(
    (await db.unit.findMany({ where: { id: { in: [...byUnitMap.keys()] } }, select: { id: true, name: true } })).map(
      (u) => [u.id, u.name],
    ),
  );
  const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);
  return {
    campaignId,
    total,
    byStatus,
    byTrafficLight,
    overdue,
    completed: done,
    // Rounded to 4 places (a percentage with two decimals); 0 for an empty campaign.
    completionRate: rate(done, total),
    byUnit: [...byUnitMap.entries()]
      .map(([unitId, c]) => ({
        unitId,
        unitName: unitNames.get(unitId) ?? null,
        ...c,
        completionRate: rate(c.completed, c.total),
      }))
      .sort((a, b) => b.total - a.total || (a.unitName ?? '').localeCompare(b.unitName ?? '', 'zh-CN')),
    overdueTasks: await taskRows(db, overdueRows, now),
    totals: totalsOf(measureRows.map((r) => ({ ...r, key: '' }))),
    definitions: STATS_DEFINITIONS,
  };
}
