/**
 * decide: the business rules. Given the state and a command, either the events the command produces or the
 * reason it is refused; it never changes anything itself (evolve applies the events). Deterministic: the only
 * time it knows is ctx.now.
 */
import {
  addDaysToInstant,
  compareInstants,
  dateOf,
  daysBetween,
  dueInstant,
  endOfDayInstant,
  isValidDate,
  isValidInstant,
  isValidPeriod,
  periodOf,
  wholeDaysBetweenInstants,
} from '../calendar';
import { deadlineDate, isLongTermKind, withDeadlineDate } from '../deadline';
import type { TRole } from '../policy';
import { type Result, invalidTransition, notAuthorized, notFound, ok, validationError } from '../result';
import { deadlineInstant, lookBackAt, reportDueDate } from './schedule';
import { authorityFor, currentSigner, hasReportIn, matchesLevel } from './signOff';
import {
  type Actor,
  type DecideContext,
  type EventBase,
  type ResolvedSignOffLevel,
  SYSTEM_ACTOR,
  TASK_STATUSES,
  type TaskCommand,
  type TaskEvent,
  type TaskState,
  type TaskStatus,
  WORKING_STATUSES,
} from './types';

type Events = Result<TaskEvent[]>;

/** The longest a delegation may run: a leave or a posting, not a standing transfer of authority. */
export const MAX_DELEGATION_DAYS = 90;

/** A deputy stands in for a signer, so must be someone who could hold the same level: same role, same unit. */
export function mayStandIn(
  signer: { role: string; unitId: string },
  deputy: { role: string; unitId: string },
): boolean {
  return deputy.role === signer.role && deputy.unitId === signer.unitId;
}

const REPORTING: readonly TaskStatus[] = [...WORKING_STATUSES, 'LONG_TERM'];
const DONE_CHILD: readonly TaskStatus[] = ['CLOSED', 'LONG_TERM', 'VERIFIED'];

function base(state: TaskState, actor: Actor, ctx: DecideContext): EventBase {
  return { at: ctx.now, actor, round: state.round };
}

function blank(s: string | undefined): boolean {
  return s === undefined || s.trim() === '';
}

function isActor(a: unknown): a is Actor {
  if (typeof a !== 'object' || a === null) return false;
  const r = a as Record<string, unknown>;
  return typeof r.userId === 'string' && typeof r.role === 'string' && typeof r.unitId === 'string' && r.userId !== '';
}

function isUnitMember(state: TaskState, actor: Actor): boolean {
  return actor.unitId === state.leadUnitId && (actor.role === 'unit_staff' || actor.role === 'unit_head');
}

function isOffice(state: TaskState, actor: Actor): boolean {
  return actor.role === 'office' && actor.unitId === state.officeUnitId;
}

function requireUnit(state: TaskState, actor: Actor, what: string): Events | null {
  return isUnitMember(state, actor)
    ? null
    : notAuthorized(`only staff or the head of the lead unit ${state.leadUnitId} may ${what}`);
}

function requireOffice(state: TaskState, actor: Actor, what: string): Events | null {
  return isOffice(state, actor)
    ? null
    : notAuthorized(`only the rectification office ${state.officeUnitId} may ${what}`);
}

function requireStatus(state: TaskState, allowed: readonly TaskStatus[], what: string): Events | null {
  return allowed.includes(state.status) ? null : invalidTransition(`cannot ${what} while the task is ${state.status}`);
}

/** The pseudo-level an extension approver holds, so delegation works for approvals as it does for sign-off. */
function approverLevel(state: TaskState, approver: 'office' | 'leader'): ResolvedSignOffLevel {
  return approver === 'office'
    ? { level: 0, name: 'office', role: 'office', scope: 'office', unitId: state.officeUnitId }
    : { level: 0, name: 'leader', role: 'leader', scope: 'leader', userId: state.leaderId };
}

