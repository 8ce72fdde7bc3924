/**
 * `appendAudits` (the bulk writers' way, e.g. an import) chains exactly as one-by-one appends do: interleaved with
 * single appends, over new tasks and tasks whose chain already exists, the whole trail verifies; and it is the same
 * chain as the singles would make (each record linked to the record before it, globally and within its task).
 */
import { appendAudit, appendAudits, type TAuditRecord } from '../../activities/audit';
import { verifyAuditChain } from '../../db/auditChain';
import { createTestDb, type TTestDb } from '../helpers/db';

let t: TTestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.cleanup();
});

const record = (i: number, taskId: string | null): TAuditRecord => ({
  idempotencyKey: `batch-test:${i}`,
  taskId,
  action: 'TaskCreated',
  toStatus: 'ASSIGNED',
  detail: { i },
  at: new Date(Date.UTC(2026, 11, 1, 8, 0, i)),
});

it('When records are appended in bulk between single appends, then the chain verifies and links as singles would', async () => {
  await t.db.$transaction((tx) => appendAudit(tx, record(0, 'task-old')));
  await t.db.$transaction((tx) => appendAudit(tx, record(1, null)));
  const bulk = Array.from({ length: 120 }, (_, i) => record(i + 2, i % 3 === 0 ? 'task-old' : `task-${i % 30}`));
  const appended = await t.db.$transaction((tx) => appendAudits(tx, bulk), { timeout: 60_000 });
  expect(appended.map((a) => a.chainSeq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 3));
  await t.db.$transaction((tx) => appendAudit(tx, record(200, 'task-5')));

  expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: 123 });
  const rows = await t.db.auditEvent.findMany({ orderBy: { chainSeq: 'asc' } });
  for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
  // Within a task, each record links to the task's previous record, across the bulk's edges.
  const byTask = new Map<string, string>();
  for (const row of rows) {
    if (!row.taskId) continue;
    expect(row.taskPrevHash).toBe(byTask.get(row.taskId) ?? null);
    byTask.set(row.taskId, row.hash!);
  }
  const head = await t.db.auditChainHead.findUnique({ where: { key: 'task:task-5' } });
  expect(head?.hash).toBe(byTask.get('task-5'));
});
