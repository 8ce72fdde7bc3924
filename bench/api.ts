/**
 * `npm run bench:api [-- --tasks N] [--duration S] [--seed-only --data-dir DIR]`: seeds a data directory with N tasks
 * (at least min(N, 500) of them with live workflows, created through the API; the rest written as the workflow would
 * have projected them, bench/api/seed.ts), starts the product on the embedded stack as `npm start` does, and prints
 * p50/p95/p99 of decisions (10 users) and of each heavy read (c=10) beside a bare Express hello-world measured in the
 * same run. SQLite by default; PostgreSQL with DATABASE_URL set. `--seed-only` leaves DIR for `DATA_DIR=DIR npm start`.
 * `--profile DIR` writes a CPU profile of this process's main thread per measure. The clients run in a process of their
 * own (bench/api/loadProcess.ts); `--in-process-load` runs them in this one, as the figures before 2026-12-02 did.
 * `--worker-process` runs the product's worker in a process of its own (production's ROLE=api + ROLE=worker shape)
 * instead of in the API's, as `npm start` runs it.
 */
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import express from 'express';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { createDb, redactUrl, type Db } from '../db/client';
import { migrateDeploy } from '../db/migrate';
import { startDevServer } from '../devserver/src/index';
import { startDevServerProcess } from '../scripts/devserver-process';
import { cpuMs } from './devserver/stats';
import { periodOf } from '../domain/calendar';
import type { Actor } from '../domain/task';
import { seedDemo, type TDemoUser } from '../scripts/seed-demo';
import { createTaskWorker } from '../worker';
import { request, type TLoadResult, type TRequestSpec } from './api/load';
import { startLoadProcess, type TLoadProcess } from './api/loadProcess';
import { startWorkerProcess, type TWorkerProcess } from './api/workerProcess';
import { runPlan, type TLoadPlan } from './api/plan';
import { seedBulkTasks, type TSeedCampaign, type TSeedUnit } from './api/seed';
import http from 'node:http';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '300' },
    duration: { type: 'string', default: '10' },
    'seed-only': { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    live: { type: 'string', default: '500' },
    profile: { type: 'string' },
    'in-process-load': { type: 'boolean', default: false },
    'worker-process': { type: 'boolean', default: false },
  },
});
const TASKS = Number(args.tasks);
const DURATION_MS = Number(args.duration) * 1000;
const LIVE = Math.min(TASKS, Number(args.live));

async function listen(app: express.Express): Promise<{ server: Server; port: number }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, port: (server.address() as AddressInfo).port };
}

function actorOf(u: TDemoUser): Actor {
  return { userId: u.userId, role: u.role as Actor['role'], unitId: u.unitId };
}

/**
 * PostgreSQL after a bulk load, as its autovacuum leaves a production database: planner statistics and the visibility
 * map (index-only scans). Without them a freshly seeded 10⁵ measured plans nobody runs: the inbox's notifications
 * sorted 16,501 rows (estimated: 4), a campaign's GROUP BY visited the heap for every index entry (238 ms against 10).
 * CI's cluster runs with autovacuum off (`.ci/postgres.sh`), so the bench does it; a reused directory too (cheap).
 * SQLite is left as the product leaves it (no ANALYZE).
 */
