/**
 * Answers of heavy reads (a campaign's statistics) kept while nothing they are computed from has changed: ten people of
 * a province's office opening 统计 at once cost one computation, not ten scans of 30,000 tasks.
 *
 * An entry holds while its `version` (read from the database before computing: see `readVersion`) is unchanged and
 * for at most `ttlMs` (what the version does not see — a unit or a problem renamed — is at most that old). A computation
 * in flight is shared by the requests that ask for the same key and version meanwhile; a failed one is forgotten.
 * Bounded in entries (least recently used dropped first). One per process: with several API processes each keeps its
 * own, and the version, read from the shared database, keeps them all current.
 */
import type { Db, Prisma } from '../db/client';

interface TEntry<T> {
  version: string;
  at: number;
  value: Promise<T>;
}

export class ReadCache<T> {
  private readonly entries = new Map<string, TEntry<T>>();

  constructor(
    private readonly maxEntries = 200,
    private readonly ttlMs = 30_000,
  ) {}

  get(key: string, version: string, compute: () => Promise<T>, nowMs: number = Date.now()): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.version === version && nowMs - hit.at < this.ttlMs) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const entry: TEntry<T> = { version, at: nowMs, value: compute() };
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return entry.value;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The version of the rows of `Task` and `TaskPendingAction`, whoever writes them — a projection, a backfill, an
 * import, an operator's SQL:
 * - SQLite: `ReadVersion`, a counter its triggers (migration `read_version`) move on every insert, update and delete of
 *   those tables (SQLite runs one writer at a time: the row costs no concurrency);
 * - PostgreSQL: the current snapshot (xmin:xmax:in-progress ids), which changes whenever any writing transaction ends
 *   (anything written anywhere renews the cached reads: never stale, fewer hits). Its xmax alone is not enough: it
 *   is one past the newest transaction that ended, so the commit of an older one still in progress — a projection
 *   that began first and committed last — left it where it was, and a read cached meanwhile stayed. A counter row
 *   there would be a lock every projection takes, in an order (before or after the audit chain's head) that differs
 *   between code paths: a deadlock waiting to happen.
 */
export async function tasksVersion(db: Db): Promise<string> {
  if ((db as unknown as { _activeProvider?: string })._activeProvider === 'postgresql') {
    const rows = await db.$queryRaw<{ v: string }[]>`SELECT pg_current_snapshot()::text AS v`;
    return `pg:${rows[0]?.v ?? ''}`;
  }
  const row = await db.readVersion.findUnique({ where: { key: 'tasks' }, select: { seq: true } });
  return String(row?.seq ?? 'none');
}

/**
 * The version of the directory's units, as `tasksVersion` is of the tasks: on SQLite a counter the triggers of
 * migration `directory_version` move on every write of `Unit`; on PostgreSQL the current snapshot. Null when there is
 * no counter (a database not migrated that far): then nothing may be kept.
 */
export async function directoryVersion(db: Db): Promise<string | null> {
  if ((db as unknown as { _activeProvider?: string })._activeProvider === 'postgresql') {
    const rows = await db.$queryRaw<{ v: string }[]>`SELECT pg_current_snapshot()::text AS v`;
    return rows[0] ? `pg:${rows[0].v}` : null;
  }
  const row = await db.readVersion.findUnique({ where: { key: 'units' }, select: { seq: true } });
  return row ? String(row.seq) : null;
}

/**
 * The earliest instant a stored light of `where` may change by itself (null: none will). A light changes with time
 * alone; reads repair the rows past their instant first, which moves it. The first row of a light-change index.
 */
export async function nextLightChange(db: Db, where: Prisma.TaskWhereInput): Promise<Date | null> {
  const row = await db.task.findFirst({
    where: { AND: [where, { lightChangesAt: { not: null } }] },
    orderBy: { lightChangesAt: 'asc' },
    select: { lightChangesAt: true },
  });
  return row?.lightChangesAt ?? null;
}

/** What figures over `where` are computed from, as one string that changes whenever they may. */
export async function readVersion(db: Db, where: Prisma.TaskWhereInput): Promise<string> {
  const [head, next] = await Promise.all([tasksVersion(db), nextLightChange(db, where)]);
  return `${head}|${next?.toISOString() ?? '-'}`;
}