export function decide(state: TaskState, command: TaskCommand, ctx: DecideContext): Events {
  if (!isValidInstant(ctx.now)) return validationError(`ctx.now must be an ISO instant, got "${ctx.now}"`);
  if ('actor' in command && command.actor !== undefined && !isActor(command.actor)) {
    return validationError('actor must have userId, role and unitId');
  }
  switch (command.type) {
    case 'assign':
      return decideAssign(state, command.actor ?? SYSTEM_ACTOR, ctx);
    case 'acknowledge': {
      const refused =
        requireUnit(state, command.actor, 'acknowledge the task') ?? requireStatus(state, ['ASSIGNED'], 'acknowledge');
      if (refused) return refused;
      return ok([
        {
          ...base(state, command.actor, ctx),
          type: 'TaskAcknowledged',
          fromStatus: 'ASSIGNED',
          toStatus: 'IN_PROGRESS',
        },
      ]);
    }
    case 'submitReport':
      return decideSubmitReport(state, command, ctx);
    case 'reviewReport':
      return decideReviewReport(state, command, ctx);
    case 'requestClosure':
      return decideRequestClosure(state, command, ctx);
    case 'signOff':
      return decideSignOff(state, command, ctx);
    case 'requestExtension':
      return decideRequestExtension(state, command, ctx);
    case 'decideExtension':
      return decideDecideExtension(state, command, ctx);
    case 'reassign':
      return decideReassign(state, command, ctx);
    case 'delegate':
      return decideDelegate(state, command, ctx);
    case 'revokeDelegation':
      return decideRevokeDelegation(state, command, ctx);
    case 'reportOverdue':
      return decideReportOverdue(state, command, ctx);
    case 'deadlinePassed':
      return decideDeadlinePassed(state, command.actor ?? SYSTEM_ACTOR, ctx);
    case 'escalate':
      return decideEscalate(state, command, ctx);
    case 'lookBackDue':
      return decideLookBackDue(state, command.actor ?? SYSTEM_ACTOR, ctx);
    case 'lookBackVerdict':
      return decideLookBackVerdict(state, command, ctx);
    case 'endLongTerm': {
      const refused =
        requireOffice(state, command.actor, 'end a long-term task') ??
        requireStatus(state, ['LONG_TERM'], 'end long-term maintenance');
      if (refused) return refused;
      return ok([
        {
          ...base(state, command.actor, ctx),
          type: 'TaskClosed',
          ...(blank(command.reason) ? {} : { reason: command.reason }),
          fromStatus: 'LONG_TERM',
          toStatus: 'CLOSED',
        },
      ]);
    }
    case 'childrenCreated':
      return decideChildrenCreated(state, command, ctx);
    case 'childStatusChanged':
      return decideChildStatusChanged(state, command, ctx);
    default:
      return validationError(`unknown command ${(command as { type?: unknown }).type as string}`);
  }
}

function requireSystem(actor: Actor, what: string): Events | null {
  return actor.role === 'system' ? null : notAuthorized(`${what} is raised by the system's timers only`);
}

function decideAssign(state: TaskState, actor: Actor, ctx: DecideContext): Events {
  const refused = requireSystem(actor, 'assignment');
  if (refused) return refused;
  if (state.eventCount !== 0 || state.status !== 'ASSIGNED') return invalidTransition('the task was already assigned');
  return ok([
    {
      ...base(state, actor, ctx),
      type: 'TaskAssigned',
      deadline: state.deadline,
      leadUnitId: state.leadUnitId,
      leaderId: state.leaderId,
      officeUnitId: state.officeUnitId,
      toStatus: 'ASSIGNED',
    },
  ]);
}

/**
 * When a period's report falls due: the end of its due day, moved by the policy's rule when the workflow passes its
 * calendar (a due day on a rest day moves to the next working day), but never earlier than the plain due day (a due
 * day brought forward to the previous working day asks for the report sooner without marking it late sooner).
 */
