/**
 * `npm run audit:verify` (scripts/audit-verify.ts) as an operator runs it, on a SQLite database found through
 * DATABASE_URL or DATA_DIR like `npm start`: exit 0 on an untouched trail, 1 naming the first broken link, 2 when
 * there is no database; `--seal` seals the legacy prefix once. (PostgreSQL too with TEST_DATABASE_PROVIDER=postgres.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDb, stopTestServers, testProvider, type TTestDb } from '../helpers/db';
import { appendMany, attackerOf, lit, writeLegacy } from './tamper';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
// DATA_DIR names a SQLite file; with TEST_DATABASE_PROVIDER=postgres the rest runs against PostgreSQL.
const sqliteOnly = testProvider() === 'sqlite' ? it : it.skip;

afterAll(stopTestServers);

function verify(env: Record<string, string>, ...args: string[]): { code: number | null; out: string } {
  const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/audit-verify.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

describe('npm run audit:verify', () => {
  let t: TTestDb;
  beforeEach(async () => {
    t = await createTestDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('When the trail is untouched, then it exits 0; after one edit, 1 naming the record, its chainSeq and the check', async () => {
    await appendMany(t.db, 6);
    const ok = verify({ DATABASE_URL: t.url });
    expect(ok).toEqual({ code: 0, out: '[audit] ok: 6 chained record(s) verified; no legacy records\n' });

    const json = verify({ DATABASE_URL: t.url }, '--json');
    expect(JSON.parse(json.out)).toEqual({ ok: true, checked: 6, unchained: 0, sealed: false });

    const fourth = await t.db.auditEvent.findUniqueOrThrow({ where: { chainSeq: 4 } });
    await attackerOf(t).run(`UPDATE "AuditEvent" SET "toStatus" = 'CLOSED' WHERE "id" = ${lit(fourth.id)}`);
    const broken = verify({ DATABASE_URL: t.url });
    expect(broken.code).toBe(1);
    expect(broken.out).toContain(`BROKEN at record ${fourth.id} (chainSeq 4), check hash`);
    expect(broken.out).toContain('3 record(s) verified before it');
  });

  sqliteOnly(
    'When DATA_DIR is given instead, then it verifies DATA_DIR/zhenggai.db; a missing database exits 2',
    async () => {
      await appendMany(t.db, 2);
      const file = t.url.slice('file:'.length);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-audit-cli-'));
      try {
        fs.copyFileSync(file, path.join(dir, 'zhenggai.db'));
        for (const suffix of ['-wal', '-shm']) {
          if (fs.existsSync(file + suffix)) fs.copyFileSync(file + suffix, path.join(dir, `zhenggai.db${suffix}`));
        }
        expect(verify({ DATA_DIR: dir }).code).toBe(0);
        const missing = verify({ DATA_DIR: path.join(dir, 'nothing-here') });
        expect(missing.code).toBe(2);
        expect(missing.out).toContain('no database at');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('When legacy records exist, then it says they are not sealed; --seal seals them once and later edits show', async () => {
    await writeLegacy(t.db, 1);
    await writeLegacy(t.db, 2);
    await appendMany(t.db, 3);
    const before = verify({ DATABASE_URL: t.url });
    expect(before.code).toBe(0);
    expect(before.out).toContain('2 legacy record(s) before the chain, NOT sealed');
    const sealed = verify({ DATABASE_URL: t.url }, '--seal', '--actor', 'admin-user');
    expect(sealed.code).toBe(0);
    expect(sealed.out).toContain('[audit] sealed 2 legacy record(s)');
    expect(sealed.out).toContain(
      '[audit] ok: 4 chained record(s) verified; 2 legacy record(s) before the chain, sealed',
    );
    const again = verify({ DATABASE_URL: t.url }, '--seal');
    expect(again.code).toBe(0);
    expect(again.out).toContain('not sealed: already sealed');
    await attackerOf(t).run(`UPDATE "AuditEvent" SET "actorId" = 'nobody' WHERE "idempotencyKey" = 'legacy:1'`);
    const broken = verify({ DATABASE_URL: t.url });
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('(chainSeq 4), check legacySeal');
  });
});
