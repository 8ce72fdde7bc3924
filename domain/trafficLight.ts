/**
 * The traffic light of one task (green on track, yellow at risk, red overdue), computed from its state, the
 * policy and the time: used by the task list filters and the campaign counts.
 */
import { addDaysToInstant, compareInstants, dueInstant } from './calendar';
import type { TCampaignPolicy } from './policy';
import { deadlineInstant, hasReportIn, nextReportDue, type TaskState } from './task';

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
