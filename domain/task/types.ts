/**
 * The task's state, commands and events. Everything is JSON-safe (ISO instants, 'YYYY-MM-DD' dates, 'YYYY-MM'
 * periods) because the state is a Temporal query result and carried across continue-as-new, and the events are
 * what the workflow projects to the database and the audit trail.
 */
import type { TDeadline } from '../deadline';
import type { TCampaignPolicy, TEscalationStepName, TRole, TSignOffLevel, TSignOffScope } from '../policy';
import type { TWorkdayTable } from '../workdays';

export type TaskStatus =
  'ASSIGNED' | 'IN_PROGRESS' | 'OVERDUE' | 'CLOSURE_REQUESTED' | 'CLOSED' | 'LONG_TERM' | 'VERIFIED';
export const TASK_STATUSES: TaskStatus[] = [
  'ASSIGNED',
  'IN_PROGRESS',
  'OVERDUE',
  'CLOSURE_REQUESTED',
  'CLOSED',
  'LONG_TERM',
  'VERIFIED',
];

/** Statuses in which the unit is working on the task (reports monthly, may apply for close-out). */
export const WORKING_STATUSES: readonly TaskStatus[] = ['ASSIGNED', 'IN_PROGRESS', 'OVERDUE'];

export type Role = TRole | 'system';

/** Who acts: authenticated and resolved by the API; the state machine checks it against the task. */
export interface Actor {
  userId: string;
  role: Role;
  unitId: string;
}

export const SYSTEM_ACTOR: Actor = { userId: 'system', role: 'system', unitId: 'system' };

/** A sign-off level resolved for one task: who exactly must sign (unit and/or user scope). */
export interface ResolvedSignOffLevel {
  /** 1-based position in the chain. */
  level: number;
  name: string;
  role: TRole;
  scope: TSignOffScope;
  unitId?: string;
  userId?: string;
}

/**
 * What `initialState` accepts for the chain: either the policy's levels (resolved here from the task's units and
 * leader) or levels already resolved (kept as given, renumbered in order).
 */
export type SignOffLevelSpec = TSignOffLevel & { level?: number; unitId?: string; userId?: string };

export interface EvidenceRef {
  /** The stored file (StoredFile.id) when the evidence was uploaded; absent on metadata-only evidence. */
  fileId?: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  mimeType?: string;
  url?: string;
}

export type ReportStatus = 'submitted' | 'accepted' | 'returned';

/** One report per period and round; a returned report is resubmitted as a new version of the same entry. */
export interface ReportEntry {
  period: string;
  round: number;
  reportId: string;
  version: number;
  status: ReportStatus;
  progress: string;
  /** 存在问题 (optional; absent in reports recorded before the field existed). */
  problems?: string;
  /** 下步计划 (optional). */
  nextPlan?: string;
  submittedAt: string;
  submittedBy: string;
  /** Submitted after the period's due instant. */
  late: boolean;
  reviewedAt?: string;
  reviewedBy?: string;
  returnReason?: string;
}

export interface SignOffApproval {
  level: number;
  levelName: string;
  userId: string;
  onBehalfOf?: string;
  at: string;
}

export interface ClosureApplication {
  applicationId: string;
  round: number;
  appliedBy: string;
  appliedByUnitId: string;
  appliedAt: string;
  summary: string;
  /** Number of levels approved so far: the current level is `levelReached + 1`. */
  levelReached: number;
  approvals: SignOffApproval[];
  outcome?: 'returned' | 'approved';
  returnedAtLevel?: number;
  returnReason?: string;
  decidedAt?: string;
}

export interface ExtensionDecision {
  approver: 'office' | 'leader';
  userId: string;
  onBehalfOf?: string;
  at: string;
}

export interface ExtensionRequest {
  requestedBy: string;
  requestedAt: string;
  fromDate: string;
  toDate: string;
  reason: string;
  /** The approvers, in order, fixed from the policy when the request was made. */
  approvers: ('office' | 'leader')[];
  /** Approvals given so far, in approver order. */
  approvals: ExtensionDecision[];
}

export interface Delegation {
  fromUserId: string;
  fromRole: Role;
  fromUnitId: string;
  toUserId: string;
  /** Inclusive Shanghai dates. */
  from: string;
  to: string;
  at: string;
}

export interface EscalationRecord {
  step: TEscalationStepName;
  at: string;
  deadlineDate: string;
}

