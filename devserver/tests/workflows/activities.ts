/**
 * Workflows for timer and activity conformance tests. Activity options come from the test so that each test states
 * the retry policy and timeouts it exercises.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  CancellationScope,
  type ActivityOptions,
  TimeoutFailure,
  ApplicationFailure,
  condition,
  defineSignal,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { TestActivities } from '../helpers/activities';

export const cancelSignal = defineSignal('cancel');

export interface TActivityOutcome {
  ok: boolean;
  result?: unknown;
  failureKind?: 'timeout' | 'application' | 'cancelled' | 'other';
  timeoutType?: string;
  retryState?: string;
  applicationType?: string;
  message?: string;
}

/** Runs one activity with the given options and reports how it ended instead of failing the workflow. */
export async function runActivityWorkflow(
  name: keyof TestActivities,
  args: unknown[],
  options: ActivityOptions,
): Promise<TActivityOutcome> {
  const acts = proxyActivities<Record<string, (...a: unknown[]) => Promise<unknown>>>(options);
  try {
    return { ok: true, result: await acts[name](...args) };
  } catch (err) {
    if (err instanceof ActivityFailure) {
      const cause = err.cause;
      const retryState = String(err.retryState);
      if (cause instanceof TimeoutFailure) {
        return { ok: false, failureKind: 'timeout', timeoutType: String(cause.timeoutType), retryState };
      }
      if (cause instanceof ApplicationFailure) {
        return { ok: false, failureKind: 'application', applicationType: cause.type ?? undefined, retryState };
      }
    }
    return { ok: false, failureKind: 'other', message: err instanceof Error ? err.message : String(err) };
  }
}

/** Starts a heartbeating activity and cancels it when the `cancel` signal arrives. */
export async function cancelActivityWorkflow(key: string): Promise<string> {
  let cancelRequested = false;
  setHandler(cancelSignal, () => {
    cancelRequested = true;
  });
  const { waitForCancel } = proxyActivities<TestActivities>({
    startToCloseTimeout: '1 minute',
    // Heartbeats are how the worker learns of the cancellation; they are sent every 80% of this timeout, so a short
    // one keeps the test quick.
    heartbeatTimeout: '1s',
    // Wait for the activity to acknowledge, so the test can assert that it saw the cancellation.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { maximumAttempts: 1 },
  });
  const scope = new CancellationScope();
  const running = scope.run(() => waitForCancel(key));
  await condition(() => cancelRequested);
  scope.cancel();
  try {
    await running;
    return 'completed';
  } catch (err) {
    return isCancellation(err) ? 'cancelled' : `failed: ${String(err)}`;
  }
}

/** Sleeps `ms` of workflow time and returns it. */
export async function sleepWorkflow(ms: number): Promise<number> {
  await sleep(ms);
  return ms;
}

/** Starts a timer and cancels it on the `cancel` signal; reports which happened first. */
export async function cancellableTimerWorkflow(ms: number): Promise<string> {
  const scope = new CancellationScope();
  const timer = scope.run(() => sleep(ms));
  setHandler(cancelSignal, () => scope.cancel());
  try {
    await timer;
    return 'fired';
  } catch (err) {
    if (isCancellation(err)) return 'cancelled';
    throw err;
  }
}

/** Waits for the `cancel` signal or a timeout, whichever comes first (condition with timeout uses a timer). */
export async function conditionTimeoutWorkflow(ms: number): Promise<string> {
  let signalled = false;
  setHandler(cancelSignal, () => {
    signalled = true;
  });
  return (await condition(() => signalled, ms)) ? 'signalled' : 'timed out';
}

/** Wakes once a month for `months` months and calls an activity each time: time-skipping over a long life. */
export async function monthlyWorkflow(months: number): Promise<number> {
  const { record } = proxyActivities<TestActivities>({ startToCloseTimeout: '10s' });
  for (let i = 0; i < months; i++) {
    await sleep('30 days');
    await record(`month-${i + 1}`);
  }
  return months;
}

/**
 * Races a 1-day timer against an activity that itself skips 2 days of server time (`testEnv.sleep` called from inside
 * the activity, as temporalio/samples-typescript timer-examples does). Returns whether the timer fired first.
 */
export async function timerDuringActivityWorkflow(): Promise<boolean> {
  const { skipFromActivity } = proxyActivities<{ skipFromActivity(ms: number): Promise<void> }>({
    // Longer than the skipped time, so that the skip does not time the activity out.
    startToCloseTimeout: '3 days',
    retry: { maximumAttempts: 1 },
  });
  let timerFired = false;
  const activity = skipFromActivity(2 * 24 * 60 * 60 * 1000);
  await Promise.race([
    activity,
    sleep('1 day').then(() => {
      timerFired = true;
    }),
  ]);
  await activity;
  return timerFired;
}

/** Runs `flaky` (fails twice) then `slow` as local activities. */
export async function localActivitiesWorkflow(key: string, slowMs: number): Promise<[number, string]> {
  const acts = proxyLocalActivities<TestActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '10ms', maximumAttempts: 5 },
  });
  const attempt = await acts.flaky(`${key}:flaky`, 2);
  return [attempt, await acts.slow(`${key}:slow`, slowMs)];
}
