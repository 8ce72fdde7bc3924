/**
 * The one way an audit record is written (docs/audit.md): `appendAudit(tx, record)`, inside the caller's transaction,
 * so the record lands with the change it describes or not at all. It chains the record to the global chain and to its
 * task's chain under the global head's row lock, held until the transaction ends:
 * - PostgreSQL: the first statement is an `UPDATE … RETURNING` of the head row, which takes its row lock; a concurrent
 *   append waits there and then reads the head its predecessor committed (READ COMMITTED re-reads the updated row).
 * - SQLite: the same UPDATE takes the database's write lock; the better-sqlite3 adapter also runs one transaction at a
 *   time per client (db/client.ts). Either way appends are serialised and the chain has no fork and no gap.
 * The table itself is append-only by trigger (migration `audit_append_only`).
 */
import { randomUUID } from 'node:crypto';
import type { Db, Prisma } from '../db/client';
import {
  AUDIT_SEAL_ACTION,
  auditHash,
  genesisHash,
  GLOBAL_HEAD,
  legacyDigest,
  taskHeadKey,
  verifyAuditChain,
} from '../db/auditChain';
import { normaliseDetail } from '../domain/audit/canonical';

/** An interactive transaction's client. */
export type TAuditTx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export interface TAuditRecord {
  idempotencyKey: string;
  taskId?: string | null;
  campaignId?: string | null;
  actorId?: string | null;
  actorRole?: string | null;
  onBehalfOfId?: string | null;
  action: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  /** Any JSON value (stored as the JSON round trip of it). */
  detail?: unknown;
  at: Date;
}

export interface TAppendedAudit {
  id: string;
  chainSeq: number;
  hash: string;
}

/** Locks a head row and reads it; null when the chain has no head yet. */
async function lockHead(tx: TAuditTx, key: string): Promise<{ seq: number; hash: string } | null> {
  const rows = await tx.$queryRaw<{ seq: number | bigint; hash: string }[]>`
    UPDATE "AuditChainHead" SET "seq" = "seq" WHERE "key" = ${key} RETURNING "seq", "hash"`;
  const row = rows[0];
  return row ? { seq: Number(row.seq), hash: row.hash } : null;
}

/**
 * The global head, locked; created on the very first append, naming how many legacy records (written before the
 * chain) exist then. Two first appends at once: the second's INSERT waits for the first's commit and does nothing.
 */
async function lockGlobalHead(tx: TAuditTx): Promise<{ seq: number; hash: string }> {
  const head = await lockHead(tx, GLOBAL_HEAD);
  if (head) return head;
  const legacy = await tx.auditEvent.count({ where: { chainSeq: null } });
  await tx.$executeRaw`
    INSERT INTO "AuditChainHead" ("key", "seq", "hash") VALUES (${GLOBAL_HEAD}, 0, ${genesisHash(legacy)})
    ON CONFLICT ("key") DO NOTHING`;
  const created = await lockHead(tx, GLOBAL_HEAD);
  if (!created) throw new Error('audit chain head could not be created');
  return created;
}

/** Appends one audit record to both chains, in the caller's transaction. */
export async function appendAudit(tx: TAuditTx, record: TAuditRecord): Promise<TAppendedAudit> {
  const [appended] = await appendAudits(tx, [record]);
  return appended!;
}

/**
 * Appends several records in order, as `appendAudit` would one by one, with a bounded number of statements: one lock
 * of the global head, one read of the task heads, one insert of every record, one insert of the new task heads, and
 * one update per task head that existed. For bulk writers (an import of 10,000 rows spent most of its time in five
 * statements per record under the lock).
 */
