/**
 * The traffic light of one task (green on track, yellow at risk, red overdue), computed from its state, the
 * policy and the time: used by the task list filters and the campaign counts.
 */
import {
  addDaysToInstant,
  addMonthsToPeriod,
  compareInstants,
  dueInstant,
  periodOf,
  startOfDayInstant,
} from './calendar';
import type { TCampaignPolicy } from './policy';
import {
  deadlineInstant,
  firstReportPeriod,
  hasReportIn,
  nextReportDue,
  type TaskState,
  WORKING_STATUSES,
} from './task';

export type TrafficLight = 'green' | 'yellow' | 'red';

/** Steps of the ladder at or beyond which the task counts as under listed supervision. */
const RED_STEPS = new Set(['listed_supervision', 'accountability']);

/** A report is late: marked overdue and still not in, or the next report owed is past its due instant. */
export function hasLateReport(state: TaskState, policy: TCampaignPolicy, now: string): boolean {
  const marked = state.overdueReports.some((o) => o.round === state.round && !hasReportIn(state, o.period));
  if (marked) return true;
  const due = nextReportDue(state, policy, now);
  return due !== null && compareInstants(now, due.dueAt) >= 0;
}

/**
 * red: overdue (flagged, or its deadline has passed at `now` even if the timer has not fired yet) or under listed
 * supervision; yellow: the deadline falls within the warning window, or a report is late; green otherwise.
 */
export function computeTrafficLight(state: TaskState, ctx: { now: string; policy: TCampaignPolicy }): TrafficLight {
  const { now, policy } = ctx;
  if (state.status === 'VERIFIED' || state.status === 'CLOSED') return 'green';
  const deadline = deadlineInstant(state);
  if (state.overdue || state.status === 'OVERDUE') return 'red';
  if (deadline !== null && compareInstants(now, deadline) >= 0) return 'red';
  if (state.escalations.some((e) => RED_STEPS.has(e.step))) return 'red';
  if (deadline !== null && compareInstants(addDaysToInstant(now, policy.warningWindowDays), deadline) >= 0)
    return 'yellow';
  if (hasLateReport(state, policy, now)) return 'yellow';
  return 'green';
}

/**
 * The earliest instant after `now` at which `computeTrafficLight` could answer differently with no event happening,
 * or null when nothing time-driven is left. Conservative: the light may turn out the same at that instant (the
 * caller recomputes then and asks again), but it never changes before it. The workflow sleeps until it to project
 * the light, and the read side takes a stored light as current until it.
 *
 * Time enters the light in exactly these places, each a candidate:
 * - the deadline instant (red from then on) and `warningWindowDays` before it (yellow: now + window ≥ deadline);
 * - the next report's due instant (a late report turns it yellow);
 * - `nextReportDue` skips periods more than a year behind `now`: its answer depends on `now`'s month once the
 *   schedule starts more than 12 months back, so from then on each new month is a candidate.
 * Red is never left by time alone (overdue flag, passed deadline and ladder steps only grow), so a red light has no
 * next change; nor has a closed or verified task (always green).
 */
export function nextLightChange(state: TaskState, policy: TCampaignPolicy, now: string): string | null {
  if (state.status === 'VERIFIED' || state.status === 'CLOSED') return null;
  if (computeTrafficLight(state, { now, policy }) === 'red') return null;
  const candidates: string[] = [];
  const deadline = deadlineInstant(state);
  if (deadline !== null) candidates.push(addDaysToInstant(deadline, -policy.warningWindowDays), deadline);
  const due = nextReportDue(state, policy, now);
  if (due) candidates.push(due.dueAt);
  const start = reportScheduleStart(state, policy);
  if (start !== null) {
    // The skip in nextReportDue applies at instant t when start < periodOf(t) - 12: from month start + 13 on. Until
    // then (and within one month) its answer does not depend on `now`.
    const nextMonth = addMonthsToPeriod(periodOf(now), 1);
    const skipFrom = addMonthsToPeriod(start, 13);
    candidates.push(startOfDayInstant(`${nextMonth > skipFrom ? nextMonth : skipFrom}-01`));
  }
  let next: string | null = null;
  for (const at of candidates) {
    if (compareInstants(at, now) > 0 && (next === null || compareInstants(at, next) < 0)) next = at;
  }
  return next;
}

/** The first period of the report schedule, as `nextReportDue` starts it; null while no report is owed by status. */
function reportScheduleStart(state: TaskState, policy: TCampaignPolicy): string | null {
  if (state.status === 'LONG_TERM') {
    return addMonthsToPeriod(periodOf(state.longTermSince ?? state.roundStartedAt), policy.longTermCadenceMonths);
  }
  if (WORKING_STATUSES.includes(state.status)) {
    return firstReportPeriod(state.roundStartedAt, policy);
  }
  return null;
}

/** Counts per light, for a campaign's summary. */
export function countTrafficLights(lights: readonly TrafficLight[]): Record<TrafficLight, number> {
  const counts: Record<TrafficLight, number> = { green: 0, yellow: 0, red: 0 };
  for (const light of lights) counts[light]++;
  return counts;
}

/** The instant the report for `period` is due under `policy` (re-exported for callers that show it). */
export function reportDueAt(period: string, policy: TCampaignPolicy): string {
  return dueInstant(period, policy.reportDueDay);
}

const LIGHT_RANK: Record<TrafficLight, number> = { green: 0, yellow: 1, red: 2 };

/** Why a task's light is what it is, or why it changed (the timeline names it). */
export type LightReason =
  | 'overdue'
  | 'listed_supervision'
  | 'deadline_near'
  | 'report_late'
  | 'on_track'
  | 'closed'
  | 'report_filed'
  | 'extension_approved'
  | 'reassigned'
  | 'reopened';

/** The reason the rules give the light at `now` (what holds, not what happened). */
export function lightReason(state: TaskState, ctx: { now: string; policy: TCampaignPolicy }): LightReason {
  const { now, policy } = ctx;
  if (state.status === 'VERIFIED' || state.status === 'CLOSED') return 'closed';
  const deadline = deadlineInstant(state);
  if (state.overdue || state.status === 'OVERDUE') return 'overdue';
  if (deadline !== null && compareInstants(now, deadline) >= 0) return 'overdue';
  if (state.escalations.some((e) => RED_STEPS.has(e.step))) return 'listed_supervision';
  if (deadline !== null && compareInstants(addDaysToInstant(now, policy.warningWindowDays), deadline) >= 0)
    return 'deadline_near';
  if (hasLateReport(state, policy, now)) return 'report_late';
  return 'on_track';
}

/**
 * The reason for a change of light projected with events: the event that moved it when one of them explains a
 * change (a report filed, an extension approved, a reassignment, a reopening), else what the rules say now.
 */
export function lightChangeReason(
  events: readonly { type: string; final?: boolean }[],
  state: TaskState,
  ctx: { now: string; policy: TCampaignPolicy },
  change: { from: TrafficLight; to: TrafficLight },
): LightReason {
  const holds = lightReason(state, ctx);
  // Turning worse is explained by what holds now (overdue, a late report, a deadline near); so is a closure.
  if (LIGHT_RANK[change.to] >= LIGHT_RANK[change.from] || holds === 'closed') return holds;
  for (const event of [...events].reverse()) {
    if (event.type === 'ExtensionApproved' && event.final) return 'extension_approved';
    if (event.type === 'ReportSubmitted') return 'report_filed';
    if (event.type === 'TaskReassigned') return 'reassigned';
    if (event.type === 'TaskReopened') return 'reopened';
  }
  return holds;
}
