/**
 * Deadline kinds (整改时限) as a sum type, the structured input form, and a parser for the wording used in real
 * task lists (seed 004). Immediate kinds carry the date the policy derives (assignment + immediateDays).
 */
import { z } from 'zod';
import { addDaysToDate, addMonthsToDate, daysInMonth, isValidDate, makeDate } from './calendar';
import { type Result, ok, validationError } from './result';

const ZDate = z.string().refine(isValidDate, { message: 'expected a calendar date YYYY-MM-DD' });

export const ZDeadline = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('date'), date: ZDate }),
  z.object({ kind: z.literal('immediate'), date: ZDate }),
  z.object({ kind: z.literal('long_term') }),
  z.object({ kind: z.literal('date_then_long_term'), date: ZDate }),
  z.object({ kind: z.literal('immediate_then_long_term'), date: ZDate }),
]);
export type TDeadline = z.infer<typeof ZDeadline>;
export type TDeadlineKind = TDeadline['kind'];
export const DEADLINE_KINDS: TDeadlineKind[] = [
  'date',
  'immediate',
  'long_term',
  'date_then_long_term',
  'immediate_then_long_term',
];

/** The structured input form: immediate kinds may omit their date (the policy derives it). */
export const ZDeadlineInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('date'), date: ZDate }),
  z.object({ kind: z.literal('immediate'), date: ZDate.optional() }),
  z.object({ kind: z.literal('long_term') }),
  z.object({ kind: z.literal('date_then_long_term'), date: ZDate }),
  z.object({ kind: z.literal('immediate_then_long_term'), date: ZDate.optional() }),
]);
export type TDeadlineInput = z.infer<typeof ZDeadlineInput>;

export interface DeadlineContext {
  /** The Shanghai date the task was assigned: immediate deadlines count from it. */
  assignedOn: string;
  immediateDays: number;
}

export function deadlineDate(d: TDeadline): string | null {
  return d.kind === 'long_term' ? null : d.date;
}

export function isLongTermKind(d: TDeadline | TDeadlineKind): boolean {
  const kind = typeof d === 'string' ? d : d.kind;
  return kind === 'long_term' || kind === 'date_then_long_term' || kind === 'immediate_then_long_term';
}

/** Returns a copy of `d` whose date part is `date` (long_term has none and is returned unchanged). */
export function withDeadlineDate(d: TDeadline, date: string): TDeadline {
  return d.kind === 'long_term' ? d : { ...d, date };
}

export function immediateDate(ctx: DeadlineContext): string {
  return addDaysToDate(ctx.assignedOn, ctx.immediateDays);
}

/** Resolves the structured form: fills the derived date of immediate kinds. */
export function resolveDeadlineInput(input: TDeadlineInput, ctx: DeadlineContext): TDeadline {
  switch (input.kind) {
    case 'immediate':
    case 'immediate_then_long_term':
      return { kind: input.kind, date: input.date ?? immediateDate(ctx) };
    default:
      return input;
  }
}

