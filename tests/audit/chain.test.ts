/**
 * The tamper-evident audit trail on both providers (SQLite; PostgreSQL on TEST_POSTGRES_URL's server, else PGlite):
 * an untouched trail verifies; any single edit, delete, reorder or forged insert made by someone with direct access
 * to the database (triggers removed first) is named at its first broken link; the triggers refuse UPDATE and DELETE;
 * 50 concurrent appends make one unbroken chain; the legacy prefix is counted and, once sealed, covered.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { appendAudit, sealLegacyAudit } from '../../activities/audit';
import { auditHash, verifyAuditChain, type TAuditCheck } from '../../db/auditChain';
import { createDb, type Db } from '../../db/client';
import { createPostgresTestDb, createTestDb, stopTestServers, type TTestDb } from '../helpers/db';
import { appendMany, attackerOf, lit, recordOf, writeLegacy } from './tamper';

// PGlite boots a whole Postgres in wasm; SQLite runs in seconds.
jest.setTimeout(300_000);

afterAll(stopTestServers);

/** Runs SQL on a SQLite file from a process of its own; rejects with SQLite's message when it fails. */
function otherProcess(file: string): { run(sql: string): Promise<void> } {
  const script =
    "const D = require('better-sqlite3'); const d = new D(process.argv[1]);" +
    "try { d.exec(process.argv[2]); process.stdout.write('OK'); } catch (e) { process.stdout.write(String(e.message)); }";
  return {
    async run(sql) {
      const out = spawnSync(process.execPath, ['-e', script, file, sql], {
        encoding: 'utf8',
        cwd: path.resolve(__dirname, '../..'),
      });
      if (out.stdout !== 'OK') throw new Error(out.stdout || out.stderr);
    },
  };
}

async function rowAt(db: Db, chainSeq: number) {
  return db.auditEvent.findUniqueOrThrow({ where: { chainSeq } });
}

async function expectBroken(db: Db, at: { id?: string; chainSeq: number | null; check: TAuditCheck }): Promise<void> {
  const result = await verifyAuditChain(db);
  expect(result.ok).toBe(false);
  expect(result.firstBroken).toMatchObject(at);
}

const providers: [string, () => Promise<TTestDb>][] = [
  ['SQLite', createTestDb],
  ['PostgreSQL', createPostgresTestDb],
];

