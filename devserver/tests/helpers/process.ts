/**
 * Runs the dev server's executable as a child process (for kill -9 tests, launcher tests and the benchmark, which
 * measures the server's memory apart from the worker's).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { resolve } from 'node:path';

export const BIN = resolve(__dirname, '../../bin/temporal-devserver');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

export interface TServerProcess {
  child: ChildProcess;
  port: number;
  address: string;
  /** Milliseconds from spawn until the port accepted connections. */
  startupMs: number;
  /** SIGKILL: no clean shutdown, nothing flushed. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL if it lingers. */
  stop(): Promise<void>;
}

/** Spawns `bin/temporal-devserver args…` and waits until `port` accepts connections. */
export async function spawnServer(args: string[], port: number, timeoutMs = 10_000): Promise<TServerProcess> {
  const started = Date.now();
  const child = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  for (;;) {
    if (!isRunning()) throw new Error(`dev server exited early: ${stderr}`);
    if (await canConnect(port)) break;
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`dev server not listening on ${port} after ${timeoutMs} ms: ${stderr}`);
    }
    // The SDK's own launcher polls every 100 ms too.
    await new Promise((done) => setTimeout(done, 50));
  }
  const startupMs = Date.now() - started;
  return {
    child,
    port,
    address: `127.0.0.1:${port}`,
    startupMs,
    async kill9() {
      if (isRunning()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!isRunning()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
