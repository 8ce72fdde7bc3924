import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { type TimerHandle, type VirtualClock } from './clock';
import { RpcError, invalid, notFound } from './errors';
import { collectGarbage } from './gc';
import { RunHistory, ownCopy } from './history';
import { TaskQueue } from './matching';
import {
  CT,
  ET,
  RS,
  TT,
  UpdateRequestType,
  WS,
  durFromMs,
  enums,
  msFromDur,
  msFromTs,
  num,
  packAny,
  tsFromMs,
  unpackAny,
  type Obj,
} from './proto';
import { StandaloneActivities, type StandaloneTask } from './standalone';
import type { Store } from './store';
import type { ActivityState, BufferedEntry, RunState, UpdateState } from './types';
import { matchesQuery, parseQuery, type QueryNode } from './visibility';

/** Defaults chosen to match the Temporal server so SDK behaviour is the same as in production. */
const DEFAULT_WFT_TIMEOUT_MS = 10_000;
const MAX_WFT_TIMEOUT_MS = 120_000;
const DEFAULT_STICKY_TIMEOUT_MS = 5_000;
/** Long polls answer empty before the SDK's own 70 s deadline, like the server's 60 s. */
const LONG_POLL_MS = 55_000;
/** History/update long polls: the SDK simply re-issues them, so a shorter hold keeps shutdown snappy. */
const WAIT_POLL_MS = 20_000;
/** Open runs untouched this long get their history encoded to save memory. */
const IDLE_COMPACT_MS = 2_000;
/** Rejected updates remembered for retries with the same ID (see rememberRejected). */
const REJECTED_UPDATES_KEPT = 10_000;
const EMPTY_TASK_QUEUE_KIND = enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;

const LAST_STAGE = enums.UpdateWorkflowExecutionLifecycleStage;

const attrFieldByType = new Map<number, string>();
for (const [name, value] of Object.entries(ET)) {
  if (typeof value !== 'number' || value === 0) continue;
  const camel = name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  attrFieldByType.set(value, `${camel}EventAttributes`);
}

/** Drops undefined fields: events are kept in memory for the run's lifetime and every empty slot costs memory. */
function prune(o: Obj): Obj {
  const out: Obj = {};
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) ? prune(v as Obj) : v;
  }
  return out;
}

export function eventAttributes(ev: Obj): Obj {
  return ev[attrFieldByType.get(ev.eventType) as string] ?? {};
}

