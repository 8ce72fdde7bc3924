/** Dates and sizes as the screens print them (Beijing usage: 2026年3月1日, 24-hour clock). */
import type { TDeadlineView } from './types';
import { DEADLINE_KIND_TEXT, say } from './texts';

/**
 * Every instant is shown on Beijing time, whatever the browser's zone: a deadline, a due date or a sign-off time must
 * read the same for everyone (and in CI, whose browsers run on UTC). China keeps no daylight saving: +08:00 always.
 */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;
const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The Beijing wall-clock fields of an instant (read with getUTC…), or null when it is not one. */
function beijing(iso: string): Date | null {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t + BEIJING_OFFSET_MS);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A plain date (`2027-06-30`) as written, or an instant's Beijing date: `2027年6月30日`. */
export function fmtDate(isoOrDate: string | null | undefined): string {
  if (!isoOrDate) return '—';
  const plain = PLAIN_DATE.exec(isoOrDate);
  if (plain) return `${plain[1]}年${Number(plain[2])}月${Number(plain[3])}日`;
  const d = beijing(isoOrDate);
  return d ? `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日` : isoOrDate;
}

/** An instant on Beijing time, 24-hour clock: `2026-12-01 13:36`. */
export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = beijing(iso);
  if (!d) return iso;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/**
 * A due instant is the end of its due day (midnight Beijing), so the day it belongs to is the one before that instant:
 * `2026-12-25T16:00:00Z` reads `2026年12月25日`, not the 26th.
 */
export function fmtDueBy(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : fmtDate(new Date(t - 1).toISOString());
}

/** `2026-03` → `2026年3月` (report periods). */
export function fmtPeriod(period: string | null | undefined): string {
  if (!period) return '—';
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  return m ? `${m[1]}年${Number(m[2])}月` : period;
}

/** The parsed deadline: its kind in words and, where it has one, the date. */
export function fmtDeadline(deadline: TDeadlineView | null | undefined): string {
  if (!deadline) return '—';
  const kind = say(DEADLINE_KIND_TEXT, deadline.kind);
  return deadline.date ? `${kind}（${fmtDate(deadline.date)}）` : kind;
}

export function fmtSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A notice's text as the screens show it: the texts end with the task's path (`查看：/tasks/<id>`) for channels that
 * have no link of their own (mail, messaging); on screen the notice carries a real link instead.
 */
export function noticeText(body: string): string {
  return body.replace(/\s*查看：\S+$/, '');
}
