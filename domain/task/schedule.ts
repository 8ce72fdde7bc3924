/**
 * The task's timetable, derived from its state and the policy: the next report due, the deadline instant, the
 * look-back and the escalation ladder. The workflow sleeps until the earliest of these; nothing here reads a clock.
 */
import {
  addDaysToInstant,
  addMonthsToInstant,
  addMonthsToPeriod,
  compareInstants,
  dueInstant,
  endOfDayInstant,
  monthsBetweenPeriods,
  dateOf,
  dueDateOf,
  periodOf,
  reminderInstant,
  startOfDayInstant,
  wholeDaysBetweenInstants,
} from '../calendar';
import { deadlineDate } from '../deadline';
import { DEFAULT_DEADLINE_WARNINGS, type TCampaignPolicy, type TEscalationStep } from '../policy';
import { addWorkdays, applyDueDayRule, isGuessed, type TWorkdayTable } from '../workdays';
import { hasReportIn } from './signOff';
import type { TaskState, TaskStatus } from './types';
import { WORKING_STATUSES } from './types';

export interface ReportDue {
  period: string;
  reminderAt: string;
  dueAt: string;
}

/**
 * The first period a round reports on: the month it started, unless it started after that month's reminder, in
 * which case the next month (a unit is never asked for a report with less notice than the reminder gives).
 */
export function firstReportPeriod(startedAt: string, policy: TCampaignPolicy): string {
  const period = periodOf(startedAt);
  return compareInstants(startedAt, reminderInstant(period, policy)) < 0 ? period : addMonthsToPeriod(period, 1);
}

/** A period is settled once its report is in (awaiting review or accepted) or it was marked overdue. */
function settled(state: TaskState, period: string): boolean {
  return hasReportIn(state, period) || state.overdueReports.some((o) => o.round === state.round && o.period === period);
}

const REPORTING: readonly TaskStatus[] = [...WORKING_STATUSES, 'LONG_TERM'];

/**
 * The next report the task owes: monthly while working, every `longTermCadenceMonths` in LONG_TERM, none
 * otherwise (close-out pending, closed, verified). The earliest unsettled period of the schedule is returned, so
 * a returned report stays owed until resubmitted. Periods more than a year behind `now` are skipped: a task
 * imported with an old assignment date starts its schedule near the present instead of replaying every month.
 */
export function nextReportDue(
  state: TaskState,
  policy: TCampaignPolicy,
  now: string,
  table?: TWorkdayTable,
): ReportDue | null {
  if (!REPORTING.includes(state.status)) return null;
  const longTerm = state.status === 'LONG_TERM';
  const step = longTerm ? policy.longTermCadenceMonths : 1;
  let period = longTerm
    ? addMonthsToPeriod(periodOf(state.longTermSince ?? state.roundStartedAt), step)
    : firstReportPeriod(state.roundStartedAt, policy);
  const floor = addMonthsToPeriod(periodOf(now), -12);
  if (period < floor) period = addMonthsToPeriod(period, Math.ceil(monthsBetweenPeriods(period, floor) / step) * step);
  // Bounded: each settled period is a report or an overdue mark in the state, so the loop ends after them.
  const limit = state.reports.length + state.overdueReports.length + 24;
  for (let i = 0; i <= limit; i++, period = addMonthsToPeriod(period, step)) {
    if (settled(state, period)) continue;
    if (table) {
      const dueAt = endOfDayInstant(reportDueDate(period, policy, table));
      return { period, reminderAt: addDaysToInstant(dueAt, -policy.reminderDaysBefore), dueAt };
    }
    return {
      period,
      reminderAt: reminderInstant(period, policy),
      dueAt: dueInstant(period, policy.reportDueDay),
    };
  }
  return null;
}

const DEADLINE_APPLIES: readonly TaskStatus[] = [...WORKING_STATUSES, 'CLOSURE_REQUESTED'];

/**
 * The instant the task's deadline passes (end of its date, Shanghai), while the deadline still applies: working
 * or awaiting sign-off. Null for pure long-term tasks and once closed, long-term or verified.
 */
