/**
 * `npm run audit:verify [-- --seal [--actor <userId>]] [--json]`: verifies the audit trail's hash chains of the
 * database `npm start` uses (DATABASE_URL, else DATA_DIR/zhenggai.db) and exits 0 when every link holds, 1 naming the
 * first broken link (record id, chainSeq, which check), 2 when it cannot run. Read-only, except `--seal`: an admin
 * operation, once per database, that appends the record sealing the legacy prefix (records written before the chain
 * existed), after which an edit of a legacy record shows too (docs/audit.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sealLegacyAudit } from '../activities/audit';
import { verifyAuditChain, type TAuditVerification } from '../db/auditChain';
import { createDb, providerOf, redactUrl } from '../db/client';

function databaseUrl(env: NodeJS.ProcessEnv): string {
  return env.DATABASE_URL || `file:${path.join(path.resolve(env.DATA_DIR || 'data'), 'zhenggai.db')}`;
}

function describe(result: TAuditVerification): string {
  const legacy =
    result.unchained === 0
      ? 'no legacy records'
      : `${result.unchained} legacy record(s) before the chain, ${result.sealed ? 'sealed' : 'NOT sealed (npm run audit:verify -- --seal, once)'}`;
  if (result.ok) return `[audit] ok: ${result.checked} chained record(s) verified; ${legacy}`;
  const b = result.firstBroken!;
  return (
    `[audit] BROKEN at record ${b.id ?? '(none)'} (chainSeq ${b.chainSeq ?? '-'}), check ${b.check}: ${b.message}\n` +
    `[audit] ${result.checked} record(s) verified before it; ${legacy}`
  );
}

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      seal: { type: 'boolean', default: false },
      actor: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const url = databaseUrl(process.env);
  if (providerOf(url) === 'sqlite') {
    const file = url.slice('file:'.length).split('?')[0] ?? '';
    // Opening a missing file would create an empty database and report it as intact.
    if (!fs.existsSync(file)) {
      console.error(`[audit] no database at ${file} (set DATABASE_URL or DATA_DIR)`);
      return 2;
    }
  }
  const db = createDb(url);
  try {
    if (args.seal) {
      const sealed = await sealLegacyAudit(db, { actorId: args.actor ?? null });
      console.log(
        sealed.sealed
          ? `[audit] sealed ${sealed.count} legacy record(s) in ${redactUrl(url)}`
          : `[audit] not sealed: ${sealed.reason}`,
      );
      if (!sealed.sealed && sealed.reason !== 'already sealed') return 1;
    }
    const result = await verifyAuditChain(db);
    console.log(args.json ? JSON.stringify(result) : describe(result));
    return result.ok ? 0 : 1;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[audit] failed:', error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
