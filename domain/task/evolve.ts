/**
 * evolve: applies one accepted event to the state. Total and pure: it trusts the event (decide checked the rules)
 * and returns a new state object, never mutating the old one, so the workflow can keep snapshots.
 */
import type { ClosureApplication, TaskEvent, TaskState } from './types';

export function evolve(state: TaskState, event: TaskEvent): TaskState {
  const next: TaskState = { ...applyEvent(state, event), eventCount: state.eventCount + 1 };
  if (event.toStatus !== undefined) next.status = event.toStatus;
  return next;
}

/** Applies a sequence of events in order. */
export function evolveAll(state: TaskState, events: readonly TaskEvent[]): TaskState {
  return events.reduce(evolve, state);
}

function archiveClosure(state: TaskState, closure: ClosureApplication): ClosureApplication[] {
  return [...state.closureHistory, closure];
}

function applyEvent(state: TaskState, event: TaskEvent): TaskState {
  switch (event.type) {
    case 'TaskAssigned':
    case 'TaskAcknowledged':
      return state;

    case 'ReportSubmitted': {
      const others = state.reports.filter((r) => !(r.round === state.round && r.period === event.period));
      return {
        ...state,
        reports: [
          ...others,
          {
            period: event.period,
            round: state.round,
            reportId: event.reportId,
            version: event.version,
            status: 'submitted' as const,
            progress: event.progress,
            ...(event.problems ? { problems: event.problems } : {}),
            ...(event.nextPlan ? { nextPlan: event.nextPlan } : {}),
            submittedAt: event.at,
            submittedBy: event.actor.userId,
            late: event.late,
          },
        ].sort((a, b) => a.round - b.round || (a.period < b.period ? -1 : a.period > b.period ? 1 : 0)),
      };
    }
    case 'ReportAccepted':
    case 'ReportReturned': {
      const reports = state.reports.map((r) => {
        if (r.round !== state.round || r.period !== event.period) return r;
        const reviewed = { ...r, reviewedAt: event.at, reviewedBy: event.actor.userId };
        return event.type === 'ReportAccepted'
          ? { ...reviewed, status: 'accepted' as const }
          : { ...reviewed, status: 'returned' as const, returnReason: event.reason };
      });
      const lastReportAcceptedPeriod =
        event.type === 'ReportAccepted' &&
        (state.lastReportAcceptedPeriod === undefined || event.period > state.lastReportAcceptedPeriod)
          ? event.period
          : state.lastReportAcceptedPeriod;
      return { ...state, reports, ...(lastReportAcceptedPeriod ? { lastReportAcceptedPeriod } : {}) };
    }
    case 'ReportOverdue':
      return {
        ...state,
        overdueReports: [...state.overdueReports, { period: event.period, round: state.round, at: event.at }],
      };

    case 'ClosureRequested':
      return {
        ...state,
        closure: {
          applicationId: event.applicationId,
          round: state.round,
          appliedBy: event.actor.userId,
          appliedByUnitId: event.actor.unitId,
          appliedAt: event.at,
          summary: event.summary,
          levelReached: 0,
          approvals: [],
        },
      };
    case 'SignOffApproved': {
      if (!state.closure) return state;
      const approval = {
        level: event.level,
        levelName: event.levelName,
        userId: event.actor.userId,
        at: event.at,
        ...(event.onBehalfOf ? { onBehalfOf: event.onBehalfOf } : {}),
      };
      return {
        ...state,
        closure: { ...state.closure, levelReached: event.level, approvals: [...state.closure.approvals, approval] },
      };
    }
    case 'SignOffReturned': {
      if (!state.closure) return state;
      const returned: ClosureApplication = {
        ...state.closure,
        outcome: 'returned',
        returnedAtLevel: event.level,
        returnReason: event.reason,
        decidedAt: event.at,
      };
      const { closure: _closure, ...rest } = state;
      return { ...rest, closureHistory: archiveClosure(state, returned) };
    }
    case 'TaskClosed':
    case 'LongTermEntered': {
      const { closure, pendingExtension, ...rest } = state;
      const closureHistory = closure
        ? archiveClosure(state, { ...closure, outcome: 'approved', decidedAt: event.at })
        : state.closureHistory;
      // A pending extension request lapses: a closed or long-term task has no date left to move.
      const extensionHistory = pendingExtension
        ? [...state.extensionHistory, { ...pendingExtension, outcome: 'lapsed' as const, decidedAt: event.at }]
        : state.extensionHistory;
      const common = { ...rest, closureHistory, extensionHistory, overdue: false, escalations: [] };
      return event.type === 'TaskClosed' ? { ...common, closedAt: event.at } : { ...common, longTermSince: event.at };
    }

    case 'ExtensionRequested':
      return {
        ...state,
        pendingExtension: {
          requestedBy: event.actor.userId,
          requestedAt: event.at,
          fromDate: event.fromDate,
          toDate: event.toDate,
          reason: event.reason,
          approvers: [...event.approvers],
          approvals: [],
        },
      };
    case 'ExtensionApproved': {
      if (!state.pendingExtension) return state;
      const approval = {
        approver: event.approver,
        userId: event.actor.userId,
        at: event.at,
        ...(event.onBehalfOf ? { onBehalfOf: event.onBehalfOf } : {}),
      };
      return {
        ...state,
        pendingExtension: { ...state.pendingExtension, approvals: [...state.pendingExtension.approvals, approval] },
      };
    }
    case 'ExtensionRefused': {
      const { pendingExtension, ...rest } = state;
      if (!pendingExtension) return state;
      return {
        ...rest,
        extensionHistory: [
          ...state.extensionHistory,
          { ...pendingExtension, outcome: 'refused', decidedAt: event.at, refusal: event.reason },
        ],
      };
    }
    case 'DeadlineExtended': {
      const { pendingExtension, ...rest } = state;
      const extensionHistory = pendingExtension
        ? [...state.extensionHistory, { ...pendingExtension, outcome: 'approved' as const, decidedAt: event.at }]
        : state.extensionHistory;
      return {
        ...rest,
        deadline: event.deadline,
        extensionHistory,
        overdue: event.overdue,
        // A new deadline restarts the ladder: steps taken are kept in the event history, not in the state.
        escalations: event.overdue ? state.escalations : [],
      };
    }

    case 'TaskReassigned':
      return {
        ...state,
        leadUnitId: event.to.leadUnitId,
        leaderId: event.to.leaderId,
        signOffChain: event.signOffChain,
      };
    case 'SignOffDelegated':
      return {
        ...state,
        delegations: [
          ...state.delegations,
          {
            fromUserId: event.actor.userId,
            fromRole: event.actor.role,
            fromUnitId: event.actor.unitId,
            toUserId: event.toUserId,
            from: event.from,
            to: event.to,
            at: event.at,
          },
        ],
      };

    case 'DelegationRevoked': {
      // Removed from the state (one entry: a run from before deduplication may hold two identical ones, each its own
      // row to revoke), so that it grants no sign-off, no deputy inbox rows and no read access from now on.
      const i = state.delegations.findIndex(
        (d) =>
          d.fromUserId === event.fromUserId &&
          d.toUserId === event.toUserId &&
          d.from === event.from &&
          d.to === event.to,
      );
      if (i < 0) return state;
      return { ...state, delegations: [...state.delegations.slice(0, i), ...state.delegations.slice(i + 1)] };
    }
    case 'DeadlinePassed':
      return { ...state, overdue: true };
    case 'EscalationStepReached':
      return {
        ...state,
        escalations: [...state.escalations, { step: event.step, at: event.at, deadlineDate: event.deadlineDate }],
      };

    case 'LookBackDue':
      return { ...state, lookBackDueAt: event.at };
    case 'LookBackConsolidated':
      return { ...state, verifiedAt: event.at };
    case 'TaskReopened': {
      const { closedAt: _c, longTermSince: _l, lookBackDueAt: _d, closure: _a, ...rest } = state;
      return {
        ...rest,
        round: state.round + 1,
        reopenCount: event.reopenCount,
        roundStartedAt: event.at,
        deadline: event.deadline,
        overdue: false,
        escalations: [],
      };
    }

    case 'ChildrenCreated': {
      const children = { ...state.children };
      for (const id of event.childTaskIds) children[id] = 'ASSIGNED';
      return { ...state, children };
    }
    case 'ChildStatusChanged':
      return { ...state, children: { ...state.children, [event.childTaskId]: event.status } };
  }
}
