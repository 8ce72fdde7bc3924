/**
 * The canonical text of an audit record: what its SHA-256 is computed over (docs/audit.md). Pure, so the rule is the
 * same for the writer (activities/audit.ts), the verifier (db/auditChain.ts) and anyone re-checking an export.
 *
 * - Every column but the hash columns (`hash`, and the links `prevHash` / `taskPrevHash`, which enter as links).
 * - Keys in a stable order at every depth (sorted by UTF-16 code unit, as `Array.prototype.sort` does), no spaces.
 * - Instants as `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC, milliseconds): what both providers keep of a DateTime.
 * - `detail` after a JSON round trip: what the database gives back (undefined dropped, NaN → null).
 * - A version prefix, so a future format can be told apart from this one.
 */

export const AUDIT_HASH_VERSION = 'zg-audit-v1';

/** The audit columns that are hashed. `at` is the ISO-8601 UTC instant with milliseconds. */
export interface TAuditContent {
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
  at: string;
  chainSeq: number;
}

/** Where a record sits: the previous record's hash in the global chain and in its task's chain (null: first). */
export interface TAuditLinks {
  prevHash: string | null;
  taskPrevHash: string | null;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** JSON with keys sorted at every depth; `undefined` members dropped as JSON.stringify drops them. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  // Numbers (NaN and ±Infinity become null), strings and booleans as JSON writes them.
  return JSON.stringify(value);
}

/** The JSON value a Json column gives back for what was written (the database stores JSON text). */
export function normaliseDetail(detail: unknown): unknown {
  if (detail === undefined || detail === null) return null;
  return JSON.parse(JSON.stringify(detail)) as unknown;
}

/** The text hashed for one record. Throws on an instant not in the fixed format (a caller's bug, not data). */
export function canonicalAuditText(content: TAuditContent, links: TAuditLinks): string {
  if (!INSTANT.test(content.at)) throw new Error(`audit instant not canonical: ${content.at}`);
  if (!Number.isInteger(content.chainSeq) || content.chainSeq < 1) {
    throw new Error(`audit chainSeq must be a positive integer: ${content.chainSeq}`);
  }
  const record = {
    id: content.id,
    idempotencyKey: content.idempotencyKey,
    taskId: content.taskId,
    campaignId: content.campaignId,
    actorId: content.actorId,
    actorRole: content.actorRole,
    onBehalfOfId: content.onBehalfOfId,
    action: content.action,
    fromStatus: content.fromStatus,
    toStatus: content.toStatus,
    detail: normaliseDetail(content.detail),
    at: content.at,
    chainSeq: content.chainSeq,
    prevHash: links.prevHash,
    taskPrevHash: links.taskPrevHash,
  };
  return `${AUDIT_HASH_VERSION}\n${canonicalJson(record)}`;
}

/**
 * The text hashed into the first record's `prevHash`: how many records without a hash (written before the chain, the
 * legacy prefix) existed when the chain began. A legacy row added or removed later no longer matches it.
 */
export function genesisText(legacyCount: number): string {
  return `${AUDIT_HASH_VERSION}\ngenesis\nlegacy=${legacyCount}`;
}

/** The text whose hash seals the legacy prefix: each legacy record's canonical content, in order, one per line. */
export function legacyLineText(content: Omit<TAuditContent, 'chainSeq'>): string {
  if (!INSTANT.test(content.at)) throw new Error(`audit instant not canonical: ${content.at}`);
  return canonicalJson({ ...content, detail: normaliseDetail(content.detail) });
}
