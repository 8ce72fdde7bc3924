/**
 * What one cached task workflow costs the worker: `npx tsx bench/api/cacheHeap.ts [--workflows 400]`.
 * Runs the same thing twice in child processes, with WORKER_MAX_CACHED_WORKFLOWS=0 and with a cache large enough for
 * every workflow: an in-memory dev server, the worker, K tasks created through the API (each workflow runs its first
 * workflow task and stays cached, or not), then the process's RSS and heap after a GC. The difference divided by K is
 * the cost of keeping one workflow cached (its context in the workflow thread, its state, the SDK's bookkeeping).
 */
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { createDb } from '../../db/client';
import { migrateDeploy } from '../../db/migrate';
import { startDevServer } from '../../devserver/src/index';
import { seedDemo } from '../../scripts/seed-demo';
import { createTaskWorker } from '../../worker';
import { request } from './load';

const { values: args } = parseArgs({
  options: { workflows: { type: 'string', default: '400' }, child: { type: 'string' } },
});
const K = Number(args.workflows);

interface TMeasure {
  cache: number;
  cached: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

async function child(cache: number): Promise<TMeasure> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-cacheheap-'));
  const url = `file:${path.join(dir, 'db.sqlite')}`;
  await migrateDeploy(url);
  const db = createDb(url);
  const devserver = await startDevServer({ port: 0 });
  const nc = await NativeConnection.connect({ address: devserver.address });
  const worker = await createTaskWorker({ connection: nc, deps: { db }, maxCachedWorkflows: cache });
  const running = worker.run();
  const connection = await Connection.connect({ address: devserver.address });
  const client = new Client({ connection });
  const users = await seedDemo(db);
  const office = users.find((u) => u.username === 'office')!;
  const staff = users.find((u) => u.username === 'medical_staff')!;
  const leader = users.find((u) => u.username === 'leader')!;
  const app = createApp({ db, client });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true });
  const campaign = await request(port, agent, {
    method: 'POST',
    path: '/api/campaigns',
    token: office.token,
    body: {
      name: '缓存测量',
      kind: 'xunshi',
      inspectingBody: '省委巡视组',
      inspectedUnitId: leader.unitId,
      feedbackDate: '2026-01-15',
    },
  });
  const campaignId = (JSON.parse(campaign.body) as { id: string }).id;
  for (let done = 0; done < K; done += 100) {
    const n = Math.min(100, K - done);
    const res = await request(port, agent, {
      method: 'POST',
      path: `/api/campaigns/${campaignId}/tasks`,
      token: office.token,
      body: {
        tasks: Array.from({ length: n }, (_, i) => ({
          problem: { category: '巡视整改', title: `问题${done + i}` },
          measure: '整改',
          leadUnitId: staff.unitId,
          leaderId: leader.userId,
          deadline: '2027年6月30日前完成',
        })),
      },
    });
    if (res.status !== 201) throw new Error(res.body);
  }
  // Wait until every workflow ran its first task (the worker is idle for a while).
  let idleSince = Date.now();
  while (Date.now() - idleSince < 3000) {
    await new Promise((r) => setTimeout(r, 250));
    if (worker.getStatus().numInFlightWorkflowActivations > 0) idleSince = Date.now();
  }
  const cached = worker.getStatus().numCachedWorkflows;
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 500));
  const m = process.memoryUsage();
  const result = {
    cache,
    cached,
    rssMb: m.rss / 2 ** 20,
    heapUsedMb: m.heapUsed / 2 ** 20,
    externalMb: m.external / 2 ** 20,
  };
  agent.destroy();
  server.closeAllConnections();
  server.close();
  worker.shutdown();
  await running;
  await nc.close();
  await connection.close();
  await devserver.stop();
  await db.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

async function main(): Promise<void> {
  if (args.child !== undefined) {
    console.log(JSON.stringify(await child(Number(args.child))));
    return;
  }
  const run = (cache: number): TMeasure => {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', __filename, '--workflows', String(K), '--child', String(cache)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 2 ** 20 },
    );
    const line = out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop()!;
    return JSON.parse(line) as TMeasure;
  };
  const none = run(0);
  const all = run(K + 100);
  console.log(JSON.stringify({ none, all }));
  const per = (all.rssMb - none.rssMb) / Math.max(1, all.cached - none.cached);
  console.log(
    `${K} workflows: cache off ${none.rssMb.toFixed(0)} MB RSS (${none.cached} cached), ` +
      `cache on ${all.rssMb.toFixed(0)} MB RSS (${all.cached} cached): ${(per * 1024).toFixed(0)} KB RSS per cached workflow ` +
      `(main-thread heap ${none.heapUsedMb.toFixed(0)} → ${all.heapUsedMb.toFixed(0)} MB)`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