export function deadlineInstant(state: TaskState): string | null {
  if (!DEADLINE_APPLIES.includes(state.status)) return null;
  const date = deadlineDate(state.deadline);
  return date === null ? null : endOfDayInstant(date);
}

/**
 * When the look-back is due: `lookBackDelayMonths` after closure. Given a state, only while it is CLOSED and the
 * look-back has not yet been raised; given the closure instant, always.
 */
export function lookBackAt(closedAtOrState: string | TaskState, policy: TCampaignPolicy): string | null {
  if (typeof closedAtOrState === 'string') return addMonthsToInstant(closedAtOrState, policy.lookBackDelayMonths);
  const state = closedAtOrState;
  if (state.status !== 'CLOSED' || !state.closedAt || state.lookBackDueAt) return null;
  return addMonthsToInstant(state.closedAt, policy.lookBackDelayMonths);
}

export type ScheduledEscalationStep = TEscalationStep & { at: string };

/**
 * The escalation ladder's steps. Given a number of days overdue: the steps reached by then. Given the deadline
 * instant: every step with the instant it falls due (deadline + afterDaysOverdue days), in ladder order.
 */
export function escalationStepsDue(policy: TCampaignPolicy, daysOverdue: number): TEscalationStep[];
export function escalationStepsDue(policy: TCampaignPolicy, deadlineInstantIso: string): ScheduledEscalationStep[];
export function escalationStepsDue(
  policy: TCampaignPolicy,
  arg: number | string,
): TEscalationStep[] | ScheduledEscalationStep[] {
  const ladder = [...policy.escalationLadder].sort((a, b) => a.afterDaysOverdue - b.afterDaysOverdue);
  if (typeof arg === 'number') return ladder.filter((s) => s.afterDaysOverdue <= arg);
  return ladder.map((s) => ({ ...s, at: addDaysToInstant(arg, s.afterDaysOverdue) }));
}

/**
 * When the current sign-off level is due to act: `signOffDaysPerLevel` after the application reached it (the
 * application instant for level 1, the previous approval for the others). Null when nothing awaits sign-off.
 */
export function signOffDueAt(state: TaskState, policy: TCampaignPolicy): { level: number; dueAt: string } | null {
  const closure = state.closure;
  if (state.status !== 'CLOSURE_REQUESTED' || !closure) return null;
  const reachedAt =
    closure.approvals.length > 0 ? closure.approvals[closure.approvals.length - 1].at : closure.appliedAt;
  return { level: closure.levelReached + 1, dueAt: addDaysToInstant(reachedAt, policy.signOffDaysPerLevel) };
}

/** Whole days past the deadline at `now` (0 on the day it passed); null when no deadline applies or not past. */
export function daysOverdue(state: TaskState, now: string): number | null {
  const at = deadlineInstant(state);
  if (at === null || compareInstants(now, at) < 0) return null;
  return wholeDaysBetweenInstants(at, now);
}

/**
 * The day the report for `period` is due: the policy's due day (clamped to the month), moved by `dueDayRule` when
 * it is not a working day (by default to the next one: a report due on Sunday 2026-10-25 is due on Monday the 26th).
 * Without a table (runs recorded before the calendar) the plain due day.
 */
export function reportDueDate(period: string, policy: TCampaignPolicy, table?: TWorkdayTable): string {
  const date = dueDateOf(period, policy.reportDueDay);
  return table ? applyDueDayRule(table, date, policy.dueDayRule ?? 'next_workday') : date;
}

/** Reminders and warning letters go out at 09:00 Shanghai, the start of an office's working day. */
export function workdayMorning(date: string): string {
  return addHours(startOfDayInstant(date), 9);
}

function addHours(instant: string, hours: number): string {
  return new Date(Date.parse(instant) + hours * 3600 * 1000).toISOString();
}

export type WarningLetter = 'green' | 'yellow' | 'red';

export interface DeadlineWarning {
  /** Working days before the deadline. */
  workdays: number;
  /** 绿/黄/红: the first letter is green, the last red, any between yellow. */
  letter: WarningLetter;
  /** The deadline date it warns of, and the working day it goes out on (09:00 Shanghai). */
  deadlineDate: string;
  date: string;
  at: string;
}

