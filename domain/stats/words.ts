/**
 * The words the ledger and the notices print: dates in Chinese, a deadline as the plan words it, a status as 完成情况,
 * a light as 红灯/黄灯/绿灯. Pure.
 */

/** '2026-06-30' → '2026年6月30日'. */
export function chineseDate(date: string): string {
  const [y, m, d] = date.split('-');
  return `${y}年${Number(m)}月${Number(d)}日`;
}

/**
 * 整改时限 as the ledger prints it: the plan's wording when the task kept one, else the date in Chinese, with the
 * words the deadline parser reads back (立行立改, 长期坚持, 前完成，并长期坚持).
 */
export function deadlineWording(task: {
  deadlineText: string | null;
  deadlineKind: string;
  deadlineDate: string | null;
}): string {
  if (task.deadlineText && task.deadlineText.trim() !== '') return task.deadlineText;
  const date = task.deadlineDate ? chineseDate(task.deadlineDate) : null;
  switch (task.deadlineKind) {
    case 'long_term':
      return '长期坚持';
    case 'immediate':
      return '立行立改';
    case 'immediate_then_long_term':
      return '立行立改，长期坚持';
    case 'date_then_long_term':
      return date ? `${date}前完成，并长期坚持` : '长期坚持';
    default:
      return date ?? '';
  }
}

/** 完成情况 of a status. */
export const STATUS_WORDS: Record<string, string> = {
  ASSIGNED: '待签收',
  IN_PROGRESS: '正在推进',
  OVERDUE: '已逾期',
  CLOSURE_REQUESTED: '销号审核中',
  CLOSED: '已完成',
  LONG_TERM: '长期坚持',
  VERIFIED: '已完成（回头看已核实）',
};

export function statusWord(status: string): string {
  return STATUS_WORDS[status] ?? status;
}

export const LIGHT_WORDS: Record<string, string> = { red: '红灯', yellow: '黄灯', green: '绿灯' };

export function lightWord(light: string): string {
  return LIGHT_WORDS[light] ?? '绿灯';
}

/** A rate (0…1) as a percentage with at most two decimals: 1 → '100%', 0.6667 → '66.67%'. */
export function percent(rate: number): string {
  return `${Math.round(rate * 10_000) / 100}%`;
}
