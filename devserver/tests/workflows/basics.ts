/**
 * Workflows for the start / signal / query / list / memo / history conformance tests.
 * Deterministic code only: these run inside the worker's workflow sandbox.
 */
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';

export const addItemSignal = defineSignal<[string]>('addItem');
export const finishSignal = defineSignal('finish');
export const itemsQuery = defineQuery<string[]>('items');

export async function echoWorkflow(value: string): Promise<string> {
  return value;
}

/** Collects signalled items until `finish`, answers `items` at any time (also once closed). */
export async function collectWorkflow(): Promise<string[]> {
  const items: string[] = [];
  let finished = false;
  setHandler(addItemSignal, (item) => {
    items.push(item);
  });
  setHandler(finishSignal, () => {
    finished = true;
  });
  setHandler(itemsQuery, () => items);
  await condition(() => finished);
  return items;
}

/** Fails as a workflow (not a workflow task) with a typed application failure. */
export async function failingWorkflow(message: string): Promise<never> {
  throw ApplicationFailure.create({ message, type: 'TestFailure', nonRetryable: true });
}

/** Fails its first workflow task with a plain Error (a task failure, retried by the server), then completes. */
export async function taskFailsOnceWorkflow(): Promise<number> {
  // The first attempt sees history [started, scheduled, started]; the retry also sees the failed task's events.
  if (workflowInfo().historyLength < 5) {
    throw new Error('first workflow task fails on purpose');
  }
  return workflowInfo().historyLength;
}

/**
 * Fails every workflow task with a plain Error until the `finish` signal is in its history, then returns how many
 * workflow-task attempts the successful one was (a bug fixed from outside, as a redeploy would).
 */
export async function brokenUntilFinishedWorkflow(): Promise<number> {
  let finished = false;
  setHandler(finishSignal, () => {
    finished = true;
  });
  await Promise.resolve();
  if (!finished) throw new Error('broken until the finish signal arrives');
  return workflowInfo().historyLength;
}

/** Sleeps on a series of short timers: a long history for pagination tests. */
export async function manyTimersWorkflow(count: number): Promise<number> {
  for (let i = 0; i < count; i++) {
    await sleep(1000);
  }
  return count;
}
