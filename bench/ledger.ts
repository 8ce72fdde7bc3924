/**
 * `npm run bench:ledger [-- --tasks N] [--runs R]`: seeds a fresh SQLite database (or DATABASE_URL) with one campaign
 * of N tasks (default 10,000) written as their workflows would have projected them (bench/api/seed.ts: states built
 * by the domain, with reports), then times through the real HTTP routes (the Express app on a loopback port, bearer
 * token of the demo office): the ledger as xlsx and as CSV, the statistics by category / unit / leader, and issuing a
 * progress notice with its Word document. Goal: the 10,000-task ledger within 10 s. No workflow runs here: these are
 * reads, and the routes never call Temporal (the client is a lazy connection that is never used).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { createDb } from '../db/client';
import { migrateDeploy } from '../db/migrate';
import type { Actor } from '../domain/task';
import { seedDemo, type TDemoUser } from '../scripts/seed-demo';
import { seedBulkTasks, type TSeedUnit } from './api/seed';

const { values: args } = parseArgs({
  options: { tasks: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } },
});
const TASKS = Number(args.tasks);
const RUNS = Number(args.runs);
/** The goal for the ledger of 10,000 tasks. */
const GOAL_MS = 10_000;

function actorOf(u: TDemoUser): Actor {
  return { userId: u.userId, role: u.role as Actor['role'], unitId: u.unitId };
}

function fetchBytes(
  port: number,
  method: string,
  pathName: string,
  token: string,
  body?: object,
): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body ? Buffer.from(JSON.stringify(body)) : undefined;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathName,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, bytes: all.length, text: all.subarray(0, 300).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-bench-ledger-'));
  const databaseUrl = process.env.DATABASE_URL ?? `file:${path.join(dataDir, 'zhenggai.db')}`;
  await migrateDeploy(databaseUrl);
  const db = createDb(databaseUrl);
  const users = await seedDemo(db);
  const by = (username: string): TDemoUser => users.find((u) => u.username === username)!;
  const office = by('office');
  const campaign = await db.campaign.create({
    data: {
      name: '省委第一巡视组反馈意见整改',
      kind: 'xunshi',
      inspectingBody: '省委第一巡视组',
      inspectedUnitId: by('leader').unitId,
      feedbackDate: '2025-03-15',
      policy: {},
      createdById: office.userId,
    },
  });
  const unit = (staff: string, head: string): TSeedUnit => ({
    leadUnitId: by(staff).unitId,
    staff: actorOf(by(staff)),
    head: actorOf(by(head)),
    leaderId: by('leader').userId,
    office: actorOf(office),
  });
  const t0 = performance.now();
  await seedBulkTasks({
    db,
    campaigns: [
      {
        id: campaign.id,
        weight: 1,
        units: [unit('medical_staff', 'medical_head'), unit('finance_staff', 'finance_head')],
      },
    ],
    tasks: TASKS,
    now: new Date(),
    notifyUserIds: [],
  });
  console.log(`[bench:ledger] ${TASKS} tasks seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Never connects: the read routes measured here do not call Temporal.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const app = createApp({ db, client, limits: { requestTimeoutMs: 120_000 } });
  const server = await new Promise<http.Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;

  const results: { what: string; ms: number[]; bytes: number }[] = [];
  const time = async (what: string, method: string, url: string, body?: object): Promise<string> => {
    const ms: number[] = [];
    let bytes = 0;
    let text = '';
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const res = await fetchBytes(port, method, url, office.token, body);
      ms.push(performance.now() - start);
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${res.text}`);
      bytes = res.bytes;
      text = res.text;
    }
    results.push({ what, ms, bytes });
    return text;
  };
  const base = `/api/campaigns/${campaign.id}`;
  await time('ledger.xlsx', 'GET', `${base}/ledger.xlsx`);
  await time('ledger csv', 'GET', `${base}/ledger.xlsx?format=csv`);
  for (const group of ['category', 'unit', 'leader'])
    await time(`stats by ${group}`, 'GET', `${base}/stats?by=${group}`);
  await time('stats summary', 'GET', `${base}/stats`);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const created = await time('notice (today)', 'POST', `${base}/notices`, { asOf: today });
  const noticeId = (JSON.parse(created) as { id: string }).id;
  await time('notice (30 days ago, audit)', 'POST', `${base}/notices`, {
    asOf: new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(
      new Date(Date.now() - 30 * 86_400_000),
    ),
  });
  await time('notice document.docx', 'GET', `/api/notices/${noticeId}/document.docx`);

  console.log(`[bench:ledger] ${TASKS} tasks, ${RUNS} runs each (ms: best / median / worst; size of the answer)`);
  for (const r of results) {
    const sorted = [...r.ms].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `  ${r.what.padEnd(28)} ${sorted[0]!.toFixed(0).padStart(6)} / ${median.toFixed(0).padStart(6)} / ` +
        `${sorted[sorted.length - 1]!.toFixed(0).padStart(6)}   ${(r.bytes / 1024).toFixed(0)} KB`,
    );
  }
  const ledger = results[0]!;
  const worst = Math.max(...ledger.ms);
  console.log(
    `[bench:ledger] ledger.xlsx worst ${worst.toFixed(0)} ms: ${worst <= GOAL_MS ? 'within' : 'OVER'} the ${GOAL_MS} ms goal`,
  );
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.$disconnect();
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (worst > GOAL_MS) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
