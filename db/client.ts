/**
 * The database client. One model API for both providers: SQLite (a `file:` URL, the default) through
 * better-sqlite3, PostgreSQL (a `postgres://` / `postgresql://` URL) through node-postgres. Both clients are generated
 * from the same models (scripts/prisma-generate.js), so the PostgreSQL client is typed as the SQLite one.
 */
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../prisma/generated/sqlite/client';
import { PrismaClient as PgPrismaClient } from '../prisma/generated/postgres/client';
import { pgPoolConfig, providerOf } from './provider';
import { cachePreparedStatements } from './statementCache';
import type BetterSqlite3 from 'better-sqlite3';

export type Db = PrismaClient;
export type { Prisma } from '../prisma/generated/sqlite/client';

export const DEFAULT_DATABASE_URL = `file:${path.join('data', 'zhenggai.db')}`;

export { pgPoolConfig, providerOf, redactUrl, type TDatabaseProvider } from './provider';

/** How long a connection waits for another connection's (or process's) write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Applied to every SQLite connection the adapter opens.
 * - WAL: readers no longer block the writer nor the writer the readers (the API's reads run beside the workflow's
 *   projections; with ROLE=api and ROLE=worker on one file, across processes too). WAL is persistent in the file.
 * - synchronous=FULL, not NORMAL: in WAL mode NORMAL skips the fsync at each commit, so a power loss may drop the last
 *   committed transactions. Those are projections whose activity Temporal has already recorded as completed (it will
 *   never run again) and task rows whose workflows were already started: a lost commit would be a decision, an audit
 *   record or a task silently missing for good. FULL keeps every acknowledged commit; its cost is one WAL fsync per
 *   transaction, small beside the rest of a decision.
 * - busy_timeout: explicit rather than relying on the driver's default.
 */
export const SQLITE_PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = FULL',
  `PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
] as const;

/**
 * The better-sqlite3 adapter factory, with the pragmas run on each connection it opens: Prisma calls `connect()`
 * again after a `$disconnect()`, and the shadow database too, so wrapping `connect()` is what covers "every
 * connection" (the adapter itself holds exactly one better-sqlite3 handle and serialises on it).
 */
class PragmaBetterSqlite3 extends PrismaBetterSqlite3 {
  override async connect(): ReturnType<PrismaBetterSqlite3['connect']> {
    const adapter = await super.connect();
    await adapter.executeScript(SQLITE_PRAGMAS.join(';\n') + ';');
    // The adapter keeps its better-sqlite3 handle as `client` (not in its types): compiled statements reused per SQL.
    cachePreparedStatements((adapter as unknown as { client: BetterSqlite3.Database }).client);
    return adapter;
  }
}

export function createDb(url: string = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL): Db {
  if (providerOf(url) === 'sqlite') {
    return new PrismaClient({ adapter: new PragmaBetterSqlite3({ url }) });
  }
  // Same models, same generated API: only the provider differs.
  return new PgPrismaClient({ adapter: new PrismaPg(pgPoolConfig(url)) }) as unknown as Db;
}
