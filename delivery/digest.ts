/** When a digest goes out. Pure: Asia/Shanghai is UTC+8 all year (no daylight saving), so no time-zone database. */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;

/** The first instant strictly after `at` whose Shanghai wall-clock time is `hour`:00. */
export function nextDigestAt(at: Date, hour: number): Date {
  const local = at.getTime() + SHANGHAI_OFFSET_MS;
  const midnight = Math.floor(local / DAY_MS) * DAY_MS;
  let candidate = midnight + hour * 3600_000;
  if (candidate <= local) candidate += DAY_MS;
  return new Date(candidate - SHANGHAI_OFFSET_MS);
}

/** '2026-12-01T00:00:00Z' → '2026年12月1日' (the Shanghai date). */
export function shanghaiDateText(at: Date): string {
  const d = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
}
