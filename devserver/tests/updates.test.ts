/**
 * Conformance: updates with validators (accepted, rejected, failed, awaited, deduplicated by update ID) and
 * continue-as-new with signals and updates arriving while a run hands over.
 */
import { WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { replayHandles, startSuite, uid, type TSuite } from './helpers/env';
import {
  addSignal,
  addUpdate,
  addWhenReleasedUpdate,
  chainWorkflow,
  counterWorkflow,
  doneSignal,
  releaseSignal,
} from './workflows/updates';

const EventType = temporal.api.enums.v1.EventType;

let suite: TSuite;
const toReplay: WorkflowHandle[] = [];

beforeAll(async () => {
  suite = await startSuite({ workflowsPath: require.resolve('./workflows/updates') });
});
afterAll(async () => {
  await suite?.teardown();
});

const startCounter = (start = 0) =>
  suite.client.workflow.start(counterWorkflow, {
    taskQueue: suite.taskQueue,
    workflowId: uid('counter'),
    args: [start],
  });

async function eventTypes(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).map((e) => Number(e.eventType));
}

describe('updates', () => {
  it('accepts and completes an update, returning its result', async () => {
    const handle = await startCounter(10);
    expect(await handle.executeUpdate(addUpdate, { args: [5] })).toBe(15);
    expect(await handle.executeUpdate(addUpdate, { args: [1] })).toBe(16);
    await handle.signal(doneSignal);
    expect(await handle.result()).toBe(16);
    const types = await eventTypes(handle);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(2);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)).toHaveLength(2);
    toReplay.push(handle);
  });

  it('rejects an update in its validator without writing it to history', async () => {
    const handle = await startCounter(0);
    const err = await handle.executeUpdate(addUpdate, { args: [-1] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toBe('negative numbers are rejected');
    expect(await handle.executeUpdate(addUpdate, { args: [2] })).toBe(2);
    await handle.signal(doneSignal);
    expect(await handle.result()).toBe(2);
    const types = await eventTypes(handle);
    // Only the valid update was accepted; rejected ones leave no trace.
    expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(1);
    toReplay.push(handle);
  });

  it('reports an update whose handler fails, and the workflow carries on', async () => {
    const handle = await startCounter(1);
    const err = await handle.executeUpdate(addUpdate, { args: [13] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toBe('unlucky number');
    expect(await handle.executeUpdate(addUpdate, { args: [1] })).toBe(2);
    await handle.signal(doneSignal);
    expect(await handle.result()).toBe(2);
    toReplay.push(handle);
  });

  it('returns an accepted update handle and awaits its result later', async () => {
    const handle = await startCounter(100);
    const update = await handle.startUpdate(addWhenReleasedUpdate, {
      args: [7],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
      updateId: uid('upd'),
    });
    let settled = false;
    const result = update.result().then((value) => {
      settled = true;
      return value;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    // A second handle on the same update ID sees the same outcome.
    const byId = handle.getUpdateHandle<number>(update.updateId);
    await handle.signal(releaseSignal);
    expect(await result).toBe(107);
    expect(await byId.result()).toBe(107);
    await handle.signal(doneSignal);
    expect(await handle.result()).toBe(107);
    toReplay.push(handle);
  });

  it('deduplicates updates by update ID: the handler runs once', async () => {
    const handle = await startCounter(0);
    const updateId = uid('same-update');
    const first = await handle.executeUpdate(addUpdate, { args: [3], updateId });
    const second = await handle.executeUpdate(addUpdate, { args: [3], updateId });
    expect(first).toBe(3);
    expect(second).toBe(3);
    const parallelId = uid('parallel-update');
    const both = await Promise.all([
      handle.executeUpdate(addUpdate, { args: [10], updateId: parallelId }),
      handle.executeUpdate(addUpdate, { args: [10], updateId: parallelId }),
    ]);
    expect(both).toEqual([13, 13]);
    await handle.signal(doneSignal);
    expect(await handle.result()).toBe(13);
    const types = await eventTypes(handle);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(2);
    toReplay.push(handle);
  });
});

describe('continue-as-new', () => {
  const startChain = (expected: number, perRun: number) =>
    suite.client.workflow.start(chainWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: uid('chain'),
      args: [{ total: 0, seen: 0, expected, perRun, runs: 1, minRuns: 3 }],
    });

  it('keeps every signal sent while runs continue as new', async () => {
    const handle = await startChain(12, 3);
    const values = Array.from({ length: 12 }, (_, i) => i + 1);
    // Spaced a little so that they land in different workflow tasks, some while a run is continuing as new.
    for (const v of values) {
      await handle.signal(addSignal, v);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const final = await handle.result();
    expect(final.seen).toBe(12);
    expect(final.total).toBe(78);
    expect(final.runs).toBeGreaterThan(1);
    const first = suite.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
    const firstTypes = await eventTypes(first);
    expect(firstTypes.at(-1)).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    toReplay.push(first, suite.client.workflow.getHandle(handle.workflowId));
  });

  it('completes every update sent while runs continue as new', async () => {
    const handle = await startChain(8, 2);
    const ids = Array.from({ length: 8 }, (_, i) => i + 1);
    const results = await Promise.all(ids.map((v) => handle.executeUpdate(addUpdate, { args: [v] })));
    expect(results).toHaveLength(8);
    // Each update returned the running total right after its own value was added.
    expect(Math.max(...results)).toBe(36);
    expect(new Set(results).size).toBe(8);
    const final = await handle.result();
    expect(final).toMatchObject({ seen: 8, total: 36 });
    expect(final.runs).toBeGreaterThan(1);
  });
});

describe('replay', () => {
  it('replays the histories written by this file', async () => {
    expect(toReplay.length).toBeGreaterThan(0);
    expect(await replayHandles(suite.bundle, toReplay)).toEqual([]);
  });
});