export function reportDueInstant(period: string, ctx: Pick<DecideContext, 'policy' | 'calendar'>): string {
  const plain = dueInstant(period, ctx.policy.reportDueDay);
  if (!ctx.calendar) return plain;
  const moved = endOfDayInstant(reportDueDate(period, ctx.policy, ctx.calendar));
  return compareInstants(moved, plain) > 0 ? moved : plain;
}

function decideSubmitReport(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'submitReport' }>,
  ctx: DecideContext,
): Events {
  const refused =
    requireUnit(state, c.actor, 'report on this task') ?? requireStatus(state, REPORTING, 'submit a report');
  if (refused) return refused;
  if (!isValidPeriod(c.period)) return validationError(`period must be YYYY-MM, got "${c.period}"`);
  if (blank(c.progress)) return validationError('a report needs its progress text');
  if (blank(c.reportId)) return validationError('a report needs an id');
  if (c.period > periodOf(ctx.now)) return validationError(`cannot report on ${c.period}: it has not started`);
  if (c.period < periodOf(state.roundStartedAt)) {
    return validationError(`cannot report on ${c.period}: before the task's current round started`);
  }
  const existing = state.reports.find((r) => r.round === state.round && r.period === c.period);
  if (existing?.status === 'submitted') return invalidTransition(`the report for ${c.period} is awaiting review`);
  if (existing?.status === 'accepted') return invalidTransition(`the report for ${c.period} was already accepted`);
  const dueAt = reportDueInstant(c.period, ctx);
  return ok([
    {
      ...base(state, c.actor, ctx),
      type: 'ReportSubmitted',
      period: c.period,
      reportId: c.reportId,
      version: (existing?.version ?? 0) + 1,
      progress: c.progress,
      // Only when given: events recorded before these fields existed must stay identical on replay.
      ...(c.problems ? { problems: c.problems } : {}),
      ...(c.nextPlan ? { nextPlan: c.nextPlan } : {}),
      late: compareInstants(ctx.now, dueAt) >= 0,
      ...(c.evidence && c.evidence.length > 0 ? { evidence: c.evidence } : {}),
      ...(state.status === 'ASSIGNED' ? { fromStatus: 'ASSIGNED' as const, toStatus: 'IN_PROGRESS' as const } : {}),
    },
  ]);
}

function decideReviewReport(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'reviewReport' }>,
  ctx: DecideContext,
): Events {
  const refused = requireOffice(state, c.actor, 'review reports');
  if (refused) return refused;
  if (!isValidPeriod(c.period)) return validationError(`period must be YYYY-MM, got "${c.period}"`);
  const report = state.reports.find((r) => r.round === state.round && r.period === c.period);
  if (!report) return notFound(`no report for ${c.period}`);
  if (report.status !== 'submitted')
    return invalidTransition(`the report for ${c.period} is ${report.status}, not awaiting review`);
  const b = base(state, c.actor, ctx);
  if (c.decision === 'accept') {
    return ok([{ ...b, type: 'ReportAccepted', period: c.period, reportId: report.reportId, version: report.version }]);
  }
  if (c.decision !== 'return') return validationError(`decision must be accept or return`);
  if (blank(c.reason)) return validationError('returning a report needs a reason');
  return ok([
    {
      ...b,
      type: 'ReportReturned',
      period: c.period,
      reportId: report.reportId,
      version: report.version,
      reason: c.reason!,
    },
  ]);
}

