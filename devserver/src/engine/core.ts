import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { VirtualClock } from '../clock';
import { RpcError, notFound } from '../errors';
import { collectGarbage } from '../gc';
import { RunHistory } from '../history';
import { TaskQueue } from '../matching';
import { ET, WS, durFromMs, enums, tsFromMs, type Obj } from '../proto';
import { StandaloneActivities } from '../standalone';
import type { Store } from '../store';
import type { ActivityState, BufferedEntry, RunState } from '../types';
import {
  IDLE_COMPACT_MS,
  attrFieldByType,
  prune,
  eventAttributes,
  type Run,
  type PendingQuery,
  type WfTask,
  type ActTask,
  type CallContext,
  isTimerFired,
  requireString,
  detachBytes,
} from './shared';

export interface EngineOptions {
  namespace: string;
  clock: VirtualClock;
  store?: Store;
  log: (msg: string) => void;
}

/**
 * The engine's state and the operations every part of it shares: persistence, the run registry, history appends,
 * task queues and timers. The sections of the engine (start, workflow tasks, commands, activities, ...) live in their
 * own modules and reach each other through the abstract operations declared at the end, which Engine implements.
 */
export abstract class EngineCore {
  readonly namespaces = new Map<string, Obj>();
  readonly runs = new Map<string, Run>();
  /** `${namespace}\u0000${workflowId}` → run id of the newest run. */
  readonly current = new Map<string, string>();
  readonly wfQueues = new Map<string, TaskQueue<WfTask, Obj>>();
  readonly actQueues = new Map<string, TaskQueue<ActTask, Obj>>();
  readonly queries = new Map<string, PendingQuery>();
  private readonly dirty = new Set<Run>();
  readonly clock: VirtualClock;
  readonly store?: Store;
  readonly log: (msg: string) => void;
  readonly searchAttributeTypes = new Map<string, number>();
  stopped = false;
  private lastCollectMs = 0;
  /** How many times a closed run's history was read back from the store. */
  private historyReads = 0;
  readonly standalone: StandaloneActivities;
  private readonly compactTimer = setInterval(() => this.compactIdle(), IDLE_COMPACT_MS / 2).unref();
  readonly waitTimers = new Set<NodeJS.Timeout>();
  private readonly releasers = new Set<() => void>();
  /** While set, a task scheduled for this run is kept back so it can be returned in the completion response. */
  holdWftOf: string | undefined;
  heldWft = false;

  constructor(opts: EngineOptions) {
    this.clock = opts.clock;
    this.store = opts.store;
    this.log = opts.log;
    this.standalone = new StandaloneActivities(this.clock, (ns, tq, task) => this.actQueue(ns, tq).add(task));
  }

  registerNamespace(name: string): void {
    if (this.namespaces.has(name)) return;
    this.namespaces.set(name, {
      namespaceInfo: {
        name,
        state: enums.NamespaceState.NAMESPACE_STATE_REGISTERED,
        description: 'dev server namespace',
        id: randomUUID(),
        capabilities: { eagerWorkflowStart: true, syncUpdate: true, asyncUpdate: true },
        supportsSchedules: false,
      },
      config: {
        workflowExecutionRetentionTtl: durFromMs(24 * 3600 * 1000),
        historyArchivalState: enums.ArchivalState.ARCHIVAL_STATE_DISABLED,
        visibilityArchivalState: enums.ArchivalState.ARCHIVAL_STATE_DISABLED,
      },
      isGlobalNamespace: false,
    });
  }

  now(): number {
    return this.clock.now();
  }

  // ---------------------------------------------------------------- persistence

  load(): void {
    if (!this.store) return;
    const loaded = this.store.loadAll();
    this.clock.advanceTo(loaded.clockMs);
    for (const r of loaded.runs) {
      const run = this.newRun(r.state, r.stored);
      run.persistedEvents = run.size();
      if (!this.isOpen(run)) this.slimClosed(run);
      this.runs.set(run.s.runId, run);
    }
    for (const c of loaded.current) this.current.set(`${c.namespace}\u0000${c.workflowId}`, c.runId);
    for (const run of this.runs.values()) {
      this.registerNamespace(run.s.namespace);
      if (run.s.status === WS.WORKFLOW_EXECUTION_STATUS_RUNNING) this.resume(run);
    }
    this.flush();
  }

