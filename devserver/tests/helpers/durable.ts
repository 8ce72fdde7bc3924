/**
 * Shared by the persistence tests: open workflows of every kind a restart must not lose, and the checks that they
 * resume where they were.
 */
import { WorkflowUpdateStage, type Client } from '@temporalio/client';
import { addItemSignal, collectWorkflow, finishSignal } from '../workflows/basics';
import { runActivityWorkflow, sleepWorkflow } from '../workflows/activities';
import { addWhenReleasedUpdate, counterWorkflow, doneSignal, releaseSignal } from '../workflows/updates';
import { uid } from './env';

export interface TOpenSet {
  timerId: string;
  signalId: string;
  activityId: string;
  updateWorkflowId: string;
  updateId: string;
  activityKey: string;
}

/**
 * Starts one workflow per kind while a worker runs on `taskQueue`. The activity goes to `activityQueue`, which
 * nobody polls before the restart, so it is still pending then.
 */
export async function createOpenWorkflows(
  client: Client,
  taskQueue: string,
  activityQueue: string,
  timerMs: number,
): Promise<TOpenSet> {
  const set: TOpenSet = {
    timerId: uid('durable-timer'),
    signalId: uid('durable-signal'),
    activityId: uid('durable-activity'),
    updateWorkflowId: uid('durable-update'),
    updateId: uid('update'),
    activityKey: uid('durable-act'),
  };
  await client.workflow.start(sleepWorkflow, { taskQueue, workflowId: set.timerId, args: [timerMs] });
  const collector = await client.workflow.start(collectWorkflow, { taskQueue, workflowId: set.signalId });
  await collector.signal(addItemSignal, 'before restart');
  await client.workflow.start(runActivityWorkflow, {
    taskQueue,
    workflowId: set.activityId,
    args: ['record', [set.activityKey], { taskQueue: activityQueue, startToCloseTimeout: '10s' }],
  });
  const counter = await client.workflow.start(counterWorkflow, {
    taskQueue,
    workflowId: set.updateWorkflowId,
    args: [1],
  });
  await counter.startUpdate(addWhenReleasedUpdate, {
    args: [5],
    updateId: set.updateId,
    waitForStage: WorkflowUpdateStage.ACCEPTED,
  });
  // Make sure the activity was scheduled (its workflow task completed) before the server goes away.
  for (let i = 0; i < 50; i++) {
    const d = await client.workflow.getHandle(set.activityId).describe();
    if ((d.raw.pendingActivities ?? []).length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return set;
}

/** Signals sent while no worker runs must also survive. */
export async function signalWhileWorkerDown(client: Client, set: TOpenSet): Promise<void> {
  await client.workflow.getHandle(set.signalId).signal(addItemSignal, 'while worker down');
}

export async function expectResumed(client: Client, set: TOpenSet, timerMs: number): Promise<void> {
  const timer = client.workflow.getHandle<typeof sleepWorkflow>(set.timerId);
  expect((await timer.describe()).status.name).toBe('RUNNING');
  expect(await timer.result()).toBe(timerMs);

  const collector = client.workflow.getHandle<typeof collectWorkflow>(set.signalId);
  await collector.signal(finishSignal);
  expect(await collector.result()).toEqual(['before restart', 'while worker down']);

  const activity = client.workflow.getHandle<typeof runActivityWorkflow>(set.activityId);
  expect(await activity.result()).toEqual({ ok: true, result: set.activityKey });

  const counter = client.workflow.getHandle<typeof counterWorkflow>(set.updateWorkflowId);
  await counter.signal(releaseSignal);
  expect(await counter.getUpdateHandle<number>(set.updateId).result()).toBe(6);
  await counter.signal(doneSignal);
  expect(await counter.result()).toBe(6);
}