const CLOSING_COMMANDS = new Set<number>([
  CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

export interface Run {
  s: RunState;
  /** Number of events. */
  size(): number;
  /** Events [from, to) by 0-based index (event id i + 1 is index i), read back from the store where needed. */
  slice(from: number, to?: number): Obj[];
  /** Appends one event (written to the store at the end of the operation). */
  push(ev: Obj): void;
  /** The newest event, without reading the store (the client's `result()` asks only for the close event). */
  lastEvent(): Obj | undefined;
  /** With a store: lets go of the events an open run's sticky worker no longer needs (they are in the store). */
  release(): void;
  /**
   * Lets go of the decoded history (a run that sits idle or has closed): with a store it keeps only its event count
   * and newest event and reads the rest back when asked; without one it packs the history into one message.
   */
  compact(): void;
  /** Whether decoded events are held. */
  decoded(): boolean;
  /** History held in memory: decoded events and encoded bytes (0 and 0 once left to the store). */
  heldHistory(): { events: number; bytes: number };
  /** Wall-clock time of the last change, for compacting runs that sit idle. */
  touchedMs: number;
  persistedEvents: number;
  timers: Map<string, TimerHandle>;
  historyWaiters: Set<() => void>;
  updateWaiters: Set<() => void>;
  /** Queries waiting for this run (ids into Engine.queries). */
  queryIds: string[];
}

interface PendingQuery {
  id: string;
  runId: string;
  query: Obj;
  state: 'waiting' | 'attached' | 'dispatched' | 'picked';
  resolve: (r: Obj) => void;
  reject: (e: Error) => void;
}

type WfTask =
  | { kind: 'wft'; runId: string; scheduledEventId: number; sticky: boolean }
  | { kind: 'query'; id: string; queue: string };
type ActTask = { runId: string; scheduledEventId: number; attempt: number } | StandaloneTask;

interface TaskToken {
  k: 'w' | 'a' | 'q' | 's';
  r?: string;
  s?: number;
  t?: number;
  a?: number;
  q?: string;
}

export interface EngineOptions {
  namespace: string;
  clock: VirtualClock;
  store?: Store;
  log: (msg: string) => void;
}

export interface CallContext {
  cancelled: () => boolean;
  /** Registers a callback for the caller going away; returns a function that unregisters it. */
  onCancel: (fn: () => void) => () => void;
}

function isTimerFired(e: { type: number }): boolean {
  return e.type === ET.EVENT_TYPE_TIMER_FIRED;
}

function encodeToken(t: TaskToken): Buffer {
  return Buffer.from(JSON.stringify(t));
}

function decodeToken(buf: Uint8Array | undefined): TaskToken {
  if (!buf || buf.length === 0) throw invalid('Task token not set on request.');
  try {
    const t = JSON.parse(Buffer.from(buf).toString('utf8')) as TaskToken;
    if (!t || typeof t.k !== 'string') throw new Error('bad');
    return t;
  } catch {
    throw invalid('Error deserializing task token.');
  }
}

function isEmptyPayloads(p: Obj | undefined): boolean {
  return !p || !p.payloads || p.payloads.length === 0;
}

function requireString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(`${what} is not set on request.`);
  return v;
}

function normalizeRetryPolicy(p: Obj | undefined, forActivity: boolean): Obj | undefined {
  if (!p && !forActivity) return undefined;
  const initial = msFromDur(p?.initialInterval) || 1000;
  const coefficient = p?.backoffCoefficient && p.backoffCoefficient >= 1 ? p.backoffCoefficient : 2;
  const maximum = msFromDur(p?.maximumInterval) || initial * 100;
  return {
    initialInterval: durFromMs(initial),
    backoffCoefficient: coefficient,
    maximumInterval: durFromMs(maximum),
    maximumAttempts: p?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: p?.nonRetryableErrorTypes ?? [],
  };
}

/** Delay before the next attempt, or undefined when the policy says to stop (with the reason as retry state). */
function nextBackoff(
  policy: Obj | undefined,
  attempt: number,
  failure: Obj | undefined,
): { delayMs?: number; retryState: number } {
  if (!policy) return { retryState: RS.RETRY_STATE_RETRY_POLICY_NOT_SET };
  const max = num(policy.maximumAttempts);
  if (max > 0 && attempt >= max) return { retryState: RS.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  const app = failure?.applicationFailureInfo;
  if (app?.nonRetryable) return { retryState: RS.RETRY_STATE_NON_RETRYABLE_FAILURE };
  const type: string | undefined = app?.type;
  if (type && (policy.nonRetryableErrorTypes ?? []).includes(type)) {
    return { retryState: RS.RETRY_STATE_NON_RETRYABLE_FAILURE };
  }
  const initial = msFromDur(policy.initialInterval) || 1000;
  const maxInterval = msFromDur(policy.maximumInterval) || initial * 100;
  let delay = initial * Math.pow(policy.backoffCoefficient || 2, attempt - 1);
  delay = Math.min(delay, maxInterval);
  // An explicit delay set by the activity (ApplicationFailure.nextRetryDelay) wins over the policy.
  const explicit = msFromDur(app?.nextRetryDelay);
  if (explicit > 0) delay = explicit;
  return { delayMs: delay, retryState: RS.RETRY_STATE_IN_PROGRESS };
}

/**
 * Replaces byte arrays that are views into a larger buffer with copies of their own, in place. Payloads decoded from
 * a request are slices of its buffer (often an 8 KB pooled slab): a run's state kept them all alive, ~8 KB per run
 * for ~60 bytes of input, which grew memory with every run even once its history had left.
 */
function detachBytes(value: unknown): void {
  if (!value || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (!v || typeof v !== 'object') continue;
    if (ArrayBuffer.isView(v)) {
      if (v.byteLength > 0 && v.byteLength !== v.buffer.byteLength) {
        obj[key] = ownCopy(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      }
    } else {
      detachBytes(v);
    }
  }
}

function statusName(s: number): string {
  switch (s) {
    case WS.WORKFLOW_EXECUTION_STATUS_RUNNING:
      return 'Running';
    case WS.WORKFLOW_EXECUTION_STATUS_COMPLETED:
      return 'Completed';
    case WS.WORKFLOW_EXECUTION_STATUS_FAILED:
      return 'Failed';
    case WS.WORKFLOW_EXECUTION_STATUS_CANCELED:
      return 'Canceled';
    case WS.WORKFLOW_EXECUTION_STATUS_TERMINATED:
      return 'Terminated';
    case WS.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
      return 'ContinuedAsNew';
    case WS.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
      return 'TimedOut';
    default:
      return 'Unspecified';
  }
}

export class Engine {
  readonly namespaces = new Map<string, Obj>();
  readonly runs = new Map<string, Run>();
  /** `${namespace}\u0000${workflowId}` → run id of the newest run. */
  private readonly current = new Map<string, string>();
  private readonly wfQueues = new Map<string, TaskQueue<WfTask, Obj>>();
  private readonly actQueues = new Map<string, TaskQueue<ActTask, Obj>>();
  private readonly queries = new Map<string, PendingQuery>();
  private readonly dirty = new Set<Run>();
  private readonly clock: VirtualClock;
  private readonly store?: Store;
  private readonly log: (msg: string) => void;
  readonly searchAttributeTypes = new Map<string, number>();
  private stopped = false;
  private lastCollectMs = 0;
  /** How many times a closed run's history was read back from the store. */
  private historyReads = 0;
  readonly standalone: StandaloneActivities;
  private readonly compactTimer = setInterval(() => this.compactIdle(), IDLE_COMPACT_MS / 2).unref();
  private readonly waitTimers = new Set<NodeJS.Timeout>();
  private readonly releasers = new Set<() => void>();

  constructor(opts: EngineOptions) {
    this.clock = opts.clock;
    this.store = opts.store;
    this.log = opts.log;
    this.standalone = new StandaloneActivities(this.clock, (ns, tq, task) => this.actQueue(ns, tq).add(task));
    this.registerNamespace(opts.namespace);
    if (opts.namespace !== 'default') this.registerNamespace('default');
    // The custom attributes the Temporal CLI dev server declares out of the box.
    for (const [name, type] of Object.entries({
      CustomKeywordField: 'Keyword',
      CustomStringField: 'Text',
      CustomTextField: 'Text',
      CustomIntField: 'Int',
      CustomDatetimeField: 'Datetime',
      CustomDoubleField: 'Double',
      CustomBoolField: 'Bool',
    })) {
      this.declareSearchAttribute(name, type);
    }
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

  private markDirty(run: Run): void {
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

  private tx<T>(fn: () => T): T {
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

  private newRun(s: RunState, stored?: { count: number; last: Buffer | undefined }): Run {
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

  private currentRun(ns: string, workflowId: string): Run | undefined {
    const id = this.current.get(`${ns}\u0000${workflowId}`);
    return id ? this.runs.get(id) : undefined;
  }

  /** Finds the run named by a WorkflowExecution (current run when runId is empty). */
  private findRun(ns: string, exec: Obj | undefined): Run {
    const workflowId = requireString(exec?.workflowId, 'WorkflowId');
    const runId: string | undefined = exec?.runId || undefined;
    const run = runId ? this.runs.get(runId) : this.currentRun(ns, workflowId);
    if (!run || run.s.workflowId !== workflowId || run.s.namespace !== ns) {
      throw notFound(`workflow execution not found for workflow ID "${workflowId}" and run ID "${runId ?? ''}"`);
    }
    return run;
  }

  private findOpenRun(ns: string, exec: Obj | undefined): Run {
    const run = this.findRun(ns, exec);
    if (run.s.status !== WS.WORKFLOW_EXECUTION_STATUS_RUNNING) throw notFound('workflow execution already completed');
    return run;
  }

  private isOpen(run: Run): boolean {
    return run.s.status === WS.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  private execOf(run: Run): Obj {
    return { workflowId: run.s.workflowId, runId: run.s.runId };
  }

  /** Appends one event to history now. */
  private append(run: Run, type: number, attrs: Obj): Obj {
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

  private eventOf(id: number, type: number, attrs: Obj, atMs: number): Obj {
    return {
      eventId: id,
      eventTime: tsFromMs(atMs),
      eventType: type,
      taskId: id,
      [attrFieldByType.get(type) as string]: prune(attrs),
    };
  }

  /** Writes events coming from outside the workflow task (signals, completions, ...), or holds them while one runs. */
  private appendOrBuffer(run: Run, entry: BufferedEntry): void {
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
  private takeBufferedTimerFired(run: Run, timerId: string): number | undefined {
    const i = run.s.buffered.findIndex(
      (b) => b.events.length === 1 && isTimerFired(b.events[0]) && b.events[0].attrs.timerId === timerId,
    );
    if (i < 0) return undefined;
    const [entry] = run.s.buffered.splice(i, 1);
    this.markDirty(run);
    return Number(entry.events[0].attrs.startedEventId);
  }

  private flushBuffered(run: Run): boolean {
    const entries = run.s.buffered;
    if (entries.length === 0) return false;
    run.s.buffered = [];
    for (const e of entries) this.writeEntry(run, e);
    return true;
  }

  private wfQueue(ns: string, name: string): TaskQueue<WfTask, Obj> {
    const key = `${ns}\u0000${name}`;
    let q = this.wfQueues.get(key);
    if (!q) {
      q = new TaskQueue<WfTask, Obj>((t, id) => this.dispatchWfTask(t, id));
      this.wfQueues.set(key, q);
    }
    return q;
  }

  private actQueue(ns: string, name: string): TaskQueue<ActTask, Obj> {
    const key = `${ns}\u0000${name}`;
    let q = this.actQueues.get(key);
    if (!q) {
      q = new TaskQueue<ActTask, Obj>((t, id) => this.dispatchActivityTask(t, id));
      this.actQueues.set(key, q);
    }
    return q;
  }

  private setTimer(run: Run, key: string, due: number, fire: () => void): void {
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

  private clearTimer(run: Run, key: string): void {
    this.clock.cancel(run.timers.get(key));
    run.timers.delete(key);
  }

  /** Real-time wait used by long polls; resolves early when `wake` is called. */
  private waitFor(ms: number, ctx: CallContext | undefined, register: (wake: () => void) => () => void): Promise<void> {
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

  // ---------------------------------------------------------------- system

  getSystemInfo(): Obj {
    return {
      serverVersion: '1.24.0-devserver',
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        supportsSchedules: false,
        encodedFailureAttributes: true,
        upsertMemo: true,
        eagerWorkflowStart: true,
        sdkMetadata: true,
        countGroupByExecutionStatus: true,
        buildIdBasedVersioning: false,
        nexus: false,
      },
    };
  }

  describeNamespace(req: Obj): Obj {
    const name: string = req.namespace || '';
    if (!name && req.id) {
      for (const ns of this.namespaces.values()) if (ns.namespaceInfo.id === req.id) return ns;
    }
    const ns = this.namespaces.get(name);
    if (!ns) throw notFound(`Namespace ${name} is not found.`);
    return ns;
  }

  listNamespaces(): Obj {
    return { namespaces: [...this.namespaces.values()] };
  }

  registerNamespaceRpc(req: Obj): Obj {
    const name = requireString(req.namespace, 'Namespace');
    if (this.namespaces.has(name)) {
      throw new RpcError(status.ALREADY_EXISTS, 'Namespace already exists.', {
        typeName: 'temporal.api.errordetails.v1.NamespaceAlreadyExistsFailure',
        value: {},
      });
    }
    this.registerNamespace(name);
    return {};
  }

  // ---------------------------------------------------------------- start

  startWorkflowExecution(req: Obj): Obj {
    return this.tx(() => {
      const eager = !!req.requestEagerExecution && msFromDur(req.workflowStartDelay) === 0;
      // Eager start: keep the first task out of the queue so it can be handed back in this response.
      this.holdWftOf = eager ? `pending-start:${String(req.workflowId)}` : undefined;
      let result: { run: Run; started: boolean };
      try {
        result = this.startInternal(req, undefined);
      } finally {
        this.holdWftOf = undefined;
      }
      const { run, started } = result;
      const response: Obj = { runId: run.s.runId, started };
      if (this.heldWft) {
        this.heldWft = false;
        if (this.isOpen(run) && run.s.wft.state === 'scheduled') {
          response.eagerWorkflowTask = this.startWft(run, req.identity ?? '');
        }
      }
      return response;
    });
  }

  private validateStart(req: Obj): void {
    requireString(req.workflowId, 'WorkflowId');
    if (!req.workflowType?.name) throw invalid('WorkflowType is not set on request.');
    if (!req.taskQueue?.name) throw invalid('TaskQueue is not set on request.');
    if (req.workflowId.length > 1000) throw invalid('WorkflowId exceeds length limit.');
    for (const [k, d] of [
      ['WorkflowExecutionTimeout', req.workflowExecutionTimeout],
      ['WorkflowRunTimeout', req.workflowRunTimeout],
      ['WorkflowTaskTimeout', req.workflowTaskTimeout],
    ] as const) {
      if (d && msFromDur(d) < 0) throw invalid(`Invalid ${k}.`);
    }
  }

  private alreadyStarted(existing: Run, requestId: string): RpcError {
    return new RpcError(
      status.ALREADY_EXISTS,
      `Workflow execution is already running. WorkflowId: ${existing.s.workflowId}, RunId: ${existing.s.runId}.`,
      {
        typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
        value: { startRequestId: requestId, runId: existing.s.runId },
      },
    );
  }

  /**
   * Starts a run (from StartWorkflowExecution, SignalWithStart or a child command), applying the ID conflict and
   * reuse policies. `signal` is written right after the started event for signal-with-start.
   */
  private startInternal(
    req: Obj,
    signal: Obj | undefined,
    parent?: { run: Run; initiatedEventId: number },
  ): { run: Run; started: boolean } {
    const ns = this.checkNamespace(req.namespace);
    this.validateStart(req);
    const workflowId: string = req.workflowId;
    const requestId: string = req.requestId || randomUUID();
    const existing = this.currentRun(ns, workflowId);
    if (existing) {
      if (req.requestId && existing.s.requestIds.includes(req.requestId)) {
        return { run: existing, started: true };
      }
      const P = enums.WorkflowIdConflictPolicy;
      const R = enums.WorkflowIdReusePolicy;
      if (this.isOpen(existing)) {
        let conflict: number = req.workflowIdConflictPolicy ?? P.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED;
        if (req.workflowIdReusePolicy === R.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
          conflict = P.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
        }
        if (conflict === P.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
          if (signal) this.signalRun(existing, signal);
          return { run: existing, started: false };
        }
        if (conflict === P.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
          this.terminateRun(existing, 'terminated by new start (conflict policy TERMINATE_EXISTING)', undefined, '');
        } else {
          throw this.alreadyStarted(existing, requestId);
        }
      } else {
        const reuse: number = req.workflowIdReusePolicy ?? R.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED;
        if (reuse === R.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
          throw new RpcError(
            status.ALREADY_EXISTS,
            `Workflow execution already finished and the ID reuse policy rejects duplicates. WorkflowId: ${workflowId}.`,
            {
              typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
              value: { startRequestId: requestId, runId: existing.s.runId },
            },
          );
        }
        if (
          reuse === R.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
          (existing.s.status === WS.WORKFLOW_EXECUTION_STATUS_COMPLETED ||
            existing.s.status === WS.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
        ) {
          throw new RpcError(
            status.ALREADY_EXISTS,
            `Workflow execution already completed successfully and the ID reuse policy allows only failed ones. WorkflowId: ${workflowId}.`,
            {
              typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
              value: { startRequestId: requestId, runId: existing.s.runId },
            },
          );
        }
      }
    }
    const run = this.createRun({
      ns,
      req,
      requestId,
      parent,
      attempt: 1,
      firstRunId: undefined,
      continuedFrom: undefined,
      backoffMs: msFromDur(req.workflowStartDelay),
      executionExpiresMs: 0,
    });
    if (signal) {
      this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        signalName: signal.signalName,
        input: signal.input,
        identity: signal.identity,
        header: signal.header,
      });
    }
    this.scheduleFirstWft(run);
    return { run, started: true };
  }

  private createRun(o: {
    ns: string;
    req: Obj;
    requestId: string;
    parent?: { run: Run; initiatedEventId: number };
    attempt: number;
    firstRunId: string | undefined;
    continuedFrom: { runId: string; initiator: number; failure?: Obj; lastResult?: Obj } | undefined;
    backoffMs: number;
    executionExpiresMs: number;
  }): Run {
    const { req } = o;
    const now = this.now();
    const runId = randomUUID();
    const execTimeout = msFromDur(req.workflowExecutionTimeout);
    const runTimeout = msFromDur(req.workflowRunTimeout) || execTimeout;
    const taskTimeout = Math.min(msFromDur(req.workflowTaskTimeout) || DEFAULT_WFT_TIMEOUT_MS, MAX_WFT_TIMEOUT_MS);
    const executionExpiresMs = o.executionExpiresMs || (execTimeout > 0 ? now + execTimeout : 0);
    const s: RunState = {
      namespace: o.ns,
      workflowId: req.workflowId,
      runId,
      firstRunId: o.firstRunId ?? runId,
      workflowType: req.workflowType.name,
      taskQueue: req.taskQueue.name,
      status: WS.WORKFLOW_EXECUTION_STATUS_RUNNING,
      startMs: now,
      executionMs: now + o.backoffMs,
      closeMs: 0,
      runTimeoutMs: runTimeout,
      executionTimeoutMs: execTimeout,
      executionExpiresMs,
      taskTimeoutMs: taskTimeout,
      retryPolicy: req.retryPolicy ? normalizeRetryPolicy(req.retryPolicy, false) : undefined,
      attempt: o.attempt,
      memo: req.memo?.fields ? req.memo : undefined,
      searchAttributes: req.searchAttributes?.indexedFields ? req.searchAttributes : undefined,
      parent: o.parent
        ? {
            namespace: o.parent.run.s.namespace,
            workflowId: o.parent.run.s.workflowId,
            runId: o.parent.run.s.runId,
            initiatedEventId: o.parent.initiatedEventId,
          }
        : undefined,
      requestIds: [o.requestId],
      wft: {
        state: 'none',
        scheduledEventId: 0,
        startedEventId: 0,
        attempt: 1,
        sticky: false,
        scheduledMs: 0,
        startedMs: 0,
      },
      lastCompletedStartedEventId: 0,
      firstWftCompleted: false,
      buffered: [],
      activities: {},
      timers: {},
      children: {},
      updates: {},
      cancelRequested: false,
      firstWftDueMs: o.backoffMs > 0 ? now + o.backoffMs : 0,
      header: req.header,
      input: req.input,
      identity: req.identity,
      stateTransitions: 0,
    };
    const run = this.newRun(s);
    this.runs.set(runId, run);
    this.current.set(`${o.ns}\u0000${s.workflowId}`, runId);
    const parentRun = o.parent?.run;
    this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      workflowType: { name: s.workflowType },
      parentWorkflowNamespace: parentRun?.s.namespace,
      parentWorkflowExecution: parentRun ? this.execOf(parentRun) : undefined,
      parentInitiatedEventId: o.parent?.initiatedEventId,
      taskQueue: { name: s.taskQueue, kind: EMPTY_TASK_QUEUE_KIND },
      input: req.input,
      workflowExecutionTimeout: execTimeout ? durFromMs(execTimeout) : undefined,
      workflowRunTimeout: runTimeout ? durFromMs(runTimeout) : undefined,
      workflowTaskTimeout: durFromMs(taskTimeout),
      continuedExecutionRunId: o.continuedFrom?.runId,
      initiator: o.continuedFrom?.initiator,
      continuedFailure: o.continuedFrom?.failure,
      lastCompletionResult: o.continuedFrom?.lastResult,
      originalExecutionRunId: runId,
      identity: req.identity,
      firstExecutionRunId: s.firstRunId,
      retryPolicy: s.retryPolicy,
      attempt: o.attempt,
      workflowExecutionExpirationTime: executionExpiresMs ? tsFromMs(executionExpiresMs) : undefined,
      firstWorkflowTaskBackoff: o.backoffMs > 0 ? durFromMs(o.backoffMs) : undefined,
      memo: s.memo,
      searchAttributes: s.searchAttributes,
      header: req.header,
      workflowId: s.workflowId,
      rootWorkflowExecution: this.execOf(parentRun ? this.rootOf(parentRun) : run),
      priority: req.priority,
    });
    this.armRunTimeouts(run);
    return run;
  }

  private rootOf(run: Run): Run {
    let r = run;
    for (let i = 0; i < 1000 && r.s.parent; i++) {
      const p = this.runs.get(r.s.parent.runId);
      if (!p) break;
      r = p;
    }
    return r;
  }

  private armRunTimeouts(run: Run): void {
    const s = run.s;
    let due = 0;
    if (s.runTimeoutMs > 0) due = s.startMs + s.runTimeoutMs;
    if (s.executionExpiresMs > 0 && (due === 0 || s.executionExpiresMs < due)) due = s.executionExpiresMs;
    if (due > 0) this.setTimer(run, 'run-timeout', due, () => this.timeoutRun(run));
  }

  private timeoutRun(run: Run): void {
    if (!this.isOpen(run)) return;
    this.flushBuffered(run);
    const retry = this.workflowRetry(run, undefined, true);
    this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, {
      retryState: retry.retryState,
      newExecutionRunId: retry.newRun?.s.runId,
    });
    this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, retry.newRun);
  }

  private scheduleFirstWft(run: Run): void {
    if (run.s.firstWftDueMs > this.now()) this.armFirstWft(run);
    else {
      run.s.firstWftDueMs = 0;
      this.ensureWft(run);
    }
  }

  private armFirstWft(run: Run): void {
    this.setTimer(run, 'first-wft', run.s.firstWftDueMs, () => {
      run.s.firstWftDueMs = 0;
      this.ensureWft(run);
      this.markDirty(run);
    });
  }

  // ---------------------------------------------------------------- workflow tasks

  private ensureWft(run: Run): void {
    if (!this.isOpen(run) || run.s.wft.state !== 'none' || run.s.firstWftDueMs > 0) return;
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
      : this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, attrs).eventId;
    s.wft = {
      ...s.wft,
      state: 'scheduled',
      scheduledEventId,
      startedEventId: 0,
      sticky,
      transient: transient ? attrs : undefined,
    };
    s.wft.scheduledMs = this.now();
    this.markDirty(run);
    this.clock.markBusy(`wft:${s.runId}`);
    this.enqueueWft(run);
  }

  /** While set, a task scheduled for this run is kept back so it can be returned in the completion response. */
  private holdWftOf: string | undefined;
  private heldWft = false;

  private enqueueWft(run: Run): void {
    const s = run.s;
    if (this.holdWftOf === s.runId || this.holdWftOf === `pending-start:${s.workflowId}`) {
      this.heldWft = true;
      return;
    }
    const sticky = s.wft.sticky && !!s.sticky;
    const task: WfTask = { kind: 'wft', runId: s.runId, scheduledEventId: s.wft.scheduledEventId, sticky };
    if (sticky && s.sticky) {
      const q = this.wfQueue(s.namespace, s.sticky.queue);
      // A sticky task nobody picks up within the timeout moves to the normal queue (worker likely gone).
      this.setTimer(run, 'sticky-timeout', this.now() + s.sticky.timeoutMs, () => this.stickyTimeout(run, task));
      q.add(task);
    } else {
      this.wfQueue(s.namespace, s.taskQueue).add(task);
    }
  }

  private stickyTimeout(run: Run, task: WfTask): void {
    const s = run.s;
    if (task.kind !== 'wft' || s.wft.state !== 'scheduled' || s.wft.scheduledEventId !== task.scheduledEventId) return;
    if (!s.wft.sticky) return;
    // Like the server: record the timeout and schedule a fresh task on the normal queue (full history).
    this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
      scheduledEventId: s.wft.scheduledEventId,
      startedEventId: 0,
      timeoutType: TT.TIMEOUT_TYPE_SCHEDULE_TO_START,
    });
    s.sticky = undefined;
    s.wft = { ...s.wft, state: 'none', sticky: false, scheduledEventId: 0, startedEventId: 0 };
    this.scheduleWft(run);
  }

  private dispatchWfTask(task: WfTask, identity: string): Obj | undefined {
    if (task.kind === 'query') return this.dispatchLegacyQuery(task.id, task.queue);
    const run = this.runs.get(task.runId);
    if (!run || !this.isOpen(run)) return undefined;
    const s = run.s;
    if (s.wft.state !== 'scheduled' || s.wft.scheduledEventId !== task.scheduledEventId) return undefined;
    if (task.sticky !== (s.wft.sticky && !!s.sticky)) return undefined;
    return this.tx(() => this.startWft(run, identity));
  }

  private startWft(run: Run, identity: string): Obj {
    const s = run.s;
    this.clearTimer(run, 'sticky-timeout');
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
          this.eventOf(
            s.wft.scheduledEventId,
            ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            s.wft.transient,
            s.wft.scheduledMs,
          ),
          this.eventOf(s.wft.scheduledEventId + 1, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, startedAttrs, this.now()),
        ]
      : [];
    if (s.wft.transient) s.wft.transientStarted = startedAttrs;
    const startedEventId = s.wft.transient
      ? s.wft.scheduledEventId + 1
      : this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, startedAttrs).eventId;
    s.wft.state = 'started';
    s.wft.startedEventId = startedEventId;
    s.wft.startedMs = this.now();
    // A transient attempt writes no event, so nothing else marks the run for the store.
    this.markDirty(run);
    const { scheduledEventId } = s.wft;
    this.setTimer(run, 'wft-timeout', this.now() + s.taskTimeoutMs, () =>
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
        const q = this.queries.get(qid);
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
      workflowExecution: this.execOf(run),
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
    const ns = this.checkNamespace(req.namespace);
    const name = requireString(req.taskQueue?.name, 'TaskQueue');
    return this.longPoll(this.wfQueue(ns, name), req.identity ?? '', ctx);
  }

  async pollActivityTaskQueue(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.checkNamespace(req.namespace);
    const name = requireString(req.taskQueue?.name, 'TaskQueue');
    return this.longPoll(this.actQueue(ns, name), req.identity ?? '', ctx);
  }

  private longPoll<T>(q: TaskQueue<T, Obj>, identity: string, ctx: CallContext): Promise<Obj> {
    if (this.stopped) return Promise.resolve({});
    return new Promise((resolve) => {
      let done = false;
      const poller = {
        identity,
        alive: () => !done && !ctx.cancelled(),
        deliver: (r: Obj) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.waitTimers.delete(timer);
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
      this.waitTimers.add(timer);
      ctx.onCancel(() => {
        q.removePoller(poller);
        poller.deliver({});
      });
    });
  }

  private wftFromToken(token: TaskToken): Run {
    if (token.k !== 'w' || !token.r) throw invalid('Task token is not a workflow task token.');
    const run = this.runs.get(token.r);
    const w = run?.s.wft;
    if (
      !run ||
      !this.isOpen(run) ||
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
    return this.tx(() => {
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
      const invalidReason = this.validateCommands(commands);
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
      this.clearTimer(run, 'wft-timeout');
      this.writeTransientWft(run);
      const completed = this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
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
        const r = this.processCommand(run, cmd, completedId, req.identity ?? '', messages, post);
        if (r === 'closed') closed = true;
        if (r === 'need-wft') needWft = true;
      }
      for (const m of messages.values()) this.processMessage(run, m, completedId);
      // Updates delivered with this task but not answered go back to waiting for the next task.
      for (const u of Object.values(s.updates)) if (u.state === 'sent') u.state = 'admitted';
      this.answerQueries(run, req.queryResults ?? {});
      this.clock.markIdle(`wft:${s.runId}`);
      if (this.isOpen(run)) {
        if (this.flushBuffered(run)) needWft = true;
        if (Object.values(s.updates).some((u) => u.state === 'admitted')) needWft = true;
        if (needWft) this.scheduleWft(run);
      }
      for (const p of post) p();
      this.dispatchWaitingQueries(run);
      const response: Obj = {};
      // Eager activities: the completing worker reserved slots for them, so hand them over in the response.
      const eager: Obj[] = [];
      for (const cmd of commands) {
        const a = cmd.scheduleActivityTaskCommandAttributes;
        if (cmd.commandType !== CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK || !a?.requestEagerExecution) continue;
        const act = Object.values(s.activities).find((x) => x.activityId === a.activityId);
        if (!act || act.state !== 'scheduled' || (a.taskQueue?.name && a.taskQueue.name !== s.taskQueue)) continue;
        const task = this.dispatchActivityTask(
          { runId: s.runId, scheduledEventId: act.scheduledEventId, attempt: act.attempt },
          req.identity ?? '',
        );
        if (task) eager.push(task);
      }
      if (eager.length > 0) response.activityTasks = eager;
      // With time skipping, skip now rather than on the next tick so the next task can ride on this response.
      this.holdWftOf = req.returnNewWorkflowTask ? s.runId : undefined;
      try {
        this.clock.skipNow();
      } finally {
        this.holdWftOf = undefined;
      }
      if (req.returnNewWorkflowTask && this.isOpen(run) && s.wft.state === 'scheduled' && s.wft.sticky && s.sticky) {
        response.workflowTask = this.startWft(run, req.identity ?? '');
      } else if (this.isOpen(run) && s.wft.state === 'scheduled' && this.heldWft) {
        this.enqueueWft(run);
      }
      this.heldWft = false;
      return response;
    });
  }

  respondWorkflowTaskFailed(req: Obj): Obj {
    return this.tx(() => {
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
    const ev = this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, scheduled);
    this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, started);
    if (ev.eventId !== w.scheduledEventId) {
      throw new Error(`transient workflow task written at ${ev.eventId}, reserved ${w.scheduledEventId}`);
    }
  }

  private failWft(run: Run, cause: number, failure: Obj | undefined, identity: string | undefined): void {
    const s = run.s;
    this.clearTimer(run, 'wft-timeout');
    // A transient attempt that fails leaves no trace in history, as in Temporal: only its attempt count grows.
    if (s.wft.transient) {
      this.retryWft(run);
      return;
    }
    this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      scheduledEventId: s.wft.scheduledEventId,
      startedEventId: s.wft.startedEventId,
      cause,
      failure,
      identity,
    });
    this.retryWft(run);
  }

  private timeoutWft(run: Run, scheduledEventId: number, startedEventId: number): void {
    const s = run.s;
    if (!this.isOpen(run) || s.wft.state !== 'started' || s.wft.scheduledEventId !== scheduledEventId) return;
    if (s.wft.transient) {
      this.retryWft(run);
      return;
    }
    this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
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
      const q = this.queries.get(qid);
      if (q && q.state === 'attached') q.state = 'waiting';
    }
    this.flushBuffered(run);
    this.clock.markIdle(`wft:${s.runId}`);
    this.scheduleWft(run);
  }

  // ---------------------------------------------------------------- commands

  private processCommand(
    run: Run,
    cmd: Obj,
    completedId: number,
    identity: string,
    messages: Map<string, Obj>,
    post: Array<() => void>,
  ): 'ok' | 'closed' | 'need-wft' {
    const s = run.s;
    switch (cmd.commandType) {
      case CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        this.scheduleActivity(run, cmd.scheduleActivityTaskCommandAttributes ?? {}, completedId);
        return 'ok';
      case CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        return this.requestCancelActivity(run, cmd.requestCancelActivityTaskCommandAttributes ?? {}, completedId);
      case CT.COMMAND_TYPE_START_TIMER: {
        const a = cmd.startTimerCommandAttributes ?? {};
        const ev = this.append(run, ET.EVENT_TYPE_TIMER_STARTED, {
          timerId: a.timerId,
          startToFireTimeout: a.startToFireTimeout,
          workflowTaskCompletedEventId: completedId,
        });
        const due = this.now() + msFromDur(a.startToFireTimeout);
        s.timers[a.timerId] = { startedEventId: ev.eventId, due };
        this.armUserTimer(run, a.timerId, due);
        return 'ok';
      }
      case CT.COMMAND_TYPE_CANCEL_TIMER: {
        const a = cmd.cancelTimerCommandAttributes ?? {};
        const t = s.timers[a.timerId];
        // A timer that fired while this task ran has its TimerFired held in the buffer; the worker has not seen it
        // and cancels the timer, so (as Temporal does) the held event is dropped and the cancel is written instead.
        const startedEventId = t ? t.startedEventId : this.takeBufferedTimerFired(run, a.timerId);
        if (startedEventId !== undefined) {
          if (t) {
            delete s.timers[a.timerId];
            this.clearTimer(run, `timer:${a.timerId}`);
          }
          this.append(run, ET.EVENT_TYPE_TIMER_CANCELED, {
            timerId: a.timerId,
            startedEventId,
            workflowTaskCompletedEventId: completedId,
            identity,
          });
        }
        return 'ok';
      }
      case CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: {
        const a = cmd.completeWorkflowExecutionCommandAttributes ?? {};
        this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
          result: a.result,
          workflowTaskCompletedEventId: completedId,
        });
        this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_COMPLETED, undefined, { result: a.result });
        return 'closed';
      }
      case CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
        const a = cmd.failWorkflowExecutionCommandAttributes ?? {};
        const retry = this.workflowRetry(run, a.failure, false);
        this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
          failure: a.failure,
          retryState: retry.retryState,
          workflowTaskCompletedEventId: completedId,
          newExecutionRunId: retry.newRun?.s.runId,
        });
        this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_FAILED, retry.newRun, { failure: a.failure });
        return 'closed';
      }
      case CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: {
        const a = cmd.cancelWorkflowExecutionCommandAttributes ?? {};
        this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, {
          details: a.details,
          workflowTaskCompletedEventId: completedId,
        });
        this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_CANCELED, undefined, { details: a.details });
        return 'closed';
      }
      case CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        this.continueAsNew(run, cmd.continueAsNewWorkflowExecutionCommandAttributes ?? {}, completedId);
        return 'closed';
      }
      case CT.COMMAND_TYPE_RECORD_MARKER: {
        const a = cmd.recordMarkerCommandAttributes ?? {};
        this.append(run, ET.EVENT_TYPE_MARKER_RECORDED, {
          markerName: a.markerName,
          details: a.details,
          header: a.header,
          failure: a.failure,
          workflowTaskCompletedEventId: completedId,
        });
        return 'ok';
      }
      case CT.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const a = cmd.upsertWorkflowSearchAttributesCommandAttributes ?? {};
        const fields = a.searchAttributes?.indexedFields ?? {};
        const merged = { ...(s.searchAttributes?.indexedFields ?? {}) };
        for (const [k, v] of Object.entries(fields)) {
          const p = v as Obj;
          if (!p.data || p.data.length === 0 || Buffer.from(p.data).toString() === 'null') delete merged[k];
          else merged[k] = p;
        }
        s.searchAttributes = { indexedFields: merged };
        this.append(run, ET.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
          searchAttributes: a.searchAttributes,
          workflowTaskCompletedEventId: completedId,
        });
        return 'ok';
      }
      case CT.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
        const a = cmd.modifyWorkflowPropertiesCommandAttributes ?? {};
        const fields = a.upsertedMemo?.fields ?? {};
        const merged = { ...(s.memo?.fields ?? {}) };
        for (const [k, v] of Object.entries(fields)) {
          const p = v as Obj;
          if (!p.data || p.data.length === 0) delete merged[k];
          else merged[k] = p;
        }
        s.memo = { fields: merged };
        this.append(run, ET.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
          upsertedMemo: a.upsertedMemo,
          workflowTaskCompletedEventId: completedId,
        });
        return 'ok';
      }
      case CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
        this.startChildCommand(run, cmd.startChildWorkflowExecutionCommandAttributes ?? {}, completedId, post);
        return 'ok';
      case CT.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        this.signalExternalCommand(run, cmd.signalExternalWorkflowExecutionCommandAttributes ?? {}, completedId, post);
        return 'ok';
      case CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        this.cancelExternalCommand(
          run,
          cmd.requestCancelExternalWorkflowExecutionCommandAttributes ?? {},
          completedId,
          post,
        );
        return 'ok';
      case CT.COMMAND_TYPE_PROTOCOL_MESSAGE: {
        const id: string = cmd.protocolMessageCommandAttributes?.messageId;
        const m = messages.get(id);
        if (m) {
          messages.delete(id);
          this.processMessage(run, m, completedId);
        }
        return 'ok';
      }
      default:
        throw invalid(`Command type ${String(cmd.commandType)} is not supported by the dev server.`);
    }
  }

  /** Checks commands before any is applied, so a bad completion fails the task without partial effects. */
  private validateCommands(commands: Obj[]): { cause: number; message: string } | undefined {
    const C = enums.WorkflowTaskFailedCause;
    for (const cmd of commands) {
      switch (cmd.commandType) {
        case CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
          const a = cmd.scheduleActivityTaskCommandAttributes ?? {};
          if (!a.activityId || !a.activityType?.name) {
            return {
              cause: C.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
              message: 'ActivityId and ActivityType are required on ScheduleActivityTaskCommand.',
            };
          }
          if (msFromDur(a.scheduleToCloseTimeout) === 0 && msFromDur(a.startToCloseTimeout) === 0) {
            return {
              cause: C.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
              message: 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.',
            };
          }
          break;
        }
        case CT.COMMAND_TYPE_START_TIMER:
          if (!cmd.startTimerCommandAttributes?.timerId) {
            return { cause: C.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, message: 'TimerId is not set.' };
          }
          break;
        case CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
          const a = cmd.startChildWorkflowExecutionCommandAttributes ?? {};
          if (!a.workflowId || !a.workflowType?.name) {
            return {
              cause: C.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
              message: 'WorkflowId and WorkflowType are required on StartChildWorkflowExecutionCommand.',
            };
          }
          break;
        }
        case CT.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION:
        case CT.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION:
          return {
            cause: C.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
            message: 'Nexus operations are not supported by the dev server.',
          };
        default:
          if (!(cmd.commandType in CT) || cmd.commandType === CT.COMMAND_TYPE_UNSPECIFIED) {
            return {
              cause: C.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
              message: `Unknown command type ${String(cmd.commandType)}.`,
            };
          }
      }
    }
    return undefined;
  }

  private armUserTimer(run: Run, timerId: string, due: number): void {
    this.setTimer(run, `timer:${timerId}`, due, () => {
      const t = run.s.timers[timerId];
      if (!t || !this.isOpen(run)) return;
      delete run.s.timers[timerId];
      this.appendOrBuffer(run, {
        events: [{ type: ET.EVENT_TYPE_TIMER_FIRED, attrs: { timerId, startedEventId: t.startedEventId } }],
      });
    });
  }

  /** Applies the workflow's own retry policy on failure/timeout: returns the new run when one is started. */
  private workflowRetry(run: Run, failure: Obj | undefined, timeout: boolean): { retryState: number; newRun?: Run } {
    const s = run.s;
    if (!s.retryPolicy) return { retryState: RS.RETRY_STATE_RETRY_POLICY_NOT_SET };
    const b = nextBackoff(s.retryPolicy, s.attempt, timeout ? undefined : failure);
    if (b.delayMs === undefined) return { retryState: b.retryState };
    if (s.executionExpiresMs > 0 && this.now() + b.delayMs >= s.executionExpiresMs) {
      return { retryState: RS.RETRY_STATE_TIMEOUT };
    }
    const newRun = this.createRun({
      ns: s.namespace,
      req: this.startRequestOf(run),
      requestId: randomUUID(),
      parent: this.parentRef(run),
      attempt: s.attempt + 1,
      firstRunId: s.firstRunId,
      continuedFrom: {
        runId: s.runId,
        initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
        failure,
      },
      backoffMs: b.delayMs,
      executionExpiresMs: s.executionExpiresMs,
    });
    newRun.s.parent = s.parent;
    this.scheduleFirstWft(newRun);
    return { retryState: RS.RETRY_STATE_IN_PROGRESS, newRun };
  }

  private parentRef(run: Run): { run: Run; initiatedEventId: number } | undefined {
    const p = run.s.parent;
    const pr = p ? this.runs.get(p.runId) : undefined;
    return p && pr ? { run: pr, initiatedEventId: p.initiatedEventId } : undefined;
  }

  private startRequestOf(run: Run): Obj {
    const s = run.s;
    return {
      namespace: s.namespace,
      workflowId: s.workflowId,
      workflowType: { name: s.workflowType },
      taskQueue: { name: s.taskQueue },
      input: s.input,
      workflowExecutionTimeout: s.executionTimeoutMs ? durFromMs(s.executionTimeoutMs) : undefined,
      workflowRunTimeout: s.runTimeoutMs ? durFromMs(s.runTimeoutMs) : undefined,
      workflowTaskTimeout: durFromMs(s.taskTimeoutMs),
      identity: s.identity,
      retryPolicy: s.retryPolicy,
      memo: s.memo,
      searchAttributes: s.searchAttributes,
      header: s.header,
    };
  }

  private continueAsNew(run: Run, a: Obj, completedId: number): void {
    const s = run.s;
    const req: Obj = {
      namespace: s.namespace,
      workflowId: s.workflowId,
      workflowType: a.workflowType?.name ? a.workflowType : { name: s.workflowType },
      taskQueue: a.taskQueue?.name ? a.taskQueue : { name: s.taskQueue },
      input: a.input,
      workflowExecutionTimeout: s.executionTimeoutMs ? durFromMs(s.executionTimeoutMs) : undefined,
      workflowRunTimeout: a.workflowRunTimeout ?? (s.runTimeoutMs ? durFromMs(s.runTimeoutMs) : undefined),
      workflowTaskTimeout: a.workflowTaskTimeout ?? durFromMs(s.taskTimeoutMs),
      identity: s.identity,
      retryPolicy: a.retryPolicy ?? s.retryPolicy,
      memo: a.memo ?? s.memo,
      searchAttributes: a.searchAttributes ?? s.searchAttributes,
      header: a.header,
    };
    const newRun = this.createRun({
      ns: s.namespace,
      req,
      requestId: randomUUID(),
      parent: this.parentRef(run),
      attempt: 1,
      firstRunId: s.firstRunId,
      continuedFrom: {
        runId: s.runId,
        initiator: a.initiator || enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
        failure: a.failure,
        lastResult: a.lastCompletionResult,
      },
      backoffMs: msFromDur(a.backoffStartInterval),
      executionExpiresMs: s.executionExpiresMs,
    });
    newRun.s.parent = s.parent;
    this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
      newExecutionRunId: newRun.s.runId,
      workflowType: req.workflowType,
      taskQueue: { name: req.taskQueue.name, kind: EMPTY_TASK_QUEUE_KIND },
      input: a.input,
      workflowRunTimeout: req.workflowRunTimeout,
      workflowTaskTimeout: req.workflowTaskTimeout,
      workflowTaskCompletedEventId: completedId,
      backoffStartInterval: a.backoffStartInterval,
      initiator: a.initiator,
      failure: a.failure,
      lastCompletionResult: a.lastCompletionResult,
      header: a.header,
      memo: req.memo,
      searchAttributes: req.searchAttributes,
    });
    this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, newRun);
    this.scheduleFirstWft(newRun);
  }

  /**
   * Marks a run closed: stops its timers and tasks, answers waiters, notifies the parent and applies parent close
   * policies to children. `next` is the run that continues it (continue-as-new or retry), if any.
   */
  private closeRun(run: Run, st: number, next: Run | undefined, result?: Obj): void {
    const s = run.s;
    s.status = st;
    s.closeMs = this.now();
    s.newRunId = next?.s.runId;
    for (const h of run.timers.values()) this.clock.cancel(h);
    run.timers.clear();
    this.clock.markIdle(`wft:${s.runId}`);
    for (const act of Object.values(s.activities)) this.clock.markIdle(`act:${s.runId}:${act.scheduledEventId}`);
    s.activities = {};
    s.timers = {};
    s.buffered = [];
    s.wft = { ...s.wft, state: 'none' };
    // Updates not yet completed: carried to the next run when there is one, failed otherwise.
    for (const u of Object.values(s.updates)) {
      if (u.state === 'completed') continue;
      if (next && u.state !== 'accepted') {
        next.s.updates[u.updateId] = { ...u, state: 'admitted' };
        delete s.updates[u.updateId];
      } else {
        u.state = 'completed';
        u.outcome = {
          failure: {
            message: 'Workflow Update failed because the Workflow completed before the Update completed.',
            source: 'Server',
            serverFailureInfo: { nonRetryable: true },
          },
        };
      }
    }
    for (const w of [...run.updateWaiters]) w();
    for (const w of [...run.historyWaiters]) w();
    this.markDirty(run);
    if (next) {
      this.markDirty(next);
      this.dispatchWaitingQueries(run);
      return;
    }
    this.notifyParent(run, st, result);
    for (const child of Object.values(s.children)) this.applyParentClosePolicy(child);
    this.dispatchWaitingQueries(run);
  }

  // ---------------------------------------------------------------- activities

  private scheduleActivity(run: Run, a: Obj, completedId: number): void {
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
    const ev = this.append(run, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
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
    const now = this.now();
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
  private resumeActivity(run: Run, act: ActivityState): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    if (act.scheduleToCloseMs > 0) {
      this.setTimer(run, `${key}:s2c`, act.scheduledMs + act.scheduleToCloseMs, () =>
        this.timeoutActivity(run, act.scheduledEventId, act.attempt, TT.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE),
      );
    }
    if (act.state === 'scheduled') {
      this.clock.markBusy(key);
      this.queueActivity(run, act);
    } else if (act.state === 'started') {
      this.clock.markBusy(key);
      this.armAttemptTimers(run, act);
    } else {
      this.armBackoff(run, act, act.attemptScheduledMs);
    }
  }

  private queueActivity(run: Run, act: ActivityState): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    if (act.scheduleToStartMs > 0) {
      this.setTimer(run, `${key}:s2s`, act.attemptScheduledMs + act.scheduleToStartMs, () =>
        this.timeoutActivity(run, act.scheduledEventId, act.attempt, TT.TIMEOUT_TYPE_SCHEDULE_TO_START),
      );
    }
    this.actQueue(run.s.namespace, act.taskQueue).add({
      runId: run.s.runId,
      scheduledEventId: act.scheduledEventId,
      attempt: act.attempt,
    });
  }

  private armAttemptTimers(run: Run, act: ActivityState): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    const attempt = act.attempt;
    this.setTimer(run, `${key}:s2c-attempt`, act.startedMs + act.startToCloseMs, () =>
      this.timeoutActivity(run, act.scheduledEventId, attempt, TT.TIMEOUT_TYPE_START_TO_CLOSE),
    );
    if (act.heartbeatMs > 0) {
      const last = Math.max(act.startedMs, act.lastHeartbeatMs);
      this.setTimer(run, `${key}:hb`, last + act.heartbeatMs, () =>
        this.timeoutActivity(run, act.scheduledEventId, attempt, TT.TIMEOUT_TYPE_HEARTBEAT),
      );
    }
  }

  private armBackoff(run: Run, act: ActivityState, due: number): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    // While waiting out the backoff nothing is outstanding, so time skipping may jump to the retry.
    this.clock.markIdle(key);
    this.setTimer(run, `${key}:backoff`, due, () => {
      const cur = run.s.activities[String(act.scheduledEventId)];
      if (cur !== act || act.state !== 'backoff' || !this.isOpen(run)) return;
      act.state = 'scheduled';
      this.clock.markBusy(key);
      this.markDirty(run);
      this.queueActivity(run, act);
    });
  }

  private clearActivityTimers(run: Run, act: ActivityState): void {
    const key = `act:${run.s.runId}:${act.scheduledEventId}`;
    for (const suffix of ['s2c', 's2s', 's2c-attempt', 'hb', 'backoff']) this.clearTimer(run, `${key}:${suffix}`);
  }

  private dispatchActivityTask(t: ActTask, identity: string): Obj | undefined {
    if ('standalone' in t) return this.standalone.dispatch(t, identity);
    const run = this.runs.get(t.runId);
    if (!run || !this.isOpen(run)) return undefined;
    const act = run.s.activities[String(t.scheduledEventId)];
    if (!act || act.state !== 'scheduled' || act.attempt !== t.attempt) return undefined;
    return this.tx(() => {
      const s = run.s;
      const key = `act:${s.runId}:${act.scheduledEventId}`;
      this.clearTimer(run, `${key}:s2s`);
      act.state = 'started';
      act.startedMs = this.now();
      act.lastHeartbeatMs = 0;
      act.startedIdentity = identity;
      act.lastWorkerIdentity = identity;
      act.startedRequestId = randomUUID();
      this.armAttemptTimers(run, act);
      this.markDirty(run);
      return {
        taskToken: encodeToken({ k: 'a', r: s.runId, s: act.scheduledEventId, a: act.attempt }),
        workflowNamespace: s.namespace,
        workflowType: { name: s.workflowType },
        workflowExecution: this.execOf(run),
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
    const run = this.runs.get(token.r);
    const act = run?.s.activities[String(token.s)];
    if (!run || !act || !this.isOpen(run) || act.attempt !== token.a || act.state !== 'started') {
      throw notFound('Activity task not found.');
    }
    return { run, act };
  }

  private activityById(req: Obj): { run: Run; act: ActivityState } {
    const ns = this.checkNamespace(req.namespace);
    const run = this.findOpenRun(ns, { workflowId: req.workflowId, runId: req.runId });
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
    this.clock.markIdle(`act:${s.runId}:${act.scheduledEventId}`);
    const close = { type: closeType, attrs: { ...attrs, scheduledEventId: act.scheduledEventId } };
    if (act.state === 'started') {
      this.appendOrBuffer(run, { events: [this.startedEvent(act), close], linkStarted: true });
    } else {
      this.appendOrBuffer(run, { events: [{ type: closeType, attrs: { ...close.attrs, startedEventId: 0 } }] });
    }
  }

  respondActivityTaskCompleted(req: Obj, byId = false): Obj {
    return this.tx(() => {
      const token = byId ? undefined : decodeToken(req.taskToken);
      if (token?.k === 's') return this.standalone.completed(token, req);
      const { run, act } = token ? this.activityFromToken(token) : this.activityById(req);
      this.finishActivity(run, act, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
        result: req.result,
        identity: req.identity,
      });
      return {};
    });
  }

  respondActivityTaskFailed(req: Obj, byId = false): Obj {
    return this.tx(() => {
      const token = byId ? undefined : decodeToken(req.taskToken);
      if (token?.k === 's') return this.standalone.failed(token, req);
      const { run, act } = token ? this.activityFromToken(token) : this.activityById(req);
      if (req.lastHeartbeatDetails) act.heartbeatDetails = req.lastHeartbeatDetails;
      this.failActivityAttempt(run, act, req.failure, req.identity, false);
      return { failures: [] };
    });
  }

  respondActivityTaskCanceled(req: Obj, byId = false): Obj {
    return this.tx(() => {
      const token = byId ? undefined : decodeToken(req.taskToken);
      if (token?.k === 's') return this.standalone.canceled(token, req);
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
    return this.tx(() => {
      const token = byId ? undefined : decodeToken(req.taskToken);
      if (token?.k === 's') return this.standalone.heartbeat(token, req);
      const { run, act } = token ? this.activityFromToken(token) : this.activityById(req);
      act.heartbeatDetails = req.details;
      act.lastHeartbeatMs = this.now();
      if (act.heartbeatMs > 0) {
        const key = `act:${run.s.runId}:${act.scheduledEventId}`;
        const attempt = act.attempt;
        this.setTimer(run, `${key}:hb`, act.lastHeartbeatMs + act.heartbeatMs, () =>
          this.timeoutActivity(run, act.scheduledEventId, attempt, TT.TIMEOUT_TYPE_HEARTBEAT),
        );
      }
      this.markDirty(run);
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
    const now = this.now();
    const deadline = act.scheduleToCloseMs > 0 ? act.scheduledMs + act.scheduleToCloseMs : 0;
    const canRetry = b.delayMs !== undefined && !act.cancelRequested && (deadline === 0 || now + b.delayMs < deadline);
    if (canRetry) {
      const key = `act:${run.s.runId}:${act.scheduledEventId}`;
      this.clearTimer(run, `${key}:s2c-attempt`);
      this.clearTimer(run, `${key}:hb`);
      act.lastFailure = failure;
      act.attempt++;
      act.state = 'backoff';
      act.attemptScheduledMs = now + (b.delayMs as number);
      act.startedMs = 0;
      this.markDirty(run);
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
    if (!act || !this.isOpen(run)) return;
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

  private requestCancelActivity(run: Run, a: Obj, completedId: number): 'ok' | 'need-wft' {
    const act = run.s.activities[String(a.scheduledEventId)];
    if (!act) return 'ok';
    const ev = this.append(run, ET.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
      scheduledEventId: act.scheduledEventId,
      workflowTaskCompletedEventId: completedId,
    });
    act.cancelRequested = true;
    act.cancelRequestedEventId = ev.eventId;
    if (act.state !== 'started') {
      // Not running anywhere: cancel at once, the workflow learns it in its next task.
      this.clearActivityTimers(run, act);
      delete run.s.activities[String(act.scheduledEventId)];
      this.clock.markIdle(`act:${run.s.runId}:${act.scheduledEventId}`);
      this.append(run, ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
        scheduledEventId: act.scheduledEventId,
        latestCancelRequestedEventId: ev.eventId,
        startedEventId: 0,
      });
      return 'need-wft';
    }
    return 'ok';
  }

  // ---------------------------------------------------------------- children and external workflows

  private startChildCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void {
    const s = run.s;
    const ns: string = a.namespace || s.namespace;
    const taskQueue = a.taskQueue?.name ? a.taskQueue : { name: s.taskQueue };
    const ev = this.append(run, ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      namespace: ns,
      workflowId: a.workflowId,
      workflowType: a.workflowType,
      taskQueue: { name: taskQueue.name, kind: EMPTY_TASK_QUEUE_KIND },
      input: a.input,
      workflowExecutionTimeout: a.workflowExecutionTimeout,
      workflowRunTimeout: a.workflowRunTimeout,
      workflowTaskTimeout: a.workflowTaskTimeout,
      parentClosePolicy: a.parentClosePolicy,
      control: a.control,
      workflowTaskCompletedEventId: completedId,
      workflowIdReusePolicy: a.workflowIdReusePolicy,
      retryPolicy: a.retryPolicy,
      cronSchedule: a.cronSchedule,
      header: a.header,
      memo: a.memo,
      searchAttributes: a.searchAttributes,
      priority: a.priority,
    });
    const initiatedEventId: number = ev.eventId;
    post.push(() => {
      if (!this.isOpen(run)) return;
      try {
        const { run: child, started } = this.startInternal(
          {
            namespace: ns,
            workflowId: a.workflowId,
            workflowType: a.workflowType,
            taskQueue,
            input: a.input,
            workflowExecutionTimeout: a.workflowExecutionTimeout,
            workflowRunTimeout: a.workflowRunTimeout,
            workflowTaskTimeout: a.workflowTaskTimeout,
            identity: s.identity,
            requestId: randomUUID(),
            workflowIdReusePolicy: a.workflowIdReusePolicy,
            retryPolicy: a.retryPolicy,
            memo: a.memo,
            searchAttributes: a.searchAttributes,
            header: a.header,
          },
          undefined,
          { run, initiatedEventId },
        );
        if (!started) throw new Error('not started');
        s.children[String(initiatedEventId)] = {
          initiatedEventId,
          startedEventId: 0,
          namespace: ns,
          workflowId: child.s.workflowId,
          runId: child.s.runId,
          workflowType: child.s.workflowType,
          parentClosePolicy: a.parentClosePolicy ?? 0,
        };
        this.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
              attrs: {
                namespace: ns,
                initiatedEventId,
                workflowExecution: this.execOf(child),
                workflowType: a.workflowType,
                header: a.header,
              },
            },
          ],
        });
        this.markChildStarted(run, initiatedEventId);
      } catch (err) {
        if (err instanceof RpcError && err.code !== status.ALREADY_EXISTS)
          this.log(`child start failed: ${err.message}`);
        this.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
              attrs: {
                namespace: ns,
                workflowId: a.workflowId,
                workflowType: a.workflowType,
                cause:
                  enums.StartChildWorkflowExecutionFailedCause
                    .START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
                control: a.control,
                initiatedEventId,
              },
            },
          ],
        });
      }
    });
  }

  /** The started event id is only known once written (it may have been buffered); look it up lazily. */
  private markChildStarted(run: Run, initiatedEventId: number): void {
    const child = run.s.children[String(initiatedEventId)];
    if (!child) return;
    const ev = run
      .slice(initiatedEventId)
      .find(
        (e) =>
          e.eventType === ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED &&
          eventAttributes(e).initiatedEventId === initiatedEventId,
      );
    if (ev) child.startedEventId = ev.eventId;
  }

  private notifyParent(run: Run, st: number, result?: Obj): void {
    const p = run.s.parent;
    if (!p) return;
    const parent = this.runs.get(p.runId);
    if (!parent || !this.isOpen(parent)) return;
    const child = parent.s.children[String(p.initiatedEventId)];
    if (!child) return;
    this.markChildStarted(parent, p.initiatedEventId);
    delete parent.s.children[String(p.initiatedEventId)];
    const base = {
      namespace: run.s.namespace,
      workflowExecution: { workflowId: run.s.workflowId, runId: run.s.runId },
      workflowType: { name: run.s.workflowType },
      initiatedEventId: p.initiatedEventId,
      // -1: resolved when written, since the started event may still be buffered in the parent.
      startedEventId: child.startedEventId || -1,
    };
    let type: number;
    let attrs: Obj;
    switch (st) {
      case WS.WORKFLOW_EXECUTION_STATUS_COMPLETED:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED;
        attrs = { ...base, result: result?.result };
        break;
      case WS.WORKFLOW_EXECUTION_STATUS_FAILED:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED;
        attrs = { ...base, failure: result?.failure, retryState: RS.RETRY_STATE_NON_RETRYABLE_FAILURE };
        break;
      case WS.WORKFLOW_EXECUTION_STATUS_CANCELED:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED;
        attrs = { ...base, details: result?.details };
        break;
      case WS.WORKFLOW_EXECUTION_STATUS_TERMINATED:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED;
        attrs = base;
        break;
      default:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT;
        attrs = { ...base, retryState: RS.RETRY_STATE_TIMEOUT };
    }
    this.appendOrBuffer(parent, { events: [{ type, attrs }] });
  }

  private applyParentClosePolicy(child: {
    workflowId: string;
    runId: string;
    namespace: string;
    parentClosePolicy: number;
  }): void {
    const P = enums.ParentClosePolicy;
    const policy = child.parentClosePolicy || P.PARENT_CLOSE_POLICY_TERMINATE;
    if (policy === P.PARENT_CLOSE_POLICY_ABANDON) return;
    const target = this.currentRun(child.namespace, child.workflowId);
    if (!target || !this.isOpen(target) || target.s.firstRunId !== this.runs.get(child.runId)?.s.firstRunId) return;
    if (policy === P.PARENT_CLOSE_POLICY_TERMINATE) {
      this.terminateRun(target, 'by parent close policy', undefined, '');
    } else {
      this.requestCancelRun(target, 'by parent close policy', '', undefined);
    }
  }

  private signalExternalCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void {
    const ns: string = a.namespace || run.s.namespace;
    const ev = this.append(run, ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      namespace: ns,
      workflowExecution: a.execution,
      signalName: a.signalName,
      input: a.input,
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      header: a.header,
      workflowTaskCompletedEventId: completedId,
    });
    const initiatedEventId: number = ev.eventId;
    post.push(() => {
      let target: Run | undefined;
      try {
        target = this.findOpenRun(ns, a.execution);
      } catch {
        target = undefined;
      }
      if (target) {
        this.signalRun(target, {
          signalName: a.signalName,
          input: a.input,
          header: a.header,
          identity: '',
          externalWorkflowExecution: this.execOf(run),
        });
        this.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
              attrs: {
                initiatedEventId,
                namespace: ns,
                workflowExecution: this.execOf(target),
                control: a.control,
              },
            },
          ],
        });
      } else {
        this.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
              attrs: {
                cause:
                  enums.SignalExternalWorkflowExecutionFailedCause
                    .SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
                workflowTaskCompletedEventId: completedId,
                namespace: ns,
                workflowExecution: a.execution,
                initiatedEventId,
                control: a.control,
              },
            },
          ],
        });
      }
    });
  }

  private cancelExternalCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void {
    const ns: string = a.namespace || run.s.namespace;
    const execution = { workflowId: a.workflowId, runId: a.runId };
    const ev = this.append(run, ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      namespace: ns,
      workflowExecution: execution,
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      reason: a.reason,
      workflowTaskCompletedEventId: completedId,
    });
    const initiatedEventId: number = ev.eventId;
    post.push(() => {
      let target: Run | undefined;
      try {
        target = this.findOpenRun(ns, execution);
      } catch {
        target = undefined;
      }
      if (target) {
        this.requestCancelRun(target, a.reason ?? '', '', { run, initiatedEventId });
        this.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
              attrs: { initiatedEventId, namespace: ns, workflowExecution: this.execOf(target) },
            },
          ],
        });
      } else {
        this.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
              attrs: {
                cause:
                  enums.CancelExternalWorkflowExecutionFailedCause
                    .CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
                workflowTaskCompletedEventId: completedId,
                namespace: ns,
                workflowExecution: execution,
                initiatedEventId,
                control: a.control,
              },
            },
          ],
        });
      }
    });
  }

  // ---------------------------------------------------------------- signals, cancel, terminate

  private signalRun(run: Run, sig: Obj): void {
    this.appendOrBuffer(run, {
      events: [
        {
          type: ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
          attrs: {
            signalName: sig.signalName,
            input: sig.input,
            identity: sig.identity,
            header: sig.header,
            externalWorkflowExecution: sig.externalWorkflowExecution,
          },
        },
      ],
    });
  }

  /** Request IDs dedup client retries; only recent ones matter, so the list is bounded (the start's stays first). */
  private rememberRequestId(run: Run, requestId: string): void {
    const ids = run.s.requestIds;
    ids.push(requestId);
    if (ids.length > 100) ids.splice(1, ids.length - 100);
  }

  signalWorkflowExecution(req: Obj): Obj {
    return this.tx(() => {
      const ns = this.checkNamespace(req.namespace);
      requireString(req.signalName, 'SignalName');
      const run = this.findOpenRun(ns, req.workflowExecution);
      if (req.requestId) {
        if (run.s.requestIds.includes(req.requestId)) return {};
        this.rememberRequestId(run, req.requestId);
      }
      this.signalRun(run, req);
      return {};
    });
  }

  signalWithStartWorkflowExecution(req: Obj): Obj {
    return this.tx(() => {
      const ns = this.checkNamespace(req.namespace);
      requireString(req.signalName, 'SignalName');
      this.validateStart(req);
      const signal = { signalName: req.signalName, input: req.signalInput, identity: req.identity, header: req.header };
      const existing = this.currentRun(ns, req.workflowId);
      const P = enums.WorkflowIdConflictPolicy;
      if (
        existing &&
        this.isOpen(existing) &&
        req.workflowIdConflictPolicy !== P.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
      ) {
        if (req.workflowIdConflictPolicy === P.WORKFLOW_ID_CONFLICT_POLICY_FAIL) {
          throw this.alreadyStarted(existing, req.requestId ?? '');
        }
        if (req.requestId && existing.s.requestIds.includes(req.requestId))
          return { runId: existing.s.runId, started: false };
        if (req.requestId) this.rememberRequestId(existing, req.requestId);
        this.signalRun(existing, signal);
        return { runId: existing.s.runId, started: false };
      }
      const { run, started } = this.startInternal(
        {
          ...req,
          workflowIdConflictPolicy: req.workflowIdConflictPolicy || P.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
        },
        signal,
      );
      return { runId: run.s.runId, started };
    });
  }

  private requestCancelRun(
    run: Run,
    reason: string,
    identity: string,
    external: { run: Run; initiatedEventId: number } | undefined,
  ): void {
    if (run.s.cancelRequested) return;
    run.s.cancelRequested = true;
    this.appendOrBuffer(run, {
      events: [
        {
          type: ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
          attrs: {
            cause: reason,
            identity,
            externalInitiatedEventId: external?.initiatedEventId,
            externalWorkflowExecution: external ? this.execOf(external.run) : undefined,
          },
        },
      ],
    });
  }

  requestCancelWorkflowExecution(req: Obj): Obj {
    return this.tx(() => {
      const ns = this.checkNamespace(req.namespace);
      const run = this.findOpenRun(ns, req.workflowExecution);
      if (req.firstExecutionRunId && run.s.firstRunId !== req.firstExecutionRunId) {
        throw notFound('workflow execution not found for the given first execution run ID');
      }
      this.requestCancelRun(run, req.reason ?? '', req.identity ?? '', undefined);
      return {};
    });
  }

  private terminateRun(run: Run, reason: string, details: Obj | undefined, identity: string): void {
    this.clearTimer(run, 'wft-timeout');
    this.flushBuffered(run);
    this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, { reason, details, identity });
    this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_TERMINATED, undefined);
  }

  terminateWorkflowExecution(req: Obj): Obj {
    return this.tx(() => {
      const ns = this.checkNamespace(req.namespace);
      const run = this.findOpenRun(ns, req.workflowExecution);
      if (req.firstExecutionRunId && run.s.firstRunId !== req.firstExecutionRunId) {
        throw notFound('workflow execution not found for the given first execution run ID');
      }
      this.terminateRun(run, req.reason ?? '', req.details, req.identity ?? '');
      return {};
    });
  }

  deleteWorkflowExecution(req: Obj): Obj {
    return this.tx(() => {
      const ns = this.checkNamespace(req.namespace);
      const run = this.findRun(ns, req.workflowExecution);
      if (this.isOpen(run)) this.terminateRun(run, 'deleted', undefined, '');
      this.runs.delete(run.s.runId);
      const key = `${ns}\u0000${run.s.workflowId}`;
      if (this.current.get(key) === run.s.runId) this.current.delete(key);
      this.store?.deleteRun(run.s.runId, ns, run.s.workflowId);
      return {};
    });
  }

  // ---------------------------------------------------------------- history

  async getWorkflowExecutionHistory(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.checkNamespace(req.namespace);
    let run = this.findRun(ns, req.execution);
    const closeOnly = req.historyEventFilterType === enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
    const pageSize = req.maximumPageSize > 0 ? req.maximumPageSize : 1000;
    let from = 0;
    if (req.nextPageToken && req.nextPageToken.length > 0) {
      try {
        const t = JSON.parse(Buffer.from(req.nextPageToken).toString('utf8')) as { r: string; n: number };
        const r = this.runs.get(t.r);
        if (r) run = r;
        from = t.n;
      } catch {
        throw invalid('Invalid NextPageToken.');
      }
    }
    const deadline = Date.now() + WAIT_POLL_MS;
    for (;;) {
      const r = this.runs.get(run.s.runId) ?? run;
      const closed = !this.isOpen(r);
      if (closeOnly) {
        if (closed) {
          const last = r.lastEvent();
          return { history: { events: last ? [last] : [] }, archived: false };
        }
      } else if (r.size() > from || !req.waitNewEvent || closed) {
        const events = r.slice(from, from + pageSize);
        const next = from + events.length;
        const more = next < r.size() || (req.waitNewEvent && !closed);
        return {
          history: { events },
          nextPageToken: more ? Buffer.from(JSON.stringify({ r: r.s.runId, n: next })) : undefined,
          archived: false,
        };
      }
      if (!req.waitNewEvent) return { history: { events: [] } };
      const remaining = deadline - Date.now();
      if (remaining <= 0 || ctx.cancelled() || this.stopped) {
        return {
          history: { events: [] },
          nextPageToken: Buffer.from(JSON.stringify({ r: r.s.runId, n: from })),
        };
      }
      await this.waitFor(remaining, ctx, (wake) => {
        // A caller waiting for the close event (the client's `result()`) is not woken by every event before it.
        const waiter = closeOnly ? () => !this.isOpen(r) && wake() : wake;
        r.historyWaiters.add(waiter);
        return () => r.historyWaiters.delete(waiter);
      });
    }
  }

  getWorkflowExecutionHistoryReverse(req: Obj): Obj {
    const ns = this.checkNamespace(req.namespace);
    const run = this.findRun(ns, req.execution);
    const pageSize = req.maximumPageSize > 0 ? req.maximumPageSize : 1000;
    let end = run.size();
    if (req.nextPageToken && req.nextPageToken.length > 0) end = Number(Buffer.from(req.nextPageToken).toString());
    const start = Math.max(0, end - pageSize);
    const events = run.slice(start, end).reverse();
    return { history: { events }, nextPageToken: start > 0 ? Buffer.from(String(start)) : undefined };
  }

  // ---------------------------------------------------------------- describe / list

  private executionInfo(run: Run): Obj {
    const s = run.s;
    return {
      execution: this.execOf(run),
      type: { name: s.workflowType },
      startTime: tsFromMs(s.startMs),
      closeTime: s.closeMs ? tsFromMs(s.closeMs) : undefined,
      status: s.status,
      historyLength: run.size(),
      parentNamespaceId: s.parent ? this.namespaces.get(s.parent.namespace)?.namespaceInfo.id : undefined,
      parentExecution: s.parent ? { workflowId: s.parent.workflowId, runId: s.parent.runId } : undefined,
      executionTime: tsFromMs(s.executionMs),
      memo: s.memo ?? { fields: {} },
      searchAttributes: s.searchAttributes ?? { indexedFields: {} },
      taskQueue: s.taskQueue,
      stateTransitionCount: s.stateTransitions,
      historySizeBytes: 0,
      rootExecution: this.execOf(this.rootOf(run)),
      firstRunId: s.firstRunId,
      executionDuration: s.closeMs ? durFromMs(s.closeMs - s.executionMs) : undefined,
    };
  }

  describeWorkflowExecution(req: Obj): Obj {
    const ns = this.checkNamespace(req.namespace);
    const run = this.findRun(ns, req.execution);
    const s = run.s;
    const A = enums.PendingActivityState;
    return {
      executionConfig: {
        taskQueue: { name: s.taskQueue, kind: EMPTY_TASK_QUEUE_KIND },
        workflowExecutionTimeout: durFromMs(s.executionTimeoutMs),
        workflowRunTimeout: durFromMs(s.runTimeoutMs),
        defaultWorkflowTaskTimeout: durFromMs(s.taskTimeoutMs),
      },
      workflowExecutionInfo: this.executionInfo(run),
      pendingActivities: Object.values(s.activities).map((a) => ({
        activityId: a.activityId,
        activityType: { name: a.activityType },
        state: a.cancelRequested
          ? A.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
          : a.state === 'started'
            ? A.PENDING_ACTIVITY_STATE_STARTED
            : A.PENDING_ACTIVITY_STATE_SCHEDULED,
        heartbeatDetails: a.heartbeatDetails,
        lastHeartbeatTime: a.lastHeartbeatMs ? tsFromMs(a.lastHeartbeatMs) : undefined,
        lastStartedTime: a.startedMs ? tsFromMs(a.startedMs) : undefined,
        attempt: a.attempt,
        maximumAttempts: num(a.retryPolicy.maximumAttempts),
        scheduledTime: tsFromMs(a.attemptScheduledMs),
        expirationTime: a.scheduleToCloseMs ? tsFromMs(a.scheduledMs + a.scheduleToCloseMs) : undefined,
        lastFailure: a.lastFailure,
        lastWorkerIdentity: a.lastWorkerIdentity,
      })),
      pendingChildren: Object.values(s.children).map((c) => ({
        workflowId: c.workflowId,
        runId: c.runId,
        workflowTypeName: c.workflowType,
        initiatedId: c.initiatedEventId,
        parentClosePolicy: c.parentClosePolicy,
      })),
      pendingWorkflowTask:
        s.wft.state !== 'none'
          ? {
              state:
                s.wft.state === 'started'
                  ? enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
                  : enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
              scheduledTime: tsFromMs(s.wft.scheduledMs),
              startedTime: s.wft.startedMs ? tsFromMs(s.wft.startedMs) : undefined,
              attempt: s.wft.attempt,
            }
          : undefined,
    };
  }

  private visibilityRecord(run: Run): Record<string, unknown> {
    const s = run.s;
    const rec: Record<string, unknown> = {
      WorkflowType: s.workflowType,
      WorkflowId: s.workflowId,
      RunId: s.runId,
      ExecutionStatus: statusName(s.status),
      StartTime: s.startMs,
      ExecutionTime: s.executionMs,
      CloseTime: s.closeMs || undefined,
      TaskQueue: s.taskQueue,
      HistoryLength: run.size(),
    };
    for (const [k, p] of Object.entries(s.searchAttributes?.indexedFields ?? {})) {
      try {
        rec[k] = JSON.parse(Buffer.from((p as Obj).data ?? []).toString('utf8'));
      } catch {
        rec[k] = undefined;
      }
    }
    return rec;
  }

  private matching(ns: string, query: string): Run[] {
    let node: QueryNode | undefined;
    try {
      node = parseQuery(query);
    } catch (err) {
      throw invalid(`invalid query: ${(err as Error).message}`);
    }
    const out: Run[] = [];
    for (const run of this.runs.values()) {
      if (run.s.namespace !== ns) continue;
      if (!node || matchesQuery(node, this.visibilityRecord(run))) out.push(run);
    }
    out.sort((a, b) => b.s.startMs - a.s.startMs);
    return out;
  }

  listWorkflowExecutions(req: Obj): Obj {
    const ns = this.checkNamespace(req.namespace);
    const all = this.matching(ns, req.query ?? '');
    const pageSize = req.pageSize > 0 ? req.pageSize : 1000;
    const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString()) : 0;
    const page = all.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return {
      executions: page.map((r) => this.executionInfo(r)),
      nextPageToken: next < all.length ? Buffer.from(String(next)) : undefined,
    };
  }

  listOpenOrClosed(req: Obj, open: boolean): Obj {
    const ns = this.checkNamespace(req.namespace);
    const runs = this.matching(ns, '').filter((r) => this.isOpen(r) === open);
    return { executions: runs.map((r) => this.executionInfo(r)) };
  }

  countWorkflowExecutions(req: Obj): Obj {
    const ns = this.checkNamespace(req.namespace);
    let query: string = req.query ?? '';
    const groupBy = /\s*group\s+by\s+ExecutionStatus\s*$/i;
    if (groupBy.test(query)) {
      query = query.replace(groupBy, '');
      const runs = this.matching(ns, query);
      const groups = new Map<string, number>();
      for (const r of runs) groups.set(statusName(r.s.status), (groups.get(statusName(r.s.status)) ?? 0) + 1);
      return {
        count: runs.length,
        groups: [...groups.entries()].map(([k, v]) => ({
          groupValues: [
            {
              metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
              data: Buffer.from(JSON.stringify(k)),
            },
          ],
          count: v,
        })),
      };
    }
    return { count: this.matching(ns, query).length };
  }

  // ---------------------------------------------------------------- queries

  async queryWorkflow(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.checkNamespace(req.namespace);
    const run = this.findRun(ns, req.execution);
    if (!req.query?.queryType) throw invalid('QueryType is not set on request.');
    const R = enums.QueryRejectCondition;
    const cond: number = req.queryRejectCondition ?? 0;
    if (
      (cond === R.QUERY_REJECT_CONDITION_NOT_OPEN && !this.isOpen(run)) ||
      (cond === R.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY &&
        !this.isOpen(run) &&
        run.s.status !== WS.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    ) {
      return { queryRejected: { status: run.s.status } };
    }
    return new Promise<Obj>((resolve, reject) => {
      const id = randomUUID();
      const q: PendingQuery = { id, runId: run.s.runId, query: req.query, state: 'waiting', resolve, reject };
      this.queries.set(id, q);
      run.queryIds.push(id);
      ctx.onCancel(() => this.dropQuery(id));
      this.dispatchWaitingQueries(run);
    });
  }

  private dropQuery(id: string): void {
    const q = this.queries.get(id);
    if (!q) return;
    this.queries.delete(id);
    const run = this.runs.get(q.runId);
    if (run) run.queryIds = run.queryIds.filter((x) => x !== id);
  }

  /** Hands waiting queries out as standalone query tasks when no workflow task is in flight. */
  private dispatchWaitingQueries(run: Run): void {
    if (run.queryIds.length === 0) return;
    const s = run.s;
    const open = this.isOpen(run);
    // Queries wait for the first workflow task to complete (the worker cannot answer earlier) and for any task in
    // flight, whose completion they must observe.
    if (open && (!s.firstWftCompleted || s.wft.state === 'started')) return;
    if (open && s.wft.state === 'scheduled') return; // attached to that task when it is dispatched
    if (!open && !s.firstWftCompleted) {
      for (const id of [...run.queryIds]) {
        this.queries
          .get(id)
          ?.reject(new RpcError(status.FAILED_PRECONDITION, 'Workflow closed before a worker started it.'));
        this.dropQuery(id);
      }
      return;
    }
    for (const id of run.queryIds) {
      const q = this.queries.get(id);
      if (!q || q.state !== 'waiting') continue;
      q.state = 'dispatched';
      const sticky = open ? s.sticky : undefined;
      if (sticky) {
        // A sticky worker that died without ShutdownWorker never polls again: fall back to the normal queue.
        const timer = setTimeout(() => {
          this.waitTimers.delete(timer);
          const cur = this.queries.get(id);
          if (cur && cur.state === 'dispatched') {
            this.wfQueue(s.namespace, s.taskQueue).add({ kind: 'query', id, queue: s.taskQueue });
          }
        }, sticky.timeoutMs);
        this.waitTimers.add(timer);
      }
      const queue = sticky ? sticky.queue : s.taskQueue;
      this.wfQueue(s.namespace, queue).add({ kind: 'query', id, queue });
    }
  }

  private dispatchLegacyQuery(id: string, queueName: string): Obj | undefined {
    const q = this.queries.get(id);
    if (!q || q.state !== 'dispatched') return undefined;
    const run = this.runs.get(q.runId);
    if (!run) return undefined;
    q.state = 'picked';
    const s = run.s;
    // Partial history only for the sticky worker that holds the run in its cache.
    const sticky = this.isOpen(run) && !!s.sticky && queueName === s.sticky.queue;
    return {
      taskToken: encodeToken({ k: 'q', q: id }),
      workflowExecution: this.execOf(run),
      workflowType: { name: s.workflowType },
      previousStartedEventId: s.lastCompletedStartedEventId,
      startedEventId: s.lastCompletedStartedEventId,
      history: { events: run.slice(sticky ? s.lastCompletedStartedEventId : 0) },
      query: q.query,
      workflowExecutionTaskQueue: { name: s.taskQueue, kind: EMPTY_TASK_QUEUE_KIND },
      attempt: 1,
    };
  }

  respondQueryTaskCompleted(req: Obj): Obj {
    const token = decodeToken(req.taskToken);
    if (token.k !== 'q' || !token.q) throw invalid('Task token is not a query task token.');
    const q = this.queries.get(token.q);
    if (!q) throw notFound('Query not found (it may have timed out).');
    this.dropQuery(q.id);
    if (req.completedType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED)
      q.resolve({ queryResult: req.queryResult });
    else q.reject(invalid(req.errorMessage || 'query failed'));
    return {};
  }

  private answerQueries(run: Run, results: Obj): void {
    for (const [id, r] of Object.entries(results)) {
      const q = this.queries.get(id);
      if (!q) continue;
      this.dropQuery(id);
      const res = r as Obj;
      if (res.resultType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED) q.resolve({ queryResult: res.answer });
      else q.reject(invalid(res.errorMessage || 'query failed'));
    }
    // Attached but unanswered queries wait for the next opportunity.
    for (const id of run.queryIds) {
      const q = this.queries.get(id);
      if (q && q.state === 'attached') q.state = 'waiting';
    }
  }

  // ---------------------------------------------------------------- updates

  private processMessage(run: Run, m: Obj, completedId: number): void {
    const body = unpackAny(m.body);
    if (!body) return;
    const s = run.s;
    const updateId: string = m.protocolInstanceId;
    const u = s.updates[updateId];
    switch (body.typeName) {
      case 'temporal.api.update.v1.Acceptance': {
        if (!u) return;
        const ev = this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
          protocolInstanceId: updateId,
          acceptedRequestMessageId: body.value.acceptedRequestMessageId,
          acceptedRequestSequencingEventId: body.value.acceptedRequestSequencingEventId,
          acceptedRequest: u.request,
        });
        // The request is in the accepted event now; the run's state need not carry it (it is saved at every change).
        // A new record rather than `delete`: an object that lost a property is kept in V8's slow dictionary form
        // (~0.5 KB each; hundreds a minute in the soak).
        s.updates[updateId] = { updateId, state: 'accepted', acceptedEventId: ev.eventId };
        break;
      }
      case 'temporal.api.update.v1.Rejection': {
        if (!u) return;
        // Rejected updates leave no trace in history, like on the real server.
        delete s.updates[updateId];
        this.rememberRejected(`${s.runId}/${updateId}`, {
          updateId,
          state: 'completed',
          acceptedEventId: 0,
          outcome: { failure: body.value.failure },
        });
        break;
      }
      case 'temporal.api.update.v1.Response': {
        if (!u) return;
        const ev = this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
          meta: body.value.meta ?? { updateId },
          acceptedEventId: u.acceptedEventId,
          outcome: body.value.outcome,
        });
        // What a completed update keeps is where its outcome is (as the real server's mutable state does): a retried
        // request with the same ID reads it from the event. Keeping outcomes and requests in the state made a
        // long-lived run's state (saved whole at every change) grow with every decision.
        s.updates[updateId] = {
          updateId,
          state: 'completed',
          acceptedEventId: u.acceptedEventId,
          completedEventId: ev.eventId,
        };
        break;
      }
      default:
        this.log(`ignoring protocol message of type ${body.typeName} (completion ${completedId})`);
    }
    this.markDirty(run);
    for (const w of [...run.updateWaiters]) w();
  }

  /**
   * Rejected updates are remembered in memory only, so a retried request with the same ID gets the same answer: the
   * most recent REJECTED_UPDATES_KEPT of them (a client retries within seconds; an unbounded map grew with every
   * refused decision).
   */
  private readonly rejectedUpdates = new Map<string, UpdateState>();

  private rememberRejected(key: string, u: UpdateState): void {
    this.rejectedUpdates.delete(key);
    this.rejectedUpdates.set(key, u);
    while (this.rejectedUpdates.size > REJECTED_UPDATES_KEPT) {
      const oldest = this.rejectedUpdates.keys().next().value as string;
      this.rejectedUpdates.delete(oldest);
    }
  }

  /** A completed update's outcome: held while fresh (rejections, forced failures), else read from its event. */
  private outcomeOf(run: Run, u: UpdateState): Obj | undefined {
    if (u.state !== 'completed') return undefined;
    if (u.outcome) return u.outcome;
    if (!u.completedEventId) return undefined;
    const ev = run.slice(u.completedEventId - 1, u.completedEventId)[0];
    return ev ? eventAttributes(ev).outcome : undefined;
  }

  private findUpdate(run: Run, updateId: string): { run: Run; u: UpdateState } | undefined {
    const u = run.s.updates[updateId] ?? this.rejectedUpdates.get(`${run.s.runId}/${updateId}`);
    if (u) return { run, u };
    if (!run.s.updatesInHistory) return undefined;
    // A closed run's completed updates are in its history only (see slimClosed), as the real server reads them.
    const ev = run
      .slice(0)
      .find(
        (e) =>
          e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED &&
          eventAttributes(e).meta?.updateId === updateId,
      );
    if (!ev) return undefined;
    const acceptedEventId = num(eventAttributes(ev).acceptedEventId);
    return { run, u: { updateId, state: 'completed', acceptedEventId, completedEventId: num(ev.eventId) } };
  }

  private updateStage(u: UpdateState): number {
    if (u.state === 'completed') return LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
    if (u.state === 'accepted') return LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
    return LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
  }

  async updateWorkflowExecution(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.checkNamespace(req.namespace);
    const updateId: string | undefined = req.request?.meta?.updateId;
    if (!updateId) throw invalid('Update ID is not set on request.');
    if (!req.request?.input?.name) throw invalid('Update name is not set on request.');
    let run = this.findRun(ns, req.workflowExecution);
    if (req.firstExecutionRunId && run.s.firstRunId !== req.firstExecutionRunId) {
      throw notFound('workflow execution not found for the given first execution run ID');
    }
    let found = this.findUpdate(run, updateId);
    if (!found) {
      if (!this.isOpen(run)) throw notFound('workflow execution already completed');
      this.tx(() => {
        run.s.updates[updateId] = { updateId, request: req.request, state: 'admitted', acceptedEventId: 0 };
        this.markDirty(run);
        if (run.s.wft.state === 'none') this.ensureWft(run);
      });
      found = { run, u: run.s.updates[updateId] };
    }
    const wanted: number =
      req.waitPolicy?.lifecycleStage || LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
    const result = await this.waitUpdate(found.run, updateId, wanted, ctx);
    run = result.run;
    return {
      updateRef: { workflowExecution: this.execOf(run), updateId },
      outcome: result.u ? this.outcomeOf(run, result.u) : undefined,
      stage: result.u ? this.updateStage(result.u) : LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
    };
  }

  /** Update-with-start: a start (usually USE_EXISTING) followed by an update on the run it names. */
  async executeMultiOperation(req: Obj, ctx: CallContext): Promise<Obj> {
    const ops: Obj[] = req.operations ?? [];
    if (ops.length !== 2 || !ops[0].startWorkflow || !ops[1].updateWorkflow) {
      throw invalid('ExecuteMultiOperation supports exactly [startWorkflow, updateWorkflow].');
    }
    const startReq = { ...ops[0].startWorkflow, namespace: ops[0].startWorkflow.namespace || req.namespace };
    const started = this.startWorkflowExecution(startReq);
    const updateReq = {
      ...ops[1].updateWorkflow,
      namespace: ops[1].updateWorkflow.namespace || req.namespace,
      workflowExecution: { workflowId: startReq.workflowId, runId: started.runId },
    };
    const updated = await this.updateWorkflowExecution(updateReq, ctx);
    return { responses: [{ startWorkflow: started }, { updateWorkflow: updated }] };
  }

  private async waitUpdate(
    start: Run,
    updateId: string,
    wanted: number,
    ctx: CallContext,
  ): Promise<{ run: Run; u: UpdateState | undefined }> {
    const deadline = Date.now() + WAIT_POLL_MS;
    let run = start;
    for (;;) {
      let found = this.findUpdate(run, updateId);
      // An update not yet accepted when its run continued as new moves to the next run.
      while (!found && run.s.newRunId) {
        const next = this.runs.get(run.s.newRunId);
        if (!next) break;
        run = next;
        found = this.findUpdate(run, updateId);
      }
      const u = found?.u;
      if (!u) return { run, u: undefined };
      if (this.updateStage(u) >= wanted || u.state === 'completed') return { run, u };
      const remaining = deadline - Date.now();
      if (remaining <= 0 || ctx.cancelled() || this.stopped) return { run, u };
      const r = run;
      await this.waitFor(remaining, ctx, (wake) => {
        r.updateWaiters.add(wake);
        return () => r.updateWaiters.delete(wake);
      });
    }
  }

  async pollWorkflowExecutionUpdate(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.checkNamespace(req.namespace);
    const updateId: string | undefined = req.updateRef?.updateId;
    if (!updateId) throw invalid('Update ID is not set on request.');
    const run = this.findRun(ns, req.updateRef?.workflowExecution);
    if (!this.findUpdate(run, updateId) && !run.s.newRunId) throw notFound(`update ${updateId} not found`);
    const wanted: number =
      req.waitPolicy?.lifecycleStage || LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
    const result = await this.waitUpdate(run, updateId, wanted, ctx);
    if (!result.u) throw notFound(`update ${updateId} not found`);
    return {
      outcome: this.outcomeOf(result.run, result.u),
      stage: this.updateStage(result.u),
      updateRef: { workflowExecution: this.execOf(result.run), updateId },
    };
  }

  // ---------------------------------------------------------------- workers

  shutdownWorker(req: Obj): Obj {
    return this.tx(() => {
      const ns = this.checkNamespace(req.namespace);
      const sticky: string | undefined = req.stickyTaskQueue || undefined;
      if (!sticky) return {};
      // Runs cached by this worker: their next tasks go to the normal queue with full history.
      for (const run of this.runs.values()) {
        const s = run.s;
        if (s.namespace !== ns || !s.sticky || s.sticky.queue !== sticky || !this.isOpen(run)) continue;
        s.sticky = undefined;
        this.markDirty(run);
        if (s.wft.state === 'scheduled' && s.wft.sticky) {
          s.wft.sticky = false;
          this.clearTimer(run, 'sticky-timeout');
          this.enqueueWft(run);
        }
      }
      this.wfQueue(ns, sticky).releaseAll({});
      this.wfQueues.delete(`${ns}\u0000${sticky}`);
      return {};
    });
  }

  resetStickyTaskQueue(req: Obj): Obj {
    return this.tx(() => {
      const ns = this.checkNamespace(req.namespace);
      const run = this.findOpenRun(ns, req.execution);
      run.s.sticky = undefined;
      this.markDirty(run);
      return {};
    });
  }

  describeTaskQueue(req: Obj): Obj {
    const ns = this.checkNamespace(req.namespace);
    const name = requireString(req.taskQueue?.name, 'TaskQueue');
    const isActivity = req.taskQueueType === enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;
    const q = isActivity ? this.actQueues.get(`${ns}\u0000${name}`) : this.wfQueues.get(`${ns}\u0000${name}`);
    return {
      pollers: q
        ? [...q.pollerIdentities.entries()].map(([identity, t]) => ({
            identity,
            lastAccessTime: tsFromMs(t),
            ratePerSecond: 100000,
          }))
        : [],
    };
  }

  // ---------------------------------------------------------------- test service (time skipping)

  getCurrentTime(): Obj {
    return { time: tsFromMs(this.now()) };
  }

  lockTimeSkipping(): Obj {
    this.clock.lock();
    return {};
  }

  /** Concurrent result() calls unlock more often than they lock, so the counter may dip below zero here. */
  unlockTimeSkipping(): Obj {
    this.clock.unlock();
    return {};
  }

  /** Returns once the virtual clock has advanced by the duration; time skips only while nothing is outstanding. */
  unlockTimeSkippingWithSleep(req: Obj): Promise<Obj> {
    const ms = msFromDur(req.duration);
    return new Promise((resolve) => {
      this.clock.schedule(this.now() + ms, () => {
        this.clock.endSleep();
        resolve({});
      });
      this.clock.beginSleep();
    });
  }

  sleep(req: Obj): Promise<Obj> {
    const ms = msFromDur(req.duration);
    return new Promise((resolve) => {
      this.clock.schedule(this.now() + ms, () => resolve({}));
    });
  }

  sleepUntil(req: Obj): Promise<Obj> {
    const due = msFromTs(req.timestamp);
    return new Promise((resolve) => {
      this.clock.schedule(due, () => resolve({}));
    });
  }

  // ---------------------------------------------------------------- search attributes (operator service)

  listSearchAttributes(): Obj {
    const custom: Obj = {};
    for (const [k, v] of this.searchAttributeTypes) custom[k] = v;
    const I = enums.IndexedValueType;
    return {
      customAttributes: custom,
      systemAttributes: {
        WorkflowType: I.INDEXED_VALUE_TYPE_KEYWORD,
        WorkflowId: I.INDEXED_VALUE_TYPE_KEYWORD,
        RunId: I.INDEXED_VALUE_TYPE_KEYWORD,
        ExecutionStatus: I.INDEXED_VALUE_TYPE_KEYWORD,
        StartTime: I.INDEXED_VALUE_TYPE_DATETIME,
        CloseTime: I.INDEXED_VALUE_TYPE_DATETIME,
        ExecutionTime: I.INDEXED_VALUE_TYPE_DATETIME,
        TaskQueue: I.INDEXED_VALUE_TYPE_KEYWORD,
      },
    };
  }

  declareSearchAttribute(name: string, typeName: string): void {
    const I = enums.IndexedValueType as unknown as Record<string, number>;
    const key = `INDEXED_VALUE_TYPE_${typeName.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
    const value = I[key];
    if (value === undefined) throw new Error(`unknown search attribute type ${typeName}`);
    this.searchAttributeTypes.set(name, value);
  }

  addSearchAttributes(req: Obj): Obj {
    for (const [k, v] of Object.entries(req.searchAttributes ?? {})) this.searchAttributeTypes.set(k, v as number);
    return {};
  }

  /** Payload check used in tests of the store: how many events the engine holds for a run. */
  historyOf(runId: string): Obj[] {
    return this.runs.get(runId)?.slice(0) ?? [];
  }

  hasEmptyInput(run: Run): boolean {
    return isEmptyPayloads(run.s.input);
  }
}
