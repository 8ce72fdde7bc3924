/**
 * The audit chain's hashing and its verification (docs/audit.md). Every record written through `appendAudit`
 * (activities/audit.ts) carries `hash` = SHA-256 of its canonical text (domain/audit/canonical.ts), which includes
 * `prevHash` (the previous record's hash in the global chain, `chainSeq` 1, 2, 3…) and `taskPrevHash` (the previous
 * record of the same task). Records without a `chainSeq` are the legacy prefix, written before the chain existed.
 *
 * `verifyAuditChain` walks the whole table in pages (bounded memory beside one hash per task) and stops at the first
 * broken link, naming the record, its position and the check that failed.
 */
import { createHash } from 'node:crypto';
import {
  canonicalAuditText,
  genesisText,
  legacyLineText,
  type TAuditContent,
  type TAuditLinks,
} from '../domain/audit/canonical';
import type { Db } from './client';

export const GLOBAL_HEAD = 'global';
export const taskHeadKey = (taskId: string): string => `task:${taskId}`;

/** The action of the one record that seals the legacy prefix (`npm run audit:verify -- --seal`). */
export const AUDIT_SEAL_ACTION = 'AuditLegacySealed';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function auditHash(content: TAuditContent, links: TAuditLinks): string {
  return sha256Hex(canonicalAuditText(content, links));
}

/** The first record's `prevHash`: binds the number of legacy records there were when the chain began. */
export function genesisHash(legacyCount: number): string {
  return sha256Hex(genesisText(legacyCount));
}

/** Any client able to read: the Db itself or an interactive transaction's client. */
export type TAuditReader = Pick<Db, 'auditEvent' | '$queryRaw'>;

type TAuditRow = {
  id: string;
  idempotencyKey: string;
  taskId: string | null;
  campaignId: string | null;
  actorId: string | null;
  actorRole: string | null;
  onBehalfOfId: string | null;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  detail: unknown;
  at: Date;
  chainSeq: number | null;
  hash: string | null;
  prevHash: string | null;
  taskPrevHash: string | null;
};

function contentOf(row: TAuditRow & { chainSeq: number }): TAuditContent {
  return {
    id: row.id,
    idempotencyKey: row.idempotencyKey,
    taskId: row.taskId,
    campaignId: row.campaignId,
    actorId: row.actorId,
    actorRole: row.actorRole,
    onBehalfOfId: row.onBehalfOfId,
    action: row.action,
    fromStatus: row.fromStatus,
    toStatus: row.toStatus,
    detail: row.detail,
    at: row.at.toISOString(),
    chainSeq: row.chainSeq,
  };
}

const PAGE = 1000;