function decideRequestClosure(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'requestClosure' }>,
  ctx: DecideContext,
): Events {
  const refused = requireUnit(state, c.actor, 'apply for close-out');
  if (refused) return refused;
  // Nobody signs off their own application, so an application by the first level's signer (the unit head, by
  // default) could never pass level 1: the unit's staff applies and the head confirms it by signing.
  const first = state.signOffChain[0];
  if (first && !ctx.legacy?.firstSignerMayApply && matchesLevel(c.actor, first)) {
    return notAuthorized(
      `the ${first.role} signs level 1 (${first.name}) of every close-out application and so may not file one: ` +
        `the unit's staff applies`,
    );
  }
  if (state.status === 'ASSIGNED') return invalidTransition('acknowledge the task before applying for close-out');
  const notWorking = requireStatus(state, ['IN_PROGRESS', 'OVERDUE'], 'apply for close-out');
  if (notWorking) return notWorking;
  if (blank(c.summary)) return validationError('a close-out application needs a summary');
  if (blank(c.applicationId)) return validationError('a close-out application needs an id');
  if (state.closureHistory.some((a) => a.applicationId === c.applicationId)) {
    return validationError(`application ${c.applicationId} was already used`);
  }
  const open = Object.entries(state.children).filter(([, s]) => !DONE_CHILD.includes(s));
  if (open.length > 0) {
    return invalidTransition(
      `close-out cannot start while child tasks are open: ${open.map(([id, s]) => `${id} (${s})`).join(', ')}`,
    );
  }
  return ok([
    {
      ...base(state, c.actor, ctx),
      type: 'ClosureRequested',
      applicationId: c.applicationId,
      summary: c.summary,
      ...(c.evidence && c.evidence.length > 0 ? { evidence: c.evidence } : {}),
      fromStatus: state.status,
      toStatus: 'CLOSURE_REQUESTED',
    },
  ]);
}

function decideSignOff(state: TaskState, c: Extract<TaskCommand, { type: 'signOff' }>, ctx: DecideContext): Events {
  const level = currentSigner(state);
  if (!level || !state.closure)
    return invalidTransition(`no close-out application awaits sign-off (task is ${state.status})`);
  const authority = authorityFor(state, level, c.actor, ctx.now);
  if (!authority) return notAuthorized(`level ${level.level} (${level.name}) must be signed by its ${level.role}`);
  const applicant = state.closure.appliedBy;
  if (c.actor.userId === applicant || authority.onBehalfOf === applicant) {
    return notAuthorized('nobody signs off their own application');
  }
  // Four eyes: each level is a different person. Whoever signed one level — in person or as anyone's deputy — signs
  // no other level of the same application, whatever delegations they hold.
  if (!ctx.legacy?.oneSignerMaySignTwice && state.closure.approvals.some((a) => a.userId === c.actor.userId)) {
    return notAuthorized('one person signs one level of a close-out application: you signed an earlier level');
  }
  const b = base(state, c.actor, ctx);
  const who = authority.onBehalfOf ? { onBehalfOf: authority.onBehalfOf } : {};
  const common = { applicationId: state.closure.applicationId, level: level.level, levelName: level.name, ...who };
  if (c.decision === 'return') {
    if (blank(c.reason)) return validationError('returning an application needs a reason');
    return ok([
      {
        ...b,
        type: 'SignOffReturned',
        ...common,
        reason: c.reason!,
        fromStatus: 'CLOSURE_REQUESTED',
        toStatus: state.overdue ? 'OVERDUE' : 'IN_PROGRESS',
      },
    ]);
  }
  if (c.decision !== 'approve') return validationError('decision must be approve or return');
  const final = level.level === state.signOffChain.length;
  const approved: TaskEvent = {
    ...b,
    type: 'SignOffApproved',
    ...common,
    ...(blank(c.reason) ? {} : { reason: c.reason }),
    final,
  };
  if (!final) return ok([approved]);
  const applicationId = state.closure.applicationId;
  const closing: TaskEvent = isLongTermKind(state.deadline)
    ? { ...b, type: 'LongTermEntered', applicationId, fromStatus: 'CLOSURE_REQUESTED', toStatus: 'LONG_TERM' }
    : { ...b, type: 'TaskClosed', applicationId, fromStatus: 'CLOSURE_REQUESTED', toStatus: 'CLOSED' };
  return ok([approved, closing]);
}