/** The API's entry: a deadline given either as the plan's wording or in structured form. */
export function parseDeadline(input: unknown, ctx: DeadlineContext): Result<TDeadline> {
  if (typeof input === 'string') return parseDeadlineText(input, ctx);
  const parsed = ZDeadlineInput.safeParse(input);
  if (!parsed.success) {
    return validationError(`invalid deadline: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return ok(resolveDeadlineInput(parsed.data, ctx));
}

const IMMEDIATE_WORDS = ['立行立改', '立即整改', '即知即改'];
const LONG_TERM_WORDS = ['长期推进', '长期坚持', '长期整改', '持续推进', '持续整改', '长期'];

/** Full-width digits and punctuation to ASCII, whitespace (incl. NBSP and the ideographic space) removed. */
function normalise(text: string): string {
  return text
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s\u00a0\u3000]+/g, '')
    .replace(/^整改时限[:：]/, '')
    .replace(/[，、；;]/g, ',')
    .replace(/[。.]+$/, '');
}

type DatePart = { ok: true; date: string } | { ok: false; message: string } | null;

/**
 * The date part of a wording: "2020年12月31日", "2020年12月底", "2020年底", "2020-12-31", and the glued
 * "20201231日" that seed 004's text has where 年 and 月 were lost (split into month and day only when exactly one
 * split is a real date: "2021630日" is 6-30, "2020111日" is ambiguous).
 */
function parseDatePart(s: string): DatePart {
  let m = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/.exec(s) ?? /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})日?$/.exec(s);
  if (m) {
    const date = makeDate(Number(m[1]), Number(m[2]), Number(m[3]));
    return isValidDate(date) ? { ok: true, date } : { ok: false, message: `no such date ${m[1]}-${m[2]}-${m[3]}` };
  }
  m = /^(\d{4})年(\d{1,2})月(?:底|末)$/.exec(s);
  if (m) {
    const [y, mo] = [Number(m[1]), Number(m[2])];
    if (mo < 1 || mo > 12) return { ok: false, message: `no such month ${m[2]}` };
    return { ok: true, date: makeDate(y, mo, daysInMonth(y, mo)) };
  }
  m = /^(\d{4})年(?:底|末|内)$/.exec(s);
  if (m) return { ok: true, date: makeDate(Number(m[1]), 12, 31) };
  m = /^(\d{4})(\d{2,4})日$/.exec(s);
  if (m) {
    const year = Number(m[1]);
    const rest = m[2];
    const candidates: string[] = [];
    for (let i = 1; i < rest.length && i <= 2; i++) {
      const monthText = rest.slice(0, i);
      const dayText = rest.slice(i);
      if (dayText.length > 2 || monthText.startsWith('0') || dayText.startsWith('0')) continue;
      const date = makeDate(year, Number(monthText), Number(dayText));
      if (isValidDate(date)) candidates.push(date);
    }
    if (candidates.length === 1) return { ok: true, date: candidates[0] };
    return {
      ok: false,
      message: candidates.length === 0 ? 'no valid date in it' : `ambiguous date (${candidates.join(' or ')})`,
    };
  }
  return null;
}

/** "…前完成", "…之前完成", "…前", "…完成" around a date part. */
function stripDateSuffix(s: string): string {
  return s.replace(/(?:之前|以前|前)?完成$/, '').replace(/(?:之前|以前|前)$/, '');
}

function isLongTermWord(s: string): boolean {
  const body = s.replace(/^(?:并且|并|且)/, '');
  return LONG_TERM_WORDS.includes(body);
}

/**
 * Parses the plan's wording of a deadline. Known forms: a date ("2020年12月31日前完成"), immediate ("立行立改"),
 * long-term ("长期推进" / "长期坚持"), and date or immediate followed by long-term ("2021年6月30日前完成，并长期推进",
 * "立行立改，长期推进", "立行立改、长期坚持"). Anything else is a ValidationError naming the text.
 */
export function parseDeadlineText(text: string, ctx: DeadlineContext): Result<TDeadline> {
  const refuse = (why: string): Result<TDeadline> => validationError(`unrecognised deadline wording "${text}": ${why}`);
  if (!isValidDate(ctx.assignedOn)) return validationError(`assignedOn must be YYYY-MM-DD, got "${ctx.assignedOn}"`);
  const s = normalise(text);
  if (s === '') return refuse('empty');

  if (isLongTermWord(s)) return ok({ kind: 'long_term' });

  const segments = s.split(',').filter((p) => p !== '');
  let head = segments[0];
  let tail: string | undefined = segments.length === 2 ? segments[1] : undefined;
  if (segments.length > 2) return refuse('too many parts');
  if (tail === undefined) {
    // "立行立改并长期推进": no comma between the parts.
    const glued = /^(.*?)(?:并且|并|且)?((?:长期|持续)(?:推进|坚持|整改)?)$/.exec(s);
    if (glued && glued[1] !== '' && isLongTermWord(glued[2])) {
      head = glued[1];
      tail = glued[2];
    }
  }
  if (tail !== undefined && !isLongTermWord(tail)) return refuse(`"${tail}" is not a long-term wording`);
  const thenLongTerm = tail !== undefined;

  if (IMMEDIATE_WORDS.includes(head)) {
    return ok({ kind: thenLongTerm ? 'immediate_then_long_term' : 'immediate', date: immediateDate(ctx) });
  }
  const datePart = parseDatePart(stripDateSuffix(head));
  if (datePart === null) return refuse('expected a date, 立行立改 or 长期推进');
  if (!datePart.ok) return refuse(datePart.message);
  return ok({ kind: thenLongTerm ? 'date_then_long_term' : 'date', date: datePart.date });
}

/** How far ahead a deadline may lie: plans set deadlines in months or a few years, never decades. */
export const MAX_YEARS_AHEAD = 10;
/** How far before the inspection's feedback a deadline may lie: problems found then were due no earlier than that. */
export const MAX_YEARS_BEFORE_FEEDBACK = 1;

/**
 * The window a lifecycle date (a deadline, an extension, a look-back's new deadline) must fall in: not before the
 * campaign's feedback date minus a year, not after ten years from today. Anything outside is a typing slip (2062 for
 * 2026) or an attempt to plant a date the calendar cannot place; refused with the window in the message, in Chinese.
 */
export function lifecycleDateWindow(ctx: { today: string; feedbackDate: string }): { min: string; max: string } {
  return {
    min: addMonthsToDate(ctx.feedbackDate, -12 * MAX_YEARS_BEFORE_FEEDBACK),
    max: addMonthsToDate(ctx.today, 12 * MAX_YEARS_AHEAD),
  };
}

export function outsideLifecycleWindow(date: string, ctx: { today: string; feedbackDate: string }): string | null {
  const { min, max } = lifecycleDateWindow(ctx);
  if (date < min) return `日期 ${date} 早于反馈日期前一年（${min}），请核对`;
  if (date > max) return `日期 ${date} 晚于今后十年（${max}），请核对`;
  return null;
}
