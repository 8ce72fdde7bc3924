/**
 * Benchmark of the embedded dev server (devserver/), run as a child process through its executable so that its memory
 * is measured apart from the worker's:  npm run bench:devserver
 *
 * Figures (goals from the dev-server issue): workflows/s for start → activity → complete at concurrency 100 (≥ 70/s);
 * update round trip p50/p99 through the SDK client (≤ 20 ms / ≤ 100 ms); server RSS holding 10,000 open workflows
 * each on a 30-day timer (≤ 300 MB); restart time of that persistent server (≤ 10 s); simulated days per wall second
 * of a time-skipped workflow that wakes monthly (≥ 10,000).
 * Issue 10's floor of a decision (section updates10): what the fixed stack alone — Express, the SDK client, the dev
 * server in its own process as `npm start` runs it, the SDK worker — costs per update at 10 concurrent users, with no
 * product work (goal of a decision: p50 ≤ 50 ms, p99 ≤ 250 ms).
 * Sizes can be lowered for a quick run: BENCH_WORKFLOWS, BENCH_UPDATES, BENCH_OPEN, BENCH_MONTHS, BENCH_UPDATE_SECONDS;
 * BENCH_ONLY picks sections (throughput, memory, skipping, updates10).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import http from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import vm from 'node:vm';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import express from 'express';
import { z } from 'zod';
import { BIN, freePort, spawnServer, type TServerProcess } from '../devserver/tests/helpers/process';
import { startDevServerProcess } from '../scripts/devserver-process';
import { request } from './api/load';
import { createBenchActivities } from './devserver/activities';
import { childPids, cpuMs, percentile, progress, rssMb, runPool } from './devserver/stats';
import { busiestThreads, threadCpuMs } from './devserver/threads';
import {
  decideUpdate,
  decisionTargetWorkflow,
  longTimerWorkflow,
  monthlyWakeWorkflow,
  oneActivityWorkflow,
  pingUpdate,
  stopSignal,
  updateTargetWorkflow,
} from './devserver/workflows';

const ZBenchEnv = z.object({
  BENCH_WORKFLOWS: z.coerce.number().int().positive().default(1000),
  BENCH_UPDATES: z.coerce.number().int().positive().default(500),
  BENCH_OPEN: z.coerce.number().int().positive().default(10_000),
  BENCH_MONTHS: z.coerce.number().int().positive().default(240),
  // Seconds of closed-loop load per variant of the updates10 section.
  BENCH_UPDATE_SECONDS: z.coerce.number().positive().default(10),
  // Comma-separated subset of sections to run: throughput, memory, skipping, updates10 (default: all four).
  BENCH_ONLY: z
    .string()
    .default('throughput,memory,skipping,updates10')
    .transform((v) => v.split(',').map((x) => x.trim()))
    .pipe(z.array(z.enum(['throughput', 'memory', 'skipping', 'updates10'])).min(1)),
});
type TBenchEnv = z.infer<typeof ZBenchEnv>;

/** Measured rounds of the time-skipping figure (the median is reported). */
const SKIP_ROUNDS = 5;

interface TFigure {
  name: string;
  value: number;
  unit: string;
  goal: string;
  ok: boolean;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const figures: TFigure[] = [];
function report(name: string, value: number, unit: string, goal: string, ok: boolean): void {
  figures.push({ name, value, unit, goal, ok });
  console.log(`  => ${name}: ${value.toFixed(value < 100 ? 1 : 0)} ${unit} (goal ${goal}) ${ok ? 'OK' : 'MISSED'}`);
}

interface TSide {
  client: Client;
  worker: Worker;
  close(): Promise<void>;
}

async function connect(
  address: string,
  bundle: WorkflowBundleWithSourceMap,
  taskQueue: string,
  extra: { maxCachedWorkflows?: number } = {},
): Promise<TSide> {
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: bundle,
    activities: createBenchActivities(),
    // Enough slots that concurrency 100 is limited by the client side, not by worker slots.
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 100,
    ...extra,
  });
  return {
    client: new Client({ connection }),
    worker,
    async close() {
      await native.close();
      await connection.close();
    },
  };
}

