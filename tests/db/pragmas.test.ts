/**
 * SQLite runs in WAL mode with full durability on every connection createDb opens (db/client.ts), including after a
 * reconnect, and the pragmas hold across a transaction (which the adapter runs on the same handle).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, SQLITE_BUSY_TIMEOUT_MS, type Db } from '../../db/client';
import { migrateDeploy } from '../../db/migrate';

type TRow = Record<string, unknown>;

async function pragma(db: Db, name: string): Promise<unknown> {
  const rows = await db.$queryRawUnsafe<TRow[]>(`PRAGMA ${name}`);
  const first = rows[0];
  if (!first) throw new Error(`PRAGMA ${name} answered nothing`);
  const value = Object.values(first)[0];
  return typeof value === 'bigint' ? Number(value) : value;
}

const describeSqlite = (process.env.TEST_DATABASE_PROVIDER ?? 'sqlite') === 'sqlite' ? describe : describe.skip;

describeSqlite('SQLite pragmas', () => {
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-pragmas-'));
    url = `file:${path.join(dir, 'test.db')}`;
    await migrateDeploy(url);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens in WAL mode with synchronous=FULL and a busy timeout', async () => {
    const db = createDb(url);
    try {
      expect(await pragma(db, 'journal_mode')).toBe('wal');
      expect(await pragma(db, 'synchronous')).toBe(2); // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
      expect(await pragma(db, 'busy_timeout')).toBe(SQLITE_BUSY_TIMEOUT_MS);
      // The WAL file exists beside the database once something was written.
      await db.unit.create({ data: { name: '省', level: 'province' } });
      expect(fs.existsSync(path.join(dir, 'test.db-wal'))).toBe(true);
    } finally {
      await db.$disconnect();
    }
  });

  it('holds inside a transaction and after a reconnect', async () => {
    const db = createDb(url);
    try {
      const inTx = await db.$transaction(async (tx) => pragma(tx as unknown as Db, 'synchronous'));
      expect(inTx).toBe(2);
      await db.$disconnect();
      await db.$connect();
      expect(await pragma(db, 'synchronous')).toBe(2);
      expect(await pragma(db, 'journal_mode')).toBe('wal');
    } finally {
      await db.$disconnect();
    }
  });

  it('a connection opened without createDb falls back to the default synchronous (the test can fail)', async () => {
    // better-sqlite3 directly: journal_mode is persistent in the file (still wal), synchronous is per connection.
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(url.replace(/^file:/, ''));
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('synchronous', { simple: true })).not.toBe(2);
    } finally {
      raw.close();
    }
  });
});