function decideRequestExtension(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'requestExtension' }>,
  ctx: DecideContext,
): Events {
  const refused =
    requireUnit(state, c.actor, 'request an extension') ??
    requireStatus(state, WORKING_STATUSES, 'request an extension');
  if (refused) return refused;
  const current = deadlineDate(state.deadline);
  if (current === null) return invalidTransition('a long-term task has no date to extend');
  if (state.pendingExtension) return invalidTransition('an extension request is already pending');
  if (!isValidDate(c.newDate)) return validationError(`newDate must be a date YYYY-MM-DD, got "${c.newDate}"`);
  if (c.newDate <= current)
    return validationError(`the new date ${c.newDate} must be after the current deadline ${current}`);
  if (c.newDate < dateOf(ctx.now)) return validationError(`the new date ${c.newDate} is in the past`);
  if (blank(c.reason)) return validationError('an extension request needs a reason');
  return ok([
    {
      ...base(state, c.actor, ctx),
      type: 'ExtensionRequested',
      fromDate: current,
      toDate: c.newDate,
      reason: c.reason,
      approvers: [...ctx.policy.extensionApprovers],
    },
  ]);
}

function decideDecideExtension(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'decideExtension' }>,
  ctx: DecideContext,
): Events {
  const request = state.pendingExtension;
  if (!request) return invalidTransition('no extension request is pending');
  const approver = request.approvers[request.approvals.length];
  if (!approver) return invalidTransition('the extension request has no approver left');
  const authority = authorityFor(state, approverLevel(state, approver), c.actor, ctx.now);
  if (!authority) {
    return notAuthorized(
      approver === 'office'
        ? `the office ${state.officeUnitId} decides this step`
        : `the lead leader ${state.leaderId} decides this step`,
    );
  }
  if (!ctx.legacy?.oneSignerMaySignTwice && request.approvals.some((a) => a.userId === c.actor.userId)) {
    return notAuthorized('one person decides one step of an extension request: you decided an earlier step');
  }
  const b = base(state, c.actor, ctx);
  const who = authority.onBehalfOf ? { onBehalfOf: authority.onBehalfOf } : {};
  if (c.decision === 'refuse') {
    if (blank(c.reason)) return validationError('refusing an extension needs a reason');
    return ok([{ ...b, type: 'ExtensionRefused', approver, ...who, reason: c.reason! }]);
  }
  if (c.decision !== 'approve') return validationError('decision must be approve or refuse');
  const final = request.approvals.length + 1 === request.approvers.length;
  const approved: TaskEvent = {
    ...b,
    type: 'ExtensionApproved',
    approver,
    ...who,
    final,
    ...(blank(c.reason) ? {} : { reason: c.reason }),
  };
  if (!final) return ok([approved]);
  // Still overdue only if even the new date has passed by now.
  const overdue = state.overdue && compareInstants(ctx.now, endOfDayInstant(request.toDate)) >= 0;
  const statusChange =
    state.status === 'OVERDUE' && !overdue ? { fromStatus: 'OVERDUE' as const, toStatus: 'IN_PROGRESS' as const } : {};
  return ok([
    approved,
    {
      ...b,
      type: 'DeadlineExtended',
      fromDate: request.fromDate,
      toDate: request.toDate,
      deadline: withDeadlineDate(state.deadline, request.toDate),
      overdue,
      ...statusChange,
    },
  ]);
}

function decideReassign(state: TaskState, c: Extract<TaskCommand, { type: 'reassign' }>, ctx: DecideContext): Events {
  const refused = requireOffice(state, c.actor, 'reassign a task');
  if (refused) return refused;
  if (state.status === 'CLOSED' || state.status === 'VERIFIED')
    return invalidTransition(`cannot reassign a ${state.status} task`);
  const leadUnitId = blank(c.leadUnitId) ? state.leadUnitId : c.leadUnitId!;
  const leaderId = blank(c.leaderId) ? state.leaderId : c.leaderId!;
  if (leadUnitId === state.leadUnitId && leaderId === state.leaderId) {
    return validationError('reassignment must change the lead unit or the leader');
  }
  const signOffChain = state.signOffChain.map((level) => {
    if (level.scope === 'lead_unit') return { ...level, unitId: leadUnitId };
    if (level.scope === 'leader') return { ...level, userId: leaderId };
    return level;
  });
  return ok([
    {
      ...base(state, c.actor, ctx),
      type: 'TaskReassigned',
      from: { leadUnitId: state.leadUnitId, leaderId: state.leaderId },
      to: { leadUnitId, leaderId },
      signOffChain,
      ...(blank(c.reason) ? {} : { reason: c.reason }),
    },
  ]);
}

