/**
 * The task list's count. Beyond `LIST_COUNT_CAP` matches the answer is the cap with `totalExact: false` ("more than"):
 * counting 10⁵ rows exactly would scan them at every page turn, and nobody pages through ten thousand tasks (they
 * filter). Up to the cap the count is exact and the database stops reading at cap + 1 rows.
 */
import type { Db, Prisma } from '../../db/client';
import { ReadCache, tasksVersion } from '../readCache';

export const LIST_COUNT_CAP = 10_000;

/**
 * Counts by filter and scope, kept while the tasks' version stays (api/readCache.ts): turning pages, sorting or
 * opening a task and coming back does not count again what no write has changed.
 */
const counts = new ReadCache<{ total: number; totalExact: boolean }>(1_000);

export async function cappedCount(
  db: Db,
  where: Prisma.TaskWhereInput,
  cap: number = LIST_COUNT_CAP,
): Promise<{ total: number; totalExact: boolean }> {
  return counts.get(JSON.stringify([where, cap]), await tasksVersion(db), () => countNow(db, where, cap));
}

async function countNow(
  db: Db,
  where: Prisma.TaskWhereInput,
  cap: number,
): Promise<{ total: number; totalExact: boolean }> {
  // Prisma orders a count with `take` by id unless told otherwise, which walks the primary key and reads rows to
  // filter; in creation order every scope and filter of the list has an index ending in (createdAt, id).
  const n = await db.task.count({ where, take: cap + 1, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  return n > cap ? { total: cap, totalExact: false } : { total: n, totalExact: true };
}