export async function appendAudits(tx: TAuditTx, records: TAuditRecord[]): Promise<TAppendedAudit[]> {
  if (records.length === 0) return [];
  for (const r of records) {
    if (Number.isNaN(r.at.getTime())) throw new Error(`audit record ${r.idempotencyKey}: invalid instant`);
  }
  const global = await lockGlobalHead(tx);
  const taskIds = [...new Set(records.map((r) => r.taskId).filter((id): id is string => !!id))];
  const existing = new Map<string, string>();
  // SQLite binds at most 32,766 parameters a statement; chunks of 500 stay far below it on every provider.
  for (let i = 0; i < taskIds.length; i += 500) {
    const heads = await tx.auditChainHead.findMany({
      where: { key: { in: taskIds.slice(i, i + 500).map(taskHeadKey) } },
      select: { key: true, hash: true },
    });
    for (const h of heads) existing.set(h.key, h.hash);
  }
  const taskHeads = new Map(existing);
  const rows: Prisma.AuditEventCreateManyInput[] = [];
  const appended: TAppendedAudit[] = [];
  const lastOfTask = new Map<string, { seq: number; hash: string }>();
  let prev = global;
  for (const record of records) {
    const taskId = record.taskId ?? null;
    const detail = normaliseDetail(record.detail);
    const content = {
      id: randomUUID(),
      idempotencyKey: record.idempotencyKey,
      taskId,
      campaignId: record.campaignId ?? null,
      actorId: record.actorId ?? null,
      actorRole: record.actorRole ?? null,
      onBehalfOfId: record.onBehalfOfId ?? null,
      action: record.action,
      fromStatus: record.fromStatus ?? null,
      toStatus: record.toStatus ?? null,
      detail,
      at: record.at.toISOString(),
      chainSeq: prev.seq + 1,
    };
    const links = { prevHash: prev.hash, taskPrevHash: taskId ? (taskHeads.get(taskHeadKey(taskId)) ?? null) : null };
    const hash = auditHash(content, links);
    rows.push({ ...content, detail: detail === null ? undefined : (detail as object), at: record.at, hash, ...links });
    appended.push({ id: content.id, chainSeq: content.chainSeq, hash });
    prev = { seq: content.chainSeq, hash };
    if (taskId) {
      taskHeads.set(taskHeadKey(taskId), hash);
      lastOfTask.set(taskHeadKey(taskId), prev);
    }
  }
  for (let i = 0; i < rows.length; i += 500) await tx.auditEvent.createMany({ data: rows.slice(i, i + 500) });
  const updatedAt = new Date();
  await tx.auditChainHead.update({ where: { key: GLOBAL_HEAD }, data: { seq: prev.seq, hash: prev.hash, updatedAt } });
  const fresh = [...lastOfTask].filter(([key]) => !existing.has(key));
  for (let i = 0; i < fresh.length; i += 500) {
    await tx.auditChainHead.createMany({
      data: fresh.slice(i, i + 500).map(([key, head]) => ({ key, seq: head.seq, hash: head.hash, updatedAt })),
    });
  }
  for (const [key, head] of lastOfTask) {
    if (existing.has(key)) {
      await tx.auditChainHead.update({ where: { key }, data: { seq: head.seq, hash: head.hash, updatedAt } });
    }
  }
  return appended;
}

/**
 * Seals the legacy prefix once (an admin operation, `npm run audit:verify -- --seal`): appends one
 * `AuditLegacySealed` record whose detail holds the legacy records' count and digest, so that from then on an edit
 * of a legacy record shows too. Refused when the chain does not verify or a seal exists already.
 */
export async function sealLegacyAudit(
  db: Db,
  input: { actorId?: string | null; at?: Date } = {},
): Promise<{ sealed: boolean; count: number; reason?: string }> {
  const before = await verifyAuditChain(db);
  if (!before.ok) return { sealed: false, count: before.unchained, reason: 'the audit chain does not verify' };
  if (before.sealed) return { sealed: false, count: before.unchained, reason: 'already sealed' };
  return db.$transaction(
    async (tx) => {
      // Under the head's lock: no append can slip in between the digest and the seal.
      await lockGlobalHead(tx);
      if (await tx.auditEvent.findFirst({ where: { action: AUDIT_SEAL_ACTION }, select: { id: true } })) {
        return { sealed: false, count: before.unchained, reason: 'already sealed' };
      }
      const legacy = await legacyDigest(tx);
      await appendAudit(tx, {
        idempotencyKey: `audit:legacy-sealed`,
        actorId: input.actorId ?? null,
        actorRole: input.actorId ? 'admin' : 'system',
        action: AUDIT_SEAL_ACTION,
        detail: { count: legacy.count, digest: legacy.digest },
        at: input.at ?? new Date(),
      });
      return { sealed: true, count: legacy.count };
      // Digesting a large legacy prefix reads every legacy row in this one transaction: far beyond the default 5 s.
    },
    { timeout: 600_000 },
  );
}
