/**
 * Durability: a server with a db file killed with SIGKILL loses no workflow, signal, update or timer, and the
 * open workflow resumes where it was after a restart on the same file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { addSignal, durableWorkflow, setUpdate, stageQuery, valuesQuery } from './workflows';

const BIN = path.resolve(__dirname, '../../bin/temporal-devserver');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function startServer(port: number, dbFile: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['--port', String(port), '--db-file', dbFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => reject(new Error('server did not start within 10 s')), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited early with ${String(code)}`)));
  });
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (ok(v)) return v;
    } catch {
      // Not ready yet (server restarting or worker catching up).
    }
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const noop = (): void => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

let dir: string;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'devserver-persist-'));
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quietLogger });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function withWorker<T>(address: string, taskQueue: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: { echo: async (values: string[]) => values.join('+') },
  });
  try {
    return await worker.runUntil(fn(client));
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

test('When the server is killed with SIGKILL twice, then the workflow resumes with its signals, update and timer', async () => {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const dbFile = path.join(dir, 'temporal.db');
  const taskQueue = 'durable';
  const workflowId = `durable-${Date.now()}`;
  let server = await startServer(port, dbFile);
  try {
    await withWorker(address, taskQueue, async (client) => {
      const handle = await client.workflow.start(durableWorkflow, { taskQueue, workflowId });
      await handle.signal(addSignal, 'a');
      expect(await handle.executeUpdate(setUpdate, { args: [21], updateId: 'set-21' })).toBe(42);
      await waitFor(
        () => handle.query(valuesQuery),
        (v) => v.length === 1,
      );
    });
    // With no worker running, this signal is only in the server's store when the server dies.
    const connection = await Connection.connect({ address });
    await new Client({ connection }).workflow.getHandle(workflowId).signal(addSignal, 'b');
    await connection.close();
    await kill9(server);

    server = await startServer(port, dbFile);
    await withWorker(address, taskQueue, async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      await waitFor(
        () => handle.query(stageQuery),
        (s) => s === 'sleeping',
      );
    });
    // Killed while the workflow waits on its 3 s timer.
    await kill9(server);

    server = await startServer(port, dbFile);
    const result = await withWorker(address, taskQueue, async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      const r = await handle.result();
      // A retried update with the same ID is answered from the durable record, not run again.
      expect(await handle.executeUpdate(setUpdate, { args: [99], updateId: 'set-21' })).toBe(42);
      return r;
    });
    expect(result).toBe('a+b:21');
  } finally {
    await kill9(server);
  }
}, 90_000);
