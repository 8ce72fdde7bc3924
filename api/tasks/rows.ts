/**
 * Task rows as lists show them (the task list, the inbox, a campaign's overdue list, a task's children): the
 * summary plus the names a person reads — campaign, problem and category, lead unit, leader — looked up in one batch
 * per kind for the whole page, never one query per row.
 */
import type { Db, Prisma } from '../../db/client';
import { fixedCampaigns, fixedProblems } from '../../activities/fixedRows';
import type { TCampaignPolicy } from '../../domain/policy';
import { policyOf, storedLightHolds, taskSummary, type TTaskRowCore } from './summary';

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
  // Campaigns and problems never change once written: this process's copies (activities/fixedRows.ts).
  const [campaigns, problems, units, users] = await Promise.all([
    fixedCampaigns(
      db,
      ids((r) => r.campaignId),
    ),
    fixedProblems(
      db,
      ids((r) => r.problemId),
    ),
    db.unit.findMany({ where: { id: { in: ids((r) => r.leadUnitId) } }, select: { id: true, name: true } }),
    db.user.findMany({ where: { id: { in: ids((r) => r.leaderId) } }, select: { id: true, name: true } }),
  ]);
  return {
    campaigns: new Map([...campaigns.values()].map((c) => [c.id, { name: c.name, policy: c.parsedPolicy }])),
    problems: new Map([...problems.values()].map((p) => [p.id, { title: p.title, category: p.category.name }])),
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

/**
 * The columns a list row shows: every one but the state, whose JSON is most of a row (reports, reviews, the whole
 * history of sign-offs). Only a row whose stored light no longer holds needs its state: `withStaleStates` reads those.
 */
export const LIST_ROW_COLUMNS = {
  id: true,
  campaignId: true,
  problemId: true,
  parentTaskId: true,
  measure: true,
  leadUnitId: true,
  leaderId: true,
  status: true,
  overdue: true,
  round: true,
  reopenCount: true,
  deadlineKind: true,
  deadlineDate: true,
  deadlineText: true,
  trafficLight: true,
  lightChangesAt: true,
  createdAt: true,
  closedAt: true,
  updatedAt: true,
} as const satisfies Prisma.TaskSelect;

export type TListRowColumns = Prisma.TaskGetPayload<{ select: typeof LIST_ROW_COLUMNS }>;

/**
 * The rows, each with its state where its stored light no longer holds at `now` (read in one statement, by id; none
 * when every light holds, as it does while the workflows project on time), and none elsewhere.
 */
export async function withStaleStates<R extends TListRowColumns>(
  db: Db,
  rows: readonly R[],
  now: Date,
): Promise<(R & { stateJson: unknown })[]> {
  const stale = rows.filter((r) => !storedLightHolds(r, now)).map((r) => r.id);
  const states =
    stale.length === 0
      ? new Map<string, unknown>()
      : new Map(
          (await db.task.findMany({ where: { id: { in: stale } }, select: { id: true, stateJson: true } })).map((t) => [
            t.id,
            t.stateJson,
          ]),
        );
  return rows.map((r) => ({ ...r, stateJson: states.get(r.id) ?? null }));
}

/** Rows of one page, with their names. */
export async function taskRows(db: Db, rows: readonly TTaskListRow[], now: Date): Promise<TTaskRow[]> {
  const names = await loadRowNames(db, rows);
  return rows.map((row) => taskRow(row, names, now));
}
