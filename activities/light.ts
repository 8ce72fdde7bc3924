/**
 * The stored traffic light: `Task.trafficLight` as the rules give it at the projection's instant, and
 * `Task.lightChangesAt`, the next instant the rules could change it with no event (null: never). The event projection
 * writes both with every snapshot; the workflow wakes at `lightChangesAt` and writes them again through
 * `projectLight`, so the list filter and the campaign counts are indexed queries on a light that is current.
 */
import type { Db } from '../db/client';
import { ZCampaignPolicy, type TCampaignPolicy } from '../domain/policy';
import type { TaskState } from '../domain/task';
import {
  computeTrafficLight,
  lightChangeReason,
  nextLightChange,
  type LightReason,
  type TrafficLight,
} from '../domain/trafficLight';
import { campaignPolicy } from './fixedRows';
import { textSubject, writeNotifications } from './notify';
import { lightRedText } from './texts';
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
 * The columns for a snapshot being projected. The policy is the campaign's row, read by the projection in its own
 * transaction (one primary-key read, shared with the pending actions) rather than passed in the activity input: the
 * input is recorded in the workflow history with every decision, and a policy there would grow every marker for a
 * value the database holds already (policies are fixed when the campaign is created). It is also the policy the read
 * side's repair uses.
 */
export async function snapshotLightColumns(
  tx: Tx,
  state: TaskState,
  at: string,
  policy: TCampaignPolicy,
  change?: { key: string; events: readonly { type: string; final?: boolean }[] },
) {
  const columns = lightColumns(state, policy, at);
  if (change) {
    await recordLightChange(tx, {
      key: change.key,
      state,
      toLight: columns.trafficLight,
      at,
      reason: (from) =>
        lightChangeReason(change.events, state, { now: at, policy }, { from, to: columns.trafficLight }),
    });
  }
  return columns;
}

/**
 * Records a change of the task's light (a `TaskLightChange` row for the timeline) when `toLight` differs from the
 * light last recorded, in the caller's transaction, before the row is written; a turn to red also tells the office
 * and the lead unit, once per turn. The light compared with is the last recorded change's (the row's own column
 * when none is recorded yet): the read side's repair rewrites the column without recording, and must not swallow a
 * turn to red. Idempotent: a retried write finds the change recorded and records nothing.
 */
export async function recordLightChange(
  tx: Tx,
  input: {
    key: string;
    state: TaskState;
    toLight: TrafficLight;
    at: string;
    reason: (from: TrafficLight) => LightReason;
  },
): Promise<{ from: TrafficLight; to: TrafficLight } | null> {
  const { state, toLight } = input;
  // Both in one statement (every projection asks, and most tasks have no change recorded yet): the last recorded
  // change's light, and the row's own column. Plain SQL both providers read alike; always exactly one row.
  const [lights] = await tx.$queryRaw<{ lastLight: string | null; rowLight: string | null }[]>`
    SELECT
      (SELECT c."toLight" FROM "TaskLightChange" c WHERE c."taskId" = ${state.taskId}
        ORDER BY c."at" DESC, c."idempotencyKey" DESC LIMIT 1) AS "lastLight",
      (SELECT t."trafficLight" FROM "Task" t WHERE t."id" = ${state.taskId}) AS "rowLight"`;
  const from = (lights?.lastLight ?? lights?.rowLight ?? 'green') as TrafficLight;
  if (from === toLight) return null;
  const idempotencyKey = `${input.key}:light:${toLight}`;
  if (await tx.taskLightChange.findUnique({ where: { idempotencyKey } })) return null;
  const reason = input.reason(from);
  const at = new Date(input.at);
  await tx.taskLightChange.create({
    data: { idempotencyKey, taskId: state.taskId, fromLight: from, toLight, reason, at },
  });
  if (toLight === 'red') {
    const subject = (await textSubject(tx, state.taskId, state.leadUnitId)) ?? {
      taskId: state.taskId,
      title: '整改任务',
      unitName: '责任单位',
    };
    await writeNotifications(
      tx,
      {
        idempotencyKey: idempotencyKey,
        taskId: state.taskId,
        kind: 'light_red',
        ...lightRedText(subject, { reason }),
        recipients: [{ unitId: state.officeUnitId, role: 'office' }, { unitId: state.leadUnitId }],
        at: input.at,
      },
      at,
    );
  }
  return { from, to: toLight };
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
    return db.$transaction(async (tx) => {
      // Read before the write: a change of light is recorded against the light the row had (or last recorded).
      const row = await tx.task.findUnique({
        where: { id: input.taskId },
        select: { stateJson: true, updatedAt: true, campaignId: true },
      });
      if (!row || row.updatedAt.getTime() > Date.parse(input.at)) return { written: false };
      if (row.stateJson) {
        const state = row.stateJson as unknown as TaskState;
        const policy = await campaignPolicy(tx, row.campaignId);
        await recordLightChange(tx, {
          key: `${input.taskId}:${input.at}`,
          state,
          toLight: input.trafficLight,
          at: input.at,
          reason: (from) => lightChangeReason([], state, { now: input.at, policy }, { from, to: input.trafficLight }),
        });
      }
      const { count } = await tx.task.updateMany({
        where: { id: input.taskId, updatedAt: { lte: new Date(input.at) } },
        data: {
          trafficLight: input.trafficLight,
          lightChangesAt: input.lightChangesAt === null ? null : new Date(input.lightChangesAt),
        },
      });
      return { written: count > 0 };
    });
  };
}
