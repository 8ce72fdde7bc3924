/**
 * `npm run soak -- --minutes N`: the product on the embedded stack as `npm start` runs it (the dev server in its own
 * process, the worker and the API in this one, SQLite in a temporary data directory; DATABASE_URL for PostgreSQL),
 * under a steady load of several users for N minutes:
 * - two units' staff (医政医管处, 财务处) each submit the month's report on their own tasks, one after the other,
 *   and the office returns each one with a reason (so the unit reports again: the cycle never runs out);
 * - the office, the leader, the supervisor and a unit head read (task list, list by light, a task page, the inbox,
 *   campaign stats), each one request every READ_PAUSE_MS.
 * Every minute it prints requests, errors, latency p50/p95 of decisions and of reads, RSS of this process and of the
 * dev server's, and both processes' live heaps (after a full collection); at the end memory growth after warm-up
 * (median of minutes 2–4 against the median of the last three: goal ≤ 10 %; the strict minute-1-to-last figure is
 * printed too), the error count (goal 0) and whether the audit chain still verifies. Exit 0 when all goals hold.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { percentile, request, type TRequestSpec } from '../bench/api/load';
import { verifyAuditChain } from '../db/auditChain';
import { createDb, redactUrl } from '../db/client';
import { migrateDeploy } from '../db/migrate';
import { periodOf } from '../domain/calendar';
import { createTaskWorker } from '../worker';
import { startDevServerProcess } from './devserver-process';
import { seedDemo, type TDemoUser } from './seed-demo';
import { ThreadHeaps } from './thread-heaps';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    tasks: { type: 'string', default: '60' },
  },
});
const MINUTES = Number(args.minutes);
const TASKS = Number(args.tasks);
if (!(MINUTES > 0) || !(TASKS >= 2)) {
  console.error('usage: npm run soak -- --minutes N [--tasks T]   (N > 0, T ≥ 2)');
  process.exit(2);
}
/** Pause between one decision cycle's end and the next: a steady pace, not a stress test (about 3 decisions/s). */
const DECISION_PAUSE_MS = 300;
/** Pause between one reader's requests. */
const READ_PAUSE_MS = 500;
const MEMORY_GROWTH_GOAL = 0.1;
const MINUTE_MS = 60_000;

/**
 * A full garbage collection before each sample, so that "heap" is what is still alive (a leak keeps growing it),
 * not wherever the collector happened to be. Costs one pause of this process a minute.
 */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '—');

/** A process's resident set from /proc (Linux); undefined elsewhere or once it has gone. */
function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

type TKind = 'decision' | 'read';

class MinuteStats {
  latencies: Record<TKind, number[]> = { decision: [], read: [] };
  errors = 0;
  samples: string[] = [];

  record(kind: TKind, latencyMs: number, ok: boolean, what: string): void {
    if (ok) this.latencies[kind].push(latencyMs);
    else {
      this.errors++;
      if (this.samples.length < 3) this.samples.push(what);
    }
  }
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-soak-'));
  const databaseUrl = process.env.DATABASE_URL ?? `file:${path.join(dataDir, 'zhenggai.db')}`;
  console.log(`[soak] ${MINUTES} min, ${TASKS} tasks, database ${redactUrl(databaseUrl)}, data in ${dataDir}`);
  await migrateDeploy(databaseUrl);
  const db = createDb(databaseUrl);
  const devserver = await startDevServerProcess({
    port: 0,
    namespace: 'default',
    dbFile: path.join(dataDir, 'temporal.db'),
    log: (line) => console.warn(`[soak] ${line}`),
    onGiveUp: (reason) => {
      console.error(`[soak] dev server: ${reason}`);
      process.exit(1);
    },
  });
  const workerConnection = await NativeConnection.connect({ address: devserver.address });
  const worker = await createTaskWorker({ connection: workerConnection, deps: { db } });
  const running = worker.run();
  const connection = await Connection.connect({ address: devserver.address });
  const client = new Client({ connection });
  const users = await seedDemo(db);
  const by = (username: string): TDemoUser => users.find((u) => u.username === username)!;
  // The access log at warn: the table stays readable, and a refused or failed request still prints its line.
  process.env.LOG_LEVEL ??= 'warn';
  const app = createApp({ db, client });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  // Idle sockets closed by the client after 4 s, before the server's 5 s keep-alive timeout closes them: otherwise a
  // request sent on a socket the server is closing at that moment fails (ECONNRESET), an artefact of the client.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16, timeout: 4_000 });
  const call = async (spec: TRequestSpec): Promise<unknown> => {
    const res = await request(port, agent, spec);
    if (res.status >= 300) throw new Error(`${spec.method} ${spec.path}: ${res.status} ${res.body.slice(0, 200)}`);
    return res.body ? (JSON.parse(res.body) as unknown) : undefined;
  };

