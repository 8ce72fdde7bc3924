/**
 * The embedded Temporal dev server in its own process (issue 10): the API, the worker and the dev server no longer
 * share one event loop, so the server's garbage collections (one idle full GC stalled everything for 206 ms) and its
 * CPU no longer delay API answers or workflow tasks, and two cores are used. Its history stays in the SQLite file, so
 * the process is restarted if it dies (a few times per minute at most; then the whole start gives up, loudly).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface TDevServerMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Committed bytes of each V8 heap space (new_space, old_space, code_space, …). */
  spaces: Record<string, number>;
}

export interface TDevServerProcessOptions {
  port: number;
  namespace: string;
  dbFile: string;
  log: (line: string) => void;
  /** Called when the process died more often than it may be restarted. */
  onGiveUp: (reason: string) => void;
}

export interface TDevServerProcess {
  address: string;
  pid(): number | undefined;
  /** The process's RSS and live heap after a full collection; undefined if it does not answer within 5 s. */
  /** RSS, live heap (after a full collection), the heap's committed size and memory outside it (buffers). */
  memory(): Promise<TDevServerMemory | undefined>;
  stop(): Promise<void>;
}

const CHILD_ENTRY = path.join(__dirname, 'devserver-child.ts');
/** Long enough for a cold start that loads a large history file; short enough to fail a broken start visibly. */
const READY_TIMEOUT_MS = 60_000;
/** Restarts allowed within RESTART_WINDOW_MS before giving up: a crash loop is a fault to report, not to hide. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** A server asked to stop gets this long to close its store cleanly before it is killed. */
const STOP_GRACE_MS = 10_000;

export async function startDevServerProcess(opts: TDevServerProcessOptions): Promise<TDevServerProcess> {
  let child: ChildProcess;
  let stopping = false;
  const restarts: number[] = [];

  const launch = (): Promise<{ child: ChildProcess; address: string }> =>
    new Promise((resolve, reject) => {
      const proc = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          CHILD_ENTRY,
          '--port',
          String(opts.port),
          '--namespace',
          opts.namespace,
          '--db-file',
          opts.dbFile,
        ],
        {
          cwd: path.join(__dirname, '..'),
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          // Two malloc arenas, as bin/temporal-devserver sets: glibc otherwise gives each thread an arena of its own,
          // and memory freed after bursts stays spread over them (RSS drifting up while the live heap stays flat).
          env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
        },
      );
      let settled = false;
      let stderrTail = '';
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        proc.kill('SIGKILL');
        reject(new Error(`the embedded dev server did not start within ${READY_TIMEOUT_MS / 1000} s`));
      }, READY_TIMEOUT_MS);
      proc.stderr!.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
      });
      let stdout = '';
      proc.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const m = /Temporal dev server ready at (\S+)/.exec(stdout);
        if (m && !settled) {
          settled = true;
          clearTimeout(timer);
          resolve({ child: proc, address: m[1]! });
        }
      });
      proc.once('exit', (code, signal) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(
          new Error(`the embedded dev server exited (${signal ?? code}) before it was ready: ${stderrTail.trim()}`),
        );
      });
    });

  const watch = (proc: ChildProcess): void => {
    proc.once('exit', (code, signal) => {
      if (stopping) return;
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length > MAX_RESTARTS) {
        opts.onGiveUp(
          `the embedded dev server died ${restarts.length} times within a minute (last: ${signal ?? code})`,
        );
        return;
      }
      opts.log(`embedded dev server exited (${signal ?? code}); restarting it`);
      launch().then(
        (started) => {
          child = started.child;
          watch(child);
          opts.log(`embedded dev server restarted (pid ${child.pid})`);
        },
        (err: unknown) => opts.onGiveUp(String(err)),
      );
    });
  };

  const first = await launch();
  child = first.child;
  watch(child);
  // The parent's own exit (a normal one; kill -9 is covered by the child's IPC disconnect) takes the child along.
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);

  return {
    address: first.address,
    pid: () => child.pid,
    memory: () =>
      new Promise((resolve) => {
        const proc = child;
        const done = (value: TDevServerMemory | undefined): void => {
          clearTimeout(timer);
          proc.removeListener('message', onMessage);
          resolve(value);
        };
        const onMessage = (msg: unknown): void => {
          const m = msg as {
            type?: unknown;
            rss?: unknown;
            heapUsed?: unknown;
            heapTotal?: unknown;
            external?: unknown;
            spaces?: unknown;
          };
          if (m?.type === 'memory' && typeof m.rss === 'number' && typeof m.heapUsed === 'number') {
            done({
              rss: m.rss,
              heapUsed: m.heapUsed,
              heapTotal: typeof m.heapTotal === 'number' ? m.heapTotal : NaN,
              external: typeof m.external === 'number' ? m.external : NaN,
              spaces:
                m.spaces && typeof m.spaces === 'object'
                  ? Object.fromEntries(
                      Object.entries(m.spaces).filter((e): e is [string, number] => typeof e[1] === 'number'),
                    )
                  : {},
            });
          }
        };
        const timer = setTimeout(() => done(undefined), 5_000);
        proc.on('message', onMessage);
        if (!proc.connected || !proc.send({ type: 'memory' })) done(undefined);
      }),
    async stop() {
      stopping = true;
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}
