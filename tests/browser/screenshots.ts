/**
 * The README's screenshots (docs/screenshots/inbox.png and task.png; import.png, stats-by.png, supervision.png,
 * calendar.png and units.png of the administration and document screens), taken on the real stack with demo data:
 * `npx tsx tests/browser/screenshots.ts`. Run by hand when the screens change; the images are committed.
 *
 * The data is set up through the API (bearer tokens); the screenshots are of the application as the office sees it.
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { z } from 'zod';
import { demoCast } from '../api/harness';
import {
  ApiClient,
  ROOT,
  createCampaign,
  createTasks,
  signIn,
  startBrowserStack,
  tinyPdf,
  waitForTask,
  type TBrowserStack,
  type TTaskSpec,
} from './harness';
import type { TDemoUser } from '../../scripts/seed-demo';

const OUT = path.join(ROOT, 'docs', 'screenshots');

const PROBLEMS: { category: string; title: string; measure: string; deadline: string }[] = [
  {
    category: '党的建设',
    title: '财政专项资金管理不规范',
    measure: '建立专项资金台账，逐笔核对，追回违规资金',
    deadline: '2027年6月30日前完成',
  },
  {
    category: '民生保障',
    title: '基层药品配备不足',
    measure: '补齐基层常用药品目录，建立短缺药品监测机制',
    deadline: '立行立改',
  },
  {
    category: '作风建设',
    title: '门诊预约流程繁琐',
    measure: '优化门诊预约流程，推行分时段预约',
    deadline: '2027年12月31日前完成，并长期推进',
  },
  {
    category: '廉政风险',
    title: '医疗设备采购程序不规范',
    measure: '修订设备采购管理办法，开展专项审计',
    deadline: '2027年3月31日前完成',
  },
];

async function upload(baseUrl: string, user: TDemoUser, name: string, bytes: Buffer): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), name);
  const res = await fetch(`${baseUrl}/api/files`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${user.token}` },
    body: form,
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return z.object({ id: z.string() }).parse(await res.json()).id;
}

async function main(): Promise<void> {
  const stack = await startBrowserStack();
  try {
    const cast = demoCast(stack.users);
    const office = new ApiClient(stack.baseUrl, cast.office);
    const staff = new ApiClient(stack.baseUrl, cast.medicalStaff);
    const head = new ApiClient(stack.baseUrl, cast.medicalHead);
    const campaignId = await createCampaign(office, cast.leader.unitId);
    const specs = PROBLEMS.map((p): TTaskSpec => ({
      problem: { category: p.category, title: p.title },
      measure: p.measure,
      leadUnitId: cast.medicalStaff.unitId,
      leaderId: cast.leader.userId,
      deadline: p.deadline,
    }));
    const ids = await createTasks(office, campaignId, specs);
    for (const id of ids) {
      await waitForTask(office, id, (t) => t.audit.some((a) => a.action === 'TaskAssigned'), 'assigned');
      await staff.post(`/api/tasks/${id}/acknowledge`);
    }
    const period = await stack.currentPeriod();
    const [ledger, drugs, clinic, purchase] = ids;

    // The task page's subject: a report with a file, returned once, resubmitted and accepted, then a close-out
    // application the unit head has approved (it now waits for the office).
    const first = await upload(stack.baseUrl, cast.medicalStaff, '专项资金台账.pdf', tinyPdf('Ledger v1'));
    await staff.post(`/api/tasks/${ledger}/reports`, {
      period,
      progress: '已建立专项资金台账，完成第一批 36 笔资金核对。',
      problems: '部分项目凭证缺失',
      nextPlan: '下月补齐凭证并完成全部核对',
      evidence: [{ fileId: first }],
    });
    await office.post(`/api/tasks/${ledger}/reports/${period}/review`, {
      decision: 'return',
      reason: '佐证材料不完整，请补充凭证清单',
    });
    const second = await upload(stack.baseUrl, cast.medicalStaff, '凭证清单.pdf', tinyPdf('Vouchers'));
    await staff.post(`/api/tasks/${ledger}/reports`, {
      period,
      progress: '已补充凭证清单，全部 52 笔资金核对完毕，追回违规资金 12.6 万元。',
      evidence: [{ fileId: first }, { fileId: second }],
    });
    await office.post(`/api/tasks/${ledger}/reports/${period}/review`, { decision: 'accept' });
    await staff.post(`/api/tasks/${ledger}/closure`, { summary: '专项资金台账已建立，违规资金已全部追回。' });
    await head.post(`/api/tasks/${ledger}/sign-off`, { decision: 'approve' });

    // The office's 待办 besides: two reports to review, a close-out to sign.
    for (const [id, progress] of [
      [drugs, '已补齐 28 种基层常用药品，短缺药品监测平台上线试运行。'],
      [purchase, '已完成设备采购管理办法修订稿，专项审计进场。'],
    ] as const) {
      await staff.post(`/api/tasks/${id}/reports`, { period, progress });
    }
    await office.post(`/api/tasks/${clinic}/urge`, { message: '请于本月底前报送整改进展' }, 202);

    fs.mkdirSync(OUT, { recursive: true });
    const w = await stack.open('readme');
    await signIn(w, cast.office);
    const { page } = w;
    await page.setViewportSize({ width: 1280, height: 760 });
    await page.getByRole('link', { name: PROBLEMS[1].title }).first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: path.join(OUT, 'inbox.png') });
    await page.getByRole('link', { name: PROBLEMS[0].title }).first().click();
    await page.getByText('专项资金台账.pdf').first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: path.join(OUT, 'task.png'), fullPage: true });
    const problems = await w.finish();
    if (problems.length) throw new Error(`page problems: ${JSON.stringify(problems, null, 2)}`);
    console.log(`wrote ${path.relative(ROOT, path.join(OUT, 'inbox.png'))} and task.png`);
    await adminScreens(stack, cast, campaignId);
  } finally {
    await stack.teardown();
  }
}

/** A task list as an office keeps it (title row, header in their words, a merged category, one unknown unit). */
async function taskList(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('整改任务清单');
  ws.addRow(['省委第一巡视组反馈意见整改任务清单']);
  ws.mergeCells('A1:H1');
  ws.addRow(['序号', '问题类别', '具体问题', '整改措施', '牵头领导', '责任单位', '配合单位', '整改时限']);
  ws.addRow([
    1,
    '党风廉政建设',
    '药品集中采购监管不到位',
    '开展药品集中采购专项检查',
    '李主任',
    '医政医管处',
    '财务处',
    '2027年6月30日前完成',
  ]);
  ws.addRow([
    2,
    '党风廉政建设',
    '专项资金使用绩效不高',
    '建立专项资金绩效评价制度',
    '李主任',
    '财务处',
    '',
    '立行立改',
  ]);
  ws.addRow([
    3,
    '民生保障',
    '基层医疗机构设备闲置',
    '盘活闲置医疗设备',
    '李主任',
    '省数据资源局',
    '',
    '2027年12月31日前完成，并长期推进',
  ]);
  ws.mergeCells('B3:B4');
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * The administration and document screens: the import preview (an unknown unit in red), statistics by category, a
 * task's 督办 documents, the working-day calendar and the unit tree. Each is written only when its page loaded
 * without problems; a screen whose API is missing is reported and skipped.
 */
async function adminScreens(stack: TBrowserStack, cast: ReturnType<typeof demoCast>, campaignId: string) {
  const office = new ApiClient(stack.baseUrl, cast.office);
  const [overdue] = await createTasks(office, campaignId, [
    {
      problem: { category: '安全生产', title: '医疗器械抽检逾期未整改' },
      measure: '完成医疗器械抽检问题整改',
      leadUnitId: cast.medicalStaff.unitId,
      leaderId: cast.leader.userId,
      deadline: '2020年12月31日前完成',
    },
  ]);
  await waitForTask(office, overdue, (t) => t.status === 'OVERDUE', 'overdue');
  const screens: { user: TDemoUser; file: string; go: (page: Page) => Promise<void> }[] = [
    {
      user: cast.office,
      file: 'import.png',
      go: async (page) => {
        await page.goto(`/campaigns/${campaignId}/import`);
        await page
          .locator('input[type="file"]')
          .setInputFiles({ name: '整改任务清单.xlsx', mimeType: XLSX, buffer: await taskList() });
        await page.locator('[data-cell-issue="error"]').first().waitFor();
      },
    },
    {
      user: cast.office,
      file: 'stats-by.png',
      go: async (page) => {
        await page.goto(`/stats?campaignId=${campaignId}`);
        await page.getByRole('table', { name: '问题类别统计' }).getByRole('row').nth(1).waitFor();
      },
    },
    {
      user: cast.medicalStaff,
      file: 'supervision.png',
      go: async (page) => {
        await page.goto(`/tasks/${overdue}`);
        await page
          .getByRole('region', { name: '督办记录' })
          .getByText(/〔\d{4}〕\d+号/)
          .first()
          .waitFor();
      },
    },
    {
      user: cast.admin,
      file: 'calendar.png',
      go: async (page) => {
        await page.goto('/admin/calendar');
        await page.getByText('班', { exact: true }).first().waitFor();
      },
    },
    {
      user: cast.admin,
      file: 'units.png',
      go: async (page) => {
        await page.goto('/admin/units');
        await page
          .getByRole('tree')
          .getByText(/江南省卫生健康委员会/)
          .first()
          .waitFor();
      },
    },
  ];
  for (const screen of screens) {
    const w = await stack.open(`readme-${screen.file.replace('.png', '')}`);
    try {
      await signIn(w, screen.user);
      await w.page.setViewportSize({ width: 1280, height: 760 });
      await screen.go(w.page);
      await w.page.waitForLoadState('networkidle');
      const problems = await w.page
        .screenshot({ path: path.join(OUT, screen.file), fullPage: true })
        .then(() => w.finish());
      if (problems.length) {
        fs.rmSync(path.join(OUT, screen.file), { force: true });
        console.log(`skipped ${screen.file}: ${JSON.stringify(problems)}`);
      } else console.log(`wrote docs/screenshots/${screen.file}`);
    } catch (err) {
      await w.finish();
      console.log(`skipped ${screen.file}: ${String(err)}`);
    }
  }
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
