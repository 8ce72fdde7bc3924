/** Small helpers shared by the workflow tests. */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { TaskState } from '../../domain/task';
import { taskStateQuery, type TDecisionResult } from '../../workflows/messages';
import { ApplicationFailure } from '@temporalio/common';
import type { TWorkflowStack } from './stack';

/** The refused update's typed failure (`NotAuthorized`, `InvalidTransition`, …); fails when the update is accepted. */
export async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure)
      return err.cause.type ?? undefined;
    throw err;
  }
  throw new Error('expected the update to be refused');
}

/** Advances the dev server's virtual clock to `plusMs` after `instant` (no-op when already past). */
export async function sleepUntil(stack: TWorkflowStack, instant: string, plusMs = 60_000): Promise<void> {
  const ms = Date.parse(instant) - Date.parse(await stack.now()) + plusMs;
  if (ms > 0) await stack.testEnv.sleep(ms);
}

/**
 * Activities run asynchronously to timers: polls (in real time) until the check passes or the time is up. Real time is
 * `performance.now()`: a test that fakes `Date` (reminders.dueday) moves it with the dev server's skipped time, which
 * ended a 60 s wait after one check under CI's load.
 */
export async function eventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const start = performance.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (performance.now() - start > timeoutMs) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * A task workflow's handle whose decisions answer with the task's whole state after them: the updates themselves
 * return only a bounded summary (status and sequence), so the tests that inspect the state query it.
 */
export function withState(handle: WorkflowHandle): {
  executeUpdate<A>(def: UpdateDefinition<TDecisionResult, [A]>, options: { args: [A] }): Promise<TaskState>;
} {
  return {
    async executeUpdate(def, options) {
      await handle.executeUpdate(def, options);
      return handle.query(taskStateQuery);
    },
  };
}
