/**
 * Answers of heavy reads (a campaign's statistics) kept while nothing they are computed from has changed: ten people of
 * a province's office opening 统计 at once cost one computation, not ten scans of 30,000 tasks.
 *
 * An entry holds while its `version` (read from the database before computing: see `readVersion`) is unchanged and
 * for at most `ttlMs` (what the version does not see — a unit renamed, a flag set — is at most that old). A computation
 * in flight is shared by the requests that ask for the same key and version meanwhile; a failed one is forgotten.
 * Bounded in entries (least recently used dropped first). One per process: with several API processes each keeps its
 * own, and the version, read from the shared database, keeps them all current.
 */
import type { Db } from '../db/client';
import { GLOBAL_HEAD } from '../db/auditChain';

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
 * What a campaign's figures are computed from, as one string that changes whenever they may: the audit chain's head
 * (every projected event, every task created or imported appends to it in the same transaction as its rows) and the
 * campaign's earliest instant a stored light may change (a light changes with time alone; the read repairs it first,
 * which moves that instant). Two indexed lookups, whatever the campaign's size.
 */
export async function readVersion(db: Db, campaignId: string): Promise<string> {
  const [head, light] = await Promise.all([
    db.auditChainHead.findUnique({ where: { key: GLOBAL_HEAD }, select: { seq: true } }),
    // The first row of the index (campaignId, lightChangesAt): an aggregate would read the campaign's whole range.
    db.task.findFirst({
      where: { campaignId, lightChangesAt: { not: null } },
      orderBy: { lightChangesAt: 'asc' },
      select: { lightChangesAt: true },
    }),
  ]);
  return `${head?.seq ?? 0}|${light?.lightChangesAt?.toISOString() ?? '-'}`;
}
