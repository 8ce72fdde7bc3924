/**
 * The stored traffic light: `Task.trafficLight` as the rules give it at the projection's instant, and
 * `Task.lightChangesAt`, the next instant the rules could change it with no event (null: never). The event projection
 * writes both with every snapshot; the workflow wakes at `lightChangesAt` and writes them again through
 * `projectLight`, so the list filter and the campaign counts are indexed queries on a light that is current.
 */
import type { Db } from '../db/client';
import { ZCampaignPolicy, type TCampaignPolicy } from '../domain/policy';
import type { TaskState } from '../domain/task';
import { computeTrafficLight, nextLightChange, type TrafficLight } from '../domain/trafficLight';
import type { ActivityDeps } from './types';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export interface TLightColumns {
  trafficLight: TrafficLight;
  lightChangesAt: Date | null;
}

/** A stored policy, parsed as the API parses it: one that no longer parses reads as the default, never an error. */
export function parsePolicy(stored: unknown): TCampaignPolicy {
  const parsed = ZCampaignPolicy.safeParse(stored ?? {});
  return parsed.success ? parsed.data : ZCampaignPolicy.parse({});
}

/** The two columns for `state` at instant `at` under `policy`. */
export function lightColumns(state: TaskState, policy: TCampaignPolicy, at: string): TLightColumns {
  const next = nextLightChange(state, policy, at);
  return {
    trafficLight: computeTrafficLight(state, { now: at, policy }),
    lightChangesAt: next === null ? null : new Date(next),
  };
}

/**
 * The columns for a snapshot being projected. The policy is the campaign's row, read in the projection's own
 * transaction (one primary-key read) rather than passed in the activity input: the input is recorded in the
 * workflow history with every decision, and a policy there would grow every marker for a value the database holds
 * already (policies are fixed when the campaign is created). It is also the policy the read side's repair uses.
 */
export async function snapshotLightColumns(tx: Pick<Tx, 'campaign'>, state: TaskState, at: string) {
  const campaign = await tx.campaign.findUnique({ where: { id: state.campaignId }, select: { policy: true } });
  return lightColumns(state, parsePolicy(campaign?.policy), at);
}

export interface TProjectLightInput {
  taskId: string;
  trafficLight: TrafficLight;
  /** ISO instant, or null when nothing time-driven is left. */
  lightChangesAt: string | null;
  /** The workflow's clock when it computed the light. */
  at: string;
}

/**
 * Writes the two light columns the workflow computed at its wake-up, and nothing else. Idempotent (same values
 * twice), and never over a newer projection: a snapshot projected after `at` (its `updatedAt` is the event's
 * instant) carries its own light, so the row is left alone then. The workflow also runs this after every projection
 * queued before it, in order.
 */
export function projectLightActivity({ db }: ActivityDeps) {
  return async function projectLight(input: TProjectLightInput): Promise<{ written: boolean }> {
    const { count } = await db.task.updateMany({
      where: { id: input.taskId, updatedAt: { lte: new Date(input.at) } },
      data: {
        trafficLight: input.trafficLight,
        lightChangesAt: input.lightChangesAt === null ? null : new Date(input.lightChangesAt),
      },
    });
    return { written: count > 0 };
  };
}
