/**
 * The live heaps of this process's worker threads (the SDK worker runs workflows in a pool of them), read through the
 * inspector's NodeWorker domain: for each thread a full collection, then its V8 heap in use. `process.memoryUsage()`
 * sees only the main thread's heap, so without this a soak cannot tell workflow memory from native memory.
 * A diagnostic for `npm run soak`, not used by the product.
 */
import fs from 'node:fs';
import inspector from 'node:inspector';

type TPending = (message: { result?: unknown; error?: unknown }) => void;

export interface TThreadHeaps {
  /** Sum of the threads' heaps in use after a full collection, bytes. */
  used: number;
  threads: number;
}

export class ThreadHeaps {
  private readonly session = new inspector.Session();
  private readonly workers = new Set<string>();
  private readonly pending = new Map<number, TPending>();
  private nextId = 1;
  private enabled: Promise<void> | undefined;
  /** Chunks of a heap snapshot being taken, per thread session. */
  private readonly chunks = new Map<string, string[]>();

  constructor() {
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (m) => {
      this.workers.add((m.params as { sessionId: string }).sessionId);
    });
    this.session.on('NodeWorker.detachedFromWorker', (m) => {
      this.workers.delete((m.params as { sessionId: string }).sessionId);
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (m) => {
      const { sessionId, message: text } = m.params as { sessionId: string; message: string };
      const message = JSON.parse(text) as {
        id?: number;
        method?: string;
        params?: { chunk?: string };
        result?: unknown;
      };
      if (message.method === 'HeapProfiler.addHeapSnapshotChunk')
        this.chunks.get(sessionId)?.push(message.params!.chunk!);
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
  }

  private post(method: string, params: object): Promise<void> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params, (error) => (error ? reject(error) : resolve())),
    );
  }

  private send(sessionId: string, method: string): Promise<{ result?: unknown; error?: unknown }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.post('NodeWorker.sendMessageToWorker', {
        sessionId,
        message: JSON.stringify({ id, method, params: {} }),
      }).catch((error: unknown) => resolve({ error }));
    });
  }

  /** Undefined when no thread answered (none started yet). */
  async sample(): Promise<TThreadHeaps | undefined> {
    this.enabled ??= this.post('NodeWorker.enable', { waitForDebuggerOnStart: false }).then(
      () => new Promise((resolve) => setTimeout(resolve, 200)),
    );
    await this.enabled;
    let used = 0;
    let threads = 0;
    for (const sessionId of this.workers) {
      await this.send(sessionId, 'HeapProfiler.collectGarbage');
      const usage = await this.send(sessionId, 'Runtime.getHeapUsage');
      const size = (usage.result as { usedSize?: number } | undefined)?.usedSize;
      if (size === undefined) continue;
      used += size;
      threads++;
    }
    return threads > 0 ? { used, threads } : undefined;
  }

  /**
   * Writes a heap snapshot of each thread to `dir` (`<label>-thread<N>.heapsnapshot`, loadable in Chrome's DevTools):
   * two of them some minutes apart show what the cached workflows keep.
   */
  async snapshot(dir: string, label: string): Promise<string[]> {
    await this.sample();
    const files: string[] = [];
    let n = 0;
    for (const sessionId of this.workers) {
      this.chunks.set(sessionId, []);
      await this.send(sessionId, 'HeapProfiler.takeHeapSnapshot');
      const file = `${dir}/${label}-thread${n++}.heapsnapshot`;
      fs.writeFileSync(file, this.chunks.get(sessionId)!.join(''));
      this.chunks.delete(sessionId);
      files.push(file);
    }
    return files;
  }

  close(): void {
    this.session.disconnect();
  }
}
