/**
 * Conformance: timers (time-skipped, cancelled), activities with retry policies and backoff, schedule-to-close /
 * start-to-close / heartbeat timeouts, heartbeat details, cancellation delivered to the activity; local activities,
 * also longer than the workflow task timeout (workflow-task heartbeats).
 */
import { Context } from '@temporalio/activity';
import { type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ActivityRecorder } from './helpers/activities';
import { replayHandles, startSuite, uid, type TSuite } from './helpers/env';
import {
  cancelActivityWorkflow,
  cancelSignal,
  cancellableTimerWorkflow,
  conditionTimeoutWorkflow,
  localActivitiesWorkflow,
  monthlyWorkflow,
  runActivityWorkflow,
  sleepWorkflow,
  timerDuringActivityWorkflow,
} from './workflows/activities';

const EventType = temporal.api.enums.v1.EventType;
const DAY = 24 * 60 * 60 * 1000;

let suite: TSuite;
const recorder = new ActivityRecorder();
const toReplay: WorkflowHandle[] = [];

beforeAll(async () => {
  suite = await startSuite({
    workflowsPath: require.resolve('./workflows/activities'),
    activities: {
      ...recorder.createActivities(),
      // Skips server time from inside a running activity.
      // Ends early if the activity is cancelled (worker shutdown), so that a hang cannot block teardown.
      skipFromActivity: (ms: number) => Promise.race([suite.testEnv.sleep(ms), Context.current().cancelled]),
    },
  });
});
afterAll(async () => {
  await suite?.teardown();
});

function runActivity(...args: Parameters<typeof runActivityWorkflow>) {
  return suite.client.workflow.execute(runActivityWorkflow, {
    taskQueue: suite.taskQueue,
    workflowId: uid(`act-${args[0]}`),
    args,
  });
}

describe('timers', () => {
  it('skips time over a 30-day timer', async () => {
    const before = await suite.testEnv.currentTimeMs();
    const wallStart = Date.now();
    const handle = await suite.client.workflow.start(sleepWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: uid('sleep'),
      args: [30 * DAY],
    });
    expect(await handle.result()).toBe(30 * DAY);
    expect((await suite.testEnv.currentTimeMs()) - before).toBeGreaterThanOrEqual(30 * DAY);
    expect(Date.now() - wallStart).toBeLessThan(10_000);
    toReplay.push(handle);
  });

  it('cancels a timer and records the cancellation in history', async () => {
    const handle = await suite.client.workflow.start(cancellableTimerWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: uid('timer-cancel'),
      args: [7 * DAY],
    });
    await handle.signal(cancelSignal);
    expect(await handle.result()).toBe('cancelled');
    const types = (await handle.fetchHistory()).events?.map((e) => e.eventType) ?? [];
    expect(types).toContain(EventType.EVENT_TYPE_TIMER_CANCELED);
    expect(types).not.toContain(EventType.EVENT_TYPE_TIMER_FIRED);
    toReplay.push(handle);
  });

  it('races a condition against its timeout', async () => {
    const signalled = await suite.client.workflow.start(conditionTimeoutWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: uid('cond'),
      args: [DAY],
    });
    await signalled.signal(cancelSignal);
    expect(await signalled.result()).toBe('signalled');
    expect(
      await suite.client.workflow.execute(conditionTimeoutWorkflow, {
        taskQueue: suite.taskQueue,
        workflowId: uid('cond'),
        args: [DAY],
      }),
    ).toBe('timed out');
    toReplay.push(signalled);
  });

  it('testEnv.sleep advances server time and fires due timers', async () => {
    const handle = await suite.client.workflow.start(monthlyWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: uid('monthly'),
      args: [3],
    });
    const label = `month-1`;
    const before = recorder.events.filter((e) => e === label).length;
    await suite.testEnv.sleep(31 * DAY);
    expect(recorder.events.filter((e) => e === label).length).toBe(before + 1);
    expect(await handle.result()).toBe(3);
    toReplay.push(handle);
  });

  it('testEnv.sleep called from inside a running activity skips time, firing the workflow timer', async () => {
    const handle = await suite.client.workflow.start(timerDuringActivityWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: uid('skip-in-activity'),
    });
    // As with Java's test server: the running activity holds a time-skipping lock, which the sleep's unlock offsets.
    expect(await handle.result()).toBe(true);
    toReplay.push(handle);
  }, 20_000);
});

