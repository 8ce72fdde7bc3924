/**
 * Working-day arithmetic over China's official calendar (public holidays, and weekend days made working days by
 * 调休), given as a table: what the official data (the `chinese-days` package) and the admin's overrides say about a
 * range of dates. Pure: the table is read elsewhere (an activity) and passed in, so a workflow uses the table recorded
 * in its history and replays the same answers whatever an admin edits later.
 *
 * A date outside the table's range, or in a year the table has no official data for, follows the plain weekday rule
 * (Monday to Friday); `noDataYears` says which years those are, so that callers warn instead of guessing quietly.
 */
import { addDaysToDate, isValidDate, makeDate } from './calendar';

export type TDaySource = 'package' | 'override' | 'weekday';

/** One date the official data or an override speaks about. */
export interface TCalendarEntry {
  date: string;
  workday: boolean;
  name?: string;
  source: 'package' | 'override';
}

/** What the calendar says about the dates `from`..`to` (inclusive). JSON-safe: it travels in activity results. */
export interface TWorkdayTable {
  from: string;
  to: string;
  /** The dates with an entry, sorted (holidays, make-up working days, overrides); every other date: weekday rule. */
  entries: TCalendarEntry[];
  /** Years of the range without official data: their dates follow the weekday rule and their overrides. */
  noDataYears: number[];
}

export interface TCalendarDay {
  date: string;
  workday: boolean;
  name?: string;
  source: TDaySource;
}

export interface TOfficialDay {
  workday: boolean;
  name: string;
}

export interface TOverride {
  date: string;
  workday: boolean;
  name?: string | null;
}

/** How a due day that is not a working day is treated. */
export type TDueDayRule = 'next_workday' | 'previous_workday' | 'as_is';

/** No official holiday run is longer than 9 days (春节 2026: 02-15..02-23): a search this long always ends. */
const MAX_SEARCH_DAYS = 62;

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

export function isWeekend(date: string): boolean {
  const dow = dayOfWeek(date);
  return dow === 0 || dow === 6;
}

function yearOf(date: string): number {
  return Number(date.slice(0, 4));
}

/** The years `from`..`to` touches. */
export function yearsOf(from: string, to: string): number[] {
  const years: number[] = [];
  for (let y = yearOf(from); y <= yearOf(to); y++) years.push(y);
  return years;
}

/**
 * Builds the table for `from`..`to` from the official data (date → day, for the years in `officialYears`) and the
 * overrides (which win over the official data). Entries outside the range are left out.
 */
export function buildWorkdayTable(input: {
  from: string;
  to: string;
  official: Readonly<Record<string, TOfficialDay>>;
  officialYears: readonly number[];
  overrides: readonly TOverride[];
}): TWorkdayTable {
  const { from, to } = input;
  if (!isValidDate(from) || !isValidDate(to) || from > to) throw new RangeError(`not a date range: ${from}..${to}`);
  const byDate = new Map<string, TCalendarEntry>();
  for (const [date, day] of Object.entries(input.official)) {
    if (date < from || date > to) continue;
    byDate.set(date, { date, workday: day.workday, name: day.name, source: 'package' });
  }
  for (const o of input.overrides) {
    if (o.date < from || o.date > to) continue;
    byDate.set(o.date, { date: o.date, workday: o.workday, ...(o.name ? { name: o.name } : {}), source: 'override' });
  }
  const covered = new Set(input.officialYears);
  return {
    from,
    to,
    entries: [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
    noDataYears: yearsOf(from, to).filter((y) => !covered.has(y)),
  };
}

const indexes = new WeakMap<TWorkdayTable, Map<string, TCalendarEntry>>();

function indexOf(table: TWorkdayTable): Map<string, TCalendarEntry> {
  let index = indexes.get(table);
  if (!index) {
    index = new Map(table.entries.map((e) => [e.date, e]));
    indexes.set(table, index);
  }
  return index;
}

/** Whether the table answers for `date` from data (inside its range); outside it, only the weekday rule is known. */
export function tableCovers(table: TWorkdayTable, date: string): boolean {
  return date >= table.from && date <= table.to;
}

/** Whether `date` falls in a year the table has no official data for (or outside the table's range). */
export function isGuessed(table: TWorkdayTable, date: string): boolean {
  return !tableCovers(table, date) || table.noDataYears.includes(yearOf(date));
}

/** What the calendar says about one date. */
export function calendarDay(table: TWorkdayTable, date: string): TCalendarDay {
  const entry = tableCovers(table, date) ? indexOf(table).get(date) : undefined;
  if (entry) return { ...entry };
  return { date, workday: !isWeekend(date), source: 'weekday' };
}

export function isWorkday(table: TWorkdayTable, date: string): boolean {
  return calendarDay(table, date).workday;
}

/** Every date of `from`..`to` with its answer (for the calendar screen). */
export function calendarDays(table: TWorkdayTable, from: string, to: string): TCalendarDay[] {
  const days: TCalendarDay[] = [];
  for (let d = from; d <= to; d = addDaysToDate(d, 1)) days.push(calendarDay(table, d));
  return days;
}

function step(table: TWorkdayTable, date: string, direction: 1 | -1): string {
  let d = date;
  for (let i = 0; i < MAX_SEARCH_DAYS; i++) {
    if (isWorkday(table, d)) return d;
    d = addDaysToDate(d, direction);
  }
  // Only an override table marking two months as holidays gets here: the date itself then, rather than no answer.
  return date;
}

/** The first working day on or after `date`. */
export function nextWorkday(table: TWorkdayTable, date: string): string {
  return step(table, date, 1);
}

/** The last working day on or before `date`. */
export function previousWorkday(table: TWorkdayTable, date: string): string {
  return step(table, date, -1);
}

/**
 * The `n`-th working day after `date` (n > 0) or before it (n < 0), not counting `date` itself; `date` for n = 0.
 * 3 working days before Friday 2026-10-09 is Tuesday 2026-09-29 (the National Day week 10-01..10-07 is off).
 */
export function addWorkdays(table: TWorkdayTable, date: string, n: number): string {
  const direction = n < 0 ? -1 : 1;
  let d = date;
  for (let left = Math.abs(n); left > 0;) {
    d = addDaysToDate(d, direction);
    if (isWorkday(table, d)) left--;
  }
  return d;
}

/** Working days in (`from`, `to`]: 0 when `to` is not after `from`. */
export function workdaysBetween(table: TWorkdayTable, from: string, to: string): number {
  let count = 0;
  for (let d = addDaysToDate(from, 1); d <= to; d = addDaysToDate(d, 1)) if (isWorkday(table, d)) count++;
  return count;
}

/** A due date under the policy's rule: moved to the next (or previous) working day, or kept as it is. */
export function applyDueDayRule(table: TWorkdayTable, date: string, rule: TDueDayRule): string {
  if (rule === 'as_is') return date;
  return rule === 'next_workday' ? nextWorkday(table, date) : previousWorkday(table, date);
}

/** The first and last day of a year. */
export function yearRange(year: number): { from: string; to: string } {
  return { from: makeDate(year, 1, 1), to: makeDate(year, 12, 31) };
}
