/**
 * The summary of one task as every read shows it: its state (the projected workflow state, or one rebuilt from the
 * row's columns before the first projection), the campaign policy in force and the traffic light at `now`.
 */
import { ZCampaignPolicy, type TCampaignPolicy } from '../../domain/policy';
import { computeTrafficLight, type TrafficLight } from '../../domain/trafficLight';
import type { TaskState, TaskStatus } from '../../domain/task';
import type { TDeadline } from '../../domain/deadline';

/** The fields of a Task row the read model needs to rebuild a state when no snapshot was projected yet. */
export interface TTaskRowCore {
  id: string;
  campaignId: string;
  status: string;
  overdue: boolean;
  round: number;
  reopenCount: number;
  leadUnitId: string;
  leaderId: string;
  deadlineKind: string;
  deadlineDate: string | null;
  parentTaskId: string | null;
  createdAt: Date;
  closedAt: Date | null;
  stateJson: unknown;
}

export function deadlineOf(row: Pick<TTaskRowCore, 'deadlineKind' | 'deadlineDate'>): TDeadline {
  if (row.deadlineKind === 'long_term' || !row.deadlineDate) return { kind: 'long_term' };
  return { kind: row.deadlineKind, date: row.deadlineDate } as TDeadline;
}

/** The projected workflow state, or (before the first projection) one rebuilt from the row's columns. */
export function stateOf(row: TTaskRowCore): TaskState {
  if (row.stateJson && typeof row.stateJson === 'object') return row.stateJson as TaskState;
  const createdAt = row.createdAt.toISOString();
  return {
    taskId: row.id,
    campaignId: row.campaignId,
    status: row.status as TaskStatus,
    round: row.round,
    reopenCount: row.reopenCount,
    deadline: deadlineOf(row),
    leadUnitId: row.leadUnitId,
    leaderId: row.leaderId,
    officeUnitId: '',
    assignedAt: createdAt,
    roundStartedAt: createdAt,
    signOffChain: [],
    reports: [],
    overdueReports: [],
    closureHistory: [],
    extensionHistory: [],
    delegations: [],
    children: {},
    overdue: row.overdue,
    escalations: [],
    eventCount: 0,
    ...(row.closedAt ? { closedAt: row.closedAt.toISOString() } : {}),
    ...(row.parentTaskId ? { parentTaskId: row.parentTaskId } : {}),
  };
}

export function policyOf(campaign: { policy: unknown }): TCampaignPolicy {
  const parsed = ZCampaignPolicy.safeParse(campaign.policy ?? {});
  // A stored policy was validated when the campaign was created; a later schema change must not break reads.
  return parsed.success ? parsed.data : ZCampaignPolicy.parse({});
}

export function trafficLightOf(row: TTaskRowCore, policy: TCampaignPolicy, now: Date): TrafficLight {
  return computeTrafficLight(stateOf(row), { now: now.toISOString(), policy });
}

/** `{ kind, date? }`: the date where the kind has one (for immediate kinds, the date the policy derived). */
function deadlineView(deadline: TDeadline): { kind: TDeadline['kind']; date?: string } {
  return deadline.kind === 'long_term' ? { kind: 'long_term' } : { kind: deadline.kind, date: deadline.date };
}

/** The columns of the light the workflow projected; absent when a read did not select them. */
export interface TStoredLight {
  trafficLight?: string;
  lightChangesAt?: Date | null;
}

const LIGHTS: readonly string[] = ['green', 'yellow', 'red'] satisfies TrafficLight[];

/**
 * The light of a row at `now`: the stored one while it holds (no change due before `now`, and a projected state
 * behind it), else computed from the state, as the stored one would be once repaired.
 */
export function lightOf(row: TTaskRowCore & TStoredLight, policy: TCampaignPolicy, now: Date): TrafficLight {
  const stored = row.trafficLight;
  const fresh =
    row.lightChangesAt !== undefined &&
    (row.lightChangesAt === null || row.lightChangesAt.getTime() > now.getTime()) &&
    // A row no workflow has projected yet (a child row just created) has no light of its own: its defaults say nothing.
    !!row.stateJson &&
    stored !== undefined &&
    LIGHTS.includes(stored);
  return fresh ? (stored as TrafficLight) : trafficLightOf(row, policy, now);
}

export function taskSummary(
  row: TTaskRowCore & TStoredLight & { measure: string; problemId: string },
  policy: TCampaignPolicy,
  now: Date,
) {
  const state = stateOf(row);
  return {
    id: row.id,
    campaignId: row.campaignId,
    problemId: row.problemId,
    parentTaskId: row.parentTaskId,
    measure: row.measure,
    leadUnitId: row.leadUnitId,
    leaderId: row.leaderId,
    status: row.status as TaskStatus,
    overdue: row.overdue,
    deadline: deadlineView(state.deadline),
    trafficLight: lightOf(row, policy, now),
    reopenCount: row.reopenCount,
  };
}
export type TTaskSummary = ReturnType<typeof taskSummary>;