  // ---- setup: a campaign, TASKS tasks split between two units, each acknowledged ----
  const office = by('office');
  const staffs = [by('medical_staff'), by('finance_staff')];
  const { id: campaignId } = (await call({
    method: 'POST',
    path: '/api/campaigns',
    token: office.token,
    body: {
      name: '省委第一巡视组反馈意见整改',
      kind: 'xunshi',
      inspectingBody: '省委第一巡视组',
      inspectedUnitId: by('leader').unitId,
      feedbackDate: '2025-03-15',
    },
  })) as { id: string };
  const created = (await call({
    method: 'POST',
    path: `/api/campaigns/${campaignId}/tasks`,
    token: office.token,
    body: {
      tasks: Array.from({ length: TASKS }, (_, i) => ({
        problem: { category: '巡视整改', title: `长期运行问题 第${i + 1}项` },
        measure: '建立整改台账，逐项销号',
        leadUnitId: staffs[i % 2]!.unitId,
        leaderId: by('leader').userId,
        deadline: '2035年12月31日前完成',
      })),
    },
  })) as { tasks: { id: string }[] };
  const tasksOf = staffs.map((_, s) => created.tasks.filter((_t, i) => i % 2 === s).map((t) => t.id));
  for (const [s, ids] of tasksOf.entries()) {
    for (const id of ids) {
      // The workflow assigns the task right after its start; acknowledging before that is refused (409): retry.
      for (let attempt = 0; ; attempt++) {
        const res = await request(port, agent, {
          method: 'POST',
          path: `/api/tasks/${id}/acknowledge`,
          token: staffs[s]!.token,
          body: {},
        });
        if (res.status === 200) break;
        if (attempt > 100) throw new Error(`task ${id} not acknowledged: ${res.status} ${res.body}`);
        await sleep(100);
      }
    }
  }
  console.log(`[soak] ${TASKS} tasks created and acknowledged; load starts`);

  // ---- the load ----
  const started = Date.now();
  const endAt = started + MINUTES * MINUTE_MS;
  let current = new MinuteStats();
  const timed = async (kind: TKind, spec: TRequestSpec): Promise<boolean> => {
    const t0 = performance.now();
    let ok = false;
    let what = '';
    try {
      const res = await request(port, agent, spec);
      ok = res.status >= 200 && res.status < 300;
      if (!ok)
        what = `${spec.method} ${spec.path.replace(/[0-9a-f-]{36}/g, ':id')} ${res.status} ${res.body.slice(0, 120)}`;
    } catch (error) {
      what = `${spec.method} ${spec.path}: ${(error as Error).message}`;
    }
    current.record(kind, performance.now() - t0, ok, what);
    return ok;
  };

  const decisionLoop = async (staff: TDemoUser, ids: string[]): Promise<void> => {
    for (let n = 0; Date.now() < endAt; n++) {
      const id = ids[n % ids.length]!;
      // The reporting month as the workflow sees it (the real clock: the month may turn during a long run).
      const period = periodOf(new Date().toISOString());
      const reported = await timed('decision', {
        method: 'POST',
        path: `/api/tasks/${id}/reports`,
        token: staff.token,
        body: { period, progress: `第${n + 1}轮：已建立整改台账，正在逐项销号`, problems: '', nextPlan: '继续推进' },
      });
      if (reported) {
        await timed('decision', {
          method: 'POST',
          path: `/api/tasks/${id}/reports/${period}/review`,
          token: office.token,
          body: { decision: 'return', reason: '请补充佐证材料' },
        });
      }
      await sleep(DECISION_PAUSE_MS);
    }
  };

  const sample = created.tasks.map((t) => t.id);
  const readers: [TDemoUser, (i: number) => string][] = [
    [office, (i) => (i % 2 === 0 ? '/api/tasks?pageSize=20' : `/api/campaigns/${campaignId}/stats`)],
    [by('leader'), (i) => (i % 2 === 0 ? '/api/inbox' : '/api/tasks?trafficLight=green&pageSize=20')],
    [by('supervisor'), (i) => (i % 2 === 0 ? '/api/tasks?pageSize=50' : `/api/tasks/${sample[i % sample.length]}`)],
    [by('medical_head'), (i) => (i % 2 === 0 ? '/api/inbox' : `/api/tasks/${tasksOf[0]![i % tasksOf[0]!.length]}`)],
  ];
  const readLoop = async (user: TDemoUser, pathOf: (i: number) => string): Promise<void> => {
    for (let i = 0; Date.now() < endAt; i++) {
      await timed('read', { method: 'GET', path: pathOf(i), token: user.token });
      await sleep(READ_PAUSE_MS);
    }
  };

