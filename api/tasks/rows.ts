/**
 * Task rows as lists show them (the task list, the inbox, a campaign's overdue list, a task's children): the
 * summary plus the names a person reads — campaign, problem and category, lead unit, leader — looked up in one batch
 * per kind for the whole page, never one query per row.
 */
import type { Db } from '../../db/client';
import type { TCampaignPolicy } from '../../domain/policy';
import { policyOf, taskSummary, type TTaskRowCore } from './summary';

export type TTaskListRow = TTaskRowCore & {
  measure: string;
  problemId: string;
  deadlineText: string | null;
  updatedAt: Date;
};

export interface TRowNames {
  campaigns: Map<string, { name: string; policy: TCampaignPolicy }>;
  problems: Map<string, { title: string; category: string }>;
  units: Map<string, string>;
  users: Map<string, string>;
}

/** The names every row of a page needs: four queries whatever the page size. */
export async function loadRowNames(db: Db, rows: readonly TTaskListRow[]): Promise<TRowNames> {
  // No rows, no names: a task without children (most task pages) or an empty page sends no statement at all (each is
  // ~0.5 ms of the process's CPU through Prisma, `IN ()` included).
  if (rows.length === 0) return { campaigns: new Map(), problems: new Map(), units: new Map(), users: new Map() };
  const ids = (pick: (r: TTaskListRow) => string) => [...new Set(rows.map(pick))];
  const [campaigns, problems, units, users] = await Promise.all([
    db.campaign.findMany({
      where: { id: { in: ids((r) => r.campaignId) } },
      select: { id: true, name: true, policy: true },
    }),
    db.problem.findMany({
      where: { id: { in: ids((r) => r.problemId) } },
      select: { id: true, title: true, category: { select: { name: true } } },
    }),
    db.unit.findMany({ where: { id: { in: ids((r) => r.leadUnitId) } }, select: { id: true, name: true } }),
    db.user.findMany({ where: { id: { in: ids((r) => r.leaderId) } }, select: { id: true, name: true } }),
  ]);
  return {
    campaigns: new Map(campaigns.map((c) => [c.id, { name: c.name, policy: policyOf(c) }])),
    problems: new Map(problems.map((p) => [p.id, { title: p.title, category: p.category.name }])),
    units: new Map(units.map((u) => [u.id, u.name])),
    users: new Map(users.map((u) => [u.id, u.name])),
  };
}

export function taskRow(row: TTaskListRow, names: TRowNames, now: Date) {
  const campaign = names.campaigns.get(row.campaignId);
  const problem = names.problems.get(row.problemId);
  return {
    ...taskSummary(row, campaign?.policy ?? policyOf({ policy: null }), now),
    campaignName: campaign?.name ?? null,
    problemTitle: problem?.title ?? null,
    category: problem?.category ?? null,
    leadUnitName: names.units.get(row.leadUnitId) ?? null,
    leaderName: names.users.get(row.leaderId) ?? null,
    deadlineText: row.deadlineText,
    updatedAt: row.updatedAt.toISOString(),
  };
}
export type TTaskRow = ReturnType<typeof taskRow>;

/** Rows of one page, with their names. */
export async function taskRows(db: Db, rows: readonly TTaskListRow[], now: Date): Promise<TTaskRow[]> {
  const names = await loadRowNames(db, rows);
  return rows.map((row) => taskRow(row, names, now));
}
