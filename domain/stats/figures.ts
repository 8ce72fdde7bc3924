/**
 * The figures of a campaign's statistics, ledger and progress notices (通报): which tasks count as measures, how a
 * measure is classified, and the completion rate. Pure: the API feeds it rows grouped in SQL (one row per distinct
 * combination of the columns below with its count), or one row per task for a notice as of a past date.
 *
 * Definitions (also answered in the JSON as `definitions`, and in docs/ledger-and-notices.md):
 * - a measure (整改措施) is a task whose parent is not among the counted tasks: a split parent counts once, with its
 *   own status, and its children (分解任务) are rolled up into it (not counted again);
 * - problems (问题): distinct problems with at least one measure in the group;
 * - completed (已完成): CLOSED or VERIFIED; long-term (长期坚持): LONG_TERM; in progress (正在推进): every other status;
 * - overdue (逾期): the overdue flag of the measure; red (红灯): its traffic light is red;
 * - completion rate (完成率) = (completed + long-term) ÷ measures: a measure maintained long-term has been rectified
 *   and keeps being reported (the seeds' 通报 count 需要长期坚持整改的 among 已完成整改), so it counts as done; 0 when there
 *   are no measures; rounded to 4 places.
 */
import type { TaskStatus } from '../task/types';

export type TMeasureClass = 'completed' | 'inProgress' | 'longTerm';

export const COMPLETED_STATUSES: readonly TaskStatus[] = ['CLOSED', 'VERIFIED'];
export const LONG_TERM_STATUSES: readonly TaskStatus[] = ['LONG_TERM'];

export const STATS_DEFINITIONS = {
  measures:
    '整改措施条数：每个任务计一条；已分解的任务只计其本身一次（按其自身状态），分解出的子任务并入其中不重复计算',
  problems: '问题个数：该组中至少有一条整改措施的不同问题数',
  completed: '已完成：状态为已销号（CLOSED）或回头看已核验（VERIFIED）',
  inProgress: '正在推进：除已完成、长期坚持以外的状态（待签收、整改中、逾期、销号审核中）',
  longTerm: '长期坚持：状态为长期坚持（LONG_TERM）',
  overdue: '逾期：逾期标记为真的整改措施',
  red: '红灯：红黄绿灯为红灯的整改措施',
  completionRate:
    '完成率 =（已完成 + 长期坚持）÷ 整改措施条数，长期坚持视为已完成整改并持续巩固；无措施时为 0；保留四位小数',
} as const;

export function classifyStatus(status: string): TMeasureClass {
  if ((COMPLETED_STATUSES as readonly string[]).includes(status)) return 'completed';
  if ((LONG_TERM_STATUSES as readonly string[]).includes(status)) return 'longTerm';
  return 'inProgress';
}

/** (completed + long-term) ÷ measures, 4 places; 0 for none. */
export function completionRate(figures: { completed: number; longTerm: number; measures: number }): number {
  if (figures.measures <= 0) return 0;
  return Math.round(((figures.completed + figures.longTerm) / figures.measures) * 10_000) / 10_000;
}

/** One row of measures sharing every column (a SQL GROUP BY row), or one task (count 1). */
export interface TMeasureRow {
  problemId: string;
  /** The group key of the row under the chosen grouping (a category, unit or leader id). */
  key: string;
  status: string;
  overdue: boolean;
  light: string;
  count: number;
}

export interface TFigures {
  problems: number;
  measures: number;
  completed: number;
  inProgress: number;
  longTerm: number;
  overdue: number;
  red: number;
  completionRate: number;
}

export type TGroupFigures = TFigures & { key: string; name: string };

interface TAccumulator {
  problems: Set<string>;
  measures: number;
  completed: number;
  inProgress: number;
  longTerm: number;
  overdue: number;
  red: number;
}

function emptyAccumulator(): TAccumulator {
  return { problems: new Set(), measures: 0, completed: 0, inProgress: 0, longTerm: 0, overdue: 0, red: 0 };
}

function add(acc: TAccumulator, row: TMeasureRow): void {
  if (row.count <= 0) return;
  acc.problems.add(row.problemId);
  acc.measures += row.count;
  acc[classifyStatus(row.status)] += row.count;
  if (row.overdue) acc.overdue += row.count;
  if (row.light === 'red') acc.red += row.count;
}

function finish(acc: TAccumulator): TFigures {
  const figures = {
    problems: acc.problems.size,
    measures: acc.measures,
    completed: acc.completed,
    inProgress: acc.inProgress,
    longTerm: acc.longTerm,
    overdue: acc.overdue,
    red: acc.red,
  };
  return { ...figures, completionRate: completionRate(figures) };
}

/** The figures of all rows together (problems counted once however many groups they fall in). */
export function totalsOf(rows: readonly TMeasureRow[]): TFigures {
  const acc = emptyAccumulator();
  for (const row of rows) add(acc, row);
  return finish(acc);
}

/**
 * The figures per group key, named by `nameOf` (a key without a name keeps the key as its name), ordered by measures
 * (most first), then by name in Chinese collation.
 */
export function groupFigures(
  rows: readonly TMeasureRow[],
  nameOf: (key: string) => string | undefined,
): TGroupFigures[] {
  const groups = new Map<string, TAccumulator>();
  for (const row of rows) {
    const acc = groups.get(row.key) ?? emptyAccumulator();
    add(acc, row);
    groups.set(row.key, acc);
  }
  return [...groups.entries()]
    .map(([key, acc]) => ({ key, name: nameOf(key) ?? key, ...finish(acc) }))
    .filter((g) => g.measures > 0)
    .sort((a, b) => b.measures - a.measures || a.name.localeCompare(b.name, 'zh-CN') || a.key.localeCompare(b.key));
}

/**
 * The tasks that count as measures among `tasks` (those counted): every task whose parent is not itself counted. A
 * split parent stands for its children; a child whose parent is out of the caller's scope stands for itself.
 */
export function measuresOf<T extends { id: string; parentTaskId: string | null }>(tasks: readonly T[]): T[] {
  const ids = new Set(tasks.map((t) => t.id));
  return tasks.filter((t) => t.parentTaskId === null || !ids.has(t.parentTaskId));
}
