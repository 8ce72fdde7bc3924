/**
 * The task workflow's message contract: updates for decisions a caller must see accepted or refused, signals for
 * fire-and-forget notifications between workflows, a query for state. Payloads are JSON-safe, one object each.
 * The API validates requests with Zod before sending any of these; the workflow's validators then apply the
 * business rules (domain/task) and refuse with an ApplicationFailure whose `type` is the domain error type.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TEscalationStepName } from '../domain/policy';
import type { Actor, TaskState, TaskStatus } from '../domain/task';

/** Who acts: resolved and authenticated by the API, checked against the task by the workflow. */
export type TActor = Actor;

export interface TAcknowledgeArgs {
  actor: TActor;
}
export interface TSubmitReportArgs {
  actor: TActor;
  period: string;
  progress: string;
  /** 存在问题 */
  problems?: string;
  /** 下步计划 */
  nextPlan?: string;
  reportId: string;
  evidence?: TEvidenceInput[];
}
export interface TReviewReportArgs {
  actor: TActor;
  period: string;
  decision: 'accept' | 'return';
  reason?: string;
}
export interface TRequestClosureArgs {
  actor: TActor;
  applicationId: string;
  summary: string;
  evidence?: TEvidenceInput[];
}
export interface TSignOffArgs {
  actor: TActor;
  decision: 'approve' | 'return';
  reason?: string;
}
export interface TRequestExtensionArgs {
  actor: TActor;
  newDate: string;
  reason: string;
}
export interface TDecideExtensionArgs {
  actor: TActor;
  decision: 'approve' | 'refuse';
  reason?: string;
}
export interface TReassignArgs {
  actor: TActor;
  leadUnitId?: string;
  leaderId?: string;
  reason?: string;
}
export interface TDelegateArgs {
  actor: TActor;
  toUserId: string;
  /** The deputy's role and unit from the directory (the rule: a deputy could hold the signer's level). */
  toRole?: string;
  toUnitId?: string;
  from: string;
  to: string;
}
/** Withdraws a delegation: named by its projected row's id and its content (the state keeps no ids). */
export interface TRevokeDelegationArgs {
  actor: TActor;
  delegationId: string;
  fromUserId: string;
  toUserId: string;
  from: string;
  to: string;
}
export interface TLookBackVerdictArgs {
  actor: TActor;
  verdict: 'consolidated' | 'rebound';
  reason?: string;
  /** On a rebound: the reopened round's deadline (else the old one, likely past, applies). */
  newDeadlineDate?: string;
}
export interface TEndLongTermArgs {
  actor: TActor;
  reason?: string;
}
export interface TSplitTaskArgs {
  actor: TActor;
  children: { leadUnitId: string; leaderId: string; measure?: string }[];
}
export interface TEvidenceInput {
  /** The stored file (POST /api/files) the API resolved this item from. */
  fileId?: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  mimeType?: string;
  url?: string;
}

/**
 * What every accepted decision returns: where the task stands after it, not the whole state. Each update's result is
 * kept in the workflow's history, so a result that carried the state (which grows with every report, delegation and
 * sign-off) made the history grow quadratically with the decisions (issue 10/11: 199 delegations, 5.4 MB in one run).
 * The API answers with the task as projected to the database anyway; it reads nothing from this result.
 */
export interface TDecisionResult {
  taskId: string;
  status: TaskStatus;
  /** Number of events the task has had after this decision (its projection's sequence). */
  seq: number;
}

export const acknowledgeUpdate = defineUpdate<TDecisionResult, [TAcknowledgeArgs]>('acknowledge');
export const submitReportUpdate = defineUpdate<TDecisionResult, [TSubmitReportArgs]>('submitReport');
export const reviewReportUpdate = defineUpdate<TDecisionResult, [TReviewReportArgs]>('reviewReport');
export const requestClosureUpdate = defineUpdate<TDecisionResult, [TRequestClosureArgs]>('requestClosure');
export const signOffUpdate = defineUpdate<TDecisionResult, [TSignOffArgs]>('signOff');
export const requestExtensionUpdate = defineUpdate<TDecisionResult, [TRequestExtensionArgs]>('requestExtension');
export const decideExtensionUpdate = defineUpdate<TDecisionResult, [TDecideExtensionArgs]>('decideExtension');
export const reassignUpdate = defineUpdate<TDecisionResult, [TReassignArgs]>('reassign');
export const delegateUpdate = defineUpdate<TDecisionResult, [TDelegateArgs]>('delegate');
export const revokeDelegationUpdate = defineUpdate<TDecisionResult, [TRevokeDelegationArgs]>('revokeDelegation');
export const lookBackVerdictUpdate = defineUpdate<TDecisionResult, [TLookBackVerdictArgs]>('lookBackVerdict');
export const endLongTermUpdate = defineUpdate<TDecisionResult, [TEndLongTermArgs]>('endLongTerm');
export const splitTaskUpdate = defineUpdate<TDecisionResult, [TSplitTaskArgs]>('splitTask');

/**
 * A supervisor or the task's office issues an escalation step by hand (督办): decided as `escalate` with the caller
 * as actor; the projection numbers the document in the issuer's name. `reason` is kept by the API on the notice.
 */
export interface TIssueSupervisionArgs {
  actor: TActor;
  step: TEscalationStepName;
  reason?: string;
}
export const issueSupervisionUpdate = defineUpdate<TDecisionResult, [TIssueSupervisionArgs]>('issueSupervision');

/** A child task tells its parent of each status change (by workflow ID, so it survives continue-as-new). */
export const childStatusSignal = defineSignal<[{ childTaskId: string; status: TaskStatus }]>('childStatus');

/** The office urges (催办) the lead unit: fire-and-forget, delivered to the unit's inbox once per `urgeId`. */
export interface TUrgeArgs {
  actor: TActor;
  urgeId: string;
  message: string;
}
export const urgeSignal = defineSignal<[TUrgeArgs]>('urge');

export const taskStateQuery = defineQuery<TaskState>('taskState');

/** Why the workflow stopped acting on its own (an error it could not act on), or null: shown to the admin. */
export const taskFlagQuery = defineQuery<string | null>('taskFlag');

/** The admin clears a flag once the cause is mended: the workflow then tries its timed steps again. */
export interface TClearFlagArgs {
  actor: TActor;
}
export const clearFlagUpdate = defineUpdate<TDecisionResult, [TClearFlagArgs]>('clearFlag');
