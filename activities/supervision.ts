/**
 * Numbered 督办 documents: every supervision notice (an escalation step, a hand-issued step, an overdue report's
 * notice) gets a 文号 of its issuing office, sequential per office and Shanghai calendar year, with no gap and no
 * duplicate. Called by the projection inside its transaction, so the number, the notice row, the task snapshot and the
 * audit record commit together or not at all (a rolled-back projection gives its number back).
 */
import type { Db } from '../db/client';
import { addDaysToDate, dateOf, endOfDayInstant } from '../domain/calendar';
import type { TEscalationStepName } from '../domain/policy';
import { addWorkdays } from '../domain/workdays';
import { loadWorkdayTable } from './calendar';
import type { TRecipient } from './types';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/**
 * How long the recipient unit has to answer (反馈) a notice: 5 working days (the usual 督办 rule), to the end of the
 * 5th working day after the Shanghai day of issue, by the working-day calendar (official data and the admin's
 * overrides; weekdays where neither covers a date).
 */
export const ANSWER_WORKDAYS = 5;
/** The calendar read around an issue: 5 working days never span more than the longest holiday plus two weeks. */
const ANSWER_CALENDAR_SPAN_DAYS = 40;

export interface TDocumentNo {
  documentNo: string;
  docYear: number;
  docSeq: number;
}

/**
 * Takes the next number of `issuingUnitId` for the Shanghai year of `at`. One statement that inserts the year's
 * counter or increments it, returning the number taken: on PostgreSQL the upsert holds the counter row's lock until
 * the transaction ends (a concurrent issuer of the same office waits, then reads the incremented value), and SQLite
 * serialises writers. A transaction that rolls back undoes its increment, so numbers never skip.
 */
export async function allocateDocumentNo(tx: Tx, input: { issuingUnitId: string; at: Date }): Promise<TDocumentNo> {
  const docYear = Number(dateOf(input.at.toISOString()).slice(0, 4));
  const rows = await tx.$queryRaw<{ seq: number | bigint }[]>`
    INSERT INTO "DocumentCounter" ("issuingUnitId", "year", "next") VALUES (${input.issuingUnitId}, ${docYear}, 2)
    ON CONFLICT ("issuingUnitId", "year") DO UPDATE SET "next" = "DocumentCounter"."next" + 1
    RETURNING "next" - 1 AS "seq"`;
  const docSeq = Number(rows[0]?.seq);
  if (!Number.isInteger(docSeq) || docSeq < 1) throw new Error(`document counter returned ${String(rows[0]?.seq)}`);
  const unit = await tx.unit.findUnique({
    where: { id: input.issuingUnitId },
    select: { name: true, docPrefix: true },
  });
  return { documentNo: formatDocumentNo(docPrefixOf(unit), docYear, docSeq), docYear, docSeq };
}

/** `省整改办督〔2026〕12号`: the prefix, the year in 六角括号 〔〕, the number (GB/T 9704: no leading zeros, no 第). */
export function formatDocumentNo(prefix: string, year: number, seq: number): string {
  return `${prefix}〔${year}〕${seq}号`;
}

/**
 * The office's 文号 prefix: its own `docPrefix`, else a short form of its name followed by 督 (督办): the long
 * 巡视整改工作办公室 shortened to 整改办, as offices write it (省卫健委巡视整改工作办公室 → 省卫健委整改办督).
 */
export function docPrefixOf(unit: { name: string; docPrefix: string | null } | null): string {
  if (unit?.docPrefix) return unit.docPrefix;
  if (!unit) return '督';
  const short = unit.name
    .replace(/(巡视|巡察)?整改工作办公室$/, '整改办')
    .replace(/人民政府$/, '政府')
    .replace(/委员会$/, '委');
  return `${short}督`;
}

/** The instant by which the recipient must answer a notice issued at `at`: the end of its 5th working day after. */
export async function answerDueAt(tx: Pick<Tx, 'calendarOverride'>, at: Date): Promise<Date> {
  const issued = dateOf(at.toISOString());
  const table = await loadWorkdayTable(tx, issued, addDaysToDate(issued, ANSWER_CALENDAR_SPAN_DAYS));
  return new Date(endOfDayInstant(addWorkdays(table, issued, ANSWER_WORKDAYS)));
}

/**
 * The supervisors told of an escalation of a task led by `unitId`: the active supervisor users of every discipline
 * unit whose jurisdiction (SupervisedUnit, descendants included) holds that unit, one `{ userId }` each. Nobody when no
 * discipline unit supervises it: a supervisor is told only of tasks they can see.
 */
export async function supervisorsOver(tx: Tx, unitId: string): Promise<TRecipient[]> {
  const chain = await ancestorsOf(tx, unitId);
  const rows = await tx.supervisedUnit.findMany({
    where: { unitId: { in: chain } },
    select: { disciplineUnitId: true },
  });
  const disciplineUnitIds = [...new Set(rows.map((r) => r.disciplineUnitId))];
  if (disciplineUnitIds.length === 0) return [];
  const users = await tx.user.findMany({
    where: { role: 'supervisor', active: true, unitId: { in: disciplineUnitIds } },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  return users.map((u) => ({ userId: u.id }));
}

/** A unit and its ancestors up to the root (a listed ancestor's jurisdiction covers its descendants). */
async function ancestorsOf(tx: Tx, unitId: string): Promise<string[]> {
  const chain: string[] = [];
  let current: string | null = unitId;
  // Bounded: a unit tree is a handful of levels deep; a cycle in bad data must not loop forever.
  while (current && chain.length < 32 && !chain.includes(current)) {
    chain.push(current);
    const unit: { parentId: string | null } | null = await tx.unit.findUnique({
      where: { id: current },
      select: { parentId: true },
    });
    current = unit?.parentId ?? null;
  }
  return chain;
}

export interface TWriteNoticeInput {
  idempotencyKey: string;
  taskId: string;
  kind: 'report_overdue' | 'escalation';
  step: TEscalationStepName;
  reason: string;
  period?: string;
  at: Date;
  /** The office (or discipline unit) in whose name the document is issued and numbered. */
  issuingUnitId: string;
  /** The unit that signs for it and answers: the task's lead unit. */
  recipientUnitId: string;
  /** Set when a person issued it by hand (not the ladder). */
  issuedById: string | null;
}

/** Writes one numbered notice in the caller's transaction. */
export async function writeSupervisionNotice(tx: Tx, input: TWriteNoticeInput): Promise<{ id: string } & TDocumentNo> {
  const number = await allocateDocumentNo(tx, { issuingUnitId: input.issuingUnitId, at: input.at });
  const row = await tx.supervisionNotice.create({
    data: {
      idempotencyKey: input.idempotencyKey,
      taskId: input.taskId,
      kind: input.kind,
      step: input.step,
      reason: input.reason,
      period: input.period ?? null,
      issuedAt: input.at,
      recipientUnitId: input.recipientUnitId,
      issuingUnitId: input.issuingUnitId,
      issuedById: input.issuedById,
      answerDueAt: await answerDueAt(tx, input.at),
      ...number,
    },
    select: { id: true },
  });
  return { id: row.id, ...number };
}
