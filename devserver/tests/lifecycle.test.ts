/**
 * Conformance: workflow cancel and terminate, child workflows (result, failure, cancel, parent close policy), signal
 * to an external workflow, workflow-task failure and retry, workflow-task timeout, sticky task queues including a
 * worker that dies without ShutdownWorker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CancelledFailure,
  TerminatedFailure,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { eventually, replayHandles, startSuite, uid, type TSuite } from './helpers/env';
import { addItemSignal, finishSignal, itemsQuery } from './workflows/basics';
import {
  brokenUntilFinishedWorkflow,
  childCancelWorkflow,
  childFailureWorkflow,
  childResultWorkflow,
  collectWorkflow,
  echoWorkflow,
  parentClosePolicyWorkflow,
  signalExternalWorkflow,
  taskFailsOnceWorkflow,
} from './workflows/lifecycle';

const EventType = temporal.api.enums.v1.EventType;
const CommandType = temporal.api.enums.v1.CommandType;

let suite: TSuite;
const toReplay: WorkflowHandle[] = [];
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'devserver-lifecycle-'));
  suite = await startSuite({ workflowsPath: require.resolve('./workflows/lifecycle') });
});
afterAll(async () => {
  await suite?.teardown();
  rmSync(tmp, { recursive: true, force: true });
});

const opts = (prefix: string, taskQueue = suite.taskQueue) => ({ taskQueue, workflowId: uid(prefix) });

async function eventTypes(handle: WorkflowHandle): Promise<number[]> {
  return ((await handle.fetchHistory()).events ?? []).map((e) => Number(e.eventType));
}

/**
 * Starts a workflow on a task queue no worker polls, for tests that drive the raw protocol themselves (so a race is
 * certain rather than likely): returns the service, its namespace, the handle and a poll of that queue.
 */
async function rawWorkflow(
  workflowType: string,
  prefix: string,
  extra: Pick<WorkflowStartOptions, 'workflowTaskTimeout'> = {},
) {
  const svc = suite.client.workflowService;
  const namespace = suite.client.options.namespace;
  const taskQueue = uid(prefix);
  const handle = await suite.client.workflow.start(workflowType, { taskQueue, workflowId: uid(prefix), ...extra });
  const poll = () => svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: taskQueue }, identity: 'raw' });
  return { svc, namespace, handle, poll };
}

async function statusOf(workflowId: string): Promise<string | undefined> {
  return (await suite.client.workflow.getHandle(workflowId).describe()).status.name;
}

