/**
 * Activities for the conformance tests, built by a factory around a recorder so each test can see what the worker
 * actually ran (attempts, server-side schedule times, heartbeats, cancellations).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';

export interface TAttempt {
  attempt: number;
  scheduledMs: number;
  heartbeatDetails: unknown;
}

export class ActivityRecorder {
  readonly attempts = new Map<string, TAttempt[]>();
  readonly events: string[] = [];
  private readonly waiters = new Map<string, Array<() => void>>();

  note(key: string): void {
    this.events.push(key);
    for (const resolve of this.waiters.get(key) ?? []) resolve();
    this.waiters.delete(key);
  }

  /** Resolves once `note(key)` has been called (now or later). */
  waitFor(key: string): Promise<void> {
    if (this.events.includes(key)) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), resolve]);
    });
  }

  private track(key: string): TAttempt {
    const info = Context.current().info;
    const entry: TAttempt = {
      attempt: info.attempt,
      scheduledMs: info.currentAttemptScheduledTimestampMs,
      heartbeatDetails: info.heartbeatDetails,
    };
    this.attempts.set(key, [...(this.attempts.get(key) ?? []), entry]);
    return entry;
  }

  createActivities() {
    return {
      /** Fails retryably `failTimes` times, then returns the attempt number. */
      flaky: async (key: string, failTimes: number): Promise<number> => {
        const { attempt } = this.track(key);
        if (attempt <= failTimes) throw ApplicationFailure.retryable(`attempt ${attempt} fails`, 'Flaky');
        return attempt;
      },
      /** Always fails with type `Fatal`, which tests list as non-retryable. */
      fatal: async (key: string): Promise<never> => {
        this.track(key);
        throw ApplicationFailure.create({ message: 'fatal error', type: 'Fatal' });
      },
      /** Sleeps `ms` (ended early by cancellation), never heartbeats. */
      slow: async (key: string, ms: number): Promise<string> => {
        this.track(key);
        await Context.current().sleep(ms);
        return 'finished';
      },
      /** First attempt heartbeats `{ progress: 42 }` then fails; the next attempt returns the details it received. */
      heartbeatThenFail: async (key: string): Promise<unknown> => {
        const { attempt, heartbeatDetails } = this.track(key);
        if (attempt === 1) {
          Context.current().heartbeat({ progress: 42 });
          // Heartbeats are throttled and sent in the background; give the worker time to deliver this one.
          await new Promise((resolve) => setTimeout(resolve, 300));
          throw ApplicationFailure.retryable('fails after heartbeating', 'Flaky');
        }
        return heartbeatDetails;
      },
      /** Heartbeats until cancelled; notes `${key}:started` and `${key}:cancelled`. */
      waitForCancel: async (key: string): Promise<string> => {
        this.track(key);
        this.note(`${key}:started`);
        const ctx = Context.current();
        try {
          for (;;) {
            ctx.heartbeat();
            await ctx.sleep(100);
          }
        } catch (err) {
          this.note(`${key}:cancelled`);
          throw err;
        }
      },
      /** Notes a label. */
      record: async (label: string): Promise<string> => {
        this.note(label);
        return label;
      },
    };
  }
}

export type TestActivities = ReturnType<ActivityRecorder['createActivities']>;
