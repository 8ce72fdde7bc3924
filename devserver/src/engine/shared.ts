import type { TimerHandle } from '../clock';
import { invalid } from '../errors';
import { ownCopy } from '../history';
import { CT, ET, RS, WS, durFromMs, enums, msFromDur, num, type Obj } from '../proto';
import type { StandaloneTask } from '../standalone';
import type { RunState } from '../types';

// Types, constants and pure helpers shared by the engine's modules (no engine state here).

/** Defaults chosen to match the Temporal server so SDK behaviour is the same as in production. */
export const DEFAULT_WFT_TIMEOUT_MS = 10_000;
export const MAX_WFT_TIMEOUT_MS = 120_000;
export const DEFAULT_STICKY_TIMEOUT_MS = 5_000;
/** Long polls answer empty before the SDK's own 70 s deadline, like the server's 60 s. */
export const LONG_POLL_MS = 55_000;
/** History/update long polls: the SDK simply re-issues them, so a shorter hold keeps shutdown snappy. */
export const WAIT_POLL_MS = 20_000;
/** Open runs untouched this long get their history encoded to save memory. */
export const IDLE_COMPACT_MS = 2_000;
/** Rejected updates remembered for retries with the same ID (see rememberRejected). */
export const REJECTED_UPDATES_KEPT = 10_000;
export const EMPTY_TASK_QUEUE_KIND = enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;

export const LAST_STAGE = enums.UpdateWorkflowExecutionLifecycleStage;

export const attrFieldByType = new Map<number, string>();
for (const [name, value] of Object.entries(ET)) {
  if (typeof value !== 'number' || value === 0) continue;
  const camel = name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  attrFieldByType.set(value, `${camel}EventAttributes`);
}

/** Drops undefined fields: events are kept in memory for the run's lifetime and every empty slot costs memory. */
export function prune(o: Obj): Obj {
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

export const CLOSING_COMMANDS = new Set<number>([
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

export interface PendingQuery {
  id: string;
  runId: string;
  query: Obj;
  state: 'waiting' | 'attached' | 'dispatched' | 'picked';
  resolve: (r: Obj) => void;
  reject: (e: Error) => void;
}

export type WfTask =
  | { kind: 'wft'; runId: string; scheduledEventId: number; sticky: boolean }
  | { kind: 'query'; id: string; queue: string };
export type ActTask = { runId: string; scheduledEventId: number; attempt: number } | StandaloneTask;

export interface TaskToken {
  k: 'w' | 'a' | 'q' | 's';
  r?: string;
  s?: number;
  t?: number;
  a?: number;
  q?: string;
}

export interface CallContext {
  cancelled: () => boolean;
  /** Registers a callback for the caller going away; returns a function that unregisters it. */
  onCancel: (fn: () => void) => () => void;
}

export function isTimerFired(e: { type: number }): boolean {
  return e.type === ET.EVENT_TYPE_TIMER_FIRED;
}

export function encodeToken(t: TaskToken): Buffer {
  return Buffer.from(JSON.stringify(t));
}

export function decodeToken(buf: Uint8Array | undefined): TaskToken {
  if (!buf || buf.length === 0) throw invalid('Task token not set on request.');
  try {
    const t = JSON.parse(Buffer.from(buf).toString('utf8')) as TaskToken;
    if (!t || typeof t.k !== 'string') throw new Error('bad');
    return t;
  } catch {
    throw invalid('Error deserializing task token.');
  }
}

export function isEmptyPayloads(p: Obj | undefined): boolean {
  return !p || !p.payloads || p.payloads.length === 0;
}

export function requireString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(`${what} is not set on request.`);
  return v;
}

export function normalizeRetryPolicy(p: Obj | undefined, forActivity: boolean): Obj | undefined {
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
export function nextBackoff(
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
export function detachBytes(value: unknown): void {
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

export function statusName(s: number): string {
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