describe('activities: retries and backoff', () => {
  it('retries with exponential backoff measured in server time', async () => {
    const key = uid('flaky');
    const outcome = await runActivity('flaky', [key, 3], {
      startToCloseTimeout: '10s',
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
    });
    expect(outcome).toEqual({ ok: true, result: 4 });
    const attempts = recorder.attempts.get(key) ?? [];
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = attempts.slice(1).map((a, i) => a.scheduledMs - attempts[i].scheduledMs);
    // Backoff 1s, 2s, 4s: each gap is at least the interval (plus the attempt's own run time).
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[2]).toBeGreaterThanOrEqual(4000);
  });

  it('stops after maximumAttempts and does not retry non-retryable types', async () => {
    const limited = uid('limited');
    const out1 = await runActivity('flaky', [limited, 100], {
      startToCloseTimeout: '10s',
      retry: { initialInterval: '100ms', maximumAttempts: 3 },
    });
    expect(out1).toMatchObject({ ok: false, failureKind: 'application', applicationType: 'Flaky' });
    expect(recorder.attempts.get(limited)).toHaveLength(3);

    const fatal = uid('fatal');
    const out2 = await runActivity('fatal', [fatal], {
      startToCloseTimeout: '10s',
      retry: { initialInterval: '100ms', maximumAttempts: 5, nonRetryableErrorTypes: ['Fatal'] },
    });
    expect(out2).toMatchObject({ ok: false, failureKind: 'application', applicationType: 'Fatal' });
    expect(recorder.attempts.get(fatal)).toHaveLength(1);
  });

  it('passes heartbeat details of a failed attempt to the next attempt', async () => {
    const key = uid('hb');
    const outcome = await runActivity('heartbeatThenFail', [key], {
      startToCloseTimeout: '10s',
      heartbeatTimeout: '5s',
      retry: { initialInterval: '100ms', maximumAttempts: 2 },
    });
    expect(outcome).toEqual({ ok: true, result: { progress: 42 } });
  });
});

describe('activities: timeouts', () => {
  it('times out an attempt after start-to-close', async () => {
    const key = uid('stc');
    const outcome = await runActivity('slow', [key, 4000], {
      startToCloseTimeout: '1s',
      retry: { maximumAttempts: 1 },
    });
    expect(outcome).toMatchObject({ ok: false, failureKind: 'timeout', timeoutType: 'START_TO_CLOSE' });
  });

  it('times out a running attempt at schedule-to-close', async () => {
    const key = uid('sched');
    const outcome = await runActivity('slow', [key, 4000], {
      scheduleToCloseTimeout: '1s',
      startToCloseTimeout: '30s',
    });
    expect(outcome).toMatchObject({ ok: false, failureKind: 'timeout', timeoutType: 'SCHEDULE_TO_CLOSE' });
  });

  it('stops retrying when the next attempt would start after schedule-to-close', async () => {
    const key = uid('sched-retry');
    const outcome = await runActivity('flaky', [key, 1000], {
      scheduleToCloseTimeout: '5s',
      retry: { initialInterval: '1s', backoffCoefficient: 1 },
    });
    // As in Temporal: the last attempt's failure, with retry state TIMEOUT.
    expect(outcome).toMatchObject({ ok: false, failureKind: 'application', retryState: 'TIMEOUT' });
    const attempts = recorder.attempts.get(key) ?? [];
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.length).toBeLessThanOrEqual(6);
  });

  it('times out an activity that stops heartbeating', async () => {
    const key = uid('hbt');
    const outcome = await runActivity('slow', [key, 4000], {
      startToCloseTimeout: '30s',
      heartbeatTimeout: '1s',
      retry: { maximumAttempts: 1 },
    });
    expect(outcome).toMatchObject({ ok: false, failureKind: 'timeout', timeoutType: 'HEARTBEAT' });
  });
});

describe('activities: cancellation', () => {
  it('delivers a cancellation requested by the workflow to the running activity', async () => {
    const key = uid('cancel');
    const handle = await suite.client.workflow.start(cancelActivityWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: uid('act-cancel'),
      args: [key],
    });
    await recorder.waitFor(`${key}:started`);
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    expect(pending).toHaveLength(1);
    expect(pending[0].activityType?.name).toBe('waitForCancel');
    expect(pending[0].state).toBe(temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
    await handle.signal(cancelSignal);
    expect(await handle.result()).toBe('cancelled');
    expect(recorder.events).toContain(`${key}:cancelled`);
    const types = (await handle.fetchHistory()).events?.map((e) => e.eventType) ?? [];
    expect(types).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED);
    expect(types).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED);
    toReplay.push(handle);
  });
});

describe('local activities', () => {
  it('records local activities as markers, retried in the worker', async () => {
    const key = uid('local');
    const handle = await suite.client.workflow.start(localActivitiesWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: key,
      args: [key, 50],
    });
    expect(await handle.result()).toEqual([3, 'finished']);
    expect(recorder.attempts.get(`${key}:flaky`)?.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const events = (await handle.fetchHistory()).events ?? [];
    const types = events.map((e) => e.eventType);
    expect(types).not.toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(markers).toHaveLength(2);
    toReplay.push(handle);
  });
});

describe('local activities longer than the workflow task timeout', () => {
  it('keeps the workflow task alive with heartbeat completions (forceCreateNewWorkflowTask) until the local activity ends', async () => {
    const key = uid('local-long');
    const handle = await suite.client.workflow.start(localActivitiesWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: key,
      args: [key, 2500],
      workflowTaskTimeout: '1s',
    });
    expect(await handle.result()).toEqual([3, 'finished']);
    const events = (await handle.fetchHistory()).events ?? [];
    const types = events.map((e) => e.eventType);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    // One task to start, at least two heartbeats while the 2.5 s local activity runs (every ~0.8 s), one to finish.
    expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length).toBeGreaterThanOrEqual(3);
    toReplay.push(handle);
  });
});

describe('replay', () => {
  it('replays the histories written by this file', async () => {
    expect(await replayHandles(suite.bundle, toReplay)).toEqual([]);
  });
});