/**
 * The 绿/黄/红 warning letters before the task's own deadline, `deadlineWarnings` working days before it, in time
 * order; none when no dated deadline applies or the task is already overdue.
 */
export function deadlineWarnings(state: TaskState, policy: TCampaignPolicy, table: TWorkdayTable): DeadlineWarning[] {
  if (deadlineInstant(state) === null || state.overdue) return [];
  const date = deadlineDate(state.deadline);
  if (date === null) return [];
  const days = [...new Set(policy.deadlineWarnings ?? DEFAULT_DEADLINE_WARNINGS)].sort((a, b) => b - a);
  return days.map((workdays, i) => {
    const on = addWorkdays(table, date, -workdays);
    const letter: WarningLetter = i === days.length - 1 ? 'red' : i === 0 ? 'green' : 'yellow';
    return { workdays, letter, deadlineDate: date, date: on, at: workdayMorning(on) };
  });
}

export interface SignOffReminder {
  applicationId: string;
  /** The level waited on (1-based) and the working days it has waited. */
  level: number;
  workdays: number;
  at: string;
}

/**
 * The reminder to a signer whose level has waited `signOffDaysPerLevel` working days since the application reached
 * it (09:00 Shanghai that day); null when nothing awaits sign-off.
 */
export function signOffReminder(
  state: TaskState,
  policy: TCampaignPolicy,
  table: TWorkdayTable,
): SignOffReminder | null {
  const closure = state.closure;
  if (state.status !== 'CLOSURE_REQUESTED' || !closure) return null;
  const reachedAt =
    closure.approvals.length > 0 ? closure.approvals[closure.approvals.length - 1].at : closure.appliedAt;
  const workdays = policy.signOffDaysPerLevel;
  const on = addWorkdays(table, dateOf(reachedAt), workdays);
  return { applicationId: closure.applicationId, level: closure.levelReached + 1, workdays, at: workdayMorning(on) };
}

/**
 * Of timed items not yet taken, which to act on at `now`: the latest one already due (the step reached) and the
 * earlier due ones it makes moot (recorded as skipped, never sent). A task created 2,000 days past its deadline
 * gets the ladder's last step only, not five notices at once; a warning letter missed while a task did not exist
 * yet is not sent late.
 */
export function stepReached<T extends { at: string }>(
  items: readonly T[],
  now: string,
): { reached: T | null; skipped: T[] } {
  const due = items.filter((i) => compareInstants(i.at, now) <= 0).sort((a, b) => compareInstants(a.at, b.at));
  return { reached: due[due.length - 1] ?? null, skipped: due.slice(0, -1) };
}

/** The dates a lifecycle plan rests on that fall where the table has no official data (each one a warning). */
export function guessedDates(table: TWorkdayTable, dates: readonly string[]): string[] {
  return dates.filter((d) => isGuessed(table, d));
}

export type ReminderKind = 'report_reminder' | 'deadline_warning' | 'sign_off_reminder';

/**
 * The next reminder the task will send after `now` (for the task page): the report reminder, a deadline warning
 * letter or a sign-off reminder, whichever comes first; null when none is planned.
 */
export function nextReminder(
  state: TaskState,
  policy: TCampaignPolicy,
  now: string,
  table: TWorkdayTable,
): { kind: ReminderKind; at: string } | null {
  const candidates: { kind: ReminderKind; at: string }[] = [];
  const due = nextReportDue(state, policy, now, table);
  if (due) candidates.push({ kind: 'report_reminder', at: due.reminderAt });
  for (const w of deadlineWarnings(state, policy, table)) candidates.push({ kind: 'deadline_warning', at: w.at });
  const signOff = signOffReminder(state, policy, table);
  if (signOff) candidates.push({ kind: 'sign_off_reminder', at: signOff.at });
  const future = candidates.filter((c) => compareInstants(c.at, now) > 0);
  future.sort((a, b) => compareInstants(a.at, b.at));
  return future[0] ?? null;
}
