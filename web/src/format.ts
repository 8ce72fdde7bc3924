/** Dates and sizes as the screens print them (Beijing usage: 2026年3月1日, 24-hour clock). */
import dayjs from 'dayjs';
import type { TDeadlineView } from './types';
import { DEADLINE_KIND_TEXT, say } from './texts';

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = dayjs(iso);
  return d.isValid() ? d.format('YYYY年M月D日') : iso;
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = dayjs(iso);
  return d.isValid() ? d.format('YYYY-MM-DD HH:mm') : iso;
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
