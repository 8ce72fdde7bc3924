/**
 * Task queues with long-polling pollers. A task is handed to the oldest waiting poller; when none waits it is
 * queued. Tasks may go stale (the workflow moved on); `tryDispatch` returns undefined for those and the next one is
 * tried, so queues never need to be cleaned eagerly.
 */

export interface Poller<R> {
  alive: () => boolean;
  deliver: (response: R) => void;
  identity: string;
}

export class TaskQueue<T, R> {
  private readonly tasks: T[] = [];
  private head = 0;
  private readonly pollers: Poller<R>[] = [];
  lastPollMs = 0;
  readonly pollerIdentities = new Map<string, number>();

  constructor(private readonly tryDispatch: (task: T, identity: string) => R | undefined) {}

  get backlog(): number {
    return this.tasks.length - this.head;
  }

  add(task: T): void {
    while (this.pollers.length > 0) {
      const poller = this.pollers.shift() as Poller<R>;
      if (!poller.alive()) continue;
      const response = this.tryDispatch(task, poller.identity);
      if (response === undefined) this.pollers.unshift(poller);
      else poller.deliver(response);
      return;
    }
    this.tasks.push(task);
  }

  /** Returns a dispatched response at once, or registers the poller and returns undefined. */
  poll(poller: Poller<R>, now: number): R | undefined {
    this.lastPollMs = now;
    this.pollerIdentities.set(poller.identity, now);
    while (this.head < this.tasks.length) {
      const task = this.tasks[this.head++];
      if (this.head > 1024 && this.head * 2 > this.tasks.length) {
        this.tasks.splice(0, this.head);
        this.head = 0;
      }
      const response = this.tryDispatch(task, poller.identity);
      if (response !== undefined) return response;
    }
    this.pollers.push(poller);
    return undefined;
  }

  removePoller(poller: Poller<R>): void {
    const i = this.pollers.indexOf(poller);
    if (i >= 0) this.pollers.splice(i, 1);
  }

  hasPollers(): boolean {
    return this.pollers.length > 0;
  }

  /** Releases every waiting poller with an empty answer (server stop, worker shutdown on a sticky queue). */
  releaseAll(empty: R): void {
    const pollers = this.pollers.splice(0);
    for (const p of pollers) p.deliver(empty);
  }
}
