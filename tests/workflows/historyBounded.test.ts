/**
 * Bounded history (issues 10 and 11): each decision adds a bounded number of bytes to its task's history, whatever the
 * size the task's state has grown to. Before, every update's result carried the whole state, which grows with every
 * report version, so the 500th decision added far more than the 5th (199 delegations made 5.4 MB in one run).
 * Real worker on the embedded dev server; the history is fetched from the server and measured encoded.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { dateOf, addDaysToDate } from '../../domain/calendar';
import { acknowledgeUpdate, delegateUpdate, taskStateQuery } from '../../workflows/messages';
import { taskWorkflowId } from '../../workflows/shared';
import { taskLifecycle } from '../../workflows/taskLifecycle';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';
import { startWorkflowStack, type TWorkflowStack } from '../helpers/stack';

jest.setTimeout(300_000);

let stack: TWorkflowStack;
let org: TOrg;

beforeAll(async () => {
  stack = await startWorkflowStack();
  org = await createOrg(stack.db, 1);
});

afterAll(async () => {
  await stack?.teardown();
});

type Handle = WorkflowHandle<typeof taskLifecycle>;

/** The current run's id and its history's encoded size in bytes. */
async function measure(handle: Handle): Promise<{ runId: string; bytes: number }> {
  const description = await handle.describe();
  const history = await stack.testEnv.client.workflow.getHandle(handle.workflowId, description.runId).fetchHistory();
  return {
    runId: description.runId,
    bytes: temporal.api.history.v1.History.encode(history as temporal.api.history.v1.IHistory).finish().length,
  };
}

it('the 500th decision adds no more history than the 5th', async () => {
  const assignedAt = await stack.now();
  const input = await createTaskRow(stack.db, org, {
    deadline: { kind: 'date', date: addDaysToDate(dateOf(assignedAt), 900) },
    assignedAt,
  });
  const handle: Handle = await stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(input.taskId),
    args: [input],
  });
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
  const firstRunId = (await handle.describe()).runId;
  const today = dateOf(await stack.now());

  // Decisions 2, 3, …: the office names its colleague deputy for one more day each time. Every delegation in force is
  // kept in the task's state, which keeps growing (the case that made 5.4 MB of history from 199 delegations).
  let decisions = 1;
  const decideOnce = async (): Promise<void> => {
    decisions++;
    const day = addDaysToDate(today, decisions);
    await handle.executeUpdate(delegateUpdate, {
      args: [
        {
          actor: org.office,
          toUserId: org.office2.userId,
          toRole: org.office2.role,
          toUnitId: org.office2.unitId,
          from: day,
          to: day,
        },
      ],
    });
  };
  /** Bytes the next decision adds to its run's history (null when the run continued-as-new meanwhile). */
  const bytesOfNextDecision = async (): Promise<number | null> => {
    const before = await measure(handle);
    await decideOnce();
    const after = await measure(handle);
    return after.runId === before.runId ? after.bytes - before.bytes : null;
  };

  while (decisions < 3) await decideOnce();
  const fifth = (await bytesOfNextDecision()) ?? (await bytesOfNextDecision());
  const sixth = (await bytesOfNextDecision()) ?? (await bytesOfNextDecision());
  while (decisions < 498) await decideOnce();
  let late: number | null = null;
  while (late === null || decisions < 500) late = await bytesOfNextDecision();
  if (fifth === null || sixth === null) throw new Error('no measurement of an early decision');

  const grown = await handle.query(taskStateQuery);
  // The state really grew: every delegation is kept.
  expect(grown.delegations.length).toBeGreaterThanOrEqual(499);
  expect(JSON.stringify(grown).length).toBeGreaterThan(40_000);
  const early = Math.max(fifth, sixth);
  expect(late).toBeLessThanOrEqual(early * 1.1);
  // A task kept this busy still continues as new (patch 'shorter-runs'): no run grows far past 500 events. Before,
  // the decisions woke the timer loop each time and it never reached its check: one run of the 500 decisions.
  const { historyLength, runId } = await handle.describe();
  expect(runId).not.toBe(firstRunId);
  expect(historyLength).toBeLessThanOrEqual(600);
});