function decideDelegate(state: TaskState, c: Extract<TaskCommand, { type: 'delegate' }>, ctx: DecideContext): Events {
  if (state.status === 'VERIFIED') return invalidTransition('a verified task needs no signer');
  const holds =
    state.signOffChain.some((level) => matchesLevel(c.actor, level)) ||
    matchesLevel(c.actor, approverLevel(state, 'office')) ||
    matchesLevel(c.actor, approverLevel(state, 'leader'));
  if (!holds) return notAuthorized('only a signer of this task may delegate');
  if (blank(c.toUserId)) return validationError('a delegation needs a deputy');
  if (c.toUserId === c.actor.userId) return validationError('cannot delegate to oneself');
  if (!isValidDate(c.from) || !isValidDate(c.to)) return validationError('from and to must be dates YYYY-MM-DD');
  if (c.from > c.to) return validationError(`the delegation ends (${c.to}) before it starts (${c.from})`);
  if (c.to < dateOf(ctx.now)) return validationError(`the delegation ended on ${c.to}, in the past`);
  if (!ctx.legacy?.oneSignerMaySignTwice) {
    // A deputy stands in for the signer, so must be someone who could hold the same level: same role, same unit.
    if (c.toRole === undefined || c.toUnitId === undefined) {
      return validationError("a delegation needs the deputy's role and unit");
    }
    if (!mayStandIn(c.actor, { role: c.toRole, unitId: c.toUnitId })) {
      return notAuthorized('a deputy must hold the same role in the same unit as the signer they stand in for');
    }
    if (daysBetween(c.from, c.to) + 1 > MAX_DELEGATION_DAYS) {
      return validationError(`a delegation lasts at most ${MAX_DELEGATION_DAYS} days`);
    }
  }
  // Deduplicated: the same principal, deputy and dates twice add nothing but rows (and history). Revoked ones have
  // left the state, so the same delegation may be given again after a revocation.
  if (!ctx.legacy?.oneSignerMaySignTwice && state.delegations.some((d) => sameDelegation(d, c.actor.userId, c))) {
    return invalidTransition(`this delegation to ${c.toUserId} from ${c.from} to ${c.to} is already in force`);
  }
  return ok([{ ...base(state, c.actor, ctx), type: 'SignOffDelegated', toUserId: c.toUserId, from: c.from, to: c.to }]);
}

function sameDelegation(
  d: { fromUserId: string; toUserId: string; from: string; to: string },
  fromUserId: string,
  other: { toUserId: string; from: string; to: string },
): boolean {
  return d.fromUserId === fromUserId && d.toUserId === other.toUserId && d.from === other.from && d.to === other.to;
}

/** Only the principal withdraws their own delegation (an admin may too); it stops granting anything at once. */
function decideRevokeDelegation(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'revokeDelegation' }>,
  ctx: DecideContext,
): Events {
  if (c.actor.userId !== c.fromUserId && c.actor.role !== 'admin') {
    return notAuthorized('only the signer who gave a delegation may revoke it');
  }
  if (blank(c.delegationId)) return validationError('a revocation names the delegation');
  if (!state.delegations.some((d) => sameDelegation(d, c.fromUserId, c))) {
    return invalidTransition('this delegation is not in force on the task (already revoked?)');
  }
  return ok([
    {
      ...base(state, c.actor, ctx),
      type: 'DelegationRevoked',
      delegationId: c.delegationId,
      fromUserId: c.fromUserId,
      toUserId: c.toUserId,
      from: c.from,
      to: c.to,
    },
  ]);
}

