/**
 * The canonical text the audit hashes are computed over (domain/audit/canonical.ts): independent of key order and of
 * a JSON round trip through the database, different for any different value, and strict about the instant format.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { canonicalAuditText, canonicalJson, genesisText, type TAuditContent } from '../../domain/audit/canonical';

/** Rebuilds a value with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  }
  return value;
}

const json = fc.jsonValue({ maxDepth: 4 });

const content: TAuditContent = {
  id: 'b5a2c1de-0000-4000-8000-000000000001',
  idempotencyKey: 'task-1:0000000003',
  taskId: 'task-1',
  campaignId: 'campaign-1',
  actorId: 'user-1',
  actorRole: 'office',
  onBehalfOfId: null,
  action: 'ReportReviewed',
  fromStatus: 'REPORTED',
  toStatus: 'IN_PROGRESS',
  detail: { decision: 'return', reason: '请补充佐证材料' },
  at: '2026-12-01T08:30:00.123Z',
  chainSeq: 3,
};
const links: { prevHash: string | null; taskPrevHash: string | null } = {
  prevHash: 'a'.repeat(64),
  taskPrevHash: null,
};

describe('canonical audit text', () => {
  it('does not depend on key order, and survives a JSON round trip (what the database gives back)', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(reversedKeys(value))).toBe(text);
        expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(text);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('differs for values that differ once stored (so two records never share a text)', () => {
    const stored = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;
    fc.assert(
      fc.property(json, json, (a, b) => {
        if (!isDeepStrictEqual(stored(a), stored(b))) expect(canonicalJson(a)).not.toBe(canonicalJson(b));
        else expect(canonicalJson(a)).toBe(canonicalJson(b));
      }),
    );
  });

  it('covers every column and link: changing any one changes the text', () => {
    const base = canonicalAuditText(content, links);
    expect(base.startsWith('zg-audit-v1\n')).toBe(true);
    const changes: [Partial<TAuditContent>, Partial<typeof links>][] = [
      [{ id: 'other' }, {}],
      [{ idempotencyKey: 'other' }, {}],
      [{ taskId: null }, {}],
      [{ campaignId: 'campaign-2' }, {}],
      [{ actorId: 'user-2' }, {}],
      [{ actorRole: 'leader' }, {}],
      [{ onBehalfOfId: 'user-3' }, {}],
      [{ action: 'ReportAccepted' }, {}],
      [{ fromStatus: null }, {}],
      [{ toStatus: 'CLOSED' }, {}],
      [{ detail: { decision: 'accept' } }, {}],
      [{ detail: null }, {}],
      [{ at: '2026-12-01T08:30:00.124Z' }, {}],
      [{ chainSeq: 4 }, {}],
      [{}, { prevHash: 'b'.repeat(64) }],
      [{}, { taskPrevHash: 'c'.repeat(64) }],
    ];
    const texts = changes.map(([c, l]) => canonicalAuditText({ ...content, ...c }, { ...links, ...l }));
    for (const text of texts) expect(text).not.toBe(base);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('refuses an instant not in the fixed format and a chainSeq that is not a positive integer', () => {
    for (const at of ['2026-12-01T08:30:00Z', '2026-12-01T16:30:00.123+08:00', '2026-12-01 08:30:00.123']) {
      expect(() => canonicalAuditText({ ...content, at }, links)).toThrow(/instant/);
    }
    for (const chainSeq of [0, -1, 1.5, Number.NaN]) {
      expect(() => canonicalAuditText({ ...content, chainSeq }, links)).toThrow(/chainSeq/);
    }
  });

  it('names the legacy count in the genesis text', () => {
    expect(genesisText(0)).not.toBe(genesisText(1));
    expect(genesisText(12)).toBe('zg-audit-v1\ngenesis\nlegacy=12');
  });
});
