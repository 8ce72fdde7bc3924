/**
 * The prepared-statement cache on the SQLite connection (db/statementCache.ts): one compiled statement per SQL text,
 * each call with its own arguments, least recently used dropped beyond the bound; and through Prisma the same answers,
 * errors and transactions as without it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createDb } from '../../db/client';
import { migrateDeploy } from '../../db/migrate';
import { cachePreparedStatements } from '../../db/statementCache';

type TPrepared = {
  reader: boolean;
  run(): unknown;
  bind(args: unknown[]): {
    reader: boolean;
    run(): unknown;
    columns(): { name: string }[];
    raw(): { all(): unknown[] };
  };
};

describe('cachePreparedStatements (better-sqlite3)', () => {
  let db: Database.Database;
  let compiled: string[];
  const prepare = (sql: string) => (db.prepare as unknown as (s: string) => TPrepared)(sql);

  beforeEach(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)');
    compiled = [];
    const real = db.prepare.bind(db);
    (db as unknown as { prepare: (sql: string) => Database.Statement }).prepare = (sql) => {
      compiled.push(sql);
      return real(sql);
    };
  });
  afterEach(() => db.close());

  it('compiles a SQL text once and runs it with each call’s own arguments', () => {
    cachePreparedStatements(db);
    const insert = 'INSERT INTO t (name) VALUES (?)';
    for (const name of ['甲', '乙', '丙']) prepare(insert).bind([name]).run();
    const select = 'SELECT id, name FROM t WHERE name <> ? ORDER BY id';
    const first = prepare(select).bind(['乙']);
    expect(first.reader).toBe(true);
    expect(first.columns().map((c) => c.name)).toEqual(['id', 'name']);
    expect(first.raw().all()).toEqual([
      [1, '甲'],
      [3, '丙'],
    ]);
    expect(prepare(select).bind(['甲']).raw().all()).toEqual([
      [2, '乙'],
      [3, '丙'],
    ]);
    // A view made earlier keeps its own arguments.
    expect(first.raw().all()).toHaveLength(2);
    expect(compiled).toEqual([insert, select]);
    // Unbound use, as the adapter's BEGIN.
    prepare('BEGIN').run();
    prepare('COMMIT').run();
  });

  it('keeps at most `size` statements, dropping the least recently used', () => {
    const cache = cachePreparedStatements(db, 2);
    prepare('SELECT 1').bind([]).raw().all();
    prepare('SELECT 2').bind([]).raw().all();
    prepare('SELECT 1').bind([]).raw().all(); // now the most recent
    prepare('SELECT 3').bind([]).raw().all(); // drops SELECT 2
    expect([...cache.keys()]).toEqual(['SELECT 1', 'SELECT 3']);
    prepare('SELECT 2').bind([]).raw().all();
    expect(compiled).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 2']);
  });

  it('throws at the call when the arguments do not fit, and the statement stays usable', () => {
    cachePreparedStatements(db);
    const insert = 'INSERT INTO t (name) VALUES (?)';
    expect(() => prepare(insert).bind(['a', 'b']).run()).toThrow(/Too many parameter values/);
    prepare(insert).bind(['a']).run();
    expect(() => prepare(insert).bind(['a']).run()).toThrow(/UNIQUE/);
    prepare(insert).bind(['b']).run();
    expect(prepare('SELECT count(*) FROM t').bind([]).raw().all()).toEqual([[2]]);
  });
});

const describeSqlite = (process.env.TEST_DATABASE_PROVIDER ?? 'sqlite') === 'sqlite' ? describe : describe.skip;

describeSqlite('Prisma on the cached connection', () => {
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-stmt-'));
    url = `file:${path.join(dir, 'test.db')}`;
    await migrateDeploy(url);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers, refuses and rolls back as before', async () => {
    const db = createDb(url);
    try {
      const province = await db.unit.create({ data: { name: '省', level: 'province' } });
      for (let i = 0; i < 5; i++)
        await db.unit.create({ data: { name: `市${i}`, level: 'city', parentId: province.id } });
      expect(await db.unit.count({ where: { parentId: province.id } })).toBe(5);
      expect(
        (await db.unit.findMany({ where: { level: 'city' }, orderBy: { name: 'asc' }, take: 2 })).map((u) => u.name),
      ).toEqual(['市0', '市1']);
      // A rolled-back transaction leaves nothing; the same statements serve the next one.
      await expect(
        db.$transaction(async (tx) => {
          await tx.unit.create({ data: { name: '县', level: 'county', parentId: province.id } });
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(await db.unit.count({ where: { level: 'county' } })).toBe(0);
      await db.$transaction(async (tx) => {
        await tx.unit.create({ data: { name: '县', level: 'county', parentId: province.id } });
      });
      expect(await db.unit.count({ where: { level: 'county' } })).toBe(1);
      // Raw statements with arguments of several types.
      const rows = await db.$queryRawUnsafe<{ n: bigint }[]>(
        'SELECT count(*) AS n FROM Unit WHERE level = ? AND name <> ?',
        'city',
        '市0',
      );
      expect(Number(rows[0]!.n)).toBe(4);
    } finally {
      await db.$disconnect();
    }
  });
});