/** The legacy prefix (records without `chainSeq`): how many, and the SHA-256 of their canonical lines in (at, id) order. */
export async function legacyDigest(db: TAuditReader): Promise<{ count: number; digest: string }> {
  const h = createHash('sha256');
  let count = 0;
  let cursor: string | undefined;
  for (;;) {
    const rows: TAuditRow[] = await db.auditEvent.findMany({
      where: { chainSeq: null },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
      take: PAGE,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    for (const row of rows) {
      const { chainSeq: _seq, ...content } = contentOf({ ...row, chainSeq: 1 });
      h.update(legacyLineText(content)).update('\n');
      count++;
    }
    if (rows.length < PAGE) break;
    cursor = rows[rows.length - 1]!.id;
  }
  return { count, digest: h.digest('hex') };
}

/** The checks, in the order they are made for each record. */
export type TAuditCheck =
  'sequence' | 'genesis' | 'prevHash' | 'taskPrevHash' | 'hash' | 'legacySeal' | 'globalHead' | 'taskHead';

export interface TAuditBreak {
  /** The record where the chain breaks (for a head check: the last record the head should name; null: none). */
  id: string | null;
  chainSeq: number | null;
  check: TAuditCheck;
  message: string;
}

export interface TAuditVerification {
  ok: boolean;
  /** Chained records checked (all of them when ok). */
  checked: number;
  /** Legacy records (written before the chain): not chained, covered by the genesis count and, once sealed, the seal. */
  unchained: number;
  /** Whether the legacy prefix was sealed (`npm run audit:verify -- --seal`). */
  sealed: boolean;
  firstBroken?: TAuditBreak;
}

type THead = { key: string; seq: number; hash: string };

async function readHeads(db: TAuditReader): Promise<Map<string, THead>> {
  const rows = await db.$queryRaw<{ key: string; seq: number | bigint; hash: string }[]>`
    SELECT "key", "seq", "hash" FROM "AuditChainHead"`;
  return new Map(rows.map((r) => [r.key, { key: r.key, seq: Number(r.seq), hash: r.hash }]));
}

/** Walks the legacy prefix, the global chain (with each task's chain inside it) and the heads. */
export async function verifyAuditChain(db: TAuditReader): Promise<TAuditVerification> {
  const legacy = await legacyDigest(db);
  let heads = new Map<string, THead>();
  let globalHead: THead | undefined;
  const result = (checked: number, sealed: boolean, broken?: TAuditBreak): TAuditVerification => ({
    ok: !broken,
    checked,
    unchained: legacy.count,
    sealed,
    ...(broken ? { firstBroken: broken } : {}),
  });

  const lastOfTask = new Map<string, { hash: string; id: string; seq: number }>();
  let previous: { hash: string; id: string; seq: number } | null = null;
  let sealed = false;
  let checked = 0;
  for (let after = 0, readThisRound = 0; ;) {
    const rows = (await db.auditEvent.findMany({
      where: { chainSeq: { gt: after } },
      orderBy: { chainSeq: 'asc' },
      take: PAGE,
    })) as (TAuditRow & { chainSeq: number })[];
    for (const row of rows) {
      const expected: number = (previous?.seq ?? 0) + 1;
      const at = { id: row.id, chainSeq: row.chainSeq };
      if (row.chainSeq !== expected) {
        return result(checked, sealed, {
          ...at,
          check: 'sequence',
          message: `expected chainSeq ${expected}, found ${row.chainSeq}: a record is missing before this one`,
        });
      }
      if (!previous) {
        if (row.prevHash !== genesisHash(legacy.count)) {
          return result(checked, sealed, {
            ...at,
            check: 'genesis',
            message: `the first record does not name the ${legacy.count} legacy record(s) now present: a legacy record was added or removed, or this record's prevHash was changed`,
          });
        }
      } else if (row.prevHash !== previous.hash) {
        return result(checked, sealed, {
          ...at,
          check: 'prevHash',
          message: `prevHash does not match the hash of record ${previous.id} (chainSeq ${previous.seq}): records removed, reordered or inserted`,
        });
      }
      const taskPrevious = row.taskId ? (lastOfTask.get(row.taskId) ?? null) : null;
      if (row.taskPrevHash !== (taskPrevious?.hash ?? null)) {
        return result(checked, sealed, {
          ...at,
          check: 'taskPrevHash',
          message: taskPrevious
            ? `taskPrevHash does not match the task's previous record ${taskPrevious.id} (chainSeq ${taskPrevious.seq})`
            : 'taskPrevHash names a record the task does not have before this one',
        });
      }
      const hash = auditHash(contentOf(row), { prevHash: row.prevHash, taskPrevHash: row.taskPrevHash });
      if (row.hash !== hash) {
        return result(checked, sealed, {
          ...at,
          check: 'hash',
          message: 'the stored hash does not match the record content: the record was altered',
        });
      }
      if (row.action === AUDIT_SEAL_ACTION) {
        const seal = row.detail as { count?: unknown; digest?: unknown } | null;
        if (seal?.count !== legacy.count || seal.digest !== legacy.digest) {
          return result(checked, sealed, {
            ...at,
            check: 'legacySeal',
            message: `the legacy records (${legacy.count} now) no longer match the seal (${String(seal?.count)}): a legacy record was altered, added or removed`,
          });
        }
        sealed = true;
      }
      checked++;
      previous = { hash: row.hash, id: row.id, seq: row.chainSeq };
      if (row.taskId) lastOfTask.set(row.taskId, previous);
    }
    readThisRound += rows.length;
    if (rows.length > 0) after = rows[rows.length - 1]!.chainSeq;
    if (rows.length === PAGE) continue;
    // The end of the table as read: the heads, read now, must name it. A head further on means records appended while
    // the walk ran (each append moves the heads in its own transaction): walk on to them, while there are any.
    heads = await readHeads(db);
    globalHead = heads.get(GLOBAL_HEAD);
    if (globalHead && globalHead.seq > (previous?.seq ?? 0) && readThisRound > 0) {
      readThisRound = 0;
      continue;
    }
    break;
  }

  // The heads name the last record of each chain: records removed from the end show here.
  const last = previous as { hash: string; id: string; seq: number } | null;
  if (last && (!globalHead || globalHead.seq !== last.seq || globalHead.hash !== last.hash)) {
    return result(checked, sealed, {
      id: last.id,
      chainSeq: last.seq,
      check: 'globalHead',
      message: globalHead
        ? `the chain head names chainSeq ${globalHead.seq}, the last record is ${last.seq}: records removed from the end, or the head altered`
        : 'records are chained but the chain head is missing',
    });
  }
  if (!last && globalHead && globalHead.seq !== 0) {
    return result(checked, sealed, {
      id: null,
      chainSeq: null,
      check: 'globalHead',
      message: `the chain head names chainSeq ${globalHead.seq} but no chained record exists: records removed`,
    });
  }
  for (const head of heads.values()) {
    if (!head.key.startsWith('task:')) continue;
    const taskId = head.key.slice('task:'.length);
    const end = lastOfTask.get(taskId);
    if (!end || end.hash !== head.hash || end.seq !== head.seq) {
      return result(checked, sealed, {
        id: end?.id ?? null,
        chainSeq: end?.seq ?? null,
        check: 'taskHead',
        message: end
          ? `task ${taskId}: its head names chainSeq ${head.seq}, its last record is ${end.seq}: the task's last records removed, or the head altered`
          : `task ${taskId}: its head names chainSeq ${head.seq} but the task has no chained record: its chain was removed`,
      });
    }
  }
  for (const [taskId, end] of lastOfTask) {
    if (!heads.has(taskHeadKey(taskId))) {
      return result(checked, sealed, {
        id: end.id,
        chainSeq: end.seq,
        check: 'taskHead',
        message: `task ${taskId} has chained records but no head`,
      });
    }
  }
  return result(checked, sealed);
}
