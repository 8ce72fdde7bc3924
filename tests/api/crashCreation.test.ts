/**
 * No orphans (issue 11): the API process is killed with SIGKILL at random moments while offices create tasks, twenty
 * times; after a restart, every task row has its workflow (the reconciler starts the missing ones) and answers a
 * decision. The API runs as `npm start` runs it (scripts/start.ts, ROLE=api, its own process); the dev server and the
 * worker stay up in this process, as a cluster and its workers would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDb, type Db } from '../../db/client';
import { startDevServer, type DevServer } from '../../devserver/src/index';
import { createTaskWorker } from '../../worker';
import { taskStateQuery } from '../../workflows/messages';
import { TASK_QUEUE } from '../../workflows/shared';
import { quietTemporalRuntime } from '../helpers/stack';

jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zg-crash-'));
let server: DevServer;
let db: Db;
let client: Client;
let connection: Connection;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  quietTemporalRuntime();
  server = await startDevServer({ port: 0 });
  db = createDb(`file:${path.join(dir, 'zhenggai.db')}`);
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await createTaskWorker({ connection: native, taskQueue: TASK_QUEUE, deps: { db } });
  const running = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
    await native.close();
  };
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
});

afterAll(async () => {
  await stopWorker?.();
  await connection?.close();
  await db?.$disconnect();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts the API as npm start would (its own process); resolves with its port once it listens. */
function startApi(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'start.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        ROLE: 'api',
        PORT: String(port),
        DATA_DIR: dir,
        DATABASE_URL: `file:${path.join(dir, 'zhenggai.db')}`,
        TEMPORAL_ADDRESS: server.address,
        PAYLOAD_CODEC: 'off',
        SEED_DEMO: 'true',
        RECONCILE_OLDER_THAN_MS: '1000',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`API did not start: ${out}`)), 120_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      if (out.includes('API listening')) {
        clearTimeout(timer);
        resolve(proc);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`API exited (${code}): ${out}`));
    });
  });
}

const killed = (proc: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });

interface TDemo {
  role: string;
  token: string;
  userId: string;
  unitId: string;
  name: string;
}

it('When the API is killed twenty times during creation, then after a restart every task has its workflow', async () => {
  const port = 18_000 + Math.floor(Math.random() * 2000);
  let api = await startApi(port);
  const users = JSON.parse(fs.readFileSync(path.join(dir, 'demo-users.json'), 'utf8')) as TDemo[];
  const office = users.find((u) => u.role === 'office' && !u.name.includes('市'))!;
  const leader = users.find((u) => u.role === 'leader' && !u.name.includes('副'))!;
  const staff = users.find((u) => u.role === 'unit_staff')!;
  const base = `http://127.0.0.1:${port}/api`;
  const call = (method: string, url: string, token: string, body?: unknown) =>
    fetch(`${base}${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const campaign = await call('POST', '/campaigns', office.token, {
    name: '崩溃测试',
    kind: 'xunshi',
    inspectingBody: '省委第一巡视组',
    inspectedUnitId: leader.unitId,
    feedbackDate: new Date().toISOString().slice(0, 10),
  });
  expect(campaign.status).toBe(201);
  const campaignId = ((await campaign.json()) as { id: string }).id;
  const item = (n: number) => ({
    problem: { category: '党的建设', title: `问题${n}` },
    measure: `整改措施${n}`,
    leadUnitId: staff.unitId,
    leaderId: leader.userId,
    deadline: '2027年6月30日前完成',
  });

  // One creation with no kill: the path works, so the rounds below test the crashes, not a refusal.
  const first = await call('POST', `/campaigns/${campaignId}/tasks`, office.token, { tasks: [item(0)] });
  expect(first.status).toBe(201);

  let sent = 0;
  for (let round = 0; round < 20; round++) {
    // Several creations in flight, then the kill at a random moment among them.
    const inFlight = Array.from({ length: 4 }, () => {
      sent++;
      return call('POST', `/campaigns/${campaignId}/tasks`, office.token, {
        tasks: Array.from({ length: 5 }, (_, i) => item(sent * 10 + i)),
      }).catch(() => null);
    });
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 1500)));
    await killed(api);
    await Promise.all(inFlight);
    api = await startApi(port);
  }

  // The restarted API's reconciler starts what the kills left without a workflow (rows older than a second).
  const rows = await db.task.findMany({ select: { id: true, workflowId: true } });
  // Some creations landed before their kill (each round sends 20 tasks).
  expect(rows.length).toBeGreaterThan(1);
  const missing = async (): Promise<string[]> => {
    const lost: string[] = [];
    for (const row of rows) {
      try {
        await client.workflow.getHandle(row.workflowId).describe();
      } catch {
        lost.push(row.id);
      }
    }
    return lost;
  };
  const deadline = Date.now() + 120_000;
  let lost = await missing();
  while (lost.length > 0 && Date.now() < deadline) {
    // The reconciler runs at start-up and again 6 s later; a restart runs it once more.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    lost = await missing();
    if (lost.length > 0 && Date.now() > deadline - 60_000) {
      await killed(api);
      api = await startApi(port);
    }
  }
  expect(lost).toEqual([]);

  // Every task answers: its workflow holds its state, and a decision through the API lands.
  for (const row of rows) {
    const state = await client.workflow.getHandle(row.workflowId).query(taskStateQuery);
    expect(state.taskId).toBe(row.id);
  }
  const ack = await call('POST', `/tasks/${rows[0]!.id}/acknowledge`, staff.token, {});
  expect(ack.status).toBe(200);
  await killed(api);
});
