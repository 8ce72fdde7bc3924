import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../errors';
import { ET, RS, TT, durFromMs, msFromDur, tsFromMs, type Obj } from '../proto';
import type { ActivityState } from '../types';
import {
  EMPTY_TASK_QUEUE_KIND,
  type Run,
  type ActTask,
  type TaskToken,
  encodeToken,
  decodeToken,
  normalizeRetryPolicy,
  nextBackoff,
} from './shared';
import type { EngineCore } from './core';

/** Activity tasks: scheduling, dispatch, completions, heartbeats, retries and timeouts. */
export class Activities {
  constructor(private readonly e: EngineCore) {}

  scheduleActivity(run: Run, a: Obj, completedId: number): void {
    const s = run.s;
    const activityId: string = a.activityId;
    if (!activityId || !a.activityType?.name) throw invalid('ActivityId and ActivityType are required.');
    let scheduleToClose = msFromDur(a.scheduleToCloseTimeout);
    let startToClose = msFromDur(a.startToCloseTimeout);
    const scheduleToStart = msFromDur(a.scheduleToStartTimeout);
    const heartbeat = msFromDur(a.heartbeatTimeout);
    if (scheduleToClose === 0 && startToClose === 0) {
      throw invalid('A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.');
    }
    // Absent timeouts inherit from the ones given, as the server does; activity tasks always carry both.
    if (startToClose === 0) startToClose = scheduleToClose;
    if (scheduleToClose === 0 && s.runTimeoutMs > 0) scheduleToClose = s.runTimeoutMs;
    const retryPolicy = normalizeRetryPolicy(a.retryPolicy, true) as Obj;
    const taskQueue: string = a.taskQueue?.name || s.taskQueue;
    const ev = this.e.append(run, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityId,
      activityType: a.activityType,
      taskQueue: { name: taskQueue, kind: EMPTY_TASK_QUEUE_KIND },
      header: a.header,
      input: a.input,
      scheduleToCloseTimeout: durFromMs(scheduleToClose),
      scheduleToStartTimeout: durFromMs(scheduleToStart),
      startToCloseTimeout: durFromMs(startToClose),
      heartbeatTimeout: durFromMs(heartbeat),
      workflowTaskCompletedEventId: completedId,
      retryPolicy,
      priority: a.priority,
    });
    const now = this.e.now();
    const act: ActivityState = {
      scheduledEventId: ev.eventId,
      activityId,
      activityType: a.activityType.name,
      taskQueue,
      header: a.header,
      input: a.input,
      scheduleToCloseMs: scheduleToClose,
      scheduleToStartMs: scheduleToStart,
      startToCloseMs: startToClose,
      heartbeatMs: heartbeat,
      retryPolicy,
      attempt: 1,
      state: 'scheduled',
      scheduledMs: now,
      attemptScheduledMs: now,
      startedMs: 0,
      lastHeartbeatMs: 0,
      cancelRequested: false,
      cancelRequestedEventId: 0,
    };
    s.activities[String(ev.eventId)] = act;
    this.resumeActivity(run, act);
  }

  /** Arms an activity's timers and queues its task according to its state (used on schedule and on restart). */
  resumeActivity(run: Run, act: ActivityState): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    if (act.scheduleToCloseMs > 0) {
      this.e.setTimer(run, `${key}:s2c`, act.scheduledMs + act.scheduleToCloseMs, () =>
        this.timeoutActivity(run, act.scheduledEventId, act.attempt, TT.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE),
      );
    }
    if (act.state === 'scheduled') {
      this.e.clock.markBusy(key);
      this.queueActivity(run, act);
    } else if (act.state === 'started') {
      this.e.clock.markBusy(key);
      this.armAttemptTimers(run, act);
    } else {
      this.armBackoff(run, act, act.attemptScheduledMs);
    }
  }

  private queueActivity(run: Run, act: ActivityState): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    if (act.scheduleToStartMs > 0) {
      this.e.setTimer(run, `${key}:s2s`, act.attemptScheduledMs + act.scheduleToStartMs, () =>
        this.timeoutActivity(run, act.scheduledEventId, act.attempt, TT.TIMEOUT_TYPE_SCHEDULE_TO_START),
      );
    }
    this.e.actQueue(run.s.namespace, act.taskQueue).add({
      runId: run.s.runId,
      scheduledEventId: act.scheduledEventId,
      attempt: act.attempt,
    });
  }

  private armAttemptTimers(run: Run, act: ActivityState): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    const attempt = act.attempt;
    this.e.setTimer(run, `${key}:s2c-attempt`, act.startedMs + act.startToCloseMs, () =>
      this.timeoutActivity(run, act.scheduledEventId, attempt, TT.TIMEOUT_TYPE_START_TO_CLOSE),
    );
    if (act.heartbeatMs > 0) {
      const last = Math.max(act.startedMs, act.lastHeartbeatMs);
      this.e.setTimer(run, `${key}:hb`, last + act.heartbeatMs, () =>
        this.timeoutActivity(run, act.scheduledEventId, attempt, TT.TIMEOUT_TYPE_HEARTBEAT),
      );
    }
  }

  private armBackoff(run: Run, act: ActivityState, due: number): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    // While waiting out the backoff nothing is outstanding, so time skipping may jump to the retry.
    this.e.clock.markIdle(key);
    this.e.setTimer(run, `${key}:backoff`, due, () => {
      const cur = run.s.activities[String(act.scheduledEventId)];
      if (cur !== act || act.state !== 'backoff' || !this.e.isOpen(run)) return;
      act.state = 'scheduled';
      this.e.clock.markBusy(key);
      this.e.markDirty(run);
      this.queueActivity(run, act);
    });
  }

  private clearActivityTimers(run: Run, act: ActivityState): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    for (const suffix of ['s2c', 's2s', 's2c-attempt', 'hb', 'backoff']) this.e.clearTimer(run, `${key}:${suffix}`);
  }

  dispatchActivityTask(t: ActTask, identity: string): Obj | undefined {
    if ('standalone' in t) return this.e.standalone.dispatch(t, identity);
    const run = this.e.runs.get(t.runId);
    if (!run || !this.e.isOpen(run)) return undefined;
    const act = run.s.activities[String(t.scheduledEventId)];
    if (!act || act.state !== 'scheduled' || act.attempt !== t.attempt) return undefined;
    return this.e.tx(() => {
      const s = run.s;
      const key = `act:${s.runId}:${act.scheduledEventId}`;
      this.e.clearTimer(run, `${key}:s2s`);
      act.state = 'started';
      act.startedMs = this.e.now();
      act.lastHeartbeatMs = 0;
      act.startedIdentity = identity;
      act.lastWorkerIdentity = identity;
      act.startedRequestId = randomUUID();
      this.armAttemptTimers(run, act);
      this.e.markDirty(run);
      return {
        taskToken: encodeToken({ k: 'a', r: s.runId, s: act.scheduledEventId, a: act.attempt }),
        workflowNamespace: s.namespace,
        workflowType: { name: s.workflowType },
        workflowExecution: this.e.execOf(run),
        activityType: { name: act.activityType },
        activityId: act.activityId,
        header: act.header,
        input: act.input,
        heartbeatDetails: act.heartbeatDetails,
        scheduledTime: tsFromMs(act.scheduledMs),
        currentAttemptScheduledTime: tsFromMs(act.attemptScheduledMs),
        startedTime: tsFromMs(act.startedMs),
        attempt: act.attempt,
        scheduleToCloseTimeout: durFromMs(act.scheduleToCloseMs),
        startToCloseTimeout: durFromMs(act.startToCloseMs),
        heartbeatTimeout: durFromMs(act.heartbeatMs),
        retryPolicy: act.retryPolicy,
      };
    });
  }

  private activityFromToken(token: TaskToken): { run: Run; act: ActivityState } {
    if (token.k !== 'a' || !token.r) throw invalid('Task token is not an activity task token.');
    const run = this.e.runs.get(token.r);
    const act = run?.s.activities[String(token.s)];
    if (!run || !act || !this.e.isOpen(run) || act.attempt !== token.a || act.state !== 'started') {
      throw notFound('Activity task not found.');
    }
    return { run, act };
  }

  private activityById(req: Obj): { run: Run; act: ActivityState } {
    const ns = this.e.checkNamespace(req.namespace);
    const run = this.e.findOpenRun(ns, { workflowId: req.workflowId, runId: req.runId });
    const act = Object.values(run.s.activities).find((a) => a.activityId === req.activityId);
    if (!act || act.state !== 'started') throw notFound('Activity task not found.');
    return { run, act };
  }

  private startedEvent(act: ActivityState): { type: number; attrs: Obj } {
    return {
      type: ET.EVENT_TYPE_ACTIVITY_TASK_STARTED,
      attrs: {
        scheduledEventId: act.scheduledEventId,
        identity: act.startedIdentity,
        requestId: act.startedRequestId,
        attempt: act.attempt,
        lastFailure: act.lastFailure,
      },
    };
  }

  private finishActivity(run: Run, act: ActivityState, closeType: number, attrs: Obj): void {
    const s = run.s;
    this.clearActivityTimers(run, act);
    delete s.activities[String(act.scheduledEventId)];
    this.e.clock.markIdle(`act:${s.runId}:${act.scheduledEventId}`);
    const close = { type: closeType, attrs: { ...attrs, scheduledEventId: act.scheduledEventId } };
    if (act.state === 'started') {
      this.e.appendOrBuffer(run, { events: [this.startedEvent(act), close], linkStarted: true });
    } else {
      this.e.appendOrBuffer(run, { events: [{ type: closeType, attrs: { ...close.attrs, startedEventId: 0 } }] });
    }
  }

  respondActivityTaskCompleted(req: Obj, byId = false): Obj {
    return this.e.tx(() => {
      const token = byId ? undefined : decodeToken(req.taskToken);
      if (token?.k === 's') return this.e.standalone.completed(token, req);
      const { run, act } = token ? this.activityFromToken(token) : this.activityById(req);
      this.finishActivity(run, act, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
        result: req.result,
        identity: req.identity,
      });
      return {};
    });
  }

  respondActivityTaskFailed(req: Obj, byId = false): Obj {
    return this.e.tx(() => {
      const token = byId ? undefined : decodeToken(req.taskToken);
      if (token?.k === 's') return this.e.standalone.failed(token, req);
      const { run, act } = token ? this.activityFromToken(token) : this.activityById(req);
      if (req.lastHeartbeatDetails) act.heartbeatDetails = req.lastHeartbeatDetails;
      this.failActivityAttempt(run, act, req.failure, req.identity, false);
      return { failures: [] };
    });
  }

  respondActivityTaskCanceled(req: Obj, byId = false): Obj {
    return this.e.tx(() => {
      const token = byId ? undefined : decodeToken(req.taskToken);
      if (token?.k === 's') return this.e.standalone.canceled(token, req);
      const { run, act } = token ? this.activityFromToken(token) : this.activityById(req);
      this.finishActivity(run, act, ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
        details: req.details,
        latestCancelRequestedEventId: act.cancelRequestedEventId,
        identity: req.identity,
      });
      return {};
    });
  }

  recordActivityTaskHeartbeat(req: Obj, byId = false): Obj {
    return this.e.tx(() => {
      const token = byId ? undefined : decodeToken(req.taskToken);
      if (token?.k === 's') return this.e.standalone.heartbeat(token, req);
      const { run, act } = token ? this.activityFromToken(token) : this.activityById(req);
      act.heartbeatDetails = req.details;
      act.lastHeartbeatMs = this.e.now();
      if (act.heartbeatMs > 0) {
        const key = `act:${run.s.runId}:${act.scheduledEventId}`;
        const attempt = act.attempt;
        this.e.setTimer(run, `${key}:hb`, act.lastHeartbeatMs + act.heartbeatMs, () =>
          this.timeoutActivity(run, act.scheduledEventId, attempt, TT.TIMEOUT_TYPE_HEARTBEAT),
        );
      }
      this.e.markDirty(run);
      return { cancelRequested: act.cancelRequested, activityPaused: false, activityReset: false };
    });
  }

  /** A failed or timed-out attempt: retry per policy when allowed and within schedule-to-close, else close. */
  private failActivityAttempt(
    run: Run,
    act: ActivityState,
    failure: Obj,
    identity: string | undefined,
    timeout: boolean,
  ): void {
    const b = nextBackoff(act.retryPolicy, act.attempt, timeout ? undefined : failure);
    const now = this.e.now();
    const deadline = act.scheduleToCloseMs > 0 ? act.scheduledMs + act.scheduleToCloseMs : 0;
    const canRetry = b.delayMs !== undefined && !act.cancelRequested && (deadline === 0 || now + b.delayMs < deadline);
    if (canRetry) {
      const key = `act:${run.s.runId}:${act.scheduledEventId}`;
      this.e.clearTimer(run, `${key}:s2c-attempt`);
      this.e.clearTimer(run, `${key}:hb`);
      act.lastFailure = failure;
      act.attempt++;
      act.state = 'backoff';
      act.attemptScheduledMs = now + (b.delayMs as number);
      act.startedMs = 0;
      this.e.markDirty(run);
      this.armBackoff(run, act, act.attemptScheduledMs);
      return;
    }
    const retryState = b.delayMs === undefined ? b.retryState : RS.RETRY_STATE_TIMEOUT;
    if (timeout) {
      this.finishActivity(run, act, ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, { failure, retryState });
    } else {
      this.finishActivity(run, act, ET.EVENT_TYPE_ACTIVITY_TASK_FAILED, { failure, identity, retryState });
    }
  }

  private timeoutActivity(run: Run, scheduledEventId: number, attempt: number, type: number): void {
    const act = run.s.activities[String(scheduledEventId)];
    if (!act || !this.e.isOpen(run)) return;
    if (type !== TT.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE && act.attempt !== attempt) return;
    const names: Record<number, string> = {
      [TT.TIMEOUT_TYPE_START_TO_CLOSE]: 'StartToClose',
      [TT.TIMEOUT_TYPE_SCHEDULE_TO_START]: 'ScheduleToStart',
      [TT.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE]: 'ScheduleToClose',
      [TT.TIMEOUT_TYPE_HEARTBEAT]: 'Heartbeat',
    };
    const failure: Obj = {
      message: `activity ${names[type]} timeout`,
      source: 'Server',
      timeoutFailureInfo: { timeoutType: type, lastHeartbeatDetails: act.heartbeatDetails },
      cause: act.lastFailure,
    };
    if (type === TT.TIMEOUT_TYPE_START_TO_CLOSE || type === TT.TIMEOUT_TYPE_HEARTBEAT) {
      this.failActivityAttempt(run, act, failure, undefined, true);
    } else {
      this.finishActivity(run, act, ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, {
        failure,
        retryState: RS.RETRY_STATE_TIMEOUT,
      });
    }
  }

  requestCancelActivity(run: Run, a: Obj, completedId: number): 'ok' | 'need-wft' {
    const act = run.s.activities[String(a.scheduledEventId)];
    if (!act) return 'ok';
    const ev = this.e.append(run, ET.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
      scheduledEventId: act.scheduledEventId,
      workflowTaskCompletedEventId: completedId,
    });
    act.cancelRequested = true;
    act.cancelRequestedEventId = ev.eventId;
    if (act.state !== 'started') {
      // Not running anywhere: cancel at once, the workflow learns it in its next task.
      this.clearActivityTimers(run, act);
      delete run.s.activities[String(act.scheduledEventId)];
      this.e.clock.markIdle(`act:${run.s.runId}:${act.scheduledEventId}`);
      this.e.append(run, ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
        scheduledEventId: act.scheduledEventId,
        latestCancelRequestedEventId: ev.eventId,
        startedEventId: 0,
      });
      return 'need-wft';
    }
    return 'ok';
  }
}
