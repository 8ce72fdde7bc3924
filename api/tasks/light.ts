/**
 * Read-repair of the stored traffic light. The workflow projects `Task.trafficLight` at every change and wakes at
 * `lightChangesAt` to project it again, so a row is current while `lightChangesAt` is null (nothing time-driven
 * left) or later than now. A row whose `lightChangesAt` has passed is stale: a timer not fired yet (a busy or
 * stopped worker), a row migrated from before the column (set to 1970), a row created but not projected yet. Reads
 * that filter or count by light first recompute the stale rows of their scope (only those, in bounded batches), so
 * the filter and the counts can then be plain indexed SQL on the column.
 */
import type { Db, Prisma } from '../../db/client';
import type { TCampaignPolicy } from '../../domain/policy';
import { computeTrafficLight, nextLightChange, type TrafficLight } from '../../domain/trafficLight';
import { policyOf, stateOf } from './summary';

/** Rows read and written per round: bounds the memory (each carries its state) and the length of a transaction. */
export const REFRESH_BATCH = 500;

/** The stale rows of `where` at `now`. */
export function staleLightWhere(where: Prisma.TaskWhereInput, now: Date): Prisma.TaskWhereInput {
  return { AND: [where, { lightChangesAt: { lte: now } }] };
}

/** Whether a row's stored light holds at `now`. */
export function storedLightIsCurrent(row: { lightChangesAt: Date | null }, now: Date): boolean {
  return row.lightChangesAt === null || row.lightChangesAt.getTime() > now.getTime();
}

/**
 * Recomputes and stores the light of every stale row in `where`, in batches of `REFRESH_BATCH` (keyset by id, so
 * each row is read once per call). Each write is conditional on the row being still stale and not projected since it
 * was read: a projection that landed meanwhile wrote its own, newer light. Returns how many
 * rows were refreshed.
 */
export async function refreshStaleLights(db: Db, where: Prisma.TaskWhereInput, now: Date): Promise<number> {
  const policies = new Map<string, TCampaignPolicy>();
  const nowIso = now.toISOString();
  let refreshed = 0;
  let after: string | undefined;
  // Usually nothing is stale (the workflows project each change on time): one probe down the light-change index says
  // so. The batches below walk by id, which the database may do along the primary key, reading every row to filter.
  const probe = await db.task.findFirst({
    where: staleLightWhere(where, now),
    orderBy: { lightChangesAt: 'asc' },
    select: { id: true },
  });
  if (!probe) return 0;
  for (;;) {
    const rows = await db.task.findMany({
      where:
        after === undefined
          ? staleLightWhere(where, now)
          : { AND: [staleLightWhere(where, now), { id: { gt: after } }] },
      orderBy: { id: 'asc' },
      take: REFRESH_BATCH,
      select: {
        id: true,
        campaignId: true,
        status: true,
        overdue: true,
        round: true,
        reopenCount: true,
        leadUnitId: true,
        leaderId: true,
        deadlineKind: true,
        deadlineDate: true,
        parentTaskId: true,
        createdAt: true,
        closedAt: true,
        stateJson: true,
        updatedAt: true,
      },
    });
    if (rows.length === 0) return refreshed;
    after = rows[rows.length - 1]!.id;
    const missing = [...new Set(rows.map((r) => r.campaignId))].filter((id) => !policies.has(id));
    if (missing.length > 0) {
      const campaigns = await db.campaign.findMany({
        where: { id: { in: missing } },
        select: { id: true, policy: true },
      });
      for (const c of campaigns) policies.set(c.id, policyOf(c));
    }
    // Rows that get the same light and the same next change are written by one statement: a batch of migrated or
    // long-unvisited rows mostly shares a few (deadline windows and report due dates fall on the same instants).
    const groups = new Map<string, { light: TrafficLight; next: string | null; ids: string[]; maxUpdatedAt: number }>();
    for (const row of rows) {
      const state = stateOf(row);
      const policy = policies.get(row.campaignId) ?? policyOf({ policy: null });
      const next = nextLightChange(state, policy, nowIso);
      const light = computeTrafficLight(state, { now: nowIso, policy });
      const key = `${light}|${next ?? ''}`;
      const group = groups.get(key) ?? { light, next, ids: [], maxUpdatedAt: 0 };
      group.ids.push(row.id);
      group.maxUpdatedAt = Math.max(group.maxUpdatedAt, row.updatedAt.getTime());
      groups.set(key, group);
    }
    const results = await db.$transaction(
      [...groups.values()].map((g) =>
        db.task.updateMany({
          // Still stale and not projected since it was read (a projection moves `updatedAt` to its event's instant
          // and writes a light due to change later): a newer light is never overwritten by this older one.
          where: { id: { in: g.ids }, lightChangesAt: { lte: now }, updatedAt: { lte: new Date(g.maxUpdatedAt) } },
          data: { trafficLight: g.light, lightChangesAt: g.next === null ? null : new Date(g.next) },
        }),
      ),
    );
    refreshed += results.reduce((n, r) => n + r.count, 0);
    if (rows.length < REFRESH_BATCH) return refreshed;
  }
}
