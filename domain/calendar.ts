/**
 * Calendar arithmetic in Asia/Shanghai (UTC+8 all year: no DST since 1991, so a fixed offset is exact).
 * Dates are 'YYYY-MM-DD' Shanghai calendar dates, periods 'YYYY-MM', instants UTC ISO strings. Pure: no clock.
 */
const OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PERIOD_RE = /^(\d{4})-(\d{2})$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function isValidDate(date: string): boolean {
  const m = DATE_RE.exec(date);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

export function isValidPeriod(period: string): boolean {
  const m = PERIOD_RE.exec(period);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

/** A parseable ISO-8601 instant with an explicit zone (Z or ±hh:mm). */
export function isValidInstant(instant: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(instant) && !isNaN(Date.parse(instant))
  );
}

export function makeDate(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

function parts(date: string): [number, number, number] {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function periodParts(period: string): [number, number] {
  const m = PERIOD_RE.exec(period);
  if (!m) throw new RangeError(`not a period: ${period}`);
  return [Number(m[1]), Number(m[2])];
}

function shanghaiFields(instantIso: string): Date {
  const ms = Date.parse(instantIso);
  if (isNaN(ms)) throw new RangeError(`not an instant: ${instantIso}`);
  return new Date(ms + OFFSET_MS);
}

/** The Shanghai calendar date of an instant. */
export function dateOf(instantIso: string): string {
  const d = shanghaiFields(instantIso);
  return makeDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** The Shanghai calendar month of an instant ('YYYY-MM'). */
export function periodOf(instantIso: string): string {
  return dateOf(instantIso).slice(0, 7);
}

export function addMonthsToPeriod(period: string, n: number): string {
  const [y, m] = periodParts(period);
  const index = y * 12 + (m - 1) + n;
  return `${pad(Math.floor(index / 12), 4)}-${pad((index % 12) + 1)}`;
}

export function nextPeriod(period: string): string {
  return addMonthsToPeriod(period, 1);
}

/** Whole months from `a` to `b` (positive when b is later). */
export function monthsBetweenPeriods(a: string, b: string): number {
  const [ya, ma] = periodParts(a);
  const [yb, mb] = periodParts(b);
  return yb * 12 + mb - (ya * 12 + ma);
}

/** Adds calendar months, clamping to the end of a shorter month (01-31 + 1 month = 02-28 or 02-29). */
export function addMonthsToDate(date: string, n: number): string {
  const [y, m, d] = parts(date);
  const [ny, nm] = periodParts(addMonthsToPeriod(`${pad(y, 4)}-${pad(m)}`, n));
  return makeDate(ny, nm, Math.min(d, daysInMonth(ny, nm)));
}

export function addDaysToDate(date: string, n: number): string {
  const [y, m, d] = parts(date);
  const t = new Date(Date.UTC(y, m - 1, d) + n * DAY_MS);
  return makeDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** Days from date `from` to date `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const [ya, ma, da] = parts(from);
  const [yb, mb, db] = parts(to);
  return Math.round((Date.UTC(yb, mb - 1, db) - Date.UTC(ya, ma - 1, da)) / DAY_MS);
}

/** The instant a Shanghai day starts, as a UTC ISO string (00:00 +08:00 = 16:00Z the day before). */
export function startOfDayInstant(date: string): string {
  const [y, m, d] = parts(date);
  return new Date(Date.UTC(y, m - 1, d) - OFFSET_MS).toISOString();
}

/** The instant a Shanghai day ends (exclusive: the next day's 00:00 +08:00), as a UTC ISO string. */
export function endOfDayInstant(date: string): string {
  return startOfDayInstant(addDaysToDate(date, 1));
}

/** The due day of a period, clamped to the month's length (a due day of 31 falls on 02-28 in February). */
export function dueDateOf(period: string, dueDay: number): string {
  const [y, m] = periodParts(period);
  return makeDate(y, m, Math.min(Math.max(1, dueDay), daysInMonth(y, m)));
}

/** When the report for `period` is due: the end of the due day in Shanghai, as a UTC ISO instant. */
export function dueInstant(period: string, dueDay: number): string {
  return endOfDayInstant(dueDateOf(period, dueDay));
}

/** When the reminder for `period` goes out: `reminderDaysBefore` whole days before the due instant. */
export function reminderInstant(period: string, policy: { reportDueDay: number; reminderDaysBefore: number }): string {
  return addDaysToInstant(dueInstant(period, policy.reportDueDay), -policy.reminderDaysBefore);
}

export function addDaysToInstant(instantIso: string, n: number): string {
  return new Date(Date.parse(instantIso) + n * DAY_MS).toISOString();
}

/** Adds calendar months to an instant, keeping its Shanghai time of day (clamped at month ends). */
export function addMonthsToInstant(instantIso: string, n: number): string {
  const ms = Date.parse(instantIso);
  const date = dateOf(instantIso);
  const timeOfDayMs = ms - Date.parse(startOfDayInstant(date));
  return new Date(Date.parse(startOfDayInstant(addMonthsToDate(date, n))) + timeOfDayMs).toISOString();
}

/** Compares two instants in time order (-1, 0, 1); tolerant of different ISO spellings of one instant. */
export function compareInstants(a: string, b: string): number {
  const d = Date.parse(a) - Date.parse(b);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

export function isBeforeInstant(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b);
}

/** Whole days elapsed from instant `from` to instant `to` (floored; negative when `to` is earlier). */
export function wholeDaysBetweenInstants(from: string, to: string): number {
  return Math.floor((Date.parse(to) - Date.parse(from)) / DAY_MS);
}
