import { HistoryEventType, HistoryType, decodeMessage, type Obj } from './proto';

/** Where events that left memory are read back from (the server's SQLite store). Indexes are 0-based: [from, to). */
export interface TEventSource {
  loadEventRange(runId: string, from: number, to: number): Buffer[];
}

export interface TRunHistoryOptions {
  runId: string;
  /** Without a source every event stays in memory (decoded, or encoded as one message when compacted). */
  source?: TEventSource;
  /** A run loaded from the store: its event count and its newest event, encoded. */
  stored?: { count: number; last: Buffer | undefined };
  /** Called after events were read back from the source (the caller decides when to let them go again). */
  onLoad?: () => void;
  log?: (line: string) => void;
}

/** A copy in an allocation of its own: a slice of a pooled or larger buffer would pin all of it. */
export function ownCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return copy;
}

/**
 * The events of one run, as the server holds them in memory.
 *
 * With a store, memory holds at most a tail: the events from `base` on, decoded. Everything before `base` is in the
 * store (only persisted events ever leave memory), and is read back when something asks for it: a full history for a
 * worker without the run in its cache, a page of GetWorkflowExecutionHistory, a replay. What stays between workflow
 * tasks is what the sticky worker's next task needs (the events after the last completed task), and a run that sits
 * idle or has closed holds none: only its event count and its newest event, encoded (a client's `result()` asks only
 * for that one). A real cluster keeps histories in its database too; holding every open run's whole history made the
 * server grow with every decision (the 30-minute soak: 144 → 492 MB).
 *
 * Without a store (tests, the in-memory server) every event stays: decoded, or packed into one encoded History when the
 * run is compacted.
 */
export class RunHistory {
  /** Number of events before `tail[0]`, held only by the store. */
  private base = 0;
  /** Decoded events `base`, `base + 1`, …; undefined when none are decoded. */
  private tail: Obj[] | undefined;
  /** Event count while `tail` is undefined. */
  private count = 0;
  /** Without a store: the whole history as one encoded History message in an allocation of its own. */
  private packed: Buffer | undefined;
  /** Where the newest event's bytes start inside `packed` (a History is its events, each length-delimited, in order). */
  private packedLastOffset = -1;
  /** With a store: the newest event, encoded, while no decoded event holds it. */
  private storedLast: Buffer | undefined;
  /** How many times events were read back from the store. */
  reads = 0;

  constructor(private readonly opts: TRunHistoryOptions) {
    if (opts.stored) {
      this.count = opts.stored.count;
      this.storedLast = opts.stored.last ? ownCopy(opts.stored.last) : undefined;
    } else {
      this.tail = [];
    }
  }

  size(): number {
    return this.tail ? this.base + this.tail.length : this.count;
  }

  /** The newest event, without reading the store or decoding a packed history. */
  lastEvent(): Obj | undefined {
    if (this.tail && this.tail.length > 0) return this.tail[this.tail.length - 1];
    if (this.packed) {
      return this.packedLastOffset >= 0
        ? decodeMessage(HistoryEventType, this.packed.subarray(this.packedLastOffset))
        : undefined;
    }
    return this.storedLast ? decodeMessage(HistoryEventType, this.storedLast) : undefined;
  }

  /** Events [from, to) (0-based indexes: event id i + 1 is index i), read back from the store where needed. */
  slice(from: number, to?: number): Obj[] {
    const n = this.size();
    const end = Math.min(to ?? n, n);
    const start = Math.max(0, from);
    if (start >= end) return [];
    this.ensure(start);
    const tail = this.tail as Obj[];
    return tail.slice(start - this.base, end - this.base);
  }

  push(ev: Obj): void {
    this.ensure(this.size());
    (this.tail as Obj[]).push(ev);
  }

  /** Whether any decoded events are held. */
  decoded(): boolean {
    return this.tail !== undefined && this.tail.length > 0;
  }

  held(): { events: number; bytes: number } {
    return { events: this.tail?.length ?? 0, bytes: this.packed?.length ?? 0 };
  }

  /**
   * With a store, lets go of the decoded events before `keepFrom`, of those already persisted (`persisted` events are
   * in the store). What a sticky worker's next task needs (the events after its last completed task) stays.
   */
  release(keepFrom: number, persisted: number): void {
    if (!this.opts.source || !this.tail) return;
    const cut = Math.min(keepFrom, persisted, this.size());
    if (cut <= this.base) return;
    if (cut >= this.size()) {
      this.leave(persisted);
      return;
    }
    this.tail = this.tail.slice(cut - this.base);
    this.base = cut;
  }

  /**
   * Lets go of every decoded event: with a store (all events persisted) the run keeps only its count and newest
   * event; without one the history is packed into one encoded message.
   */
  compact(persisted: number): void {
    if (this.opts.source) {
      this.leave(persisted);
      return;
    }
    if (!this.tail) return;
    const events = this.tail;
    const bytes = HistoryType.encode({ events }).finish();
    this.packed = ownCopy(bytes);
    this.count = events.length;
    const last = events[events.length - 1];
    this.packedLastOffset = last ? bytes.length - HistoryEventType.encode(last).finish().length : -1;
    this.tail = undefined;
    this.base = 0;
  }

  private leave(persisted: number): void {
    const n = this.size();
    if (!this.tail || persisted < n) return;
    const last = this.tail[this.tail.length - 1];
    if (last) this.storedLast = ownCopy(HistoryEventType.encode(last).finish());
    this.count = n;
    this.tail = undefined;
    this.base = 0;
  }

  /** Makes the decoded tail start at `from` or before. */
  private ensure(from: number): void {
    if (this.tail && this.base <= from) return;
    const source = this.opts.source;
    if (!source) {
      // Without a store nothing leaves memory: the tail, if any, starts at 0; otherwise the history is packed.
      const packed = this.packed;
      this.tail = packed ? ((decodeMessage(HistoryType, packed).events as Obj[] | undefined) ?? []) : [];
      this.base = 0;
      this.packed = undefined;
      this.packedLastOffset = -1;
      return;
    }
    const end = this.tail ? this.base : this.count;
    if (from < end) {
      const rows = source.loadEventRange(this.opts.runId, from, end);
      if (rows.length !== end - from) {
        this.opts.log?.(`run ${this.opts.runId}: ${rows.length} events in the store for ${from}..${end}`);
      }
      const loaded = rows.map((b) => decodeMessage(HistoryEventType, b));
      this.tail = this.tail ? loaded.concat(this.tail) : loaded;
      this.reads++;
      this.opts.onLoad?.();
    } else if (!this.tail) {
      this.tail = [];
    }
    this.base = from;
    if (this.tail.length > 0) this.storedLast = undefined;
  }
}