  /** Re-arms timers and tasks of an open run after a restart. */
  private resume(run: Run): void {
    const s = run.s;
    // Sticky workers did not survive the restart: the next task goes to the normal queue with full history.
    if (s.sticky) {
      s.sticky = undefined;
      this.markDirty(run);
    }
    for (const [timerId, t] of Object.entries(s.timers)) this.armUserTimer(run, timerId, t.due);
    this.armRunTimeouts(run);
    if (s.wft.state === 'started') {
      // The worker holding it may be gone; time it out now rather than after the task timeout.
      this.timeoutWft(run, s.wft.scheduledEventId, s.wft.startedEventId);
    } else if (s.wft.state === 'scheduled') {
      s.wft.sticky = false;
      this.clock.markBusy(`wft:${s.runId}`);
      this.enqueueWft(run);
    } else if (s.firstWftDueMs > 0) {
      this.armFirstWft(run);
    }
    for (const act of Object.values(s.activities)) this.resumeActivity(run, act);
  }

  markDirty(run: Run): void {
    run.touchedMs = Date.now();
    run.s.stateTransitions++;
    this.dirty.add(run);
  }

  /** Writes every changed run to the store in one transaction; called at the end of each operation. */
  flush(): void {
    if (this.dirty.size === 0) return;
    const runs = [...this.dirty];
    this.dirty.clear();
    if (!this.store) {
      for (const r of runs) r.persistedEvents = r.size();
    } else {
      this.store.save(runs, this.current, this.now());
    }
    for (const r of runs) {
      if (!this.isOpen(r)) this.slimClosed(r);
      if (r.historyWaiters.size > 0) continue;
      if (!this.isOpen(r)) r.compact();
      else r.release();
    }
  }

  /**
   * A closed run's state is held in memory for as long as the server runs (describe, list, result): it keeps what
   * those need, not what its history already says. Its input and header are in its started event (nothing starts
   * from them once the run has closed: a retry or cron run is started at the close), and its completed updates are
   * looked up in its history when a retried update ID asks (findUpdate). Without this a long-lived task's closed runs
   * (one every ~1,500 events, continued as new with the whole carried state as input) each kept tens of KB.
   */
  private slimClosed(run: Run): void {
    const s = run.s;
    if (s.updatesInHistory) return;
    s.input = undefined;
    s.header = undefined;
    s.updates = Object.fromEntries(Object.entries(s.updates).filter(([, u]) => !u.completedEventId));
    s.updatesInHistory = true;
  }

  tx<T>(fn: () => T): T {
    try {
      return fn();
    } finally {
      this.flush();
    }
  }

  /**
   * Encodes the histories of open runs idle for a while (e.g. waiting on a long timer): with thousands of such runs
   * decoded events would dominate memory. They are decoded again on their next workflow task.
   */
  private compactIdle(): void {
    const now = Date.now();
    const cutoff = now - IDLE_COMPACT_MS;
    let lastTouched = 0;
    for (const run of this.runs.values()) {
      lastTouched = Math.max(lastTouched, run.touchedMs);
      if (
        run.decoded() &&
        run.touchedMs < cutoff &&
        (run.s.wft.state === 'none' || !this.isOpen(run)) &&
        run.historyWaiters.size === 0
      ) {
        run.compact();
      }
    }
    // Once per quiet spell (no run changed for IDLE_COMPACT_MS since the last collection), not while busy: a full
    // collection of a large heap takes tens of milliseconds.
    if (lastTouched > this.lastCollectMs && lastTouched < cutoff) {
      this.lastCollectMs = now;
      collectGarbage();
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.compactTimer);
    for (const t of this.waitTimers) clearTimeout(t);
    this.waitTimers.clear();
    for (const release of [...this.releasers]) release();
    for (const q of this.wfQueues.values()) q.releaseAll({});
    for (const q of this.actQueues.values()) q.releaseAll({});
    for (const q of this.queries.values()) q.reject(new RpcError(status.UNAVAILABLE, 'Server is shutting down.'));
    this.queries.clear();
    this.flush();
  }

