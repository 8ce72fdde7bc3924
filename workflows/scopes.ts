/**
 * Cancellation scopes that a long-cached run does not accumulate.
 *
 * Why: in SDK 1.24 every operation started in a cancellable scope (a local activity, a timer, a signal, a condition)
 * attaches a handler to that scope's "cancellation requested" promise, and every new scope attaches one to its parent's.
 * The workflow's root scope is never cancelled, so what is attached there lives as long as the run stays in the
 * worker's cache, with whatever the handlers' closures reach: every decision's projection input (its events and the
 * whole task state), and, through the stack that a cancelled scope's `CancelledFailure` captured, the closures of the
 * timer loop. The soak's workflow threads grew ~2 MB a minute with 60 tasks (`tests/workflows/cachedMemory.test.ts`).
 *
 * Same commands in the same order as the SDK's own calls, but not the same microtask ticks: runs recorded before patch
 * `released-scopes` keep calling the SDK directly (see `taskLifecycle`).
 */
import { CancellationScope, CancelledFailure, condition, sleep } from '@temporalio/workflow';

/**
 * A runner for the run's local activities and signals: each runs in one non-cancellable scope made once per run, which
 * attaches nothing per operation. Non-cancellable is also what a projection needs: once an event is accepted its
 * projection must land (it is idempotent and retried until it does), even if the workflow is being cancelled.
 * Call inside the workflow function (a scope belongs to its run).
 */
export function shieldedRunner(): <T>(op: () => Promise<T>) => Promise<T> {
  const scope = new CancellationScope({ cancellable: false });
  return (op) => scope.run(op);
}

/** The activity functions of `fns` (a proxy from `proxyLocalActivities`, whose functions cannot be listed) run by `run`. */
export function runAllBy<T extends object>(fns: T, run: <R>(op: () => Promise<R>) => Promise<R>): T {
  return new Proxy(fns, {
    get(target, name) {
      const fn = Reflect.get(target, name) as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => run(() => fn(...args));
    },
  });
}

/** A cancellable scope that cancels with one failure made in advance, rather than a new one with a stack each time. */
class QuietScope extends CancellationScope {
  constructor(private readonly failure: CancelledFailure) {
    super({ cancellable: true });
  }

  override cancel(): void {
    this.reject(this.failure);
  }
}

/**
 * `condition(fn, timeoutMs)` as the SDK does it (a cancellable scope racing a timer against the condition, cancelled
 * when either wins), except that the scope is cancelled with one `CancelledFailure` made once per run: the SDK makes a
 * new one each time, whose captured stack keeps the caller's frames and closures, and the cancelled scope stays
 * attached to the root with it. What stays now is the small empty scope, until the run continues as new.
 * Call the factory inside the workflow function.
 */
export function quietCondition(): (fn: () => boolean, timeoutMs: number) => Promise<boolean> {
  const failure = new CancelledFailure('Cancellation scope cancelled');
  return async (fn, timeoutMs) => {
    const scope = new QuietScope(failure);
    try {
      return await scope.run(() => Promise.race([sleep(timeoutMs).then(() => false), condition(fn).then(() => true)]));
    } finally {
      scope.cancel();
    }
  };
}