/** A second worker on its own task queue, for tests that must control who polls it. */
async function auxWorker(taskQueue: string): Promise<{ stop(): Promise<void> }> {
  const worker = await Worker.create({
    connection: suite.testEnv.nativeConnection,
    namespace: suite.client.options.namespace,
    taskQueue,
    workflowBundle: suite.bundle,
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

describe('cancel and terminate', () => {
  it('cancels a workflow', async () => {
    const handle = await suite.client.workflow.start(collectWorkflow, opts('cancel'));
    await handle.query(itemsQuery);
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(await statusOf(handle.workflowId)).toBe('CANCELLED');
    const types = await eventTypes(handle);
    expect(types).toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    expect(types.at(-1)).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
    toReplay.push(handle);
  });

  it('terminates a workflow with a reason', async () => {
    const handle = await suite.client.workflow.start(collectWorkflow, opts('terminate'));
    await handle.terminate('enough');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    expect(await statusOf(handle.workflowId)).toBe('TERMINATED');
    expect((await eventTypes(handle)).at(-1)).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  });
});

describe('child workflows', () => {
  it('returns a child result to the parent', async () => {
    const handle = await suite.client.workflow.start(childResultWorkflow, { ...opts('parent'), args: ['v'] });
    expect(await handle.result()).toBe('parent got v');
    const types = await eventTypes(handle);
    expect(types).toContain(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
    expect(types).toContain(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
    toReplay.push(handle);
  });

  it('reports a child failure to the parent', async () => {
    const handle = await suite.client.workflow.start(childFailureWorkflow, opts('parent-fail'));
    expect(await handle.result()).toBe('child failed: child broke');
    expect(await statusOf(`${handle.workflowId}-child`)).toBe('FAILED');
    toReplay.push(handle);
  });

  it('cancels a child from the parent', async () => {
    const handle = await suite.client.workflow.start(childCancelWorkflow, opts('parent-cancel'));
    expect(await handle.result()).toBe('child cancelled');
    expect(await statusOf(`${handle.workflowId}-child`)).toBe('CANCELLED');
    toReplay.push(handle);
  });

  it('applies parent close policies: terminate, abandon, request cancel', async () => {
    const handle = await suite.client.workflow.start(parentClosePolicyWorkflow, opts('pcp'));
    const [terminated, abandoned, cancelled] = await handle.result();
    await eventually(async () => (await statusOf(terminated)) === 'TERMINATED');
    await eventually(async () => (await statusOf(cancelled)) === 'CANCELLED');
    expect(await statusOf(abandoned)).toBe('RUNNING');
    const child = suite.client.workflow.getHandle(abandoned);
    await child.signal(finishSignal);
    expect(await child.result()).toEqual([]);
    toReplay.push(handle);
  });
});

describe('signal to an external workflow', () => {
  it('delivers a signal sent by another workflow', async () => {
    const target = await suite.client.workflow.start(collectWorkflow, opts('target'));
    const sender = await suite.client.workflow.start(signalExternalWorkflow, {
      ...opts('sender'),
      args: [target.workflowId, 'hello'],
    });
    expect(await sender.result()).toBe('sent');
    expect(await target.query(itemsQuery)).toEqual(['hello']);
    expect(await eventTypes(sender)).toContain(EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED);
    await target.signal(finishSignal);
    expect(await target.result()).toEqual(['hello']);
    toReplay.push(sender, target);
  });
});

describe('workflow tasks', () => {
  it('retries a failed workflow task', async () => {
    const handle = await suite.client.workflow.start(taskFailsOnceWorkflow, opts('wft-fail'));
    expect(await handle.result()).toBeGreaterThanOrEqual(5);
    expect(await eventTypes(handle)).toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
  });

  it('keeps the retries of a failing workflow task out of history (transient attempts), as Temporal does', async () => {
    const handle = await suite.client.workflow.start(brokenUntilFinishedWorkflow, {
      ...opts('wft-transient'),
      workflowTaskTimeout: '1s',
    });
    // The SDK reports the first failure; later attempts fail in the worker and time out on the server.
    await eventually(async () => (await eventTypes(handle)).includes(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED));
    const afterFirstFailure = (await eventTypes(handle)).length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await handle.describe()).raw.pendingWorkflowTask?.attempt).toBeGreaterThanOrEqual(3);
    expect(await eventTypes(handle)).toHaveLength(afterFirstFailure);

    await handle.signal(finishSignal);
    expect(await handle.result()).toBeGreaterThan(afterFirstFailure);
    const events = (await handle.fetchHistory()).events ?? [];
    const types = events.map((e) => e.eventType);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)).toHaveLength(1);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_, i) => i + 1));
    const attempts = events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
      .map((e) => e.workflowTaskScheduledEventAttributes?.attempt);
    expect(attempts[0]).toBe(1);
    expect(attempts[attempts.length - 1]).toBeGreaterThanOrEqual(3);
    toReplay.push(handle);
  });

  it("hands transient attempts their events, refuses a stale attempt's completion and writes the one that completes", async () => {
    // Raw protocol: attempt 1 fails, attempt 2 is left to time out, attempt 3 completes; attempt 2 answers late.
    const { svc, namespace, handle, poll } = await rawWorkflow('rawTransientWorkflow', 'transient-raw', {
      workflowTaskTimeout: '1s',
    });
    const first = await poll();
    await svc.respondWorkflowTaskFailed({ namespace, taskToken: first.taskToken, identity: 'raw' });
    const second = await poll();
    const third = await poll();
    expect([first.attempt, second.attempt, third.attempt]).toEqual([1, 2, 3]);
    // Both retries see the written history plus their own scheduled/started pair, at the same (reserved) ids.
    const written = await eventTypes(handle);
    expect(written).toHaveLength(4);
    for (const task of [second, third]) {
      const events = task.history?.events ?? [];
      expect(events.map((e) => e.eventType).slice(4)).toEqual([
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      ]);
      expect(events.map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4, 5, 6]);
    }
    const complete = (taskToken: Uint8Array | null | undefined) =>
      svc.respondWorkflowTaskCompleted({
        namespace,
        taskToken,
        identity: 'raw',
        commands: [
          {
            commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            completeWorkflowExecutionCommandAttributes: {},
          },
        ],
      });
    await expect(complete(second.taskToken)).rejects.toMatchObject({ code: 5 });
    await complete(third.taskToken);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ]);
    expect(events[4]?.workflowTaskScheduledEventAttributes?.attempt).toBe(3);
  });

  it('drops a TimerFired held during a workflow task when that task cancels the timer', async () => {
    // Raw protocol, so the race is certain: the timer fires while a task is started, then the task cancels it.
    const { svc, namespace, handle, poll } = await rawWorkflow('rawTimerWorkflow', 'cancel-fired');
    const first = await poll();
    await svc.respondWorkflowTaskCompleted({
      namespace,
      taskToken: first.taskToken,
      identity: 'raw',
      commands: [
        {
          commandType: CommandType.COMMAND_TYPE_START_TIMER,
          startTimerCommandAttributes: { timerId: 't1', startToFireTimeout: { nanos: 200_000_000 } },
        },
      ],
    });
    await handle.signal('wake');
    const second = await poll();
    await new Promise((r) => setTimeout(r, 700));
    await svc.respondWorkflowTaskCompleted({
      namespace,
      taskToken: second.taskToken,
      identity: 'raw',
      commands: [
        { commandType: CommandType.COMMAND_TYPE_CANCEL_TIMER, cancelTimerCommandAttributes: { timerId: 't1' } },
      ],
    });
    const types = await eventTypes(handle);
    expect(types).toContain(EventType.EVENT_TYPE_TIMER_CANCELED);
    expect(types).not.toContain(EventType.EVENT_TYPE_TIMER_FIRED);
    expect(types.at(-1)).toBe(EventType.EVENT_TYPE_TIMER_CANCELED);
    await handle.terminate('test done');
  });

  it('lets a workflow task that cancels a timer fired meanwhile also complete the workflow', async () => {
    const { svc, namespace, handle, poll } = await rawWorkflow('rawTimerWorkflow', 'cancel-fired-close');
    const first = await poll();
    await svc.respondWorkflowTaskCompleted({
      namespace,
      taskToken: first.taskToken,
      identity: 'raw',
      commands: [
        {
          commandType: CommandType.COMMAND_TYPE_START_TIMER,
          startTimerCommandAttributes: { timerId: 't1', startToFireTimeout: { nanos: 200_000_000 } },
        },
      ],
    });
    await handle.signal('wake');
    const second = await poll();
    await new Promise((r) => setTimeout(r, 700));
    // As in Temporal: the held TimerFired is dropped by the cancel, so nothing unseen blocks the close.
    await svc.respondWorkflowTaskCompleted({
      namespace,
      taskToken: second.taskToken,
      identity: 'raw',
      commands: [
        { commandType: CommandType.COMMAND_TYPE_CANCEL_TIMER, cancelTimerCommandAttributes: { timerId: 't1' } },
        {
          commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
          completeWorkflowExecutionCommandAttributes: {},
        },
      ],
    });
    const types = await eventTypes(handle);
    expect(types).not.toContain(EventType.EVENT_TYPE_TIMER_FIRED);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(types.slice(-2)).toEqual([
      EventType.EVENT_TYPE_TIMER_CANCELED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ]);
  });

  it('times out a workflow task that is never answered and hands it to another worker', async () => {
    const taskQueue = uid('wft-timeout');
    const handle = await suite.client.workflow.start(echoWorkflow, {
      ...opts('wft-timeout', taskQueue),
      args: ['after timeout'],
      workflowTaskTimeout: '1s',
    });
    // A poller that takes the task and never answers: a worker that hung.
    const task = await suite.client.workflowService.pollWorkflowTaskQueue({
      namespace: suite.client.options.namespace,
      taskQueue: { name: taskQueue },
      identity: 'hung-worker',
    });
    expect(task.taskToken?.length).toBeGreaterThan(0);
    const aux = await auxWorker(taskQueue);
    try {
      expect(await handle.result()).toBe('after timeout');
    } finally {
      await aux.stop();
    }
    expect(await eventTypes(handle)).toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    toReplay.push(handle);
  });

  it('moves a workflow off the sticky queue of a worker killed without ShutdownWorker', async () => {
    const taskQueue = uid('sticky');
    const codePath = join(tmp, 'bundle.js');
    writeFileSync(codePath, suite.bundle.code);
    const child = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('tsx/cjs'),
        require.resolve('./helpers/worker-child'),
        suite.testEnv.address,
        suite.client.options.namespace,
        taskQueue,
        codePath,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
        child.once('exit', () => reject(new Error('worker child exited before ready')));
      });
      const handle = await suite.client.workflow.start(collectWorkflow, opts('sticky', taskQueue));
      await handle.signal(addItemSignal, 'a');
      // Answered by the child worker from its cache: the workflow now sits on its sticky queue.
      expect(await handle.query(itemsQuery)).toEqual(['a']);
      child.kill('SIGKILL');
      await exited;

      await handle.signal(addItemSignal, 'b');
      const aux = await auxWorker(taskQueue);
      try {
        await handle.signal(finishSignal);
        expect(await handle.result()).toEqual(['a', 'b']);
      } finally {
        await aux.stop();
      }
      // No workflow task may have failed along the way: the move off the sticky queue is invisible to the workflow.
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.map((e) => e.eventType)).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      // As in Temporal, the task first went to the dead worker's sticky queue and timed out there (schedule-to-start).
      const timeouts = events
        .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
        .map((e) => e.workflowTaskTimedOutEventAttributes?.timeoutType);
      expect(timeouts).toContain(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
      toReplay.push(handle);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

describe('replay', () => {
  it('replays the histories written by this file', async () => {
    expect(await replayHandles(suite.bundle, toReplay)).toEqual([]);
  });
});