describe.each(providers)('audit chain on %s', (_name, create) => {
  let t: TTestDb;
  beforeEach(async () => {
    t = await create();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('When records are appended, then they chain 1, 2, 3… globally and per task, and the untouched trail verifies', async () => {
    await appendMany(t.db, 12);
    const rows = await t.db.auditEvent.findMany({ orderBy: { chainSeq: 'asc' } });
    expect(rows.map((r) => r.chainSeq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const [i, row] of rows.entries()) {
      if (i > 0) expect(row.prevHash).toBe(rows[i - 1]!.hash);
      const before = rows.slice(0, i).filter((r) => row.taskId !== null && r.taskId === row.taskId);
      expect(row.taskPrevHash).toBe(row.taskId ? (before[before.length - 1]?.hash ?? null) : null);
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, checked: 12, unchained: 0, sealed: false });
    const heads = await t.db.auditChainHead.findMany({ orderBy: { key: 'asc' } });
    expect(heads.map((h) => [h.key, h.seq])).toEqual([
      ['global', 12],
      ['task:task-a', 12],
      ['task:task-b', 10],
      ['task:task-c', 11],
    ]);
  });

  it('When the hashed text is recomputed from the stored row, then it equals the stored hash (the content is canonical)', async () => {
    await appendMany(t.db, 3);
    const row = await rowAt(t.db, 2);
    const content = {
      ...row,
      at: row.at.toISOString(),
      chainSeq: 2,
    };
    expect(auditHash(content, { prevHash: row.prevHash, taskPrevHash: row.taskPrevHash })).toBe(row.hash);
    // Key order and an undefined member do not change it; a changed value does.
    const reordered = {
      ...content,
      detail: {
        nested: { a: 'x', z: [1, 2, { a: null, b: true }] },
        text: (row.detail as { text: string }).text,
        i: 2,
        gone: undefined,
      },
    };
    expect(auditHash(reordered, { prevHash: row.prevHash, taskPrevHash: row.taskPrevHash })).toBe(row.hash);
    expect(
      auditHash({ ...content, actorRole: 'leader' }, { prevHash: row.prevHash, taskPrevHash: row.taskPrevHash }),
    ).not.toBe(row.hash);
  });

  it('When the triggers are in place, then UPDATE and DELETE of an audit record are refused and the record stays', async () => {
    await appendMany(t.db, 2);
    const row = await rowAt(t.db, 1);
    // Through the application's client (Prisma reports SQLite's RAISE as a constraint error, without its text)…
    await expect(t.db.auditEvent.update({ where: { id: row.id }, data: { action: 'Forged' } })).rejects.toThrow();
    await expect(t.db.auditEvent.delete({ where: { id: row.id } })).rejects.toThrow();
    await expect(t.db.auditEvent.deleteMany({})).rejects.toThrow();
    // …and through a connection of its own, which sees the trigger's message.
    // On SQLite from another process, as an attacker would connect (in this Jest process, after some other test files,
    // a raw connection's UPDATE went through although the triggers were listed in sqlite_master: not understood yet).
    const raw = t.url.startsWith('file:')
      ? otherProcess(t.url.slice('file:'.length))
      : attackerOf(t, { keepTriggers: true });
    await expect(raw.run(`UPDATE "AuditEvent" SET "hash" = NULL`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(raw.run(`DELETE FROM "AuditEvent" WHERE "id" = ${lit(row.id)}`)).rejects.toThrow(
      /append-only: DELETE refused/,
    );
    expect(await rowAt(t.db, 1)).toEqual(row);
    expect(await t.db.auditEvent.count()).toBe(2);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  describe('When someone with database access alters one thing, then verification names the first broken link', () => {
    beforeEach(async () => {
      await appendMany(t.db, 12);
    });

    it('edit: a column of record 5', async () => {
      const row = await rowAt(t.db, 5);
      await attackerOf(t).run(`UPDATE "AuditEvent" SET "actorId" = 'someone-else' WHERE "id" = ${lit(row.id)}`);
      await expectBroken(t.db, { id: row.id, chainSeq: 5, check: 'hash' });
    });

    it("edit: record 7's detail", async () => {
      const row = await rowAt(t.db, 7);
      const forged = JSON.stringify({ ...(row.detail as object), text: '已全部整改到位' });
      await attackerOf(t).run(`UPDATE "AuditEvent" SET "detail" = ${lit(forged)} WHERE "id" = ${lit(row.id)}`);
      await expectBroken(t.db, { id: row.id, chainSeq: 7, check: 'hash' });
    });

    it("edit: record 3's hash recomputed by the attacker for the new content", async () => {
      const row = await rowAt(t.db, 3);
      const content = { ...row, at: row.at.toISOString(), chainSeq: 3, toStatus: 'CLOSED' };
      const forgedHash = auditHash(content, { prevHash: row.prevHash, taskPrevHash: row.taskPrevHash });
      await attackerOf(t).run(
        `UPDATE "AuditEvent" SET "toStatus" = 'CLOSED', "hash" = ${lit(forgedHash)} WHERE "id" = ${lit(row.id)}`,
      );
      const next = await rowAt(t.db, 4);
      await expectBroken(t.db, { id: next.id, chainSeq: 4, check: 'prevHash' });
    });

    it('delete: record 6 from the middle', async () => {
      const row = await rowAt(t.db, 6);
      const next = await rowAt(t.db, 7);
      await attackerOf(t).run(`DELETE FROM "AuditEvent" WHERE "id" = ${lit(row.id)}`);
      await expectBroken(t.db, { id: next.id, chainSeq: 7, check: 'sequence' });
    });

    it('delete: the last record', async () => {
      const last = await rowAt(t.db, 12);
      const before = await rowAt(t.db, 11);
      await attackerOf(t).run(`DELETE FROM "AuditEvent" WHERE "id" = ${lit(last.id)}`);
      await expectBroken(t.db, { id: before.id, chainSeq: 11, check: 'globalHead' });
    });

    it("delete: a task's whole chain shows in the global chain", async () => {
      // Every record of task-b removed (recordOf: records 1, 7, 10): the first gap is right after record 1's place.
      const first = await t.db.auditEvent.findFirstOrThrow({
        where: { taskId: 'task-b' },
        orderBy: { chainSeq: 'asc' },
      });
      const after = await rowAt(t.db, first.chainSeq! + 1);
      await attackerOf(t).run(`DELETE FROM "AuditEvent" WHERE "taskId" = 'task-b'`);
      await expectBroken(t.db, { id: after.id, chainSeq: after.chainSeq, check: 'sequence' });
    });

    it('reorder: records 3 and 4 swap positions', async () => {
      const third = await rowAt(t.db, 3);
      const fourth = await rowAt(t.db, 4);
      await attackerOf(t).run(
        `UPDATE "AuditEvent" SET "chainSeq" = -1 WHERE "id" = ${lit(third.id)}`,
        `UPDATE "AuditEvent" SET "chainSeq" = 3 WHERE "id" = ${lit(fourth.id)}`,
        `UPDATE "AuditEvent" SET "chainSeq" = 4 WHERE "id" = ${lit(third.id)}`,
      );
      await expectBroken(t.db, { id: fourth.id, chainSeq: 3, check: 'prevHash' });
    });

    it('reorder: records 8 and 9 swap their content, the chain columns left in place', async () => {
      const eighth = await rowAt(t.db, 8);
      const ninth = await rowAt(t.db, 9);
      const set = (row: typeof eighth) =>
        `"action" = ${lit(row.action)}, "actorId" = ${lit(row.actorId!)}, "detail" = ${lit(JSON.stringify(row.detail))}`;
      await attackerOf(t).run(
        `UPDATE "AuditEvent" SET ${set(ninth)} WHERE "id" = ${lit(eighth.id)}`,
        `UPDATE "AuditEvent" SET ${set(eighth)} WHERE "id" = ${lit(ninth.id)}`,
      );
      await expectBroken(t.db, { id: eighth.id, chainSeq: 8, check: 'hash' });
    });

    it('insert: a forged record without chain columns (looks like a legacy one)', async () => {
      const first = await rowAt(t.db, 1);
      await attackerOf(t).run(
        `INSERT INTO "AuditEvent" ("id", "idempotencyKey", "action", "at") VALUES ('forged-1', 'forged-1', 'TaskClosed', ${
          t.url.startsWith('file:') ? String(Date.UTC(2026, 0, 1)) : "'2026-01-01 00:00:00'"
        })`,
      );
      await expectBroken(t.db, { id: first.id, chainSeq: 1, check: 'genesis' });
    });

    it('insert: a forged record at the end of the chain with a correctly computed hash', async () => {
      const last = await rowAt(t.db, 12);
      const at = new Date(Date.UTC(2026, 0, 2));
      const content = {
        id: 'forged-2',
        idempotencyKey: 'forged-2',
        taskId: null,
        campaignId: null,
        actorId: null,
        actorRole: null,
        onBehalfOfId: null,
        action: 'CampaignCreated',
        fromStatus: null,
        toStatus: null,
        detail: null,
        at: at.toISOString(),
        chainSeq: 13,
      };
      const hash = auditHash(content, { prevHash: last.hash, taskPrevHash: null });
      // Inserted through the application's own client: the trigger does not stop inserts.
      await t.db.auditEvent.create({ data: { ...content, detail: undefined, at, hash, prevHash: last.hash } });
      await expectBroken(t.db, { id: 'forged-2', chainSeq: 13, check: 'globalHead' });
    });

    it('insert: a forged record in the middle, the later records renumbered to make room', async () => {
      const fifth = await rowAt(t.db, 5);
      await attackerOf(t).run(
        `UPDATE "AuditEvent" SET "chainSeq" = "chainSeq" + 100 WHERE "chainSeq" > 5`,
        `UPDATE "AuditEvent" SET "chainSeq" = "chainSeq" - 99 WHERE "chainSeq" > 100`,
        `INSERT INTO "AuditEvent" ("id", "idempotencyKey", "action", "at", "chainSeq", "hash", "prevHash") VALUES ('forged-3', 'forged-3', 'TaskClosed', ${
          t.url.startsWith('file:') ? String(Date.UTC(2026, 0, 1)) : "'2026-01-01 00:00:00'"
        }, 6, ${lit('0'.repeat(64))}, ${lit(fifth.hash!)})`,
      );
      await expectBroken(t.db, { id: 'forged-3', chainSeq: 6, check: 'hash' });
    });

    it('head: the global head moved back to hide the last records', async () => {
      const tenth = await rowAt(t.db, 10);
      await attackerOf(t).run(
        `UPDATE "AuditChainHead" SET "seq" = 10, "hash" = ${lit(tenth.hash!)} WHERE "key" = 'global'`,
      );
      const last = await rowAt(t.db, 12);
      await expectBroken(t.db, { id: last.id, chainSeq: 12, check: 'globalHead' });
    });
  });

  it('When 50 appends run at once, then they form one unbroken chain', async () => {
    // PostgreSQL: a second client (its own pool) beside the first, so appends really race for the head's row lock.
    // SQLite: one client per process (better-sqlite3 waits for a lock synchronously, which would stall the event
    // loop of the very process holding it); its adapter serialises the transactions, other processes take turns on
    // the database's write lock.
    const second = t.url.startsWith('file:') ? t.db : createDb(t.url);
    try {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          // 50 at once is more than a pool's 10 connections: the last ones wait for a connection while the appends
          // ahead take turns on the head's lock, longer than Prisma's default 2 s on a loaded machine. The test is
          // about the chain, so they may wait.
          (i % 2 === 0 ? t.db : second).$transaction((tx) => appendAudit(tx, recordOf(i + 1)), {
            maxWait: 60_000,
            timeout: 60_000,
          }),
        ),
      );
    } finally {
      if (second !== t.db) await second.$disconnect();
    }
    const seqs = (await t.db.auditEvent.findMany({ select: { chainSeq: true }, orderBy: { chainSeq: 'asc' } })).map(
      (r) => r.chainSeq,
    );
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, checked: 50, unchained: 0, sealed: false });
  });

  it('When a transaction that appended rolls back, then neither the record nor the heads move', async () => {
    await appendMany(t.db, 2);
    await expect(
      t.db.$transaction(async (tx) => {
        await appendAudit(tx, recordOf(3));
        throw new Error('the change the record describes failed');
      }),
    ).rejects.toThrow('failed');
    await appendMany(t.db, 1, 4);
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, checked: 3, unchained: 0, sealed: false });
  });

  describe('legacy records (written before the chain)', () => {
    beforeEach(async () => {
      for (const i of [1, 2, 3]) await writeLegacy(t.db, i);
      await appendMany(t.db, 5, 10);
    });

    it('are counted as unchained, and the trail verifies', async () => {
      expect(await verifyAuditChain(t.db)).toEqual({ ok: true, checked: 5, unchained: 3, sealed: false });
    });

    it('added after the chain began: the genesis count no longer matches', async () => {
      await writeLegacy(t.db, 4);
      const first = await rowAt(t.db, 1);
      await expectBroken(t.db, { id: first.id, chainSeq: 1, check: 'genesis' });
    });

    it('sealed once: the seal is a chained record, a second seal is refused, and an edited legacy record then shows', async () => {
      expect(await sealLegacyAudit(t.db, { actorId: 'admin-1' })).toEqual({ sealed: true, count: 3 });
      expect(await sealLegacyAudit(t.db)).toEqual({ sealed: false, count: 3, reason: 'already sealed' });
      expect(await verifyAuditChain(t.db)).toEqual({ ok: true, checked: 6, unchained: 3, sealed: true });
      const seal = await rowAt(t.db, 6);
      expect(seal).toMatchObject({ action: 'AuditLegacySealed', actorId: 'admin-1', detail: { count: 3 } });
      await attackerOf(t).run(`UPDATE "AuditEvent" SET "action" = 'Forged' WHERE "idempotencyKey" = 'legacy:2'`);
      await expectBroken(t.db, { id: seal.id, chainSeq: 6, check: 'legacySeal' });
    });
  });
});