async function throughputAndUpdates(env: TBenchEnv, bundle: WorkflowBundleWithSourceMap): Promise<void> {
  console.log('\n[1/4] In-memory server: throughput and update latency');
  const port = await freePort();
  const server = await spawnServer(['server', 'start-dev', '--port', String(port), '--headless'], port);
  console.log(`  server up in ${server.startupMs} ms (pid ${server.child.pid})`);
  const taskQueue = 'bench-throughput';
  const side = await connect(server.address, bundle, taskQueue);
  try {
    await side.worker.runUntil(async () => {
      const run = (i: number) =>
        side.client.workflow
          .execute(oneActivityWorkflow, { taskQueue, workflowId: `wf-${i}`, args: [i] })
          .then(() => undefined);
      // Warm-up: workflow sandbox creation and JIT make the first runs slower.
      await runPool(100, 100, (i) => run(-1 - i));
      const total = env.BENCH_WORKFLOWS;
      const show = progress('start → activity → complete');
      const t0 = performance.now();
      await runPool(total, 100, run, (done) => show(done, total));
      const perSecond = total / ((performance.now() - t0) / 1000);
      report(
        'throughput (start → activity → complete, concurrency 100)',
        perSecond,
        'workflows/s',
        '≥ 70',
        perSecond >= 70,
      );

      const handle = await side.client.workflow.start(updateTargetWorkflow, { taskQueue, workflowId: 'update-target' });
      for (let i = 0; i < 20; i++) await handle.executeUpdate(pingUpdate, { args: [i] });
      const latencies: number[] = [];
      const showUpdates = progress('update round trips');
      for (let i = 0; i < env.BENCH_UPDATES; i++) {
        const t = performance.now();
        await handle.executeUpdate(pingUpdate, { args: [i] });
        latencies.push(performance.now() - t);
        showUpdates(i + 1, env.BENCH_UPDATES);
      }
      await handle.signal(stopSignal);
      await handle.result();
      latencies.sort((a, b) => a - b);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      report('update round trip p50', p50, 'ms', '≤ 20', p50 <= 20);
      report('update round trip p99', p99, 'ms', '≤ 100', p99 <= 100);
    });
  } finally {
    await side.close();
    await server.stop();
  }
}

async function waitUntilAnswering(address: string): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  await client.workflowService.getSystemInfo({});
  return { client, connection };
}

