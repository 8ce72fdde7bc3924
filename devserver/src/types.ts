import type { Obj } from './proto';

/** One entry waiting to be written after the running workflow task completes. */
export interface BufferedEntry {
  events: Array<{ type: number; attrs: Obj }>;
  /** When set, events[1].attrs.startedEventId is filled with the id given to events[0] (activity started+closed). */
  linkStarted?: boolean;
}

export interface ActivityState {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  header?: Obj;
  input?: Obj;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retryPolicy: Obj;
  attempt: number;
  state: 'scheduled' | 'started' | 'backoff';
  scheduledMs: number;
  attemptScheduledMs: number;
  startedMs: number;
  startedIdentity?: string;
  startedRequestId?: string;
  heartbeatDetails?: Obj;
  lastHeartbeatMs: number;
  cancelRequested: boolean;
  cancelRequestedEventId: number;
  lastFailure?: Obj;
  lastWorkerIdentity?: string;
}

export interface ChildState {
  initiatedEventId: number;
  startedEventId: number;
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  parentClosePolicy: number;
}

export interface UpdateState {
  updateId: string;
  /** Until accepted (the accepted event carries it from then on). */
  request?: Obj;
  state: 'admitted' | 'sent' | 'accepted' | 'completed';
  acceptedEventId: number;
  /** The completed event, where the outcome of an update completed by the workflow is read from. */
  completedEventId?: number;
  /** Outcomes that have no event: rejections, and failures written by the server when the run closed first. */
  outcome?: Obj;
}

export interface WftState {
  state: 'none' | 'scheduled' | 'started';
  scheduledEventId: number;
  startedEventId: number;
  attempt: number;
  sticky: boolean;
  scheduledMs: number;
  startedMs: number;
  /**
   * A retry (attempt ≥ 2) after a failed or timed-out task is transient, as in Temporal: its scheduled and started
   * events are handed to the worker but written only if the attempt completes (or, for the scheduled one, when
   * another event must be written first); a failed transient attempt writes nothing. Holds the scheduled event's
   * attributes, and its id is reserved as `scheduledEventId` (always the next event id while it is unwritten).
   */
  transient?: Record<string, unknown>;
  /** The started event's attributes of a transient attempt handed to a worker. */
  transientStarted?: Record<string, unknown>;
}

/** Mutable state of one workflow run; everything but `history` is persisted as one JSON snapshot. */
export interface RunState {
  namespace: string;
  workflowId: string;
  runId: string;
  firstRunId: string;
  workflowType: string;
  taskQueue: string;
  status: number;
  startMs: number;
  executionMs: number;
  closeMs: number;
  runTimeoutMs: number;
  executionTimeoutMs: number;
  executionExpiresMs: number;
  taskTimeoutMs: number;
  retryPolicy?: Obj;
  attempt: number;
  memo?: Obj;
  searchAttributes?: Obj;
  parent?: { namespace: string; workflowId: string; runId: string; initiatedEventId: number };
  requestIds: string[];
  wft: WftState;
  sticky?: { queue: string; timeoutMs: number };
  lastCompletedStartedEventId: number;
  firstWftCompleted: boolean;
  buffered: BufferedEntry[];
  activities: Record<string, ActivityState>;
  timers: Record<string, { startedEventId: number; due: number }>;
  children: Record<string, ChildState>;
  updates: Record<string, UpdateState>;
  cancelRequested: boolean;
  /** Deferred first workflow task (start delay / continue-as-new backoff). */
  firstWftDueMs: number;
  newRunId?: string;
  header?: Obj;
  input?: Obj;
  identity?: string;
  stateTransitions: number;
  /** A closed run whose completed updates are looked up in its history (the state no longer lists them). */
  updatesInHistory?: boolean;
}