  // ---------------------------------------------------------------- helpers

  /**
   * History held in memory, by open and closed runs (runs holding any, decoded events, encoded bytes), and how many
   * times a closed run's history was read back from the store. For tests and benchmarks of the server's memory.
   */
  historyMemory(): {
    open: { runs: number; events: number; bytes: number };
    closed: { runs: number; events: number; bytes: number };
    storeReads: number;
  } {
    const open = { runs: 0, events: 0, bytes: 0 };
    const closed = { runs: 0, events: 0, bytes: 0 };
    for (const run of this.runs.values()) {
      const held = run.heldHistory();
      if (held.events === 0 && held.bytes === 0) continue;
      const into = this.isOpen(run) ? open : closed;
      into.runs++;
      into.events += held.events;
      into.bytes += held.bytes;
    }
    return { open, closed, storeReads: this.historyReads };
  }

  newRun(s: RunState, stored?: { count: number; last: Buffer | undefined }): Run {
    let evictionQueued = false;
    const events: RunHistory = new RunHistory({
      runId: s.runId,
      source: this.store,
      stored,
      log: (line) => this.log(line),
      // Events read back from the store are let go of once the current operation is over: callers use them
      // synchronously, and an event appended meanwhile is persisted before they can leave.
      onLoad: () => {
        this.historyReads++;
        if (evictionQueued) return;
        evictionQueued = true;
        setImmediate(() => {
          evictionQueued = false;
          if (run.historyWaiters.size > 0) return;
          if (this.isOpen(run)) events.release(run.s.lastCompletedStartedEventId, run.persistedEvents);
          else events.compact(run.persistedEvents);
        });
      },
    });
    const run: Run = {
      s,
      persistedEvents: 0,
      timers: new Map(),
      historyWaiters: new Set(),
      updateWaiters: new Set(),
      queryIds: [],
      touchedMs: Date.now(),
      size: () => events.size(),
      slice: (from, to) => events.slice(from, to),
      push: (ev) => events.push(ev),
      lastEvent: () => events.lastEvent(),
      decoded: () => events.decoded(),
      heldHistory: () => events.held(),
      release: () => {
        if (this.isOpen(run)) events.release(run.s.lastCompletedStartedEventId, run.persistedEvents);
      },
      compact: () => {
        // A run compacted is one that sits (idle or closed): what its state holds is held for long.
        detachBytes(s);
        events.compact(run.persistedEvents);
      },
    };
    return run;
  }

  checkNamespace(ns: unknown): string {
    const name = requireString(ns, 'Namespace');
    if (!this.namespaces.has(name)) throw notFound(`Namespace ${name} is not found.`);
    return name;
  }

  currentRun(ns: string, workflowId: string): Run | undefined {
    const id = this.current.get(`${ns}\u0000${workflowId}`);
    return id ? this.runs.get(id) : undefined;
  }

  /** Finds the run named by a WorkflowExecution (current run when runId is empty). */
  findRun(ns: string, exec: Obj | undefined): Run {
    const workflowId = requireString(exec?.workflowId, 'WorkflowId');
    const runId: string | undefined = exec?.runId || undefined;
    const run = runId ? this.runs.get(runId) : this.currentRun(ns, workflowId);
    if (!run || run.s.workflowId !== workflowId || run.s.namespace !== ns) {
      throw notFound(`workflow execution not found for workflow ID "${workflowId}" and run ID "${runId ?? ''}"`);
    }
    return run;
  }

  findOpenRun(ns: string, exec: Obj | undefined): Run {
    const run = this.findRun(ns, exec);
    if (run.s.status !== WS.WORKFLOW_EXECUTION_STATUS_RUNNING) throw notFound('workflow execution already completed');
    return run;
  }

