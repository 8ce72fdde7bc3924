/** Workflows measured by bench/devserver.ts. Deterministic code only. */
import { condition, defineSignal, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { TBenchActivities } from './activities';

export const pingUpdate = defineUpdate<number, [number]>('ping');
export const stopSignal = defineSignal('stop');

const { noop } = proxyActivities<TBenchActivities>({ startToCloseTimeout: '30s' });

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

/** Waits on one timer of `days` days. */
export async function longTimerWorkflow(days: number): Promise<void> {
  await sleep(`${days} days`);
}

/** Wakes once every 30 days, `months` times. */
export async function monthlyWakeWorkflow(months: number): Promise<number> {
  for (let i = 0; i < months; i++) await sleep('30 days');
  return months;
}
