/**
 * `npm run bench:import [-- --rows N]`: a task list of N rows (default 10,000) through the import on the embedded
 * stack (SQLite, the embedded dev server, the product's worker), as `npm start` runs it. Prints the preview time
 * (goal ≤ 10 s), the time until every row and its audit record is written (goal ≤ 30 s), and the time until every
 * workflow is started (goal ≤ 5 min). The list is built in memory with exceljs: categories and problems merged over
 * their measures, units and deadlines varied, deadlines in the future (no escalation work mixed into the figures).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { createDb } from '../db/client';
import { migrateDeploy } from '../db/migrate';
import { startDevServer } from '../devserver/src/index';
import { seedDemo } from '../scripts/seed-demo';
import { createTaskWorker } from '../worker';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '10000' } } });
const ROWS = Number(args.rows);

const UNITS = [
  '医政医管处',
  '财务处',
  '各市人民政府、医政医管处',
  '医政医管处（牵头）、财务处',
  '东州市卫生健康委员会',
];
const DEADLINES = [
  '2030年6月30日前完成',
  '长期坚持',
  '立行立改，长期推进',
  '2031年底前完成，并长期推进',
  '2030年12月底',
];

async function buildList(rows: number): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('整改台账');
  sheet.addRow(['基准测试整改任务清单']);
  sheet.addRow(['序号', '问题类别', '具体问题', '整改措施', '责任单位', '整改时限', '责任人']);
  const perProblem = 4;
  const perCategory = 100;
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(i / perCategory);
    const p = Math.floor(i / perProblem);
    sheet.addRow([
      i + 1,
      `${c + 1}、第${c + 1}类问题`,
      `（${p + 1}）第${p + 1}个具体问题：整改责任落实不到位，制度执行不严`,
      `${(i % perProblem) + 1}.建立整改台账，逐项对账销号，第${i + 1}项措施`,
      UNITS[i % UNITS.length],
      DEADLINES[i % DEADLINES.length],
      `责任人${i % 50}`,
    ]);
  }
  for (let start = 0; start < rows; start += perProblem) {
    const end = Math.min(rows, start + perProblem) - 1;
    if (end > start) sheet.mergeCells(start + 3, 3, end + 3, 3);
  }
  for (let start = 0; start < rows; start += perCategory) {
    const end = Math.min(rows, start + perCategory) - 1;
    if (end > start) sheet.mergeCells(start + 3, 2, end + 3, 2);
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-bench-import-'));
  const databaseUrl = `file:${path.join(dataDir, 'zhenggai.db')}`;
  await migrateDeploy(databaseUrl);
  const db = createDb(databaseUrl);
  const devserver = await startDevServer({ port: 0, dbFile: path.join(dataDir, 'temporal.db') });
  const workerConnection = await NativeConnection.connect({ address: devserver.address });
  const worker = await createTaskWorker({ connection: workerConnection, deps: { db } });
  const running = worker.run();
  const connection = await Connection.connect({ address: devserver.address });
  const client = new Client({ connection });
  const users = await seedDemo(db);
  const office = users.find((u) => u.username === 'office')!;
  const auth = { Authorization: `Bearer ${office.token}` };
  const app = createApp({ db, client });
  try {
    const campaign = await request(app)
      .post('/api/campaigns')
      .set(auth)
      .send({
        name: '基准测试',
        kind: 'xunshi',
        inspectingBody: '省委巡视组',
        // The province: the demo leader's unit (the office sits in its own unit below it).
        inspectedUnitId: users.find((u) => u.username === 'leader')!.unitId,
        feedbackDate: '2026-01-15',
      });
    if (campaign.status !== 201) throw new Error(`campaign: ${campaign.status} ${JSON.stringify(campaign.body)}`);
    const campaignId = campaign.body.id as string;
    const file = await buildList(ROWS);
    console.log(`list: ${ROWS} rows, ${(file.length / 1024 / 1024).toFixed(2)} MB .xlsx`);

    let t = performance.now();
    const preview = await request(app)
      .post(`/api/campaigns/${campaignId}/imports`)
      .set(auth)
      .attach('file', file, 'bench.xlsx');
    const previewMs = performance.now() - t;
    if (preview.status !== 201)
      throw new Error(`preview: ${preview.status} ${JSON.stringify(preview.body).slice(0, 500)}`);
    const summary = preview.body.summary as Record<string, number>;
    console.log(`preview: ${seconds(previewMs)} (goal ≤ 10 s) — ${JSON.stringify(summary)}`);
    if (summary.errors > 0) throw new Error(`preview has errors: ${JSON.stringify(preview.body.rows[0].errors)}`);

    t = performance.now();
    const commit = await request(app)
      .post(`/api/campaigns/${campaignId}/imports/${preview.body.id}/commit`)
      .set(auth)
      .send({});
    if (commit.status >= 300) throw new Error(`commit: ${commit.status} ${JSON.stringify(commit.body)}`);
    console.log(`commit answered ${commit.status} after ${seconds(performance.now() - t)}`);
    let rowsMs: number | null = null;
    let printed = 0;
    for (;;) {
      const progress = await request(app).get(`/api/campaigns/${campaignId}/imports/${preview.body.id}`).set(auth);
      const p = progress.body as {
        status: string;
        total: number;
        rowsWritten: number;
        workflowsStarted: number;
        error: string | null;
      };
      if (rowsMs === null && p.rowsWritten >= p.total) {
        rowsMs = performance.now() - t;
        console.log(`rows + audit written: ${seconds(rowsMs)} (goal ≤ 30 s)`);
      }
      if (performance.now() - printed > 10_000) {
        printed = performance.now();
        console.log(
          `  ${seconds(printed - t)}: ${p.rowsWritten}/${p.total} rows, ${p.workflowsStarted} workflows started`,
        );
      }
      if (p.status === 'failed') throw new Error(`commit failed: ${p.error}`);
      if (p.status === 'committed') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const startedMs = performance.now() - t;
    console.log(`all workflows started: ${seconds(startedMs)} (goal ≤ 5 min)`);
    const tasks = await db.task.count({ where: { campaignId } });
    const audits = await db.auditEvent.count({ where: { campaignId, action: 'TaskCreated' } });
    console.log(`tasks: ${tasks}, TaskCreated audit records: ${audits}`);
  } finally {
    worker.shutdown();
    await running;
    await workerConnection.close();
    await connection.close();
    await devserver.stop();
    await db.$disconnect();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