function decideReportOverdue(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'reportOverdue' }>,
  ctx: DecideContext,
): Events {
  const actor = c.actor ?? SYSTEM_ACTOR;
  const refused = requireSystem(actor, 'an overdue report') ?? requireStatus(state, REPORTING, 'mark a report overdue');
  if (refused) return refused;
  if (!isValidPeriod(c.period)) return validationError(`period must be YYYY-MM, got "${c.period}"`);
  const dueAt = reportDueInstant(c.period, ctx);
  if (compareInstants(ctx.now, dueAt) < 0)
    return invalidTransition(`the report for ${c.period} is not due until ${dueAt}`);
  if (hasReportIn(state, c.period)) return invalidTransition(`the report for ${c.period} is in`);
  if (state.overdueReports.some((o) => o.round === state.round && o.period === c.period)) {
    return invalidTransition(`the report for ${c.period} is already marked overdue`);
  }
  return ok([{ ...base(state, actor, ctx), type: 'ReportOverdue', period: c.period, dueAt }]);
}

function decideDeadlinePassed(state: TaskState, actor: Actor, ctx: DecideContext): Events {
  const refused = requireSystem(actor, 'a passed deadline');
  if (refused) return refused;
  const at = deadlineInstant(state);
  const date = deadlineDate(state.deadline);
  if (at === null || date === null) return invalidTransition(`no deadline applies while the task is ${state.status}`);
  if (state.overdue) return invalidTransition('the task is already overdue');
  if (compareInstants(ctx.now, at) < 0) return invalidTransition(`the deadline ${date} has not passed`);
  const statusChange =
    state.status === 'CLOSURE_REQUESTED' ? {} : { fromStatus: state.status, toStatus: 'OVERDUE' as const };
  return ok([{ ...base(state, actor, ctx), type: 'DeadlinePassed', deadlineDate: date, ...statusChange }]);
}

const FORCED_STEP_NOTIFY: TRole[] = ['office', 'leader', 'supervisor'];

function decideEscalate(state: TaskState, c: Extract<TaskCommand, { type: 'escalate' }>, ctx: DecideContext): Events {
  const actor = c.actor ?? SYSTEM_ACTOR;
  const byTimer = actor.role === 'system';
  if (!byTimer && !isOffice(state, actor) && actor.role !== 'supervisor') {
    return notAuthorized('only the office or a supervisor may force an escalation step');
  }
  const at = deadlineInstant(state);
  const date = deadlineDate(state.deadline);
  if (!state.overdue || at === null || date === null) return invalidTransition('only an overdue task escalates');
  const rung = ctx.policy.escalationLadder.find((s) => s.step === c.step);
  if (byTimer && !rung) return validationError(`step ${c.step} is not on the campaign's escalation ladder`);
  if (state.escalations.some((e) => e.step === c.step && e.deadlineDate === date)) {
    return invalidTransition(`step ${c.step} was already taken for the deadline ${date}`);
  }
  if (byTimer && rung && compareInstants(ctx.now, addDaysToInstant(at, rung.afterDaysOverdue)) < 0) {
    return invalidTransition(`step ${c.step} is not due before ${rung.afterDaysOverdue} days overdue`);
  }
  return ok([
    {
      ...base(state, actor, ctx),
      type: 'EscalationStepReached',
      step: c.step,
      notify: rung ? [...rung.notify] : FORCED_STEP_NOTIFY,
      daysOverdue: Math.max(0, wholeDaysBetweenInstants(at, ctx.now)),
      deadlineDate: date,
    },
  ]);
}

