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
 * Whether the row's stored light holds at `now`: no change due before `now`. Every row starts stale (created with
 * `lightChangesAt` at the epoch, as the migration left older rows) until a projection writes the light of its state or
 * the read-repair (tasks/light.ts) writes the light of the state rebuilt from its columns — which is the light this
 * read would compute from them — so a row that holds needs no state to be read.
 */
export function storedLightHolds(row: TStoredLight, now: Date): boolean {
  return (
    row.lightChangesAt !== undefined &&
    (row.lightChangesAt === null || row.lightChangesAt.getTime() > now.getTime()) &&
    row.trafficLight !== undefined &&
    LIGHTS.includes(row.trafficLight)
  );
}

/** The light of a row at `now`: the stored one while it holds, else computed from the state, as a repair would. */
export function lightOf(row: TTaskRowCore & TStoredLight, policy: TCampaignPolicy, now: Date): TrafficLight {
  return storedLightHolds(row, now) ? (row.trafficLight as TrafficLight) : trafficLightOf(row, policy, now);
}

export function taskSummary(
  row: TTaskRowCore & TStoredLight & { measure: string; problemId: string },
  policy: TCampaignPolicy,
  now: Date,
) {
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
    // The columns the projection writes from the state's deadline (the same rebuilt, before the first projection).
    deadline: deadlineView(deadlineOf(row)),
    trafficLight: lightOf(row, policy, now),
    reopenCount: row.reopenCount,
  };
}
export type TTaskSummary = ReturnType<typeof taskSummary>;