async function memoryAndRestart(env: TBenchEnv, bundle: WorkflowBundleWithSourceMap): Promise<void> {
  const open = env.BENCH_OPEN;
  console.log(`\n[2/4] Persistent server: ${open} open workflows on 30-day timers, memory and restart`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-devserver-'));
  const dbFile = join(dir, 'bench.db');
  const port = await freePort();
  const args = ['server', 'start-dev', '--port', String(port), '--headless', '--db-filename', dbFile];
  let server: TServerProcess | undefined = await spawnServer(args, port);
  try {
    const baseline = rssMb(server.child.pid!);
    console.log(`  server up in ${server.startupMs} ms, RSS ${baseline.toFixed(0)} MB empty`);
    const taskQueue = 'bench-timers';
    // A small cache: the worker need not hold 10,000 workflows; the server must.
    const side = await connect(server.address, bundle, taskQueue, { maxCachedWorkflows: 100 });
    try {
      await side.worker.runUntil(async () => {
        const show = progress('started');
        const t0 = performance.now();
        await runPool(
          open,
          100,
          async (i) => {
            await side.client.workflow.start(longTimerWorkflow, { taskQueue, workflowId: `timer-${i}`, args: [30] });
          },
          (done) => show(done, open),
        );
        // Tasks are served in order: once the last ones have their timer, all have.
        const lastIds = Array.from({ length: Math.min(20, open) }, (_, k) => `timer-${open - 1 - k}`);
        for (;;) {
          const lengths = await Promise.all(
            lastIds.map(async (id) => (await side.client.workflow.getHandle(id).describe()).historyLength),
          );
          if (lengths.every((n) => n >= 5)) break;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        console.log(`  all ${open} waiting on their timer after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      });
    } finally {
      await side.close();
    }
    // Right after the last start, then once settled: the server compacts runs that have been idle for a while.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    console.log(`  RSS 3 s after the last workflow task: ${rssMb(server.child.pid!).toFixed(0)} MB`);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const rss = rssMb(server.child.pid!);
    report(`server RSS with ${open} open workflows (settled, 18 s idle)`, rss, 'MB', '≤ 300', rss <= 300);

    for (const how of ['clean stop (SIGTERM)', 'kill -9'] as const) {
      if (how === 'kill -9') await server.kill9();
      else await server.stop();
      server = undefined;
      const t = performance.now();
      server = await spawnServer(args, port, 60_000);
      const { client, connection } = await waitUntilAnswering(server.address);
      const restartMs = performance.now() - t;
      const running = (await client.workflow.count(`ExecutionStatus = 'Running'`)).count;
      await connection.close();
      console.log(`  after ${how}: ${running} running, RSS ${rssMb(server.child.pid!).toFixed(0)} MB`);
      if (running !== open) throw new Error(`expected ${open} running workflows after restart, found ${running}`);
      report(`restart after ${how} with ${open} open workflows`, restartMs / 1000, 's', '≤ 10', restartMs <= 10_000);
    }
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeSkipping(env: TBenchEnv, bundle: WorkflowBundleWithSourceMap): Promise<void> {
  console.log('\n[3/4] Time-skipping server (test-server form of the executable): a workflow that wakes monthly');
  const testEnv = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: BIN } },
  });
  try {
    const taskQueue = 'bench-skip';
    const worker = await Worker.create({
      connection: testEnv.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
    });
    const [serverPid] = childPids('temporal-devserver');
    if (serverPid === undefined) throw new Error('time-skipping server process not found');
    await worker.runUntil(async () => {
      const months = env.BENCH_MONTHS;
      // Warm-up: the first few hundred activations run cold code (JIT) in the worker and the server alike.
      await testEnv.client.workflow.execute(monthlyWakeWorkflow, {
        taskQueue,
        workflowId: 'skip-warmup',
        args: [months],
      });
      const rates: number[] = [];
      let workerCpu = 0;
      let serverCpu = 0;
      let wallMs = 0;
      for (let round = 1; round <= SKIP_ROUNDS; round++) {
        const w0 = process.cpuUsage();
        const s0 = cpuMs(serverPid);
        const t0 = performance.now();
        await testEnv.client.workflow.execute(monthlyWakeWorkflow, {
          taskQueue,
          workflowId: `skip-${round}`,
          args: [months],
        });
        const ms = performance.now() - t0;
        const w = process.cpuUsage(w0);
        workerCpu += (w.user + w.system) / 1000;
        serverCpu += cpuMs(serverPid) - s0;
        wallMs += ms;
        rates.push((months * 30) / (ms / 1000));
        console.log(
          `  round ${round}: ${months} monthly wake-ups (${months * 30} days) in ${(ms / 1000).toFixed(2)} s`,
        );
      }
      const wakeUps = months * SKIP_ROUNDS;
      // Each wake-up is one chain: server fires the timer → worker runs the activation → server records it. On two
      // cores the two processes take turns, so the CPU per wake-up of each says which side bounds the rate.
      console.log(
        `  per wake-up: ${(wallMs / wakeUps).toFixed(2)} ms wall; CPU ${(workerCpu / wakeUps).toFixed(2)} ms in the ` +
          `worker process (SDK core + workflow thread), ${(serverCpu / wakeUps).toFixed(2)} ms in the dev server`,
      );
      const rate = median(rates);
      report('time skipping (median round)', rate, 'simulated days per wall second', '≥ 10,000', rate >= 10_000);
      // The SDK's own share: replaying the same history needs no server and no network, so this is the ceiling the
      // worker alone allows, whatever the server does.
      const history = await testEnv.client.workflow.getHandle('skip-1').fetchHistory();
      const replayRates: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await Worker.runReplayHistory({ workflowBundle: bundle }, history, 'skip-1');
        replayRates.push((months * 30) / ((performance.now() - t0) / 1000));
      }
      const ceiling = median(replayRates);
      console.log(
        `  SDK worker alone (replaying that history, no server): ${(((months * 30) / ceiling / months) * 1000).toFixed(2)} ` +
          `ms per wake-up, ${ceiling.toFixed(0)} simulated days per second at most`,
      );
      const watchdogMs = await sandboxTimeoutShare(bundle, history, 'skip-1', months, ceiling);
      console.log(
        `    of which ${watchdogMs.toFixed(2)} ms is Node's vm timeout watchdog (a thread started for every call into ` +
          `the workflow sandbox; the SDK always sets isolateExecutionTimeout)`,
      );
    });
  } finally {
    await testEnv.teardown();
  }
  await timeSkippingFloor(env, bundle);
}

/**
 * The same workflow served by bench/devserver/floorServer.ts, a process that answers every workflow task completion
 * with the next task encoded in advance: no decoding, no history, no timers. The chain per wake-up is then only the SDK
 * worker and gRPC on loopback, so its rate bounds what any server can reach with this worker on this machine.
 */
async function timeSkippingFloor(env: TBenchEnv, bundle: WorkflowBundleWithSourceMap): Promise<void> {
  const months = env.BENCH_MONTHS;
  const runs = SKIP_ROUNDS + 1; // the first one warms up, as above
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('tsx/cjs'),
      require.resolve('./devserver/floorServer'),
      `${port}`,
      `${months}`,
      `${runs}`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const durations: number[] = [];
  let serverCpuAtFirstDone = 0;
  let workerCpuAtFirstDone = process.cpuUsage();
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') resolve();
      const done = /^done (\S+)$/.exec(line);
      if (!done) return;
      durations.push(Number(done[1]));
      if (durations.length > 1) return;
      serverCpuAtFirstDone = cpuMs(child.pid!);
      workerCpuAtFirstDone = process.cpuUsage();
    });
  });
  try {
    await ready;
    const connection = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
    try {
      const worker = await Worker.create({ connection, taskQueue: 'bench-floor', workflowBundle: bundle });
      await worker.runUntil(async () => {
        while (durations.length < runs) await new Promise((resolve) => setTimeout(resolve, 20));
      });
      const measured = durations.slice(1);
      const wakeUps = months * measured.length;
      const serverCpu = cpuMs(child.pid!) - serverCpuAtFirstDone;
      const w = process.cpuUsage(workerCpuAtFirstDone);
      const rate = median(measured.map((ms) => (months * 30) / (ms / 1000)));
      console.log(
        `  floor, a server that does no work (answers encoded in advance; ${measured.length} rounds): ` +
          `${rate.toFixed(0)} simulated days per second (median), ` +
          `${(measured.reduce((a, b) => a + b, 0) / wakeUps).toFixed(2)} ms wall per wake-up; CPU ` +
          `${((w.user + w.system) / 1000 / wakeUps).toFixed(2)} ms in the worker process, ` +
          `${(serverCpu / wakeUps).toFixed(2)} ms in the floor server`,
      );
      console.log(
        rate < 10_000
          ? '    below 10,000: with this SDK worker on this machine no server can reach the goal'
          : '    above 10,000: the worker leaves room for a server to reach the goal',
      );
    } finally {
      await connection.close();
    }
  } finally {
    child.stdin!.end();
    child.kill();
  }
}

