import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { TimerHandle, VirtualClock } from './clock';
import { RpcError, invalid, notFound } from './errors';
import { RS, TT, durFromMs, enums, msFromDur, num, tsFromMs, type Obj } from './proto';

/** Long polls for an outcome answer empty after this long; the SDK client simply polls again. */
const OUTCOME_POLL_MS = 20_000;

interface StandaloneActivity {
  namespace: string;
  activityId: string;
  runId: string;
  activityType: string;
  taskQueue: string;
  input?: Obj;
  header?: Obj;
  scheduleToCloseMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retryPolicy: Obj;
  attempt: number;
  state: 'scheduled' | 'started' | 'backoff' | 'closed';
  status: number;
  scheduledMs: number;
  attemptScheduledMs: number;
  startedMs: number;
  closeMs: number;
  heartbeatDetails?: Obj;
  lastFailure?: Obj;
  cancelRequested: boolean;
  outcome?: Obj;
  waiters: Set<() => void>;
  timers: TimerHandle[];
  attemptTimers: TimerHandle[];
}

export interface StandaloneTask {
  standalone: true;
  runId: string;
  attempt: number;
}

/**
 * Standalone activities (StartActivityExecution and friends): activity executions outside any workflow, held in
 * memory only. Tasks share the activity task queues with workflow activities.
 */