async function settleStatistics(db: Db): Promise<void> {
  if ((db as unknown as { _activeProvider?: string })._activeProvider !== 'postgresql') return;
  const t = performance.now();
  await db.$executeRawUnsafe('VACUUM (ANALYZE)');
  console.log(`[bench:api] VACUUM (ANALYZE) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const dataDir = path.resolve(args['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-bench-api-')));
  fs.mkdirSync(dataDir, { recursive: true });
  const databaseUrl = process.env.DATABASE_URL ?? `file:${path.join(dataDir, 'zhenggai.db')}`;
  const t0 = performance.now();
  await migrateDeploy(databaseUrl);
  const db = createDb(databaseUrl);
  // As `npm start` runs it: the dev server in its own process (DEVSERVER_IN_PROCESS=true: in this one, the old shape).
  const devserver =
    process.env.DEVSERVER_IN_PROCESS === 'true'
      ? { ...(await startDevServer({ port: 0, dbFile: path.join(dataDir, 'temporal.db') })), pid: () => undefined }
      : await startDevServerProcess({
          port: 0,
          namespace: 'default',
          dbFile: path.join(dataDir, 'temporal.db'),
          log: (line) => console.warn(`[bench:api] ${line}`),
          onGiveUp: (reason) => console.error(`[bench:api] dev server: ${reason}`),
        });
  // The worker in this process, as `npm start` runs it; with --worker-process in its own, as production runs it.
  const workerProcess = args['worker-process'] ? await startWorkerProcess(databaseUrl, devserver.address) : null;
  workerProcessRef = workerProcess;
  const workerConnection = workerProcess ? null : await NativeConnection.connect({ address: devserver.address });
  const worker = workerConnection ? await createTaskWorker({ connection: workerConnection, deps: { db } }) : null;
  const running = worker?.run();
  const connection = await Connection.connect({ address: devserver.address });
  const client = new Client({ connection });
  const fresh = await seedDemo(db);
  // A directory seeded before (`--seed-only`): measure it as it is.
  const reuse = fresh.length === 0;
  const demoFile = path.join(dataDir, 'demo-users.json');
  if (!reuse) fs.writeFileSync(demoFile, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o600 });
  const users = reuse ? (JSON.parse(fs.readFileSync(demoFile, 'utf8')) as TDemoUser[]) : fresh;
  const by = (username: string): TDemoUser => users.find((u) => u.username === username)!;
  const app = createApp({ db, client, limits: { maxQueuedReads: 1000 } });
  const { server, port } = await listen(app);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const call = async (spec: TRequestSpec): Promise<unknown> => {
    const res = await request(port, agent, spec);
    if (res.status >= 300) throw new Error(`${spec.method} ${spec.path}: ${res.status} ${res.body.slice(0, 300)}`);
    return res.body ? (JSON.parse(res.body) as unknown) : undefined;
  };

  const office = by('office');
  let campaignIds: string[];
  let liveTasks: { id: string; staff: TDemoUser }[] = [];
  let taskCount = TASKS;
  if (reuse) {
    campaignIds = (await db.campaign.findMany({ orderBy: { createdAt: 'asc' }, select: { id: true } })).map(
      (c) => c.id,
    );
    const staffOf = (unitId: string) => users.find((u) => u.role === 'unit_staff' && u.unitId === unitId)!;
    liveTasks = (
      await db.task.findMany({
        where: { status: 'ASSIGNED', problem: { title: { startsWith: '在办问题' } } },
        select: { id: true, leadUnitId: true },
      })
    ).map((t) => ({ id: t.id, staff: staffOf(t.leadUnitId) }));
    taskCount = await db.task.count();
    console.log(
      `[bench:api] reusing ${dataDir}: ${taskCount} tasks, ${liveTasks.length} live and still unacknowledged`,
    );
  } else {
    const province = by('leader').unitId;
    const cityA = by('dongzhou_leader').unitId;
    const cityB = by('xizhou_leader').unitId;
    // 5 campaigns: three provincial (the first the biggest), one per city.
    const campaignSpecs = [
      { name: '省委第一巡视组反馈意见整改', unit: province, office, weight: 0.4 },
      { name: '省委第二巡视组反馈意见整改', unit: province, office, weight: 0.2 },
      { name: '省审计厅督察反馈整改', unit: province, office, weight: 0.15 },
      { name: '东州市委巡察反馈整改', unit: cityA, office: by('dongzhou_office'), weight: 0.125 },
      { name: '西州市委巡察反馈整改', unit: cityB, office: by('xizhou_office'), weight: 0.125 },
    ];
    const campaigns: TSeedCampaign[] = [];
    for (const [i, c] of campaignSpecs.entries()) {
      const { id } = (await call({
        method: 'POST',
        path: '/api/campaigns',
        token: c.office.token,
        body: {
          name: c.name,
          kind: i < 2 ? 'xunshi' : i === 2 ? 'ducha' : 'xuncha',
          inspectingBody: c.name.slice(0, 8),
          inspectedUnitId: c.unit,
          feedbackDate: '2025-03-15',
        },
      })) as { id: string };
      const unit = (staff: string, head: string, leader: string, off: TDemoUser): TSeedUnit => ({
        leadUnitId: by(staff).unitId,
        staff: actorOf(by(staff)),
        head: actorOf(by(head)),
        leaderId: by(leader).userId,
        office: actorOf(off),
      });
      const units =
        c.unit === province
          ? [
              unit('medical_staff', 'medical_head', 'leader', office),
              unit('finance_staff', 'finance_head', 'leader', office),
            ]
          : c.unit === cityA
            ? [unit('dongzhou_staff', 'dongzhou_head', 'dongzhou_leader', c.office)]
            : [unit('xizhou_staff', 'xizhou_head', 'xizhou_leader', c.office)];
      campaigns.push({ id, weight: c.weight, units });
    }

    // Live tasks through the API (their workflows run), in the biggest campaign, on the two provincial departments.
    const tLive = performance.now();
    const cpuCreating = cpuSeconds(devserver.pid(), workerProcess?.pid);
    for (let done = 0; done < LIVE; done += 100) {
      const n = Math.min(100, LIVE - done);
      const staffs = Array.from({ length: n }, (_, i) => by((done + i) % 2 === 0 ? 'medical_staff' : 'finance_staff'));
      const res = (await call({
        method: 'POST',
        path: `/api/campaigns/${campaigns[0]!.id}/tasks`,
        token: office.token,
        body: {
          tasks: staffs.map((s, i) => ({
            problem: { category: '巡视整改', title: `在办问题 第${done + i + 1}项` },
            measure: '建立整改台账，逐项销号',
            leadUnitId: s.unitId,
            leaderId: by('leader').userId,
            deadline: '2027年6月30日前完成',
          })),
        },
      })) as { tasks: { id: string }[] };
      res.tasks.forEach((t, i) => liveTasks.push({ id: t.id, staff: staffs[i]! }));
    }
    const liveSeconds = (performance.now() - tLive) / 1000;
    const cpuCreated = cpuSeconds(devserver.pid(), workerProcess?.pid);
    // Creation answers once every workflow is started; each then runs its first workflow task and projects its task
    // (the stored light's instant leaves the epoch that creation writes). Measured apart, and waited for, so that no
    // measure below shares the machine with that backlog.
    const projectedSeconds = await waitUntilProjected(
      db,
      liveTasks.map((t) => t.id),
      tLive,
    );
    console.log(
      `[bench:api] ${LIVE} live tasks created through the API in ${liveSeconds.toFixed(1)} s ` +
        `(${(LIVE / liveSeconds).toFixed(0)} tasks/s in batches of 100, workflows started); ` +
        `all projected by their workflows ${projectedSeconds.toFixed(1)} s after the first request`,
    );
    const perTask = (a: number | null, b: number | null): string =>
      a === null || b === null ? '—' : `${(((b - a) * 1000) / LIVE).toFixed(1)} ms`;
    creation = {
      tasks: LIVE,
      seconds: liveSeconds,
      projectedSeconds,
      cpu:
        `CPU per task while the requests ran: this process ${perTask(cpuCreating.self, cpuCreated.self)}` +
        (workerProcess ? `, worker process ${perTask(cpuCreating.worker, cpuCreated.worker)}` : '') +
        `, dev server ${perTask(cpuCreating.devserver, cpuCreated.devserver)}`,
    };

    const bulk = TASKS - LIVE;
    const tBulk = performance.now();
    await seedBulkTasks({
      db,
      campaigns,
      tasks: bulk,
      now: new Date(),
      notifyUserIds: [office.userId, by('leader').userId, by('medical_staff').userId],
      onProgress: (n) => {
        if (n % 10_000 === 0) console.log(`[bench:api]   ${n} / ${bulk} bulk tasks`);
      },
    });
    console.log(`[bench:api] ${bulk} bulk tasks written in ${((performance.now() - tBulk) / 1000).toFixed(1)} s`);
    campaignIds = campaigns.map((c) => c.id);
  }
  const seededSeconds = (performance.now() - t0) / 1000;
  await settleStatistics(db);

  const stop = async (): Promise<void> => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    worker?.shutdown();
    await running;
    await workerConnection?.close();
    await workerProcess?.stop();
    await connection.close();
    await devserver.stop();
    await db.$disconnect();
  };

  if (args['seed-only']) {
    await stop();
    console.log(`[bench:api] seeded ${TASKS} tasks (${LIVE} live) in ${seededSeconds.toFixed(1)} s: ${dataDir}`);
    const dbEnv = process.env.DATABASE_URL ? `DATABASE_URL=${redactUrl(process.env.DATABASE_URL)} ` : '';
    console.log(`[bench:api] serve it with: ${dbEnv}DATA_DIR=${dataDir} npm start`);
    return;
  }

  // ---- measurements ----
  // The clients run in a process of their own unless `--in-process-load` (the shape of the figures before 2026-12-02).
  generator = args['in-process-load'] ? null : await startLoadProcess();
  const load = { port, concurrency: 10, durationMs: DURATION_MS, maxRequests: 100_000 };
  const results: TLoadResult[] = [];
  const hello = express();
  hello.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  const baselineServer = await listen(hello);
  const baseline = await measured({
    ...load,
    name: 'hello-world (bare Express)',
    port: baselineServer.port,
    cycle: [{ method: 'GET', path: '/hello', token: 'x' }],
  });
  baselineServer.server.close();
  results.push(baseline);

  // Decisions: first one user alone (the latency of a decision on a quiet stack), then 10 users, each on its own live
  // tasks: acknowledge, report, review accept. The CPU every process spends during the 10 users' run, per decision,
  // says what bounds it: 10 users in a closed loop wait ~10 × that CPU ÷ 2 cores per decision however it is split.
  const period = periodOf(new Date().toISOString());
  const alone = liveTasks.splice(liveTasks.length - 20, 20);
  const decisionsOn = (tasks: typeof liveTasks): TRequestSpec[] =>
    tasks.flatMap((task) => {
      const base = `/api/tasks/${task.id}`;
      return [
        { method: 'POST', path: `${base}/acknowledge`, token: task.staff.token, body: {} },
        {
          method: 'POST',
          path: `${base}/reports`,
          token: task.staff.token,
          body: { period, progress: '已建立整改台账' },
        },
        { method: 'POST', path: `${base}/reports/${period}/review`, token: office.token, body: { decision: 'accept' } },
      ];
    });
  results.push(
    await measured({
      ...load,
      name: 'decisions (ack/report/review), 1 user',
      concurrency: 1,
      perLoop: [decisionsOn(alone)],
    }),
  );
  const perUser = Math.floor(liveTasks.length / 10);
  const cpuBefore = cpuSeconds(devserver.pid(), workerProcess?.pid);
  const decisions = await measured({
    ...load,
    name: 'decisions (ack/report/review), 10 users',
    perLoop: Array.from({ length: 10 }, (_, loop) =>
      decisionsOn(liveTasks.slice(loop * perUser, (loop + 1) * perUser)),
    ),
  });
  const cpuAfter = cpuSeconds(devserver.pid(), workerProcess?.pid);
  results.push(decisions);
  const perDecision = (a: number, b: number): string =>
    `${(((b - a) * 1000) / Math.max(1, decisions.count)).toFixed(1)} ms`;
  const cpuNote =
    `CPU per decision (10 users): this process (API, ${workerProcess ? '' : 'worker, '}client, database` +
    `${generator ? '' : ', load generator'}) ${perDecision(cpuBefore.self, cpuAfter.self)}` +
    (cpuBefore.worker === null || cpuAfter.worker === null
      ? ''
      : `, worker process ${perDecision(cpuBefore.worker, cpuAfter.worker)}`) +
    (cpuBefore.devserver === null || cpuAfter.devserver === null
      ? ''
      : `, dev server process ${perDecision(cpuBefore.devserver, cpuAfter.devserver)}`);

  const biggest = campaignIds[0]!;
  const sample = await db.task.findMany({ select: { id: true }, take: 200, orderBy: { createdAt: 'desc' } });
  const reads: [string, TRequestSpec[]][] = [
    ['list (office, page 1 of 20)', [{ method: 'GET', path: '/api/tasks?pageSize=20', token: office.token }]],
    [
      'list trafficLight=red',
      [{ method: 'GET', path: '/api/tasks?trafficLight=red&pageSize=20', token: office.token }],
    ],
    [
      'stats of the biggest campaign',
      [{ method: 'GET', path: `/api/campaigns/${biggest}/stats`, token: office.token }],
    ],
    ['detail', sample.map((t) => ({ method: 'GET', path: `/api/tasks/${t.id}`, token: office.token }))],
    ['inbox office', [{ method: 'GET', path: '/api/inbox', token: office.token }]],
    ['inbox leader', [{ method: 'GET', path: '/api/inbox', token: by('leader').token }]],
    ['inbox staff', [{ method: 'GET', path: '/api/inbox', token: by('medical_staff').token }]],
  ];
  for (const [name, cycle] of reads) results.push(await measured({ ...load, name: `${name}, c=10`, cycle }));
  generator?.stop();

  await stop();
  const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '—');
  console.log('');
  console.log(
    `bench:api — ${new Date().toISOString()} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}, ${databaseUrl.startsWith('file:') ? 'SQLite' : 'PostgreSQL'}, ` +
      `worker ${workerProcess ? 'in its own process' : "in the API's process"}, load generator ${generator ? 'in its own process' : "in the API's process"}`,
  );
  console.log(
    `${taskCount} tasks (${liveTasks.length} live for decisions), ${reuse ? 'reused' : `seeded in ${seededSeconds.toFixed(1)} s`}; ${DURATION_MS / 1000} s per measure`,
  );
  if (creation) {
    console.log(
      `task creation: ${creation.tasks} tasks in batches of 100 through POST /api/campaigns/:id/tasks in ` +
        `${creation.seconds.toFixed(1)} s = ${(creation.tasks / creation.seconds).toFixed(0)} tasks/s (workflows started); ` +
        `every task projected by its workflow after ${creation.projectedSeconds.toFixed(1)} s ` +
        `(${(creation.tasks / creation.projectedSeconds).toFixed(0)} tasks/s); ${creation.cpu}`,
    );
  }
  console.log('');
  console.log(
    '| measure | n | non-2xx | req/s | p50 ms | p95 ms | p99 ms | p50 × baseline | p99 × baseline | CPU ms / request |' +
      (generator ? ' load generator CPU ms / request |' : ''),
  );
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |${generator ? ' --- |' : ''}`);
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.count} | ${r.errors} | ${r.perSecond.toFixed(0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ` +
        `${fmt(r.p50 / baseline.p50)} | ${fmt(r.p99 / baseline.p99)} | ${fmt(cpuPerRequest.get(r) ?? NaN)} |` +
        (generator ? ` ${fmt(generatorCpuPerRequest.get(r) ?? NaN)} |` : ''),
    );
  }
  console.log('');
  console.log(
    generator
      ? 'CPU ms / request: this process (API, worker, database) per request of the measure; the load generator runs in ' +
          'a process of its own (its CPU in the last column). With c=10 on one event loop a request waits for about ' +
          '10 × that before it is answered, whatever the database.'
      : 'CPU ms / request: this process (API, worker, database and the load generator itself, whose share is about ' +
          "the baseline's figure) per request of the measure; with c=10 on one event loop a request waits for about " +
          "10 × that (minus the generator's share) before it is answered, whatever the database.",
  );
  console.log('');
  console.log(cpuNote);
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  if (!args['data-dir']) fs.rmSync(dataDir, { recursive: true, force: true });
}

const cpuPerRequest = new Map<TLoadResult, number>();
let creation: { tasks: number; seconds: number; projectedSeconds: number; cpu: string } | null = null;

/**
 * Waits until the workflow of every task in `ids` has projected it (creation writes the light's instant as the epoch,
 * the first projection a real one); seconds since `since` (a performance.now()). Gives up after 10 minutes.
 */
async function waitUntilProjected(db: ReturnType<typeof createDb>, ids: string[], since: number): Promise<number> {
  const giveUp = performance.now() + 600_000;
  for (;;) {
    let waiting = 0;
    for (let i = 0; i < ids.length; i += 500) {
      waiting += await db.task.count({
        where: { id: { in: ids.slice(i, i + 500) }, lightChangesAt: new Date(0) },
      });
    }
    if (waiting === 0) return (performance.now() - since) / 1000;
    if (performance.now() > giveUp) throw new Error(`${waiting} live tasks still not projected after 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
const generatorCpuPerRequest = new Map<TLoadResult, number>();
/** The worker's process with `--worker-process` (its profile is taken beside this process's). */
let workerProcessRef: TWorkerProcess | null = null;
/** The load generator's process; null with `--in-process-load`. */
let generator: TLoadProcess | null = null;

/**
 * One measure, with this process's CPU per request and, with `--profile DIR`, a CPU profile of this process's main
 * thread during it (`DIR/<measure>.cpuprofile`, for Chrome DevTools or speedscope).
 */
async function measured(plan: TLoadPlan): Promise<TLoadResult> {
  const dir = args.profile;
  const session = dir ? new inspector.Session() : null;
  if (session && dir) {
    fs.mkdirSync(dir, { recursive: true });
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    await workerProcessRef?.profileStart();
  }
  const before = process.cpuUsage();
  let result: TLoadResult;
  if (generator) {
    const ran = await generator.run(plan);
    result = ran.result;
    generatorCpuPerRequest.set(result, ran.cpuMs / Math.max(1, result.count));
  } else result = await runPlan(plan);
  const used = process.cpuUsage(before);
  cpuPerRequest.set(result, (used.user + used.system) / 1000 / Math.max(1, result.count));
  if (session && dir) {
    const { profile } = await session.post('Profiler.stop');
    const file = path.join(dir, `${plan.name.replace(/[^\p{L}\p{N}]+/gu, '-')}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    await workerProcessRef?.profileStop(file.replace(/\.cpuprofile$/, '.worker.cpuprofile'));
    session.disconnect();
  }
  return result;
}

/** CPU seconds (user + system) of this process, and of the dev server's and the worker's when they are processes. */
function cpuSeconds(
  devserverPid: number | undefined,
  workerPid: number | undefined,
): { self: number; devserver: number | null; worker: number | null } {
  const usage = process.cpuUsage();
  const of = (pid: number | undefined): number | null => {
    if (pid === undefined) return null;
    try {
      return cpuMs(pid) / 1000;
    } catch {
      return null;
    }
  };
  return { self: (usage.user + usage.system) / 1e6, devserver: of(devserverPid), worker: of(workerPid) };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('[bench:api] failed:', err);
    process.exit(1);
  },
);
