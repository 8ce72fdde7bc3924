/**
 * Virtual clock and timer queue.
 *
 * The clock runs at wall-clock speed plus an offset. With time skipping enabled, whenever nothing is outstanding
 * (no explicit client lock and no workflow task, activity or other server-side work in flight) the offset jumps
 * forward to the next due timer, as the Java test server does. All workflow-visible times come from here.
 */

export interface TimerHandle {
  readonly due: number;
  cancelled: boolean;
}

interface TimerEntry extends TimerHandle {
  seq: number;
  fire: () => void;
  /** Still in the queue (not yet fired or dropped). */
  queued: boolean;
}

const noop = (): void => undefined;

export class VirtualClock {
  private offset = 0;
  private heap: TimerEntry[] = [];
  /** Cancelled entries still in `heap`. */
  private cancelledCount = 0;
  private seq = 0;
  private realTimer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private armedOffset = 0;
  private skipScheduled = false;
  private stopped = false;
  /** Explicit locks taken through the TestService (a time-skipping server starts locked once, like Java's). */
  explicitLocks: number;
  private surplusUnlocks = 0;
  private sleepers = 0;
  /** Keys of server-side work that must finish before time may skip (workflow tasks, activities, ...). */
  readonly busy = new Set<string>();

  constructor(
    readonly timeSkipping: boolean,
    startOffsetMs = 0,
  ) {
    this.offset = startOffsetMs;
    this.explicitLocks = timeSkipping ? 1 : 0;
  }

  now(): number {
    return Date.now() + this.offset;
  }

  getOffset(): number {
    return this.offset;
  }

  /** Moves the clock forward (never back), e.g. to resume where a persisted server left off. */
  advanceTo(ms: number): void {
    const delta = ms - this.now();
    if (delta > 0) this.offset += delta;
  }

  schedule(due: number, fire: () => void): TimerHandle {
    const entry: TimerEntry = { due, fire, cancelled: false, seq: this.seq++, queued: false };
    this.push(entry);
    this.arm();
    return entry;
  }

  /**
   * A cancelled timer lets go of its callback at once (which holds its run) and leaves the queue when the cancelled
   * ones are the majority: a workflow that re-plans a far timer at every decision (a deadline months ahead) would
   * otherwise keep one dead entry per decision until its due time — the dev server grew by ~400 per minute in the soak.
   */
  cancel(handle: TimerHandle | undefined): void {
    if (!handle || handle.cancelled) return;
    handle.cancelled = true;
    const entry = handle as TimerEntry;
    entry.fire = noop;
    if (!entry.queued) return;
    this.cancelledCount++;
    if (this.cancelledCount > 64 && this.cancelledCount * 2 > this.heap.length) this.dropCancelled();
  }

  private dropCancelled(): void {
    const live: TimerEntry[] = [];
    for (const t of this.heap) {
      if (t.cancelled) t.queued = false;
      else live.push(t);
    }
    this.heap = [];
    this.cancelledCount = 0;
    for (const t of live) this.push(t);
  }

  markBusy(key: string): void {
    this.busy.add(key);
  }

  markIdle(key: string): void {
    if (this.busy.delete(key)) this.kick();
  }

  /**
   * Client locks balance earlier surplus unlocks first: concurrent `result()` calls each unlock then lock, and an
   * unlock with nothing left to unlock must not let time run while server-side work is outstanding.
   */
  lock(): void {
    if (this.surplusUnlocks > 0) this.surplusUnlocks--;
    else this.explicitLocks++;
  }

  unlock(): void {
    if (this.explicitLocks > 0) this.explicitLocks--;
    else this.surplusUnlocks++;
    this.kick();
  }

  /**
   * A sleep (UnlockTimeSkippingWithSleep) offsets one lock while it lasts, whichever holds it: from inside a running
   * activity it offsets that activity's own hold, as with Java's single lock counter.
   */
  beginSleep(): void {
    this.sleepers++;
    this.kick();
  }

  endSleep(): void {
    this.sleepers--;
  }

  pendingTimers(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  stop(): void {
    this.stopped = true;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
  }

  /** Re-evaluates whether time can skip; deferred so a burst of state changes settles first. */
  kick(): void {
    if (!this.timeSkipping || this.skipScheduled || this.stopped) return;
    this.skipScheduled = true;
    setImmediate(() => {
      this.skipScheduled = false;
      this.trySkip();
    });
  }

  /** Skips to the next timer at once if nothing is outstanding (same rule as the deferred skip). */
  skipNow(): void {
    if (!this.stopped) this.trySkip();
  }

  private canSkip(): boolean {
    return this.timeSkipping && this.explicitLocks + this.busy.size - this.sleepers <= 0;
  }

  private trySkip(): void {
    if (!this.canSkip()) return;
    const next = this.peek();
    if (!next) return;
    const delta = next.due - this.now();
    if (delta > 0) this.offset += delta;
    this.runDue();
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.peek();
    if (!next) return;
    // Re-arm when an earlier timer arrived or the clock jumped (the armed delay was computed before the jump).
    if (this.realTimer && next.due >= this.armedFor && this.offset === this.armedOffset) return;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.armedFor = next.due;
    this.armedOffset = this.offset;
    // Node caps timeouts at ~24.8 days; longer waits simply re-arm when this fires.
    const delay = Math.min(Math.max(0, next.due - this.now()), 2_000_000_000);
    this.realTimer = setTimeout(() => {
      this.realTimer = undefined;
      this.armedFor = Infinity;
      this.runDue();
    }, delay);
    if (this.canSkip()) this.kick();
  }

  private runDue(): void {
    if (this.stopped) return;
    const now = this.now();
    for (;;) {
      const next = this.peek();
      if (!next || next.due > now) break;
      this.pop();
      try {
        next.fire();
      } catch (err) {
        process.emitWarning(`devserver timer callback failed: ${String(err)}`);
      }
    }
    this.arm();
    this.kick();
  }

  private peek(): TimerEntry | undefined {
    while (this.heap.length > 0 && this.heap[0].cancelled) {
      this.pop();
      this.cancelledCount--;
    }
    return this.heap[0];
  }

  private less(a: TimerEntry, b: TimerEntry): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(e: TimerEntry): void {
    const h = this.heap;
    e.queued = true;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): TimerEntry | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    top.queued = false;
    const last = h.pop() as TimerEntry;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