  type TRow = {
    minute: number;
    rss: number;
    devRss: number | undefined;
    heap: number;
    devHeap: number | undefined;
    /** The SDK worker's workflow threads, after a full collection in each. */
    threadHeap: number | undefined;
    /** The dev server's heap as committed (not only live) and its memory outside the heap (buffers). */
    devHeapTotal: number | undefined;
    devExternal: number | undefined;
    /** The dev server's heap spaces, committed bytes each. */
    devSpaces: Record<string, number> | undefined;
    /** This process's heap as committed and its memory outside the heap. */
    heapTotal: number;
    external: number;
    errors: number;
  };
  const threadHeaps = new ThreadHeaps();
  const rows: TRow[] = [];
  let totalErrors = 0;
  let totalRequests = 0;
  console.log('');
  console.log(
    '| min | requests | errors | decisions p50 / p95 ms | reads p50 / p95 ms | RSS MB (api+worker) | RSS MB (dev server) | live heap MB (api+worker) | live heap MB (dev server) | live heap MB (workflow threads) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const report = async (minute: number): Promise<void> => {
    const done = current;
    current = new MinuteStats();
    const decisions = [...done.latencies.decision].sort((a, b) => a - b);
    const reads = [...done.latencies.read].sort((a, b) => a - b);
    collectGarbage();
    const memory = process.memoryUsage();
    // The dev server's own sample (after its full collection), else its RSS from /proc.
    const devMemory = await devserver.memory();
    const devRss = devMemory?.rss ?? rssOf(devserver.pid());
    const threads = await threadHeaps.sample();
    // A diagnostic on request: the workflow threads' heaps at minute 3 and at the end, to diff.
    const snapshotDir = process.env.SOAK_HEAP_SNAPSHOTS;
    if (snapshotDir && (minute === 3 || minute === MINUTES)) {
      for (const file of await threadHeaps.snapshot(snapshotDir, `minute${minute}`))
        console.log(`[soak] wrote ${file}`);
    }
    const requests = decisions.length + reads.length + done.errors;
    totalErrors += done.errors;
    totalRequests += requests;
    rows.push({
      minute,
      rss: memory.rss,
      devRss,
      heap: memory.heapUsed,
      devHeap: devMemory?.heapUsed,
      threadHeap: threads?.used,
      devHeapTotal: devMemory?.heapTotal,
      devExternal: devMemory?.external,
      devSpaces: devMemory?.spaces,
      heapTotal: memory.heapTotal,
      external: memory.external,
      errors: done.errors,
    });
    console.log(
      `| ${minute} | ${requests} | ${done.errors} | ${ms(percentile(decisions, 50))} / ${ms(percentile(decisions, 95))} | ` +
        `${ms(percentile(reads, 50))} / ${ms(percentile(reads, 95))} | ${mb(memory.rss)} | ${devRss ? mb(devRss) : '—'} | ${mb(memory.heapUsed)} | ${devMemory ? mb(devMemory.heapUsed) : '—'} | ${threads ? `${mb(threads.used)} (${threads.threads})` : '—'} |`,
    );
    for (const s of done.samples) console.log(`|   error: ${s} |`);
  };
  let minute = 0;
  // Samples one after the other (the dev server's answer is awaited), never two at once.
  let reporting = Promise.resolve();
  const ticker = setInterval(() => {
    reporting = reporting.then(() => report(++minute));
  }, MINUTE_MS);
  await Promise.all([
    ...staffs.map((s, i) => decisionLoop(s, tasksOf[i]!)),
    ...readers.map(([user, pathOf]) => readLoop(user, pathOf)),
  ]);
  clearInterval(ticker);
  await reporting;
  if (Date.now() - started - minute * MINUTE_MS > 5_000) await report(++minute);

  const audit = await verifyAuditChain(db);
  threadHeaps.close();
  agent.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  worker.shutdown();
  await running;
  await workerConnection.close();
  await connection.close();
  await devserver.stop();
  await db.$disconnect();
  fs.rmSync(dataDir, { recursive: true, force: true });

