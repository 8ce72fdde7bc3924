/**
 * Conformance: with a db file, a restart — clean, or kill -9 of the executable — loses no workflow, signal, update,
 * timer or pending activity, and open workflows resume where they were.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startDevServer } from '../src/index';
import { ActivityRecorder } from './helpers/activities';
import { createOpenWorkflows, expectResumed, signalWhileWorkerDown } from './helpers/durable';
import { bundleFor, quietRuntime, uid } from './helpers/env';
import { freePort, spawnServer } from './helpers/process';

const TIMER_MS = 3000;
let tmp: string;
let bundle: WorkflowBundleWithSourceMap;
const recorder = new ActivityRecorder();

beforeAll(async () => {
  quietRuntime();
  tmp = mkdtempSync(join(tmpdir(), 'devserver-persist-'));
  bundle = await bundleFor(require.resolve('./workflows/index'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface TSide {
  client: Client;
  close(): Promise<void>;
}

/** A client and workers (workflows on `taskQueue`; activities on `activityQueue` only when asked). */
async function connectSide(address: string, taskQueue: string, activityQueue?: string): Promise<TSide> {
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const workers = [
    await Worker.create({ connection: native, taskQueue, workflowBundle: bundle }),
    ...(activityQueue
      ? [await Worker.create({ connection: native, taskQueue: activityQueue, activities: recorder.createActivities() })]
      : []),
  ];
  const runs = workers.map((w) => w.run());
  return {
    client: new Client({ connection }),
    async close() {
      for (const w of workers) w.shutdown();
      await Promise.all(runs);
      await native.close();
      await connection.close();
    },
  };
}

it('resumes open workflows after a clean stop and restart on the same db file', async () => {
  const dbFile = join(tmp, 'clean.db');
  const taskQueue = uid('persist');
  const activityQueue = uid('persist-act');

  const first = await startDevServer({ port: 0, dbFile });
  const before = await connectSide(first.address, taskQueue);
  const set = await createOpenWorkflows(before.client, taskQueue, activityQueue, TIMER_MS);
  await before.close();
  const connection = await Connection.connect({ address: first.address });
  await signalWhileWorkerDown(new Client({ connection }), set);
  await connection.close();
  await first.stop();

  const second = await startDevServer({ port: 0, dbFile });
  const after = await connectSide(second.address, taskQueue, activityQueue);
  try {
    await expectResumed(after.client, set, TIMER_MS);
  } finally {
    await after.close();
    await second.stop();
  }
});

it('resumes open workflows after kill -9 of the executable', async () => {
  const dbFile = join(tmp, 'killed.db');
  const taskQueue = uid('persist9');
  const activityQueue = uid('persist9-act');
  const port = await freePort();
  const args = ['server', 'start-dev', '--port', String(port), '--namespace', 'default', '--db-filename', dbFile];

  const first = await spawnServer([...args, '--headless'], port);
  try {
    const before = await connectSide(first.address, taskQueue);
    const set = await createOpenWorkflows(before.client, taskQueue, activityQueue, TIMER_MS);
    await before.close();
    const connection = await Connection.connect({ address: first.address });
    await signalWhileWorkerDown(new Client({ connection }), set);
    await connection.close();
    await first.kill9();

    const second = await spawnServer(args, port);
    try {
      const after = await connectSide(second.address, taskQueue, activityQueue);
      try {
        await expectResumed(after.client, set, TIMER_MS);
      } finally {
        await after.close();
      }
    } finally {
      await second.stop();
    }
  } finally {
    await first.kill9();
  }
});