function decideLookBackDue(state: TaskState, actor: Actor, ctx: DecideContext): Events {
  const refused = requireSystem(actor, 'a look-back') ?? requireStatus(state, ['CLOSED'], 'raise a look-back');
  if (refused) return refused;
  const at = lookBackAt(state, ctx.policy);
  if (at === null || !state.closedAt) return invalidTransition('the look-back was already raised');
  if (compareInstants(ctx.now, at) < 0) return invalidTransition(`the look-back is not due until ${at}`);
  return ok([{ ...base(state, actor, ctx), type: 'LookBackDue', closedAt: state.closedAt }]);
}

function decideLookBackVerdict(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'lookBackVerdict' }>,
  ctx: DecideContext,
): Events {
  const refused =
    requireOffice(state, c.actor, 'give a look-back verdict') ??
    requireStatus(state, ['CLOSED'], 'give a look-back verdict');
  if (refused) return refused;
  const b = base(state, c.actor, ctx);
  if (c.verdict === 'consolidated') {
    return ok([
      {
        ...b,
        type: 'LookBackConsolidated',
        ...(blank(c.reason) ? {} : { reason: c.reason }),
        fromStatus: 'CLOSED',
        toStatus: 'VERIFIED',
      },
    ]);
  }
  if (c.verdict !== 'rebound') return validationError('verdict must be consolidated or rebound');
  if (blank(c.reason)) return validationError('a rebound needs a reason');
  let deadline = state.deadline;
  if (c.newDeadlineDate !== undefined) {
    if (!isValidDate(c.newDeadlineDate))
      return validationError(`newDeadlineDate must be YYYY-MM-DD, got "${c.newDeadlineDate}"`);
    if (c.newDeadlineDate < dateOf(ctx.now))
      return validationError(`the new deadline ${c.newDeadlineDate} is in the past`);
    if (state.deadline.kind === 'long_term') return validationError('a long-term task has no date to set');
    deadline = withDeadlineDate(state.deadline, c.newDeadlineDate);
  }
  return ok([
    {
      ...b,
      type: 'TaskReopened',
      reason: c.reason!,
      reopenCount: state.reopenCount + 1,
      deadline,
      fromStatus: 'CLOSED',
      toStatus: 'IN_PROGRESS',
    },
  ]);
}

function decideChildrenCreated(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'childrenCreated' }>,
  ctx: DecideContext,
): Events {
  const refused =
    requireOffice(state, c.actor, 'split a task') ?? requireStatus(state, WORKING_STATUSES, 'split the task');
  if (refused) return refused;
  const ids = c.childTaskIds;
  if (!Array.isArray(ids) || ids.length === 0) return validationError('a split needs at least one child task');
  if (ids.some((id) => blank(id))) return validationError('child task ids must not be empty');
  if (new Set(ids).size !== ids.length) return validationError('child task ids must be distinct');
  if (ids.includes(state.taskId)) return validationError('a task cannot be its own child');
  const known = ids.filter((id) => Object.prototype.hasOwnProperty.call(state.children, id));
  if (known.length > 0) return validationError(`already children of this task: ${known.join(', ')}`);
  return ok([{ ...base(state, c.actor, ctx), type: 'ChildrenCreated', childTaskIds: [...ids] }]);
}

function decideChildStatusChanged(
  state: TaskState,
  c: Extract<TaskCommand, { type: 'childStatusChanged' }>,
  ctx: DecideContext,
): Events {
  const actor = c.actor ?? SYSTEM_ACTOR;
  const refused = requireSystem(actor, 'a child status change');
  if (refused) return refused;
  const previous = Object.prototype.hasOwnProperty.call(state.children, c.childTaskId)
    ? state.children[c.childTaskId]
    : undefined;
  if (previous === undefined) return notFound(`${c.childTaskId} is not a child of task ${state.taskId}`);
  if (!TASK_STATUSES.includes(c.status)) return validationError(`unknown status ${c.status}`);
  if (previous === c.status) return invalidTransition(`child ${c.childTaskId} is already ${c.status}`);
  return ok([
    { ...base(state, actor, ctx), type: 'ChildStatusChanged', childTaskId: c.childTaskId, previous, status: c.status },
  ]);
}
