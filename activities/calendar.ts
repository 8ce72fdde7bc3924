/**
 * China's working-day calendar as the lifecycle uses it: the official schedule (public holidays and the weekend days
 * made working days by 调休) from the `chinese-days` package, with the admin's overrides (`CalendarOverride`) on top.
 *
 * The package covers only the years the State Council has published (1.5.7: 2004–2026) and silently answers later
 * years as ordinary weekdays (2027-10-01 comes back as a working day), so its data is read here directly: a year
 * with no entry in it is "no data", and every answer in such a year is flagged, never guessed quietly.
 *
 * `workdayTable` is run by the workflow as a LOCAL activity: its answer is recorded in the history, so an override
 * edited later changes the timers the workflow plans after its next look, and never the replay of what ran.
 */
import official from 'chinese-days/dist/chinese-days.json';
import chineseDaysPackage from 'chinese-days/package.json';
import type { Db } from '../db/client';
import {
  buildWorkdayTable,
  yearsOf,
  type TCalendarEntry,
  type TOfficialDay,
  type TWorkdayTable,
} from '../domain/workdays';
import { addDaysToDate, dateOf, isValidDate } from '../domain/calendar';
import type { TCampaignPolicy } from '../domain/policy';
import { nextReminder, nextReportDue, type ReminderKind, type TaskState } from '../domain/task';
import { LIGHT_REASON_TEXTS } from './texts';
import type { ActivityDeps } from './types';

export interface TOfficialCalendar {
  /** date → the official answer (a holiday or a make-up working day). */
  days: Record<string, TOfficialDay>;
  /** Years the package has data for, ascending. */
  years: number[];
  version: string;
}

let cached: TOfficialCalendar | undefined;

/** '国庆节' out of "National Day,国庆节,3" (English name, Chinese name, length of the holiday). */
function chineseName(raw: string): string {
  const parts = raw.split(',');
  return (parts[1] ?? parts[0] ?? '').trim();
}

/** The package's data, read once. */
export function officialCalendar(): TOfficialCalendar {
  if (cached) return cached;
  const data = official as { holidays: Record<string, string>; workdays: Record<string, string> };
  const days: Record<string, TOfficialDay> = {};
  for (const [date, raw] of Object.entries(data.holidays)) days[date] = { workday: false, name: chineseName(raw) };
  for (const [date, raw] of Object.entries(data.workdays))
    days[date] = { workday: true, name: `${chineseName(raw)}调休上班` };
  const years = [...new Set(Object.keys(days).map((d) => Number(d.slice(0, 4))))].sort((a, b) => a - b);
  cached = { days, years, version: (chineseDaysPackage as { version: string }).version };
  return cached;
}

/** A few ranges are asked over and over (the task page's, a notice's answer window): a handful of tables suffice. */
const MAX_BUILT_TABLES = 16;
const builtTables = new Map<string, TWorkdayTable>();

/** The calendar for `from`..`to`: the package's data with the overrides of that range on top. */
export async function loadWorkdayTable(
  db: Pick<Db, 'calendarOverride'>,
  from: string,
  to: string,
): Promise<TWorkdayTable> {
  const overrides = await db.calendarOverride.findMany({
    where: { date: { gte: from, lte: to } },
    select: { date: true, workday: true, name: true },
    orderBy: { date: 'asc' },
  });
  // The same range with the same overrides is the same table: built once (a task page builds ~900 days' worth, and
  // the table's date index, domain/workdays.ts, is kept per table object). Keyed by the overrides read just now, so an
  // edited override is a new key: never a stale answer. Callers only read a table.
  const key = `${from}|${to}|${JSON.stringify(overrides)}`;
  const known = builtTables.get(key);
  if (known) return known;
  const { days, years } = officialCalendar();
  const table = buildWorkdayTable({ from, to, official: days, officialYears: years, overrides });
  if (builtTables.size >= MAX_BUILT_TABLES) builtTables.delete(builtTables.keys().next().value!);
  builtTables.set(key, table);
  return table;
}

export interface TCalendarCoverage {
  /** Years the package has official data for (first and last; the list is contiguous). */
  officialYears: { from: number; to: number };
  packageVersion: string;
  /** Per year of the range asked: where its answers come from. */
  years: { year: number; data: 'package' | 'none'; overrides: number }[];
  /** One line per year of the range without official data (Chinese, shown as is). */
  warnings: string[];
}