export class StandaloneActivities {
  private readonly byId = new Map<string, StandaloneActivity>();
  private readonly byRun = new Map<string, StandaloneActivity>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly enqueue: (namespace: string, taskQueue: string, task: StandaloneTask) => void,
  ) {}

  start(req: Obj): Obj {
    const ns: string = req.namespace;
    const activityId: string = req.activityId;
    if (!activityId) throw invalid('ActivityId is not set on request.');
    if (!req.activityType?.name) throw invalid('ActivityType is not set on request.');
    if (!req.taskQueue?.name) throw invalid('TaskQueue is not set on request.');
    const scheduleToClose = msFromDur(req.scheduleToCloseTimeout);
    let startToClose = msFromDur(req.startToCloseTimeout);
    if (scheduleToClose === 0 && startToClose === 0) {
      throw invalid('A valid StartToClose or ScheduleToCloseTimeout is not set on request.');
    }
    if (startToClose === 0) startToClose = scheduleToClose;
    const key = `${ns}\u0000${activityId}`;
    const existing = this.byId.get(key);
    if (existing && existing.state !== 'closed') {
      if (req.idConflictPolicy === enums.ActivityIdConflictPolicy.ACTIVITY_ID_CONFLICT_POLICY_USE_EXISTING) {
        return { runId: existing.runId, started: false };
      }
      throw new RpcError(status.ALREADY_EXISTS, `Activity execution already started: ${activityId}`, {
        typeName: 'temporal.api.errordetails.v1.ActivityExecutionAlreadyStartedFailure',
        value: { startRequestId: req.requestId, runId: existing.runId },
      });
    }
    const now = this.clock.now();
    const p = req.retryPolicy;
    const initial = msFromDur(p?.initialInterval) || 1000;
    const a: StandaloneActivity = {
      namespace: ns,
      activityId,
      runId: randomUUID(),
      activityType: req.activityType.name,
      taskQueue: req.taskQueue.name,
      input: req.input,
      header: req.header,
      scheduleToCloseMs: scheduleToClose,
      startToCloseMs: startToClose,
      heartbeatMs: msFromDur(req.heartbeatTimeout),
      retryPolicy: {
        initialInterval: durFromMs(initial),
        backoffCoefficient: p?.backoffCoefficient && p.backoffCoefficient >= 1 ? p.backoffCoefficient : 2,
        maximumInterval: durFromMs(msFromDur(p?.maximumInterval) || initial * 100),
        maximumAttempts: p?.maximumAttempts ?? 0,
        nonRetryableErrorTypes: p?.nonRetryableErrorTypes ?? [],
      },
      attempt: 1,
      state: 'scheduled',
      status: enums.ActivityExecutionStatus.ACTIVITY_EXECUTION_STATUS_RUNNING,
      scheduledMs: now,
      attemptScheduledMs: now,
      startedMs: 0,
      closeMs: 0,
      cancelRequested: false,
      waiters: new Set(),
      timers: [],
      attemptTimers: [],
    };
    this.byId.set(key, a);
    this.byRun.set(a.runId, a);
    if (scheduleToClose > 0) {
      a.timers.push(
        this.clock.schedule(now + scheduleToClose, () => this.timeout(a, TT.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE)),
      );
    }
    this.queue(a);
    return { runId: a.runId, started: true };
  }

  private queue(a: StandaloneActivity): void {
    this.clock.markBusy(`sa:${a.runId}`);
    this.enqueue(a.namespace, a.taskQueue, { standalone: true, runId: a.runId, attempt: a.attempt });
  }

  dispatch(t: StandaloneTask, identity: string): Obj | undefined {
    const a = this.byRun.get(t.runId);
    if (!a || a.state !== 'scheduled' || a.attempt !== t.attempt) return undefined;
    a.state = 'started';
    a.startedMs = this.clock.now();
    const attempt = a.attempt;
    a.attemptTimers.push(
      this.clock.schedule(a.startedMs + a.startToCloseMs, () => {
        if (a.attempt === attempt && a.state === 'started') this.timeout(a, TT.TIMEOUT_TYPE_START_TO_CLOSE);
      }),
    );
    return {
      taskToken: Buffer.from(JSON.stringify({ k: 's', r: a.runId, a: a.attempt })),
      workflowNamespace: a.namespace,
      activityType: { name: a.activityType },
      activityId: a.activityId,
      header: a.header,
      input: a.input,
      heartbeatDetails: a.heartbeatDetails,
      scheduledTime: tsFromMs(a.scheduledMs),
      currentAttemptScheduledTime: tsFromMs(a.attemptScheduledMs),
      startedTime: tsFromMs(a.startedMs),
      attempt: a.attempt,
      scheduleToCloseTimeout: durFromMs(a.scheduleToCloseMs),
      startToCloseTimeout: durFromMs(a.startToCloseMs),
      heartbeatTimeout: durFromMs(a.heartbeatMs),
      retryPolicy: a.retryPolicy,
      activityRunId: a.runId,
      identity,
    };
  }

  private fromToken(token: { r?: string; a?: number }): StandaloneActivity {
    const a = token.r ? this.byRun.get(token.r) : undefined;
    if (!a || a.state !== 'started' || a.attempt !== token.a) throw notFound('Activity task not found.');
    return a;
  }

  private close(a: StandaloneActivity, st: number, outcome: Obj): void {
    a.state = 'closed';
    a.status = st;
    a.closeMs = this.clock.now();
    a.outcome = outcome;
    for (const t of [...a.timers, ...a.attemptTimers]) this.clock.cancel(t);
    a.timers = [];
    a.attemptTimers = [];
    this.clock.markIdle(`sa:${a.runId}`);
    for (const w of [...a.waiters]) w();
  }

  completed(token: { r?: string; a?: number }, req: Obj): Obj {
    const a = this.fromToken(token);
    this.close(a, enums.ActivityExecutionStatus.ACTIVITY_EXECUTION_STATUS_COMPLETED, { result: req.result ?? {} });
    return {};
  }

  canceled(token: { r?: string; a?: number }, req: Obj): Obj {
    const a = this.fromToken(token);
    this.close(a, enums.ActivityExecutionStatus.ACTIVITY_EXECUTION_STATUS_CANCELED, {
      failure: { message: 'Activity canceled', canceledFailureInfo: { details: req.details } },
    });
    return {};
  }

  heartbeat(token: { r?: string; a?: number }, req: Obj): Obj {
    const a = this.fromToken(token);
    a.heartbeatDetails = req.details;
    return { cancelRequested: a.cancelRequested };
  }

  failed(token: { r?: string; a?: number }, req: Obj): Obj {
    const a = this.fromToken(token);
    this.failAttempt(a, req.failure, false);
    return { failures: [] };
  }

  private failAttempt(a: StandaloneActivity, failure: Obj, timeout: boolean): void {
    const max = num(a.retryPolicy.maximumAttempts);
    const app = failure?.applicationFailureInfo;
    const nonRetryable =
      !timeout && (app?.nonRetryable || (app?.type && a.retryPolicy.nonRetryableErrorTypes.includes(app.type)));
    const initial = msFromDur(a.retryPolicy.initialInterval);
    const delay = Math.min(
      initial * Math.pow(a.retryPolicy.backoffCoefficient, a.attempt - 1),
      msFromDur(a.retryPolicy.maximumInterval),
    );
    const now = this.clock.now();
    const deadline = a.scheduleToCloseMs > 0 ? a.scheduledMs + a.scheduleToCloseMs : 0;
    if (nonRetryable || (max > 0 && a.attempt >= max) || a.cancelRequested || (deadline && now + delay >= deadline)) {
      const retryState = nonRetryable
        ? RS.RETRY_STATE_NON_RETRYABLE_FAILURE
        : max > 0 && a.attempt >= max
          ? RS.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
          : RS.RETRY_STATE_TIMEOUT;
      const st = timeout
        ? enums.ActivityExecutionStatus.ACTIVITY_EXECUTION_STATUS_TIMED_OUT
        : enums.ActivityExecutionStatus.ACTIVITY_EXECUTION_STATUS_FAILED;
      this.close(a, st, { failure, retryState });
      return;
    }
    for (const t of a.attemptTimers) this.clock.cancel(t);
    a.attemptTimers = [];
    a.lastFailure = failure;
    a.attempt++;
    a.state = 'backoff';
    a.attemptScheduledMs = now + delay;
    // Waiting out the backoff holds no time: time skipping may jump to the retry.
    this.clock.markIdle(`sa:${a.runId}`);
    a.timers.push(
      this.clock.schedule(a.attemptScheduledMs, () => {
        if (a.state !== 'backoff') return;
        a.state = 'scheduled';
        this.queue(a);
      }),
    );
  }

  private timeout(a: StandaloneActivity, type: number): void {
    if (a.state === 'closed') return;
    const failure: Obj = {
      message: 'activity timeout',
      source: 'Server',
      timeoutFailureInfo: { timeoutType: type, lastHeartbeatDetails: a.heartbeatDetails },
      cause: a.lastFailure,
    };
    if (type === TT.TIMEOUT_TYPE_START_TO_CLOSE) this.failAttempt(a, failure, true);
    else this.close(a, enums.ActivityExecutionStatus.ACTIVITY_EXECUTION_STATUS_TIMED_OUT, { failure });
  }

  private find(ns: string, activityId: string, runId?: string): StandaloneActivity {
    const a = runId ? this.byRun.get(runId) : this.byId.get(`${ns}\u0000${activityId}`);
    if (!a || a.namespace !== ns || a.activityId !== activityId) {
      throw notFound(`activity execution not found: ${activityId}`);
    }
    return a;
  }

  async poll(req: Obj, cancelled: () => boolean): Promise<Obj> {
    const a = this.find(req.namespace, req.activityId, req.runId || undefined);
    if (!a.outcome && !cancelled()) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          a.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, OUTCOME_POLL_MS);
        a.waiters.add(done);
      });
    }
    return { runId: a.runId, outcome: a.outcome };
  }

  describe(req: Obj): Obj {
    const a = this.find(req.namespace, req.activityId, req.runId || undefined);
    return {
      runId: a.runId,
      info: {
        activityId: a.activityId,
        runId: a.runId,
        activityType: { name: a.activityType },
        status: a.status,
        taskQueue: a.taskQueue,
        scheduleToCloseTimeout: durFromMs(a.scheduleToCloseMs),
        startToCloseTimeout: durFromMs(a.startToCloseMs),
        heartbeatTimeout: durFromMs(a.heartbeatMs),
        retryPolicy: a.retryPolicy,
        heartbeatDetails: a.heartbeatDetails,
        attempt: a.attempt,
        scheduleTime: tsFromMs(a.scheduledMs),
        closeTime: a.closeMs ? tsFromMs(a.closeMs) : undefined,
        lastFailure: a.lastFailure,
      },
      outcome: a.outcome,
    };
  }

  requestCancel(req: Obj): Obj {
    const a = this.find(req.namespace, req.activityId, req.runId || undefined);
    if (a.state === 'scheduled' || a.state === 'backoff') {
      this.close(a, enums.ActivityExecutionStatus.ACTIVITY_EXECUTION_STATUS_CANCELED, {
        failure: { message: 'Activity canceled', canceledFailureInfo: {} },
      });
    } else {
      a.cancelRequested = true;
    }
    return {};
  }

  terminate(req: Obj): Obj {
    const a = this.find(req.namespace, req.activityId, req.runId || undefined);
    if (a.state !== 'closed') {
      this.close(a, enums.ActivityExecutionStatus.ACTIVITY_EXECUTION_STATUS_TERMINATED, {
        failure: { message: req.reason || 'Activity terminated', terminatedFailureInfo: {} },
      });
    }
    return {};
  }
}