  if (rows.length === 0) throw new Error('no minute measured');
  const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '—');
  const median = (xs: number[]): number => {
    const sorted = [...xs].sort((x, y) => x - y);
    return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
  };
  type TMeasure =
    | 'rss'
    | 'devRss'
    | 'total'
    | 'heap'
    | 'devHeap'
    | 'threadHeap'
    | 'heapTotal'
    | 'external'
    | 'devHeapTotal'
    | 'devExternal';
  const value = (r: TRow, m: TMeasure): number | undefined =>
    m === 'total' ? r.rss + (r.devRss ?? 0) : (r[m] as number | undefined);
  const at = (window: TRow[], m: TMeasure): number =>
    median(window.map((r) => value(r, m)).filter((v): v is number => v !== undefined));
  // Memory growth after warm-up: the median of minutes 2–4 (the first minute holds start-up: bundling, JIT, caches
  // filling, garbage not yet collected) against the median of the last three minutes. Medians, so that one sample
  // caught mid-burst does not decide. The strict first-to-last figure is printed too.
  const early = rows.length >= 5 ? rows.slice(1, 4) : rows.slice(0, 1);
  const late = rows.slice(-3);
  const measures: Array<[TMeasure, string]> = [
    ['rss', 'RSS api+worker'],
    ['devRss', 'RSS dev server'],
    ['total', 'RSS together'],
    ['heap', 'live heap api+worker'],
    ['devHeap', 'live heap dev server'],
    ['threadHeap', 'live heap workflow threads'],
  ];
  const growth = (a: number, b: number): number => (b - a) / a;
  const line = (from: TRow[], to: TRow[]): string =>
    measures
      .map(([m, label]) => {
        const a = at(from, m);
        const b = at(to, m);
        return `${label} ${Number.isFinite(a) ? mb(a) : '—'} → ${Number.isFinite(b) ? mb(b) : '—'} MB (${pct(growth(a, b))})`;
      })
      .join('; ');
  const gTotal = growth(at(early, 'total'), at(late, 'total'));
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  console.log('');
  console.log(`[soak] ${minute} min, ${totalRequests} requests, ${totalErrors} errors`);
  console.log(
    `[soak] memory after warm-up (median of minutes ${early[0]!.minute}–${early[early.length - 1]!.minute} → median of ` +
      `minutes ${late[0]!.minute}–${last.minute}): ${line(early, late)}`,
  );
  console.log(`[soak] memory minute ${first.minute} → ${last.minute} (single samples): ${line([first], [last])}`);
  // Where RSS goes beside the live heaps: committed heap (V8 keeps pages after a collection) and memory outside it.
  const beside: Array<[TMeasure, string]> = [
    ['heapTotal', 'heap committed api+worker'],
    ['external', 'external api+worker'],
    ['devHeapTotal', 'heap committed dev server'],
    ['devExternal', 'external dev server'],
  ];
  console.log(
    `[soak] beside the live heaps (same windows): ${beside
      .map(([m, label]) => `${label} ${mb(at(early, m))} → ${mb(at(late, m))} MB`)
      .join('; ')}`,
  );
  const spacesFrom = early[0]?.devSpaces;
  const spacesTo = last.devSpaces;
  if (spacesFrom && spacesTo) {
    const grown = Object.keys(spacesTo)
      .map((name) => [name, spacesFrom[name] ?? 0, spacesTo[name] ?? 0] as const)
      .filter(([, a, b]) => a > 0 || b > 0);
    console.log(
      `[soak] dev server heap spaces committed, minute ${early[0]!.minute} → ${last.minute}: ${grown
        .map(([name, a, b]) => `${name} ${mb(a)} → ${mb(b)} MB`)
        .join('; ')}`,
    );
  }
  console.log(
    `[soak] audit chain: ${audit.ok ? `ok, ${audit.checked} records` : `BROKEN ${JSON.stringify(audit.firstBroken)}`}`,
  );
  const pass = totalErrors === 0 && gTotal <= MEMORY_GROWTH_GOAL && audit.ok;
  console.log(
    `[soak] ${pass ? 'PASS' : 'FAIL'}: errors ${totalErrors} (goal 0), memory growth after warm-up ${pct(gTotal)} ` +
      `(goal ≤ ${pct(MEMORY_GROWTH_GOAL)}), audit chain ${audit.ok ? 'verified' : 'broken'}`,
  );
  process.exit(pass ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error('[soak] failed:', err);
  process.exit(1);
});