  isOpen(run: Run): boolean {
    return run.s.status === WS.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  execOf(run: Run): Obj {
    return { workflowId: run.s.workflowId, runId: run.s.runId };
  }

  /** Appends one event to history now. */
  append(run: Run, type: number, attrs: Obj): Obj {
    const w = run.s.wft;
    if (w.transient && w.state === 'scheduled') {
      // Another event must be written while a transient task waits: the task becomes a written one first.
      const scheduled = w.transient;
      w.transient = undefined;
      this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, scheduled);
    }
    const ev = this.eventOf(run.size() + 1, type, attrs, this.now());
    run.push(ev);
    this.markDirty(run);
    for (const w of [...run.historyWaiters]) w();
    return ev;
  }

  eventOf(id: number, type: number, attrs: Obj, atMs: number): Obj {
    return {
      eventId: id,
      eventTime: tsFromMs(atMs),
      eventType: type,
      taskId: id,
      [attrFieldByType.get(type) as string]: prune(attrs),
    };
  }

  /** Writes events coming from outside the workflow task (signals, completions, ...), or holds them while one runs. */
  appendOrBuffer(run: Run, entry: BufferedEntry): void {
    if (!this.isOpen(run)) return;
    if (run.s.wft.state === 'started') {
      run.s.buffered.push(entry);
      this.markDirty(run);
      return;
    }
    this.writeEntry(run, entry);
    this.ensureWft(run);
  }

  private writeEntry(run: Run, entry: BufferedEntry): void {
    let startedId = 0;
    entry.events.forEach((e, i) => {
      let attrs = i === 1 && entry.linkStarted ? { ...e.attrs, startedEventId: startedId } : e.attrs;
      if (attrs.startedEventId === -1) {
        // A child's started event comes after its initiated event: only the events since then are searched.
        const started = run
          .slice(Number(attrs.initiatedEventId) || 0)
          .find(
            (h) =>
              h.eventType === ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED &&
              eventAttributes(h).initiatedEventId === attrs.initiatedEventId,
          );
        attrs = { ...attrs, startedEventId: started?.eventId ?? 0 };
      }
      const ev = this.append(run, e.type, attrs);
      if (i === 0) startedId = ev.eventId;
    });
  }

  /** Removes a held TimerFired for `timerId`; returns its timer's started event id, or undefined if none is held. */
  takeBufferedTimerFired(run: Run, timerId: string): number | undefined {
    const i = run.s.buffered.findIndex(
      (b) => b.events.length === 1 && isTimerFired(b.events[0]) && b.events[0].attrs.timerId === timerId,
    );
    if (i < 0) return undefined;
    const [entry] = run.s.buffered.splice(i, 1);
    this.markDirty(run);
    return Number(entry.events[0].attrs.startedEventId);
  }

  flushBuffered(run: Run): boolean {
    const entries = run.s.buffered;
    if (entries.length === 0) return false;
    run.s.buffered = [];
    for (const e of entries) this.writeEntry(run, e);
    return true;
  }

  wfQueue(ns: string, name: string): TaskQueue<WfTask, Obj> {
    const key = `${ns}\u0000${name}`;
    let q = this.wfQueues.get(key);
    if (!q) {
      q = new TaskQueue<WfTask, Obj>((t, id) => this.dispatchWfTask(t, id));
      this.wfQueues.set(key, q);
    }
    return q;
  }

  actQueue(ns: string, name: string): TaskQueue<ActTask, Obj> {
    const key = `${ns}\u0000${name}`;
    let q = this.actQueues.get(key);
    if (!q) {
      q = new TaskQueue<ActTask, Obj>((t, id) => this.dispatchActivityTask(t, id));
      this.actQueues.set(key, q);
    }
    return q;
  }

  setTimer(run: Run, key: string, due: number, fire: () => void): void {
    this.clock.cancel(run.timers.get(key));
    run.timers.set(
      key,
      this.clock.schedule(due, () => {
        run.timers.delete(key);
        if (this.stopped) return;
        this.tx(fire);
      }),
    );
  }

  clearTimer(run: Run, key: string): void {
    this.clock.cancel(run.timers.get(key));
    run.timers.delete(key);
  }

