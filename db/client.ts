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

export type Db = PrismaClient;
export type { Prisma } from '../prisma/generated/sqlite/client';

export const DEFAULT_DATABASE_URL = `file:${path.join('data', 'zhenggai.db')}`;

export { pgPoolConfig, providerOf, redactUrl, type TDatabaseProvider } from './provider';

export function createDb(url: string = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL): Db {
  if (providerOf(url) === 'sqlite') {
    return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url }) });
  }
  // Same models, same generated API: only the provider differs.
  return new PgPrismaClient({ adapter: new PrismaPg(pgPoolConfig(url)) }) as unknown as Db;
}
