/**
 * A task's figures as of the end of a past Shanghai day, rebuilt from its audit trail (the status changes recorded
 * with `toStatus` and their instants), for progress notices dated in the past.
 *
 * - status: the `toStatus` of the last status change at or before the end of the day; a task with none by then but
 *   created by then is ASSIGNED (its first status);
 * - overdue: still working (ASSIGNED, IN_PROGRESS, OVERDUE) and either OVERDUE by then or past its deadline date
 *   (the task's current deadline: an extension approved after the day is not undone — an approximation);
 * - red: overdue as above, or under listed supervision / accountability (an escalation to those steps recorded by
 *   then) while not completed. Yellow is not rebuilt (it depends on report due dates at that instant): a past notice
 *   counts red only — the approximation docs/ledger-and-notices.md states.
 */
import { compareInstants, endOfDayInstant } from '../calendar';
import { WORKING_STATUSES, type TaskStatus } from '../task/types';
import { classifyStatus } from './figures';

const RED_STEPS = new Set(['listed_supervision', 'accountability']);

export interface TStatusChange {
  toStatus: string;
  /** ISO instant. */
  at: string;
}

export interface TTaskAsOfInput {
  /** ISO instant the task was created. */
  createdAt: string;
  /** 'YYYY-MM-DD' or null (no date in its deadline). */
  deadlineDate: string | null;
  changes: readonly TStatusChange[];
  /** Instants at which the task reached an escalation step, with the step's name. */
  escalations: readonly { step: string; at: string }[];
}

export interface TTaskAsOf {
  status: TaskStatus;
  overdue: boolean;
  light: 'red' | 'green';
}

/** The figures of one task at the end of `asOf` (a Shanghai date), or null when it did not exist yet. */
export function taskAsOf(task: TTaskAsOfInput, asOf: string): TTaskAsOf | null {
  const end = endOfDayInstant(asOf);
  if (compareInstants(task.createdAt, end) >= 0) return null;
  let status: TaskStatus = 'ASSIGNED';
  let last: string | null = null;
  for (const change of task.changes) {
    if (compareInstants(change.at, end) >= 0) continue;
    if (last === null || compareInstants(change.at, last) >= 0) {
      last = change.at;
      status = change.toStatus as TaskStatus;
    }
  }
  const working = WORKING_STATUSES.includes(status);
  const overdue = working && (status === 'OVERDUE' || (task.deadlineDate !== null && task.deadlineDate < asOf));
  const listed =
    classifyStatus(status) !== 'completed' &&
    task.escalations.some((e) => RED_STEPS.has(e.step) && compareInstants(e.at, end) < 0);
  return { status, overdue, light: overdue || listed ? 'red' : 'green' };
}
