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
  periodOf,
  reminderInstant,
  wholeDaysBetweenInstants,
} from '../calendar';
import { deadlineDate } from '../deadline';
import type { TCampaignPolicy, TEscalationStep } from '../policy';
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
export function nextReportDue(state: TaskState, policy: TCampaignPolicy, now: string): ReportDue | null {
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
