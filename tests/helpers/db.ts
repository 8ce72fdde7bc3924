/**
 * A fresh, migrated database per call. SQLite by default (a temporary file); with TEST_DATABASE_PROVIDER=postgres a
 * fresh PostgreSQL database on TEST_POSTGRES_URL's server, or, when that is unset, an in-process PGlite.
 */
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDb, pgPoolConfig, type Db } from '../../db/client';
import { migrateDeploy, migrationsDir } from '../../db/migrate';
import { startPglite } from '../../db/pglite';

export type TTestDb = { db: Db; url: string; cleanup(): Promise<void> };

export type TTestProvider = 'sqlite' | 'postgres';

export function testProvider(): TTestProvider {
  const p = process.env.TEST_DATABASE_PROVIDER ?? 'sqlite';
  if (p === 'sqlite') return 'sqlite';
  if (p === 'postgres' || p === 'postgresql') return 'postgres';
  throw new Error(`TEST_DATABASE_PROVIDER must be sqlite or postgres, not ${p}`);
}

function migrationsHash(): string {
  const dir = migrationsDir('sqlite');
  const h = crypto.createHash('sha256');
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name, 'migration.sql');
    if (fs.existsSync(file)) h.update(name).update(fs.readFileSync(file));
  }
  return h.digest('hex').slice(0, 16);
}

let template: Promise<string> | undefined;

/**
 * Migrating costs about a second (the schema engine is a 5 MB wasm module), so each test process migrates one
 * template file and every test database is a copy of it.
 */
function sqliteTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-template-'));
    const file = path.join(dir, `template-${migrationsHash()}.db`);
    await migrateDeploy(`file:${file}`);
    // Every change into the main file before it is copied: a copy of the file alone would miss what still sits in
    // its write-ahead log (a CI run once got copies without the last migration's triggers).
    const sqlite = new Database(file);
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    sqlite.pragma('journal_mode = DELETE');
    sqlite.close();
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    return file;
  })();
  return template;
}

async function createSqliteTestDb(): Promise<TTestDb> {
  const source = await sqliteTemplate();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-test-'));
  const file = path.join(dir, 'test.db');
  fs.copyFileSync(source, file);
  const url = `file:${file}`;
  const db = createDb(url);
  return {
    db,
    url,
    async cleanup() {
      await db.$disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Drops a test database. FORCE ends the sessions still connected to it, but a non-superuser may not end another
 * role's (an autovacuum worker that just started on it, say): retried briefly, then left for the throwaway cluster
 * to take with it, since a leftover test database is no test failure.
 */
async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      return;
    } catch (error) {
      if (attempt >= 5) {
        console.warn(`test database ${name} not dropped: ${(error as Error).message}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

type TPgliteLease = { url: string; busy: boolean; stop(): Promise<void> };
const pgliteServers: TPgliteLease[] = [];

/**
 * PGlite boots a whole Postgres (initdb) per instance: tens of seconds on a loaded 2-core machine. So each test
 * process keeps its instances and hands an idle one out again, emptied (every table truncated, migrations kept).
 */
async function leasePglite(): Promise<TPgliteLease> {
  const idle = pgliteServers.find((s) => !s.busy);
  if (idle) {
    idle.busy = true;
    await truncateAll(idle.url);
    return idle;
  }
  const server = await startPglite();
  const lease = { url: server.url, busy: true, stop: () => server.stop() };
  pgliteServers.push(lease);
  await migrateDeploy(server.url);
  return lease;
}

/** Stops this process's PGlite servers (call from afterAll; the servers also stop when the process exits). */
export async function stopTestServers(): Promise<void> {
  const servers = pgliteServers.splice(0);
  await Promise.all(servers.map((s) => s.stop()));
}

async function truncateAll(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgPoolConfig(url).connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'",
    );
    if (rows.length) await client.query(`TRUNCATE ${rows.map((r) => `"${r.name}"`).join(', ')} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated PostgreSQL database: on TEST_POSTGRES_URL's server when set, else on an in-process PGlite. */
export async function createPostgresTestDb(): Promise<TTestDb> {
  const serverUrl = process.env.TEST_POSTGRES_URL;
  if (!serverUrl) {
    const lease = await leasePglite();
    const db = createDb(lease.url);
    return {
      db,
      url: lease.url,
      async cleanup() {
        await db.$disconnect();
        lease.busy = false;
      },
    };
  }
  const name = `zhenggai_test_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
  const url = withDatabase(serverUrl, name);
  const drop = () => dropDatabase(serverUrl, name);
  try {
    await migrateDeploy(url);
  } catch (error) {
    await drop();
    throw error;
  }
  const db = createDb(url);
  return {
    db,
    url,
    async cleanup() {
      await db.$disconnect();
      await drop();
    },
  };
}

export async function createTestDb(): Promise<TTestDb> {
  return testProvider() === 'postgres' ? createPostgresTestDb() : createSqliteTestDb();
}