/** Which years of `table` have official data, with a warning for each that has none. */
export function calendarCoverage(table: TWorkdayTable): TCalendarCoverage {
  const { years: officialYears, version } = officialCalendar();
  const first = officialYears[0] ?? 0;
  const last = officialYears[officialYears.length - 1] ?? 0;
  const years = yearsOf(table.from, table.to).map((year) => ({
    year,
    data: table.noDataYears.includes(year) ? ('none' as const) : ('package' as const),
    overrides: table.entries.filter((e) => e.source === 'override' && e.date.startsWith(`${year}-`)).length,
  }));
  const warnings = years
    .filter((y) => y.data === 'none')
    .map((y) => noDataWarning(y.year, { first, last }, y.overrides));
  return { officialYears: { from: first, to: last }, packageVersion: version, years, warnings };
}

/** The warning for a year without official data. */
export function noDataWarning(year: number, official: { first: number; last: number }, overrides: number): string {
  const entered = overrides > 0 ? `已录入${overrides}天调整，其余日期` : '';
  return (
    `${year}年没有官方节假日安排数据（内置数据只含${official.first}–${official.last}年），${entered}` +
    `暂按周一至周五为工作日计算；请在国务院办公厅公布安排后录入节假日调整，或升级日历数据。`
  );
}

export interface TWorkdayTableInput {
  /** 'YYYY-MM-DD', inclusive; at most three years apart. */
  from: string;
  to: string;
}

/** Bounds what one history marker carries: three years of entries is about 120 rows. */
const MAX_TABLE_DAYS = 3 * 366;

export function workdayTableActivity({ db }: ActivityDeps) {
  return async function workdayTable(input: TWorkdayTableInput): Promise<TWorkdayTable> {
    if (!isValidDate(input.from) || !isValidDate(input.to) || input.from > input.to) {
      throw new RangeError(`workdayTable: not a date range: ${input.from}..${input.to}`);
    }
    const to =
      input.to > addDaysToDate(input.from, MAX_TABLE_DAYS) ? addDaysToDate(input.from, MAX_TABLE_DAYS) : input.to;
    return loadWorkdayTable(db, input.from, to);
  };
}

export interface TTaskScheduleView {
  /** When the next report owed is due (ISO instant, exclusive end of its due day), or null. */
  nextReportDueAt: string | null;
  /** The next reminder the task will send, or null. */
  nextReminder: { kind: ReminderKind; at: string } | null;
  /** Each change of the task's light, oldest first, with why. */
  lightChanges: { fromLight: string; toLight: string; reason: string; reasonText: string; at: string }[];
}

/** The task page's schedule: next report due and next reminder on the working-day calendar, and the light's changes. */
export async function taskScheduleView(
  db: Pick<Db, 'calendarOverride' | 'taskLightChange'>,
  taskId: string,
  state: TaskState,
  policy: TCampaignPolicy,
  now: Date,
  /** `lightChanges: false`: the caller knows the task has none recorded (no statement is sent for them). */
  options: { lightChanges?: boolean } = {},
): Promise<TTaskScheduleView> {
  const nowIso = now.toISOString();
  const today = dateOf(nowIso);
  // A year back (reports owed) to about a year and a half ahead (the warning letters of a deadline that far).
  const table = await loadWorkdayTable(db, addDaysToDate(today, -370), addDaysToDate(today, 550));
  const changes =
    options.lightChanges === false
      ? []
      : await db.taskLightChange.findMany({ where: { taskId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  return {
    nextReportDueAt: nextReportDue(state, policy, nowIso, table)?.dueAt ?? null,
    nextReminder: nextReminder(state, policy, nowIso, table),
    lightChanges: changes.map((c) => ({
      fromLight: c.fromLight,
      toLight: c.toLight,
      reason: c.reason,
      reasonText: LIGHT_REASON_TEXTS[c.reason as keyof typeof LIGHT_REASON_TEXTS] ?? c.reason,
      at: c.at.toISOString(),
    })),
  };
}

export type { TCalendarEntry, TWorkdayTable };