export interface TaskState {
  taskId: string;
  campaignId: string;
  status: TaskStatus;
  /** 1 at assignment; +1 each time a look-back reopens the task. Reports and applications are kept per round. */
  round: number;
  reopenCount: number;
  deadline: TDeadline;
  leadUnitId: string;
  leaderId: string;
  officeUnitId: string;
  parentTaskId?: string;
  parentOfficeUnitId?: string;
  assignedAt: string;
  /** When the current round started (assignment, or the rebound that reopened the task). */
  roundStartedAt: string;
  signOffChain: ResolvedSignOffLevel[];
  reports: ReportEntry[];
  /** Periods (per round) whose report was not in by its due instant. */
  overdueReports: { period: string; round: number; at: string }[];
  lastReportAcceptedPeriod?: string;
  closure?: ClosureApplication;
  closureHistory: ClosureApplication[];
  pendingExtension?: ExtensionRequest;
  extensionHistory: (ExtensionRequest & {
    outcome: 'approved' | 'refused' | 'lapsed';
    decidedAt: string;
    refusal?: string;
  })[];
  delegations: Delegation[];
  children: Record<string, TaskStatus>;
  /** Past the deadline and not closed (status is OVERDUE while working, stays CLOSURE_REQUESTED while signing). */
  overdue: boolean;
  escalations: EscalationRecord[];
  closedAt?: string;
  longTermSince?: string;
  lookBackDueAt?: string;
  verifiedAt?: string;
  /** How many events have been applied: a cheap version for optimistic checks and idempotency. */
  eventCount: number;
}

export interface InitialStateInput {
  taskId: string;
  campaignId: string;
  leadUnitId: string;
  leaderId: string;
  officeUnitId: string;
  parentTaskId?: string;
  parentOfficeUnitId?: string;
  deadline: TDeadline;
  /** Policy levels or resolved levels; defaults to the default policy's levels. */
  signOffChain?: SignOffLevelSpec[];
  assignedAt: string;
}

// ---------------------------------------------------------------------------------------------------- commands

interface WithActor {
  actor: Actor;
}
interface WithOptionalActor {
  /** Timer-driven commands act as the system; an explicit actor must have role 'system' unless stated. */
  actor?: Actor;
}

export type TaskCommand =
  | ({ type: 'assign' } & WithOptionalActor)
  | ({ type: 'acknowledge' } & WithActor)
  | ({
      type: 'submitReport';
      period: string;
      progress: string;
      problems?: string;
      nextPlan?: string;
      reportId: string;
      evidence?: EvidenceRef[];
    } & WithActor)
  | ({ type: 'reviewReport'; period: string; decision: 'accept' | 'return'; reason?: string } & WithActor)
  | ({ type: 'requestClosure'; summary: string; applicationId: string; evidence?: EvidenceRef[] } & WithActor)
  | ({ type: 'signOff'; decision: 'approve' | 'return'; reason?: string } & WithActor)
  | ({ type: 'requestExtension'; newDate: string; reason: string } & WithActor)
  | ({ type: 'decideExtension'; decision: 'approve' | 'refuse'; reason?: string } & WithActor)
  | ({ type: 'reassign'; leadUnitId?: string; leaderId?: string; reason?: string } & WithActor)
  | ({
      type: 'delegate';
      toUserId: string;
      /** The deputy's role and unit, resolved by the API from the directory: a deputy must be able to hold the level. */
      toRole?: string;
      toUnitId?: string;
      from: string;
      to: string;
    } & WithActor)
  /**
   * The principal (or an admin) withdraws a delegation at once. It names the delegation by its content (principal,
   * deputy, dates) since the state keeps no ids; `delegationId` is the projected row's id, carried into the event
   * (and so the audit record) so that a read can tell which row was revoked.
   */
  | ({
      type: 'revokeDelegation';
      delegationId: string;
      fromUserId: string;
      toUserId: string;
      from: string;
      to: string;
    } & WithActor)
  | ({ type: 'reportOverdue'; period: string } & WithOptionalActor)
  | ({ type: 'deadlinePassed' } & WithOptionalActor)
  /** The system at the ladder's delays; the office or a supervisor may also force a step. */
  | ({ type: 'escalate'; step: TEscalationStepName } & WithOptionalActor)
  | ({ type: 'lookBackDue' } & WithOptionalActor)
  | ({
      type: 'lookBackVerdict';
      verdict: 'consolidated' | 'rebound';
      reason?: string;
      newDeadlineDate?: string;
    } & WithActor)
  | ({ type: 'endLongTerm'; reason?: string } & WithActor)
  | ({ type: 'childrenCreated'; childTaskIds: string[] } & WithActor)
  | ({ type: 'childStatusChanged'; childTaskId: string; status: TaskStatus } & WithOptionalActor);

export type TaskCommandType = TaskCommand['type'];