  /** Real-time wait used by long polls; resolves early when `wake` is called. */
  waitFor(ms: number, ctx: CallContext | undefined, register: (wake: () => void) => () => void): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      let unregister: () => void = () => undefined;
      let offCancel: () => void = () => undefined;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waitTimers.delete(timer);
        this.releasers.delete(finish);
        unregister();
        offCancel();
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.waitTimers.add(timer);
      this.releasers.add(finish);
      unregister = register(finish);
      if (ctx) offCancel = ctx.onCancel(finish);
    });
  }

  // ---------------------------------------------------------------- operations the modules call on each other

  // Implemented by Engine, which hands each to the module that owns it (engine/<module>.ts).
  // start (engine/start.ts)
  abstract startWorkflowExecution(req: Obj): Obj;
  abstract validateStart(req: Obj): void;
  abstract alreadyStarted(existing: Run, requestId: string): RpcError;
  abstract startInternal(
    req: Obj,
    signal: Obj | undefined,
    parent?: { run: Run; initiatedEventId: number },
  ): { run: Run; started: boolean };
  abstract createRun(o: {
    ns: string;
    req: Obj;
    requestId: string;
    parent?: { run: Run; initiatedEventId: number };
    attempt: number;
    firstRunId: string | undefined;
    continuedFrom: { runId: string; initiator: number; failure?: Obj; lastResult?: Obj } | undefined;
    backoffMs: number;
    executionExpiresMs: number;
  }): Run;
  abstract rootOf(run: Run): Run;
  abstract armRunTimeouts(run: Run): void;
  abstract scheduleFirstWft(run: Run): void;
  abstract armFirstWft(run: Run): void;

  // workflow tasks (engine/workflowTasks.ts)
  abstract ensureWft(run: Run): void;
  abstract enqueueWft(run: Run): void;
  abstract dispatchWfTask(task: WfTask, identity: string): Obj | undefined;
  abstract startWft(run: Run, identity: string): Obj;
  abstract timeoutWft(run: Run, scheduledEventId: number, startedEventId: number): void;

  // commands (engine/commands.ts)
  abstract processCommand(
    run: Run,
    cmd: Obj,
    completedId: number,
    identity: string,
    messages: Map<string, Obj>,
    post: Array<() => void>,
  ): 'ok' | 'closed' | 'need-wft';
  abstract validateCommands(commands: Obj[]): { cause: number; message: string } | undefined;
  abstract armUserTimer(run: Run, timerId: string, due: number): void;
  abstract workflowRetry(run: Run, failure: Obj | undefined, timeout: boolean): { retryState: number; newRun?: Run };
  abstract closeRun(run: Run, st: number, next: Run | undefined, result?: Obj): void;

  // activities (engine/activities.ts)
  abstract scheduleActivity(run: Run, a: Obj, completedId: number): void;
  abstract resumeActivity(run: Run, act: ActivityState): void;
  abstract dispatchActivityTask(t: ActTask, identity: string): Obj | undefined;
  abstract requestCancelActivity(run: Run, a: Obj, completedId: number): 'ok' | 'need-wft';

  // children and external workflows (engine/children.ts)
  abstract startChildCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void;
  abstract notifyParent(run: Run, st: number, result?: Obj): void;
  abstract applyParentClosePolicy(child: {
    workflowId: string;
    runId: string;
    namespace: string;
    parentClosePolicy: number;
  }): void;
  abstract signalExternalCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void;
  abstract cancelExternalCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void;

  // signals, cancel, terminate (engine/signals.ts)
  abstract signalRun(run: Run, sig: Obj): void;
  abstract requestCancelRun(
    run: Run,
    reason: string,
    identity: string,
    external: { run: Run; initiatedEventId: number } | undefined,
  ): void;
  abstract terminateRun(run: Run, reason: string, details: Obj | undefined, identity: string): void;

  // queries (engine/queries.ts)
  abstract dispatchWaitingQueries(run: Run): void;
  abstract dispatchLegacyQuery(id: string, queueName: string): Obj | undefined;
  abstract answerQueries(run: Run, results: Obj): void;

  // updates (engine/updates.ts)
  abstract processMessage(run: Run, m: Obj, completedId: number): void;
}