/** Concurrent users of the updates10 section, each on its own long-running workflow. */
const USERS = 10;
/** Updates per user before measuring: the first ones run cold code (JIT, the workflow's V8 context, HTTP sockets). */
const WARMUP_UPDATES = 5;
/** The product's worker cache size (DEFAULT_MAX_CACHED_WORKFLOWS in worker/index.ts, not imported: it loads Prisma). */
const PRODUCT_MAX_CACHED_WORKFLOWS = 500;

interface TUpdateRow {
  name: string;
  count: number;
  errors: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** CPU ms per update of this process (client, worker and its threads, Express, the HTTP load) and of the server. */
  benchCpu: number;
  serverCpu: number;
}

/**
 * One variant: starts USERS fresh workflows (short histories, as the product's tasks have), warms each up, then runs
 * USERS closed loops of `op` for `seconds` and stops the workflows. CPU is counted over the measured window only.
 */
async function closedLoop(
  name: string,
  client: Client,
  taskQueue: string,
  serverPid: number,
  seconds: number,
  op: (workflowId: string, i: number) => Promise<void>,
): Promise<TUpdateRow> {
  const tag = name.slice(1, name.indexOf(')'));
  const ids = Array.from({ length: USERS }, (_, user) => `updates10-${tag}-${user}`);
  const handles = await Promise.all(
    ids.map((workflowId) => client.workflow.start(decisionTargetWorkflow, { taskQueue, workflowId })),
  );
  await Promise.all(
    ids.map(async (id) => {
      for (let i = 0; i < WARMUP_UPDATES; i++) await op(id, -1 - i);
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const cpu0 = process.cpuUsage();
  const server0 = cpuMs(serverPid);
  const benchThreads0 = threadCpuMs(process.pid);
  const serverThreads0 = threadCpuMs(serverPid);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    ids.map(async (id) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        try {
          await op(id, i);
          latencies.push(performance.now() - t);
        } catch (err) {
          errors += 1;
          firstError ??= err;
        }
      }
    }),
  );
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const serverCpu = cpuMs(serverPid) - server0;
  const benchThreads = busiestThreads(benchThreads0, threadCpuMs(process.pid), elapsedS * 1000);
  const serverThreads = busiestThreads(serverThreads0, threadCpuMs(serverPid), elapsedS * 1000, 2);
  await Promise.all(handles.map((h) => h.signal(stopSignal)));
  await Promise.all(handles.map((h) => h.result()));
  if (firstError !== undefined) console.error(`  ${name}: ${errors} errors, the first:`, firstError);
  latencies.sort((a, b) => a - b);
  const count = latencies.length;
  const row: TUpdateRow = {
    name,
    count,
    errors,
    perSecond: count / elapsedS,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    benchCpu: (cpu.user + cpu.system) / 1000 / count,
    serverCpu: serverCpu / count,
  };
  console.log(
    `  ${name}: ${count} in ${elapsedS.toFixed(1)} s, p50 ${row.p50.toFixed(1)} ms, ` +
      `CPU ${row.benchCpu.toFixed(2)} + ${row.serverCpu.toFixed(2)} ms per update`,
  );
  // Busy share of the wall time per thread: with cores to spare, a thread near 100 % is what the users queue on.
  console.log(`    busiest threads, bench process: ${benchThreads}; dev server: ${serverThreads}`);
  return row;
}

