import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../errors';
import type { TaskQueue } from '../matching';
import { CT, ET, TT, UpdateRequestType, durFromMs, enums, msFromDur, packAny, tsFromMs, type Obj } from '../proto';
import {
  DEFAULT_STICKY_TIMEOUT_MS,
  LONG_POLL_MS,
  EMPTY_TASK_QUEUE_KIND,
  CLOSING_COMMANDS,
  type Run,
  type WfTask,
  type TaskToken,
  type CallContext,
  isTimerFired,
  encodeToken,
  decodeToken,
  requireString,
} from './shared';
import type { EngineCore } from './core';

/** Workflow tasks: scheduling, sticky queues, polls, completions, failures, timeouts and retries. */
export class WorkflowTasks {
  constructor(private readonly e: EngineCore) {}

  ensureWft(run: Run): void {
    if (!this.e.isOpen(run) || run.s.wft.state !== 'none' || run.s.firstWftDueMs > 0) return;
    this.scheduleWft(run);
  }

  private scheduleWft(run: Run): void {
    const s = run.s;
    const sticky = !!s.sticky;
    const attrs = {
      taskQueue: sticky
        ? { name: s.sticky?.queue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: s.taskQueue }
        : { name: s.taskQueue, kind: EMPTY_TASK_QUEUE_KIND },
      startToCloseTimeout: durFromMs(s.taskTimeoutMs),
      attempt: s.wft.attempt,
    };
    // A retry after a failure or timeout is transient (see WftState.transient): its event id is reserved, not written.
    const transient = s.wft.attempt > 1;
    const scheduledEventId = transient
      ? run.size() + 1
      : this.e.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, attrs).eventId;
    s.wft = {
      ...s.wft,
      state: 'scheduled',
      scheduledEventId,
      startedEventId: 0,
      sticky,
      transient: transient ? attrs : undefined,
    };
    s.wft.scheduledMs = this.e.now();
    this.e.markDirty(run);
    this.e.clock.markBusy(`wft:${s.runId}`);
    this.enqueueWft(run);
  }

  enqueueWft(run: Run): void {
    const s = run.s;
    if (this.e.holdWftOf === s.runId || this.e.holdWftOf === `pending-start:${s.workflowId}`) {
      this.e.heldWft = true;
      return;
    }
    const sticky = s.wft.sticky && !!s.sticky;
    const task: WfTask = { kind: 'wft', runId: s.runId, scheduledEventId: s.wft.scheduledEventId, sticky };
    if (sticky && s.sticky) {
      const q = this.e.wfQueue(s.namespace, s.sticky.queue);
      // A sticky task nobody picks up within the timeout moves to the normal queue (worker likely gone).
      this.e.setTimer(run, 'sticky-timeout', this.e.now() + s.sticky.timeoutMs, () => this.stickyTimeout(run, task));
      q.add(task);
    } else {
      this.e.wfQueue(s.namespace, s.taskQueue).add(task);
    }
  }

  private stickyTimeout(run: Run, task: WfTask): void {
    const s = run.s;
    if (task.kind !== 'wft' || s.wft.state !== 'scheduled' || s.wft.scheduledEventId !== task.scheduledEventId) return;
    if (!s.wft.sticky) return;
    // Like the server: record the timeout and schedule a fresh task on the normal queue (full history).
    this.e.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
      scheduledEventId: s.wft.scheduledEventId,
      startedEventId: 0,
      timeoutType: TT.TIMEOUT_TYPE_SCHEDULE_TO_START,
    });
    s.sticky = undefined;
    s.wft = { ...s.wft, state: 'none', sticky: false, scheduledEventId: 0, startedEventId: 0 };
    this.scheduleWft(run);
  }

  dispatchWfTask(task: WfTask, identity: string): Obj | undefined {
    if (task.kind === 'query') return this.e.dispatchLegacyQuery(task.id, task.queue);
    const run = this.e.runs.get(task.runId);
    if (!run || !this.e.isOpen(run)) return undefined;
    const s = run.s;
    if (s.wft.state !== 'scheduled' || s.wft.scheduledEventId !== task.scheduledEventId) return undefined;
    if (task.sticky !== (s.wft.sticky && !!s.sticky)) return undefined;
    return this.e.tx(() => this.startWft(run, identity));
  }

  startWft(run: Run, identity: string): Obj {
    const s = run.s;
    this.e.clearTimer(run, 'sticky-timeout');
    const sticky = s.wft.sticky && !!s.sticky;
    const startedAttrs = {
      scheduledEventId: s.wft.scheduledEventId,
      identity,
      requestId: randomUUID(),
      historySizeBytes: 0,
    };
    // A transient attempt's two events go to the worker only; they are written if the attempt completes.
    const transientEvents = s.wft.transient
      ? [
          this.e.eventOf(
            s.wft.scheduledEventId,
            ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            s.wft.transient,
            s.wft.scheduledMs,
          ),
          this.e.eventOf(s.wft.scheduledEventId + 1, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, startedAttrs, this.e.now()),
        ]
      : [];
    if (s.wft.transient) s.wft.transientStarted = startedAttrs;
    const startedEventId = s.wft.transient
      ? s.wft.scheduledEventId + 1
      : this.e.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, startedAttrs).eventId;
    s.wft.state = 'started';
    s.wft.startedEventId = startedEventId;
    s.wft.startedMs = this.e.now();
    // A transient attempt writes no event, so nothing else marks the run for the store.
    this.e.markDirty(run);
    const { scheduledEventId } = s.wft;
    this.e.setTimer(run, 'wft-timeout', this.e.now() + s.taskTimeoutMs, () =>
      this.timeoutWft(run, scheduledEventId, startedEventId),
    );
    const messages: Obj[] = [];
    for (const u of Object.values(s.updates)) {
      if (u.state !== 'admitted') continue;
      u.state = 'sent';
      messages.push({
        id: `${u.updateId}/request`,
        protocolInstanceId: u.updateId,
        eventId: startedEventId - 1,
        body: packAny(UpdateRequestType, u.request ?? {}),
      });
    }
    const queries: Obj = {};
    if (s.firstWftCompleted) {
      for (const qid of run.queryIds) {
        const q = this.e.queries.get(qid);
        if (q && q.state === 'waiting') {
          q.state = 'attached';
          queries[qid] = q.query;
        }
      }
    }
    const from = sticky ? s.lastCompletedStartedEventId : 0;
    return {
      // The attempt too: successive transient attempts share their (reserved) event ids.
      taskToken: encodeToken({ k: 'w', r: s.runId, s: scheduledEventId, t: startedEventId, a: s.wft.attempt }),
      workflowExecution: this.e.execOf(run),
      workflowType: { name: s.workflowType },
      previousStartedEventId: s.lastCompletedStartedEventId,
      startedEventId,
      attempt: s.wft.attempt,
      backlogCountHint: 0,
      history: { events: [...run.slice(from), ...transientEvents] },
      workflowExecutionTaskQueue: { name: s.taskQueue, kind: EMPTY_TASK_QUEUE_KIND },
      scheduledTime: tsFromMs(s.wft.scheduledMs),
      startedTime: tsFromMs(s.wft.startedMs),
      queries,
      messages,
    };
  }

  async pollWorkflowTaskQueue(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.e.checkNamespace(req.namespace);
    const name = requireString(req.taskQueue?.name, 'TaskQueue');
    return this.longPoll(this.e.wfQueue(ns, name), req.identity ?? '', ctx);
  }

  async pollActivityTaskQueue(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.e.checkNamespace(req.namespace);
    const name = requireString(req.taskQueue?.name, 'TaskQueue');
    return this.longPoll(this.e.actQueue(ns, name), req.identity ?? '', ctx);
  }

  private longPoll<T>(q: TaskQueue<T, Obj>, identity: string, ctx: CallContext): Promise<Obj> {
    if (this.e.stopped) return Promise.resolve({});
    return new Promise((resolve) => {
      let done = false;
      const poller = {
        identity,
        alive: () => !done && !ctx.cancelled(),
        deliver: (r: Obj) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.e.waitTimers.delete(timer);
          resolve(r);
        },
      };
      const immediate = q.poll(poller, Date.now());
      if (immediate) {
        done = true;
        resolve(immediate);
        return;
      }
      const timer = setTimeout(() => {
        q.removePoller(poller);
        poller.deliver({});
      }, LONG_POLL_MS);
      this.e.waitTimers.add(timer);
      ctx.onCancel(() => {
        q.removePoller(poller);
        poller.deliver({});
      });
    });
  }

  private wftFromToken(token: TaskToken): Run {
    if (token.k !== 'w' || !token.r) throw invalid('Task token is not a workflow task token.');
    const run = this.e.runs.get(token.r);
    const w = run?.s.wft;
    if (
      !run ||
      !this.e.isOpen(run) ||
      w?.state !== 'started' ||
      w.scheduledEventId !== token.s ||
      w.startedEventId !== token.t ||
      (token.a !== undefined && w.attempt !== token.a)
    ) {
      throw notFound('Workflow task not found.');
    }
    return run;
  }

  respondWorkflowTaskCompleted(req: Obj): Obj {
    return this.e.tx(() => {
      const token = decodeToken(req.taskToken);
      const run = this.wftFromToken(token);
      const s = run.s;
      const commands: Obj[] = req.commands ?? [];
      const closingIndex = commands.findIndex((c) => CLOSING_COMMANDS.has(c.commandType));
      if (closingIndex >= 0 && closingIndex !== commands.length - 1) {
        this.failWft(
          run,
          enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
          undefined,
          req.identity,
        );
        throw invalid('invalid command sequence: the workflow-closing command must be the last command.');
      }
      const invalidReason = this.e.validateCommands(commands);
      if (invalidReason) {
        this.failWft(run, invalidReason.cause, { message: invalidReason.message, source: 'Server' }, req.identity);
        throw invalid(invalidReason.message);
      }
      const pendingUpdates = Object.values(s.updates).some((u) => u.state === 'admitted');
      // A TimerFired held for a timer this completion cancels is dropped (see CANCEL_TIMER), so it does not count.
      const cancelled = new Set(
        commands
          .filter((c) => c.commandType === CT.COMMAND_TYPE_CANCEL_TIMER)
          .map((c) => c.cancelTimerCommandAttributes?.timerId as string),
      );
      const unseen = s.buffered.filter(
        (b) => !(b.events.length === 1 && isTimerFired(b.events[0]) && cancelled.has(b.events[0].attrs.timerId)),
      );
      if (closingIndex >= 0 && (unseen.length > 0 || pendingUpdates)) {
        // New events arrived while the task ran: the workflow must see them before it may close.
        this.failWft(
          run,
          enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
          undefined,
          req.identity,
        );
        throw invalid('UnhandledCommand');
      }
      this.e.clearTimer(run, 'wft-timeout');
      this.writeTransientWft(run);
      const completed = this.e.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
        scheduledEventId: s.wft.scheduledEventId,
        startedEventId: s.wft.startedEventId,
        identity: req.identity,
        binaryChecksum: req.binaryChecksum,
        sdkMetadata: req.sdkMetadata,
        meteringMetadata: req.meteringMetadata,
        workerVersion: req.workerVersionStamp,
      });
      const completedId: number = completed.eventId;
      s.lastCompletedStartedEventId = s.wft.startedEventId;
      s.firstWftCompleted = true;
      s.wft = { ...s.wft, state: 'none', attempt: 1, scheduledEventId: 0, startedEventId: 0, transient: undefined };
      const stickyName: string | undefined = req.stickyAttributes?.workerTaskQueue?.name;
      s.sticky = stickyName
        ? {
            queue: stickyName,
            timeoutMs: msFromDur(req.stickyAttributes.scheduleToStartTimeout) || DEFAULT_STICKY_TIMEOUT_MS,
          }
        : undefined;
      const messages = new Map<string, Obj>();
      for (const m of req.messages ?? []) messages.set(m.id, m);
      const post: Array<() => void> = [];
      let needWft = !!req.forceCreateNewWorkflowTask;
      let closed = false;
      for (const cmd of commands) {
        if (closed) break;
        const r = this.e.processCommand(run, cmd, completedId, req.identity ?? '', messages, post);
        if (r === 'closed') closed = true;
        if (r === 'need-wft') needWft = true;
      }
      for (const m of messages.values()) this.e.processMessage(run, m, completedId);
      // Updates delivered with this task but not answered go back to waiting for the next task.
      for (const u of Object.values(s.updates)) if (u.state === 'sent') u.state = 'admitted';
      this.e.answerQueries(run, req.queryResults ?? {});
      this.e.clock.markIdle(`wft:${s.runId}`);
      if (this.e.isOpen(run)) {
        if (this.e.flushBuffered(run)) needWft = true;
        if (Object.values(s.updates).some((u) => u.state === 'admitted')) needWft = true;
        if (needWft) this.scheduleWft(run);
      }
      for (const p of post) p();
      this.e.dispatchWaitingQueries(run);
      const response: Obj = {};
      // Eager activities: the completing worker reserved slots for them, so hand them over in the response.
      const eager: Obj[] = [];
      for (const cmd of commands) {
        const a = cmd.scheduleActivityTaskCommandAttributes;
        if (cmd.commandType !== CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK || !a?.requestEagerExecution) continue;
        const act = Object.values(s.activities).find((x) => x.activityId === a.activityId);
        if (!act || act.state !== 'scheduled' || (a.taskQueue?.name && a.taskQueue.name !== s.taskQueue)) continue;
        const task = this.e.dispatchActivityTask(
          { runId: s.runId, scheduledEventId: act.scheduledEventId, attempt: act.attempt },
          req.identity ?? '',
        );
        if (task) eager.push(task);
      }
      if (eager.length > 0) response.activityTasks = eager;
      // With time skipping, skip now rather than on the next tick so the next task can ride on this response.
      this.e.holdWftOf = req.returnNewWorkflowTask ? s.runId : undefined;
      try {
        this.e.clock.skipNow();
      } finally {
        this.e.holdWftOf = undefined;
      }
      if (req.returnNewWorkflowTask && this.e.isOpen(run) && s.wft.state === 'scheduled' && s.wft.sticky && s.sticky) {
        response.workflowTask = this.startWft(run, req.identity ?? '');
      } else if (this.e.isOpen(run) && s.wft.state === 'scheduled' && this.e.heldWft) {
        this.enqueueWft(run);
      }
      this.e.heldWft = false;
      return response;
    });
  }

  respondWorkflowTaskFailed(req: Obj): Obj {
    return this.e.tx(() => {
      const token = decodeToken(req.taskToken);
      const run = this.wftFromToken(token);
      this.failWft(run, req.cause ?? 0, req.failure, req.identity);
      return {};
    });
  }

  /** Writes a transient attempt's scheduled and started events (at their reserved ids) once it completes. */
  private writeTransientWft(run: Run): void {
    const w = run.s.wft;
    if (!w.transient || !w.transientStarted) return;
    const scheduled = w.transient;
    const started = w.transientStarted;
    w.transient = undefined;
    w.transientStarted = undefined;
    const ev = this.e.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, scheduled);
    this.e.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, started);
    if (ev.eventId !== w.scheduledEventId) {
      throw new Error(`transient workflow task written at ${ev.eventId}, reserved ${w.scheduledEventId}`);
    }
  }

  private failWft(run: Run, cause: number, failure: Obj | undefined, identity: string | undefined): void {
    const s = run.s;
    this.e.clearTimer(run, 'wft-timeout');
    // A transient attempt that fails leaves no trace in history, as in Temporal: only its attempt count grows.
    if (s.wft.transient) {
      this.retryWft(run);
      return;
    }
    this.e.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      scheduledEventId: s.wft.scheduledEventId,
      startedEventId: s.wft.startedEventId,
      cause,
      failure,
      identity,
    });
    this.retryWft(run);
  }

  timeoutWft(run: Run, scheduledEventId: number, startedEventId: number): void {
    const s = run.s;
    if (!this.e.isOpen(run) || s.wft.state !== 'started' || s.wft.scheduledEventId !== scheduledEventId) return;
    if (s.wft.transient) {
      this.retryWft(run);
      return;
    }
    this.e.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
      scheduledEventId,
      startedEventId,
      timeoutType: TT.TIMEOUT_TYPE_START_TO_CLOSE,
    });
    this.retryWft(run);
  }

  /** After a failed/timed-out task: full history goes to the normal queue again (the worker's cache is suspect). */
  private retryWft(run: Run): void {
    const s = run.s;
    s.sticky = undefined;
    s.wft = {
      ...s.wft,
      state: 'none',
      attempt: s.wft.attempt + 1,
      scheduledEventId: 0,
      startedEventId: 0,
      transient: undefined,
      transientStarted: undefined,
    };
    for (const u of Object.values(s.updates)) if (u.state === 'sent') u.state = 'admitted';
    for (const qid of run.queryIds) {
      const q = this.e.queries.get(qid);
      if (q && q.state === 'attached') q.state = 'waiting';
    }
    this.e.flushBuffered(run);
    this.e.clock.markIdle(`wft:${s.runId}`);
    this.scheduleWft(run);
  }
}
