/**
 * A prepared-statement cache for the SQLite connection Prisma's better-sqlite3 adapter holds.
 *
 * Why: the adapter prepares every statement anew (`client.prepare(sql).bind(args)`), ~30 a decision and ~10 a read.
 * Each prepared statement is native memory that better-sqlite3 frees only when the garbage collector reclaims its small
 * JavaScript wrapper, which V8 does late since it cannot see the native size: under steady load that is a constant churn
 * of malloc'd blocks the allocator does not give back (the soak's API process grew its C heap ~5 MB a minute while its
 * JavaScript heap stayed flat), and compiling the same SQL again costs CPU each time (~5 % of a decision's).
 * With the cache the adapter gets, per SQL text, one statement compiled once; `bind(args)` (which better-sqlite3 allows
 * only once per statement) becomes a view that passes the arguments to each call instead.
 *
 * Only what the adapter uses is offered: `prepare(sql)` → `{ reader, run(), bind(args) }`, and the bound view's
 * `reader`, `run()`, `columns()`, `raw().all()`. Calls are synchronous and never interleave on one statement (the
 * adapter runs each to completion), so one statement per SQL text is safe.
 */
import type Database from 'better-sqlite3';

/** Distinct SQL texts kept compiled; the least recently used beyond it is dropped (and freed when collected). */
export const STATEMENT_CACHE_SIZE = 1000;

type TArgs = unknown[];

interface TBoundView {
  readonly reader: boolean;
  run(): Database.RunResult;
  columns(): Database.ColumnDefinition[];
  raw(): { all(): unknown[] };
}

interface TCachedStatement {
  readonly reader: boolean;
  run(): Database.RunResult;
  bind(args: TArgs): TBoundView;
}

function view(stmt: Database.Statement, args: TArgs): TBoundView {
  return {
    reader: stmt.reader,
    run: () => stmt.run(...args),
    columns: () => stmt.columns(),
    raw: () => ({ all: () => stmt.raw(true).all(...args) as unknown[] }),
  };
}

/** Replaces `db.prepare` with a cached one (see the module's comment). Returns the cache, for tests. */
export function cachePreparedStatements(
  db: Database.Database,
  size = STATEMENT_CACHE_SIZE,
): Map<string, Database.Statement> {
  const prepare = db.prepare.bind(db) as (sql: string) => Database.Statement;
  const cache = new Map<string, Database.Statement>();
  const cached = (sql: string): TCachedStatement => {
    let stmt = cache.get(sql);
    if (stmt) {
      // Most recently used last: a Map keeps insertion order, so the first key is the least recently used.
      cache.delete(sql);
    } else {
      stmt = prepare(sql);
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    const statement = stmt;
    return { reader: statement.reader, run: () => statement.run(), bind: (args) => view(statement, args) };
  };
  (db as unknown as { prepare: (sql: string) => TCachedStatement }).prepare = cached;
  return cache;
}