/**
 * Issue 10's floor: an HTTP decision with 10 concurrent users should take p50 ≤ 50 ms and p99 ≤ 250 ms. This measures
 * the fixed stack alone, with no product work: the dev server started exactly as `npm start` starts it (its own
 * process, a persistent SQLite history), one SDK worker here with the product's cache size and SDK defaults otherwise,
 * the SDK client, and Express — (a) an update that returns at once, (b) one that awaits a local activity that does
 * nothing, as the product's decisions await their projection, (c) (b) behind Express. (h) is Express and the load
 * generator alone (no update): both run in this process, and the product's process has no load generator, so (c)'s CPU
 * minus (h)'s is what the stack's own update costs there.
 */
async function updatesForTenUsers(env: TBenchEnv, bundle: WorkflowBundleWithSourceMap): Promise<void> {
  const seconds = env.BENCH_UPDATE_SECONDS;
  console.log(
    `\n[4/4] ${USERS} concurrent users, each updating its own workflow in closed loop for ${seconds} s per variant; ` +
      'dev server in its own process as npm start runs it, one SDK worker in this process',
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-updates10-'));
  const server = await startDevServerProcess({
    port: await freePort(),
    namespace: 'default',
    dbFile: join(dir, 'temporal.db'),
    log: (line) => console.log(`  ${line}`),
    onGiveUp: (reason) => console.error(`  ${reason}`),
  });
  let httpServer: http.Server | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: USERS });
  try {
    const serverPid = server.pid();
    if (serverPid === undefined) throw new Error('dev server process has no pid');
    const taskQueue = 'bench-updates10';
    const connection = await Connection.connect({ address: server.address });
    const native = await NativeConnection.connect({ address: server.address });
    try {
      const client = new Client({ connection });
      const worker = await Worker.create({
        connection: native,
        taskQueue,
        workflowBundle: bundle,
        activities: createBenchActivities(),
        maxCachedWorkflows: PRODUCT_MAX_CACHED_WORKFLOWS,
      });
      // A bare Express app: the JSON body parser the product's routes use, one route per variant, nothing else.
      const app = express();
      app.use(express.json());
      app.post('/decide/:workflowId', async (req, res) => {
        const body = req.body as { value?: unknown };
        const value = await client.workflow
          .getHandle(req.params.workflowId)
          .executeUpdate(decideUpdate, { args: [Number(body.value)] });
        res.json({ ok: true, value });
      });
      app.post('/echo/:workflowId', (req, res) => {
        const body = req.body as { value?: unknown };
        res.json({ ok: true, value: Number(body.value) });
      });
      const listening = app.listen(0, '127.0.0.1');
      httpServer = listening;
      await new Promise<void>((resolve, reject) => {
        listening.once('listening', resolve);
        listening.once('error', reject);
      });
      const port = (listening.address() as { port: number }).port;
      const post = async (path: string, value: number): Promise<void> => {
        const res = await request(port, agent, { method: 'POST', path, token: 'bench', body: { value } });
        if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${res.body}`);
      };

      const rows: TUpdateRow[] = [];
      await worker.runUntil(async () => {
        const run = (name: string, op: (workflowId: string, i: number) => Promise<void>) =>
          closedLoop(name, client, taskQueue, serverPid, seconds, op).then((row) => rows.push(row));
        await run('(a) executeUpdate, handler returns at once', async (id, i) => {
          await client.workflow.getHandle(id).executeUpdate(pingUpdate, { args: [i] });
        });
        await run('(b) executeUpdate, handler awaits one local activity', async (id, i) => {
          await client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [i] });
        });
        await run('(c) (b) behind Express: POST /decide/:id', (id, i) => post(`/decide/${id}`, i));
        await run('(h) Express alone, no update: POST /echo/:id', (id, i) => post(`/echo/${id}`, i));
      });
      if (server.pid() !== serverPid) throw new Error('the dev server restarted during the measurement');

      const f = (x: number, digits = 1): string => x.toFixed(digits);
      console.log(
        `\n  ${USERS} users, ${seconds} s per variant, load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}\n`,
      );
      console.log(
        '  | variant | n | errors | updates/s | p50 ms | p95 ms | p99 ms | CPU ms/update, bench process | ' +
          'CPU ms/update, dev server |',
      );
      console.log('  | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
      for (const r of rows) {
        console.log(
          `  | ${r.name} | ${r.count} | ${r.errors} | ${f(r.perSecond)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ` +
            `${f(r.benchCpu, 2)} | ${f(r.serverCpu, 2)} |`,
        );
      }
      const decision = rows.find((r) => r.name.startsWith('(c)'))!;
      console.log(`\n  floor for ${USERS} users: p50 ${f(decision.p50)} ms (p99 ${f(decision.p99)} ms; variant (c))`);
      // Little's law: USERS closed loops keep USERS updates in flight, so the mean wait is USERS / throughput; and two
      // processes' CPU per update shared over the machine's cores caps the throughput, whatever the load around.
      const cores = cpus().length;
      const cpuPerUpdate = decision.benchCpu + decision.serverCpu;
      console.log(
        `  CPU-bound limit: ${f(cpuPerUpdate, 2)} ms of CPU per decision on ${cores} cores allows at most ` +
          `${f((cores * 1000) / cpuPerUpdate)} decisions/s, so ${USERS} users wait at least ` +
          `${f((USERS * cpuPerUpdate) / cores)} ms on average even with both cores free and perfectly shared`,
      );
      report(`floor of an HTTP decision, ${USERS} users, p50`, decision.p50, 'ms', '≤ 50', decision.p50 <= 50);
      report(`floor of an HTTP decision, ${USERS} users, p99`, decision.p99, 'ms', '≤ 250', decision.p99 <= 250);
    } finally {
      await native.close();
      await connection.close();
    }
  } finally {
    agent.destroy();
    const closing = httpServer;
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Diagnostic only: replays the history again with the `timeout` option stripped from vm's runInContext (in this
 * process, during this replay) and returns how many ms per wake-up the watchdog costs. No figure above uses it.
 */
async function sandboxTimeoutShare(
  bundle: WorkflowBundleWithSourceMap,
  history: Parameters<typeof Worker.runReplayHistory>[1],
  workflowId: string,
  wakeUps: number,
  withTimeoutDaysPerSecond: number,
): Promise<number> {
  const original = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function (this: vm.Script, context, options) {
    const { timeout: _timeout, ...rest } = options ?? {};
    return original.call(this, context, rest);
  };
  try {
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);
      rates.push((wakeUps * 30) / ((performance.now() - t0) / 1000));
    }
    const msPerWake = (rate: number): number => ((wakeUps * 30) / rate / wakeUps) * 1000;
    return msPerWake(withTimeoutDaysPerSecond) - msPerWake(median(rates));
  } finally {
    vm.Script.prototype.runInContext = original;
  }
}

async function main(): Promise<void> {
  const env = ZBenchEnv.parse(process.env);
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
  console.log(`Dev server benchmark (${BIN}), sizes ${JSON.stringify(env)}`);
  // Other processes on the machine skew every figure; the load average says how much.
  console.log(
    `Load average at start: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./devserver/workflows'),
    logger: new DefaultLogger('ERROR'),
  });
  if (env.BENCH_ONLY.includes('throughput')) await throughputAndUpdates(env, bundle);
  if (env.BENCH_ONLY.includes('memory')) await memoryAndRestart(env, bundle);
  if (env.BENCH_ONLY.includes('skipping')) await timeSkipping(env, bundle);
  if (env.BENCH_ONLY.includes('updates10')) await updatesForTenUsers(env, bundle);
  console.log(
    `\nSummary (load average now: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
  for (const f of figures) {
    console.log(
      `  ${f.ok ? 'OK    ' : 'MISSED'} ${f.name}: ${f.value.toFixed(f.value < 100 ? 1 : 0)} ${f.unit} (goal ${f.goal})`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
