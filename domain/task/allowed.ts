/**
 * What a caller may do on a task now, for the screens: each action is probed through `decide` itself with a
 * representative command, so the answer comes from the very rules the workflow's validators run (never a second copy
 * of them in the API or the browser). A probe is refused only by authority or state, never by the probe's own
 * placeholder text: the placeholders are valid inputs.
 */
import { addDaysToDate, addMonthsToPeriod, dateOf, periodOf } from '../calendar';
import { deadlineDate } from '../deadline';
import { decide } from './decide';
import type { Actor, DecideContext, TaskCommand, TaskState, TaskStatus } from './types';

export const ALLOWED_ACTIONS = [
  'acknowledge',
  'submit_report',
  'review_report',
  'request_closure',
  'sign_off',
  'request_extension',
  'decide_extension',
  'urge',
  'reassign',
  'split',
  'look_back',
  'end_long_term',
  'delegate',
] as const;
export type TAllowedActionKind = (typeof ALLOWED_ACTIONS)[number];

export interface TAllowedAction {
  action: TAllowedActionKind;
  /** submit_report: the periods the caller may file (newest first); review_report: the periods awaiting review. */
  periods?: string[];
  /** delegate: the people who could stand in for the caller (filled by the API from the directory). */
  candidates?: { id: string; name: string }[];
}

/** Statuses in which urging (催办) means something: the task still needs someone to act. */
const URGEABLE: readonly TaskStatus[] = ['ASSIGNED', 'IN_PROGRESS', 'OVERDUE', 'CLOSURE_REQUESTED', 'LONG_TERM'];

/**
 * Urging changes no state, so it has no `decide` rule: the office of the task's level or a supervisor (the API checks
 * read scope) may urge while the task is still open. The urge route refuses by this same function.
 */
export function mayUrge(state: Pick<TaskState, 'status'>, actor: Pick<Actor, 'role'>): boolean {
  return (actor.role === 'office' || actor.role === 'supervisor') && URGEABLE.includes(state.status);
}

const PROBE_TEXT = '（预检）';
/** How far back the report form offers periods: as far as the schedule itself looks (nextReportDue skips older). */
const REPORT_LOOKBACK_MONTHS = 12;

export function allowedActions(state: TaskState, actor: Actor, ctx: DecideContext): TAllowedAction[] {
  const allows = (command: TaskCommand): boolean => {
    try {
      return decide(state, command, ctx).ok;
    } catch {
      // A state the rules cannot evaluate (e.g. a date beyond the calendar's range) offers no action, not a 500.
      return false;
    }
  };
  const out: TAllowedAction[] = [];
  const today = dateOf(ctx.now);

  if (allows({ type: 'acknowledge', actor })) out.push({ action: 'acknowledge' });

  const reportable = candidatePeriods(state, ctx.now).filter((period) =>
    allows({ type: 'submitReport', actor, period, progress: PROBE_TEXT, reportId: 'probe' }),
  );
  if (reportable.length > 0) out.push({ action: 'submit_report', periods: reportable });

  const awaitingReview = [
    ...new Set(state.reports.filter((r) => r.round === state.round && r.status === 'submitted').map((r) => r.period)),
  ]
    .sort()
    .reverse()
    .filter((period) => allows({ type: 'reviewReport', actor, period, decision: 'accept' }));
  if (awaitingReview.length > 0) out.push({ action: 'review_report', periods: awaitingReview });

  if (allows({ type: 'requestClosure', actor, summary: PROBE_TEXT, applicationId: 'probe' })) {
    out.push({ action: 'request_closure' });
  }
  if (allows({ type: 'signOff', actor, decision: 'approve' })) out.push({ action: 'sign_off' });

  const current = deadlineDate(state.deadline);
  if (current !== null) {
    // Any date after both the deadline and today is a valid request: probe with the later of the two, plus a day.
    const later = current > today ? current : today;
    let probeDate: string | null = null;
    try {
      probeDate = addDaysToDate(later, 1);
    } catch {
      probeDate = null;
    }
    if (probeDate !== null && allows({ type: 'requestExtension', actor, newDate: probeDate, reason: PROBE_TEXT })) {
      out.push({ action: 'request_extension' });
    }
  }
  if (allows({ type: 'decideExtension', actor, decision: 'approve' })) out.push({ action: 'decide_extension' });
  if (mayUrge(state, actor)) out.push({ action: 'urge' });
  if (allows({ type: 'reassign', actor, leaderId: `${state.leaderId}:probe` })) out.push({ action: 'reassign' });
  if (allows({ type: 'childrenCreated', actor, childTaskIds: ['probe'] })) out.push({ action: 'split' });
  if (allows({ type: 'lookBackVerdict', actor, verdict: 'consolidated' })) out.push({ action: 'look_back' });
  if (allows({ type: 'endLongTerm', actor })) out.push({ action: 'end_long_term' });
  // Probed with a deputy who could stand in (same role, same unit): whether the caller may delegate at all.
  const deputy = { toUserId: `${actor.userId}:probe`, toRole: actor.role, toUnitId: actor.unitId };
  if (allows({ type: 'delegate', actor, ...deputy, from: today, to: today })) {
    out.push({ action: 'delegate' });
  }
  return out;
}

/** The periods a report could be filed for: this month back to the round's start, at most a year, newest first. */
function candidatePeriods(state: TaskState, now: string): string[] {
  const latest = periodOf(now);
  const floor = addMonthsToPeriod(latest, -REPORT_LOOKBACK_MONTHS);
  const start = periodOf(state.roundStartedAt);
  const out: string[] = [];
  for (let p = latest; p >= start && p >= floor; p = addMonthsToPeriod(p, -1)) out.push(p);
  return out;
}
