/** Workflows measured by bench/devserver.ts. Deterministic code only. */
import {
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { TBenchActivities } from './activities';

export const pingUpdate = defineUpdate<number, [number]>('ping');
export const stopSignal = defineSignal('stop');

const { noop } = proxyActivities<TBenchActivities>({ startToCloseTimeout: '30s' });
// The product's decisions write their projection in a local activity (workflows/taskLifecycle.ts, same timeout): the
// floor of a decision includes one, run by the worker within the update's own workflow task.
const local = proxyLocalActivities<TBenchActivities>({ startToCloseTimeout: '30s' });

/** An update whose handler awaits one local activity that does nothing (`noop` returns its argument). */
export const decideUpdate = defineUpdate<number, [number]>('decide');

/** Start → one activity → complete. */
export async function oneActivityWorkflow(n: number): Promise<number> {
  return noop(n);
}

/** Answers `ping` updates until `stop`. */
export async function updateTargetWorkflow(): Promise<number> {
  let count = 0;
  let stopped = false;
  setHandler(pingUpdate, (n) => {
    count += 1;
    return n;
  });
  setHandler(stopSignal, () => {
    stopped = true;
  });
  await condition(() => stopped);
  return count;
}

/**
 * A long-running workflow of one user in the `updates10` section: answers `ping` at once and `decide` after one
 * local activity, until `stop`.
 */
export async function decisionTargetWorkflow(): Promise<number> {
  let count = 0;
  let stopped = false;
  setHandler(pingUpdate, (n) => {
    count += 1;
    return n;
  });
  setHandler(decideUpdate, async (n) => {
    count += 1;
    return local.noop(n);
  });
  setHandler(stopSignal, () => {
    stopped = true;
  });
  await condition(() => stopped);
  return count;
}

/** Waits on one timer of `days` days. */
export async function longTimerWorkflow(days: number): Promise<void> {
  await sleep(`${days} days`);
}

/** Wakes once every 30 days, `months` times. */
export async function monthlyWakeWorkflow(months: number): Promise<number> {
  for (let i = 0; i < months; i++) await sleep('30 days');
  return months;
}
