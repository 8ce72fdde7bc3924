/**
 * Who may act on a task: the resolved sign-off chain, delegation to deputies, and the "who must act now" list
 * the inbox shows.
 */
import { dateOf, dueInstant, isBeforeInstant } from '../calendar';
import type { TSignOffLevel } from '../policy';
import type { Actor, Delegation, ResolvedSignOffLevel, SignOffLevelSpec, TaskState } from './types';
import { WORKING_STATUSES } from './types';

export interface ChainParties {
  leadUnitId: string;
  officeUnitId: string;
  leaderId: string;
  /** The higher level's office, for a task that came from above; without it, parent_office levels are dropped. */
  parentOfficeUnitId?: string;
}

/** Binds each policy level to the task's parties; levels are numbered 1..n in order. */
export function resolveSignOffChain(
  levels: readonly (TSignOffLevel | SignOffLevelSpec)[],
  parties: ChainParties,
): ResolvedSignOffLevel[] {
  const resolved: ResolvedSignOffLevel[] = [];
  for (const spec of levels) {
    const base = { name: spec.name, role: spec.role, scope: spec.scope };
    switch (spec.scope) {
      case 'lead_unit':
        resolved.push({ ...base, level: 0, unitId: parties.leadUnitId });
        break;
      case 'office':
        resolved.push({ ...base, level: 0, unitId: parties.officeUnitId });
        break;
      case 'leader':
        resolved.push({ ...base, level: 0, userId: parties.leaderId });
        break;
      case 'parent_office':
        // A task assigned at this level has no higher office to report its close-out to.
        if (parties.parentOfficeUnitId) resolved.push({ ...base, level: 0, unitId: parties.parentOfficeUnitId });
        break;
    }
  }
  return resolved.map((level, i) => ({ ...level, level: i + 1 }));
}

/** Levels already resolved are kept (renumbered); policy levels are bound to the parties. */
export function normaliseChain(specs: readonly SignOffLevelSpec[], parties: ChainParties): ResolvedSignOffLevel[] {
  const resolved = specs.flatMap((spec) =>
    spec.unitId !== undefined || spec.userId !== undefined
      ? [{ level: 0, name: spec.name, role: spec.role, scope: spec.scope, unitId: spec.unitId, userId: spec.userId }]
      : resolveSignOffChain([spec], parties),
  );
  return resolved.map((level, i) => {
    const out: ResolvedSignOffLevel = { level: i + 1, name: level.name, role: level.role, scope: level.scope };
    if (level.unitId !== undefined) out.unitId = level.unitId;
    if (level.userId !== undefined) out.userId = level.userId;
    return out;
  });
}

/** An actor (or, for a deputy, the principal) holds a level by role plus the level's unit and user scope. */
export function matchesLevel(
  who: { userId: string; role: string; unitId: string },
  level: ResolvedSignOffLevel,
): boolean {
  return (
    who.role === level.role &&
    (level.unitId === undefined || who.unitId === level.unitId) &&
    (level.userId === undefined || who.userId === level.userId)
  );
}

export function delegationActive(d: Delegation, now: string): boolean {
  const today = dateOf(now);
  return d.from <= today && today <= d.to;
}

export interface Authority {
  /** The principal on whose behalf a deputy acts; absent when the actor acts in person. */
  onBehalfOf?: string;
}

/**
 * Whether `actor` may act as a holder of `level` at `now`: in person, or as a deputy under a delegation valid
 * today whose principal holds the level. Returns null when not.
 */
export function authorityFor(
  state: TaskState,
  level: ResolvedSignOffLevel,
  actor: Actor,
  now: string,
): Authority | null {
  if (matchesLevel(actor, level)) return {};
  const delegation = state.delegations.find(
    (d) =>
      d.toUserId === actor.userId &&
      delegationActive(d, now) &&
      matchesLevel({ userId: d.fromUserId, role: d.fromRole, unitId: d.fromUnitId }, level),
  );
  return delegation ? { onBehalfOf: delegation.fromUserId } : null;
}