// ------------------------------------------------------------------------------------------------------ events

/** Common to every event: when (ctx.now), who, in which round, and the status change if there is one. */
export interface EventBase {
  at: string;
  actor: Actor;
  round: number;
  fromStatus?: TaskStatus;
  toStatus?: TaskStatus;
}

export type TaskEvent = EventBase &
  (
    | { type: 'TaskAssigned'; deadline: TDeadline; leadUnitId: string; leaderId: string; officeUnitId: string }
    | { type: 'TaskAcknowledged' }
    | {
        type: 'ReportSubmitted';
        period: string;
        reportId: string;
        version: number;
        progress: string;
        problems?: string;
        nextPlan?: string;
        late: boolean;
        evidence?: EvidenceRef[];
      }
    | { type: 'ReportAccepted'; period: string; reportId: string; version: number }
    | { type: 'ReportReturned'; period: string; reportId: string; version: number; reason: string }
    | { type: 'ReportOverdue'; period: string; dueAt: string }
    | { type: 'ClosureRequested'; applicationId: string; summary: string; evidence?: EvidenceRef[] }
    | {
        type: 'SignOffApproved';
        applicationId: string;
        level: number;
        levelName: string;
        onBehalfOf?: string;
        reason?: string;
        /** True when this approval was the chain's last. */
        final: boolean;
      }
    | {
        type: 'SignOffReturned';
        applicationId: string;
        level: number;
        levelName: string;
        onBehalfOf?: string;
        reason: string;
      }
    /** The close-out completed (last approval) or a long-term task was ended by the office. */
    | { type: 'TaskClosed'; applicationId?: string; reason?: string }
    | { type: 'LongTermEntered'; applicationId: string }
    /** The approver order is fixed in the event so that replaying it never depends on a later policy change. */
    | {
        type: 'ExtensionRequested';
        fromDate: string;
        toDate: string;
        reason: string;
        approvers: ('office' | 'leader')[];
      }
    | { type: 'ExtensionApproved'; approver: 'office' | 'leader'; onBehalfOf?: string; final: boolean; reason?: string }
    | { type: 'ExtensionRefused'; approver: 'office' | 'leader'; onBehalfOf?: string; reason: string }
    | { type: 'DeadlineExtended'; fromDate: string; toDate: string; deadline: TDeadline; overdue: boolean }
    | {
        type: 'TaskReassigned';
        from: { leadUnitId: string; leaderId: string };
        to: { leadUnitId: string; leaderId: string };
        signOffChain: ResolvedSignOffLevel[];
        reason?: string;
      }
    | { type: 'SignOffDelegated'; toUserId: string; from: string; to: string }
    | {
        type: 'DelegationRevoked';
        delegationId: string;
        fromUserId: string;
        toUserId: string;
        from: string;
        to: string;
      }
    | { type: 'DeadlinePassed'; deadlineDate: string }
    | {
        type: 'EscalationStepReached';
        step: TEscalationStepName;
        notify: TRole[];
        daysOverdue: number;
        deadlineDate: string;
      }
    | { type: 'LookBackDue'; closedAt: string }
    | { type: 'LookBackConsolidated'; reason?: string }
    | { type: 'TaskReopened'; reason: string; reopenCount: number; deadline: TDeadline }
    | { type: 'ChildrenCreated'; childTaskIds: string[] }
    | { type: 'ChildStatusChanged'; childTaskId: string; previous: TaskStatus; status: TaskStatus }
  );

export type TaskEventType = TaskEvent['type'];

export interface DecideContext {
  /** The decision's instant (ISO); the domain never reads a clock. */
  now: string;
  policy: TCampaignPolicy;
  /**
   * The working-day calendar the workflow last read, when it plans on one: a report's due instant is then its due day
   * moved by the policy's `dueDayRule` (a report filed on Monday for a due day falling on Sunday is on time), never
   * earlier than the plain due day. Absent: the plain due day (runs recorded before patch 'moved-due-day').
   */
  calendar?: TWorkdayTable;
  /**
   * Rules added while tasks were already running, switched off for a run that started before them (the workflow
   * decides with its patches; see workflows/taskLifecycle.ts). Absent: every rule applies.
   */
  legacy?: {
    /** Before 'first-signer-not-applicant': the first level's signer could file an application, then not sign it. */
    firstSignerMayApply?: boolean;
    /**
     * Before 'four-eyes': one person could sign several levels of one close-out (or decide both steps of one
     * extension) in person and as deputies, and anyone could be named deputy for any length of time.
     */
    oneSignerMaySignTwice?: boolean;
  };
}