/** The level whose signer must act now, or null when no close-out application is pending. */
export function currentSigner(state: TaskState): ResolvedSignOffLevel | null {
  if (state.status !== 'CLOSURE_REQUESTED' || !state.closure) return null;
  return state.signOffChain[state.closure.levelReached] ?? null;
}

export type PendingActionKind =
  'acknowledge' | 'submit_report' | 'resubmit_report' | 'review_report' | 'sign_off' | 'decide_extension' | 'look_back';

/** One thing someone must do on this task now: the inbox lists these for the users they match. */
export interface PendingAction {
  action: PendingActionKind;
  role: string;
  unitId?: string;
  userId?: string;
  /** Deputies currently allowed to act for the holder (delegations valid at `now`, when given). */
  deputyUserIds?: string[];
  level?: number;
  levelName?: string;
  period?: string;
  /** For sign-off: the applicant, who may not sign their own application. */
  excludedUserId?: string;
}

function deputiesFor(state: TaskState, level: ResolvedSignOffLevel, now?: string): string[] {
  return state.delegations
    .filter(
      (d) =>
        (now === undefined || delegationActive(d, now)) &&
        matchesLevel({ userId: d.fromUserId, role: d.fromRole, unitId: d.fromUnitId }, level),
    )
    .map((d) => d.toUserId);
}

/**
 * Who must act now, for the inbox: the current sign-off level (with its deputies), the office for pending report
 * reviews and look-backs, the next extension approver, the unit for acknowledgement and returned reports.
 */
export function signersFor(state: TaskState, now?: string, policy?: { reportDueDay: number }): PendingAction[] {
  const actions: PendingAction[] = [];
  const unit = (action: PendingActionKind, extra: Partial<PendingAction> = {}): PendingAction => ({
    action,
    role: 'unit_staff',
    unitId: state.leadUnitId,
    ...extra,
  });
  const office = (action: PendingActionKind, extra: Partial<PendingAction> = {}): PendingAction => ({
    action,
    role: 'office',
    unitId: state.officeUnitId,
    ...extra,
  });

  const signer = currentSigner(state);
  if (signer && state.closure) {
    const action: PendingAction = {
      action: 'sign_off',
      role: signer.role,
      level: signer.level,
      levelName: signer.name,
      excludedUserId: state.closure.appliedBy,
    };
    if (signer.unitId !== undefined) action.unitId = signer.unitId;
    if (signer.userId !== undefined) action.userId = signer.userId;
    const deputies = deputiesFor(state, signer, now);
    if (deputies.length > 0) action.deputyUserIds = deputies;
    actions.push(action);
  }
  if (state.status === 'ASSIGNED') actions.push(unit('acknowledge'));
  for (const report of state.reports) {
    if (report.round !== state.round) continue;
    if (report.status === 'submitted') actions.push(office('review_report', { period: report.period }));
    if (report.status === 'returned' && state.status !== 'CLOSED' && state.status !== 'VERIFIED') {
      actions.push(unit('resubmit_report', { period: report.period }));
    }
  }
  if (now && policy && (WORKING_STATUSES.includes(state.status) || state.status === 'LONG_TERM')) {
    for (const o of state.overdueReports) {
      if (
        o.round === state.round &&
        !hasReportIn(state, o.period) &&
        isBeforeInstant(dueInstant(o.period, policy.reportDueDay), now)
      ) {
        actions.push(unit('submit_report', { period: o.period }));
      }
    }
  }
  if (state.pendingExtension) {
    const approver = state.pendingExtension.approvers[state.pendingExtension.approvals.length];
    if (approver === 'office') actions.push(office('decide_extension'));
    if (approver === 'leader') actions.push({ action: 'decide_extension', role: 'leader', userId: state.leaderId });
  }
  if (state.status === 'CLOSED' && state.lookBackDueAt) actions.push(office('look_back'));
  return actions;
}

/** A report for `period` in the current round is in: awaiting review or accepted. */
export function hasReportIn(state: TaskState, period: string): boolean {
  return state.reports.some(
    (r) => r.round === state.round && r.period === period && (r.status === 'submitted' || r.status === 'accepted'),
  );
}
