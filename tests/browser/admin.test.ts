/**
 * Journeys through the administration and campaign screens in Debian's Chromium, on the real stack (dev server,
 * worker, fresh SQLite, demo organisation, the built web application served by the API): the directory (a unit and a
 * person added, the person signs in with the initial password, is deactivated and can no longer), a task list imported
 * from an .xlsx built here with exceljs (an error shown in its cell first, then the corrected file imported), the
 * ledger exported (a real download, read back with exceljs), a progress notice generated and its Word document
 * downloaded, statistics by category, unit and leader, a 督办 document signed for and answered by the lead unit,
 * the working-day calendar's coverage warning and an override, notification settings, a dead letter put back in the
 * queue, and the admin pages refused to a non-admin. Set-up goes through the API (bearer tokens); every journey step
 * goes through the UI by accessible names. Each page fails its journey on any undeclared console error, page error,
 * failed request or HTTP ≥ 400. Screenshots: test-output/screenshots/.
 */
import fs from 'node:fs';
import ExcelJS from 'exceljs';
import type { Download, Locator, Page } from 'playwright-core';
import { z } from 'zod';
import { demoCast } from '../api/harness';
import {
  ApiClient,
  buttonNamed as button,
  confirmAndAwait,
  createCampaign,
  createTasks,
  openDialog,
  pickOption,
  signIn,
  signedIn,
  startBrowserStack,
  typeInto,
  waitForTask,
  type TBrowserStack,
  type TPageProblem,
  type TWatchedPage,
} from './harness';
import type { TDemoUser } from '../../scripts/seed-demo';

jest.setTimeout(120_000);

let stack: TBrowserStack;
let cast: ReturnType<typeof demoCast>;
let office: ApiClient;
let admin: ApiClient;
let campaignId: string;
let overdueTaskId: string;

const NEW_UNIT = { name: '江南省药品监督管理局', alias: '省药监局' };
const NEW_USER = { name: '林干事', username: 'lin_ganshi', email: 'lin@zhenggai.example.cn', phone: '13800000001' };
const OVERDUE = { title: '医疗器械抽检逾期未整改', measure: '完成医疗器械抽检问题整改' };

/** The task list as an office keeps it: a title row, the header in their words, a category spanning two rows. */
const LIST = [
  {
    category: '党风廉政建设',
    problem: '药品集中采购监管不到位',
    measure: '开展药品集中采购专项检查',
    leader: '李主任',
    unit: '医政医管处',
    partner: '财务处',
    deadline: '2027年6月30日前完成',
  },
  {
    category: '党风廉政建设',
    problem: '专项资金使用绩效不高',
    measure: '建立专项资金绩效评价制度',
    leader: '李主任',
    unit: '财务处',
    partner: '',
    deadline: '立行立改',
  },
  {
    category: '民生保障',
    problem: '基层医疗机构设备闲置',
    measure: '盘活闲置医疗设备，建立调配机制',
    leader: '李主任',
    unit: '医政医管处',
    partner: '',
    deadline: '2027年12月31日前完成，并长期推进',
  },
];
const UNKNOWN_UNIT = '省数据资源局';

async function taskListXlsx(unitOfLastRow: string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('整改任务清单');
  ws.addRow(['省委第一巡视组反馈意见整改任务清单']);
  ws.mergeCells('A1:H1');
  ws.addRow(['序号', '问题类别', '具体问题', '整改措施', '牵头领导', '责任单位', '配合单位', '整改时限']);
  LIST.forEach((r, i) => {
    const unit = i === LIST.length - 1 ? unitOfLastRow : r.unit;
    ws.addRow([i + 1, r.category, r.problem, r.measure, r.leader, unit, r.partner, r.deadline]);
  });
  // The category of the first two measures is one merged cell, as offices lay it out.
  ws.mergeCells('B3:B4');
  return Buffer.from(await wb.xlsx.writeBuffer());
}

beforeAll(async () => {
  stack = await startBrowserStack();
  cast = demoCast(stack.users);
  office = new ApiClient(stack.baseUrl, cast.office);
  admin = new ApiClient(stack.baseUrl, cast.admin);
  campaignId = await createCampaign(office, cast.leader.unitId, { name: '省委第一巡视组反馈意见整改（导入）' });
  // A task long past its deadline: its workflow marks it overdue and the ladder issues a numbered 督办 document.
  [overdueTaskId] = await createTasks(office, campaignId, [
    {
      problem: { category: '安全生产', title: OVERDUE.title },
      measure: OVERDUE.measure,
      leadUnitId: cast.medicalStaff.unitId,
      leaderId: cast.leader.userId,
      deadline: '2020年12月31日前完成',
    },
  ]);
  await waitForTask(office, overdueTaskId, (t) => t.status === 'OVERDUE', 'the deadline timer to mark it overdue');
}, 240_000);

afterAll(async () => {
  await stack?.teardown();
});

async function as(
  user: TDemoUser,
  prefix: string,
  steps: (w: TWatchedPage) => Promise<void>,
  options: { signIn?: boolean } = {},
): Promise<TPageProblem[]> {
  const w = await stack.open(prefix);
  try {
    if (options.signIn !== false) await signIn(w, user);
    await steps(w);
  } catch (err) {
    await w.shot('failure').catch(() => undefined);
    const problems = await w.finish();
    throw problems.length ? new Error(`${String(err)}\npage problems: ${JSON.stringify(problems, null, 2)}`) : err;
  }
  return w.finish();
}

/** Submits the open dialog with "提交" and waits until it has gone (the server accepted it). */
async function submit(page: Page, dialog: Locator): Promise<void> {
  await button(dialog, '提交').click();
  await dialog.waitFor({ state: 'hidden' });
  await page.waitForLoadState('networkidle');
}

/** Runs `click` and returns the download it starts, with its bytes. */
async function download(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Buffer }> {
  const started = page.waitForEvent('download');
  await click();
  const d = await started;
  const file = await d.path();
  return { download: d, bytes: fs.readFileSync(file) };
}

const ZUnits = z.object({
  items: z.array(z.object({ id: z.string(), name: z.string(), aliases: z.unknown().optional() })),
});
const ZUsers = z.object({ items: z.array(z.object({ id: z.string(), name: z.string() }).passthrough()) });

describe('administration and campaign journeys in Chromium', () => {
  it('(a) the admin adds a unit and a person; the person signs in with the initial password; deactivated, cannot', async () => {
    let password = '';
    expect(
      await as(cast.admin, 'admin-directory', async (w) => {
        const { page } = w;
        await page.getByRole('link', { name: '系统管理', exact: true }).click();
        await page.waitForURL(/\/admin\/units$/);
        await page
          .getByRole('tree')
          .getByText(/江南省卫生健康委员会/)
          .first()
          .waitFor();
        await button(page, '新增单位').click();
        let dialog = await openDialog(page);
        await typeInto(dialog.getByLabel('名称', { exact: true }), NEW_UNIT.name);
        await pickOption(page, dialog, '上级单位', '江南省卫生健康委员会');
        await pickOption(page, dialog, '层级', '省级');
        await pickOption(page, dialog, '类型', '部门');
        await typeInto(dialog.getByLabel('简称', { exact: true }), NEW_UNIT.alias);
        await w.shot('unit-form');
        await submit(page, dialog);
        await page.getByRole('tree').getByText(new RegExp(NEW_UNIT.name)).first().click();
        // A second 简称 added by 编辑 (PATCH), shown in the unit's details.
        await button(page, '编辑').click();
        dialog = await openDialog(page);
        await typeInto(dialog.getByLabel('简称', { exact: true }), `${NEW_UNIT.alias}、省药品监管局`);
        await submit(page, dialog);
        await page.getByText(`${NEW_UNIT.alias}、省药品监管局`, { exact: true }).waitFor();
        await w.shot('units');

        await page.getByRole('navigation', { name: '系统管理' }).getByRole('link', { name: '人员' }).click();
        await page.waitForURL(/\/admin\/users$/);
        await button(page, '新增人员').click();
        dialog = await openDialog(page);
        await typeInto(dialog.getByLabel('姓名', { exact: true }), NEW_USER.name);
        await typeInto(dialog.getByLabel('用户名', { exact: true }), NEW_USER.username);
        await pickOption(page, dialog, '角色', '责任单位经办人');
        await pickOption(page, dialog, '所属单位', NEW_UNIT.name);
        await typeInto(dialog.getByLabel('邮箱', { exact: true }), NEW_USER.email);
        await typeInto(dialog.getByLabel('手机', { exact: true }), NEW_USER.phone);
        // Accepted: the form's dialog gives way to the one showing the initial password.
        await button(dialog, '提交').click();
        const shown = page.getByRole('dialog', { name: '人员已新增' });
        await shown.waitFor();
        password = (await shown.locator('code').first().innerText()).trim();
        expect(password.length).toBeGreaterThanOrEqual(8);
        await w.shot('initial-password');
        await button(shown, '知道了').click();
        await page.getByRole('cell', { name: NEW_USER.username, exact: true }).waitFor();
      }),
    ).toEqual([]);

    const units = ZUnits.parse(await admin.get('/api/units')).items;
    const unit = units.find((u) => u.name === NEW_UNIT.name);
    expect(unit?.aliases).toEqual([NEW_UNIT.alias, '省药品监管局']);
    const users = ZUsers.parse(await admin.get('/api/users')).items;
    const user = users.find((u) => u.name === NEW_USER.name);
    expect(user).toMatchObject({ role: 'unit_staff', unitId: unit?.id });

    // The new person signs in with what the admin handed over.
    const newcomer = { ...cast.medicalStaff, name: NEW_USER.name, username: NEW_USER.username, password };
    expect(
      await as(newcomer, 'admin-newcomer', async (w) => {
        await w.page.getByText(`${NEW_USER.name}（责任单位经办人）`).waitFor();
      }),
    ).toEqual([]);

    expect(
      await as(cast.admin, 'admin-deactivate', async (w) => {
        const { page } = w;
        await page.goto('/admin/users');
        await button(page, `停用 ${NEW_USER.name}`).click();
        await confirmAndAwait(page, '确定停用', 'POST', '/deactivate');
        const waiting = page.getByRole('dialog', { name: /待改派事项/ });
        await waiting.waitFor();
        await waiting
          .getByText(/没有等待此人办理的事项|查看任务/)
          .first()
          .waitFor();
        await w.shot('deactivated');
        await button(waiting, '知道了').click();
        await page.getByText('已停用', { exact: true }).first().waitFor();
      }),
    ).toEqual([]);

    // Deactivated: the sign-in is refused.
    const res = await fetch(`${stack.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: NEW_USER.username, password }),
    });
    expect(res.status).toBe(401);
  });

  it('(b) the office imports a task list: an unknown unit is shown in its cell, the corrected file is imported', async () => {
    expect(
      await as(cast.office, 'office-import', async (w) => {
        const { page } = w;
        await page.getByRole('link', { name: '巡视批次', exact: true }).click();
        await page.getByRole('link', { name: '省委第一巡视组反馈意见整改（导入）' }).click();
        await button(page, '导入任务清单').click();
        await page.waitForURL(new RegExp(`/campaigns/${campaignId}/import$`));

        // A file whose last row names a unit the directory does not know: the error sits in that row, import blocked.
        await page
          .locator('input[type="file"]')
          .setInputFiles({ name: '整改任务清单.xlsx', mimeType: XLSX, buffer: await taskListXlsx(UNKNOWN_UNIT) });
        const summary = page.getByLabel('导入汇总');
        await summary.waitFor();
        const errorCell = page.locator('[data-cell-issue="error"]').first();
        await errorCell.waitFor();
        expect(await errorCell.innerText()).toContain(UNKNOWN_UNIT);
        expect(await button(page, '确认导入').isDisabled()).toBe(true);
        await w.shot('preview-error');

        await button(page, '重新上传').click();
        await page
          .locator('input[type="file"]')
          .setInputFiles({ name: '整改任务清单.xlsx', mimeType: XLSX, buffer: await taskListXlsx(LIST[2].unit) });
        await summary.waitFor();
        expect(await page.locator('[data-cell-issue="error"]').count()).toBe(0);
        // 2 categories, 3 problems, 3 measures.
        expect(await summary.innerText()).toMatch(/类别\s*2[\s\S]*问题\s*3[\s\S]*措施\s*3/);
        await w.shot('preview');
        await button(page, '确认导入').click();
        await page.getByText('已导入 3 项任务').waitFor({ timeout: 60_000 });
        await w.shot('imported');
        await page.getByRole('link', { name: '查看导入的任务' }).click();
        for (const r of LIST) await page.getByRole('link', { name: r.problem }).first().waitFor();
        await w.shot('tasks');
      }),
    ).toEqual([]);
  });

  it('(c) the office exports the ledger: a real .xlsx download holding the imported measures', async () => {
    let bytes: Buffer = Buffer.alloc(0);
    expect(
      await as(cast.office, 'office-ledger', async (w) => {
        const { page } = w;
        await page.goto(`/campaigns/${campaignId}`);
        const got = await download(page, () => button(page, '导出台账').click());
        bytes = got.bytes;
        expect(got.download.suggestedFilename()).toMatch(/台账.*\.xlsx$/);
      }),
    ).toEqual([]);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ExcelJS.Buffer);
    const text: string[] = [];
    wb.worksheets[0].eachRow((row) => row.eachCell((cell) => text.push(String(cell.text))));
    for (const r of [...LIST, OVERDUE]) expect(text).toContain(r.measure);
  });

  it('(d) the office generates a progress notice and downloads its Word document', async () => {
    const title = '第一期整改进展情况通报';
    expect(
      await as(cast.office, 'office-notice', async (w) => {
        const { page } = w;
        await page.goto(`/campaigns/${campaignId}`);
        await button(page, '生成通报').click();
        const dialog = await openDialog(page);
        await typeInto(dialog.getByLabel('标题', { exact: true }), title);
        await submit(page, dialog);
        await page.getByRole('cell', { name: title, exact: true }).waitFor();
        await w.shot('notices');
        const got = await download(page, () => page.getByRole('link', { name: `下载通报 ${title}` }).click());
        expect(got.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
        expect(got.download.suggestedFilename()).toMatch(/\.docx$/);
      }),
    ).toEqual([]);
  });

  it('(e) statistics by category, unit and leader', async () => {
    expect(
      await as(cast.office, 'office-stats', async (w) => {
        const { page } = w;
        await page.goto(`/stats?campaignId=${campaignId}`);
        await page.getByRole('tab', { name: '按类别' }).waitFor();
        const table = page.getByRole('table', { name: '问题类别统计' });
        await table.getByRole('cell', { name: '民生保障', exact: true }).waitFor();
        await table.getByRole('cell', { name: '党风廉政建设', exact: true }).waitFor();
        await page.getByRole('tab', { name: '按单位' }).click();
        await page
          .getByRole('table', { name: '责任单位统计' })
          .getByRole('cell', { name: '财务处', exact: true })
          .waitFor();
        await page.getByRole('tab', { name: '按牵头领导' }).click();
        await page.getByRole('table', { name: '牵头领导统计' }).getByRole('row').nth(1).waitFor();
        await w.shot('by');
      }),
    ).toEqual([]);
  });

  it('(f) the lead unit signs for a numbered 督办 document, answers it and downloads it', async () => {
    const feedback = '已组织专项整改，抽检问题全部整改到位。';
    expect(
      await as(cast.medicalStaff, 'staff-supervision', async (w) => {
        const { page } = w;
        // From 待办, as the unit finds it: the notice waits in the 督办 group and links to its task.
        await page.goto('/');
        const todo = page.getByTestId('inbox-supervision');
        const waiting = todo.locator(`a[href="/tasks/${overdueTaskId}"]`);
        await waiting.first().waitFor();
        expect(await todo.innerText()).toContain('督办待签收');
        await w.shot('inbox');
        await waiting.first().click();
        await page.waitForURL(`**/tasks/${overdueTaskId}`);
        const card = page.getByRole('region', { name: '督办记录' });
        await card
          .getByText(/〔\d{4}〕\d+号/)
          .first()
          .waitFor();
        await w.shot('notice');
        await button(card, '签收').first().click();
        await card.getByText('已签收').first().waitFor();
        await button(card, '反馈').first().click();
        const dialog = await openDialog(page);
        await typeInto(dialog.getByLabel('反馈内容', { exact: true }), feedback);
        await submit(page, dialog);
        await card.getByText(feedback).waitFor();
        await w.shot('answered');
        const got = await download(page, () => card.getByRole('link', { name: '下载督办单' }).first().click());
        expect(got.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
        // Answered, it has left 待办.
        await page.getByRole('link', { name: '待办' }).first().click();
        await page.getByRole('heading', { name: '我的待办' }).waitFor();
        await page.getByTestId('inbox-reportsDue').waitFor();
        expect(await page.locator(`[data-testid="inbox-supervision"] a[href="/tasks/${overdueTaskId}"]`).count()).toBe(
          0,
        );
      }),
    ).toEqual([]);
    const view = z
      .object({
        supervisionNotices: z.array(z.object({ signedAt: z.string().nullable(), feedback: z.string().nullable() })),
      })
      .parse(await office.get(`/api/tasks/${overdueTaskId}`));
    expect(view.supervisionNotices.some((n) => n.signedAt && n.feedback === feedback)).toBe(true);
  });

  it('(k) the office issues a 催办单 by hand with its reason; it is numbered by the office', async () => {
    const reason = '抽检问题整改进度滞后，请于5个工作日内报送整改情况';
    expect(
      await as(cast.office, 'office-issue', async (w) => {
        const { page } = w;
        await page.goto(`/tasks/${overdueTaskId}`);
        await button(page, '发起督办').click();
        const dialog = await openDialog(page);
        await pickOption(page, dialog, '督办措施', '催办（催办单）');
        await typeInto(dialog.getByLabel('理由', { exact: true }), reason);
        await submit(page, dialog);
        const card = page.getByRole('region', { name: '督办记录' });
        const row = card.getByRole('row', { name: new RegExp(reason) });
        await row.waitFor();
        expect(await row.innerText()).toMatch(/〔\d{4}〕\d+号[\s\S]*催办单/);
        await w.shot('issued');
      }),
    ).toEqual([]);
    const notice = await stack.db.supervisionNotice.findFirstOrThrow({
      where: { taskId: overdueTaskId, step: 'reminder' },
    });
    expect(notice).toMatchObject({ issuedById: cast.office.userId, reason });
    expect(notice.documentNo).toMatch(/〔\d{4}〕\d+号$/);
  });

  it('(l) the admin adds a unit group, and imports a directory workbook (a unit and a person)', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('单位').addRows([
      ['单位名称', '上级单位', '层级', '类型', '简称'],
      ['江南省医疗保障局', '江南省卫生健康委员会', 'province', 'department', '省医保局'],
    ]);
    workbook.addWorksheet('人员').addRows([
      ['姓名', '用户名', '角色', '所属单位', '邮箱', '手机'],
      ['宋干事', 'song_ganshi', 'unit_staff', '江南省医疗保障局', 'song@zhenggai.example.cn', '13800000002'],
    ]);
    const file = Buffer.from(await workbook.xlsx.writeBuffer());
    expect(
      await as(cast.admin, 'admin-groups', async (w) => {
        const { page } = w;
        await page.goto('/admin/groups');
        await button(page, '新增分组').click();
        const dialog = await openDialog(page);
        await typeInto(dialog.getByLabel('名称', { exact: true }), '省直财务管理部门');
        await typeInto(dialog.getByLabel('别名', { exact: true }), '财务管理部门');
        await pickOption(page, dialog, '成员单位', '财务处');
        // The multiple select keeps its list open: a click on the dialog's title closes it (Escape could close the
        // dialog itself once the list has gone).
        await dialog.getByText('新增分组', { exact: true }).click();
        await page.locator('.ant-select-dropdown:visible').waitFor({ state: 'hidden' });
        await submit(page, dialog);
        const row = page.getByRole('row', { name: /省直财务管理部门/ });
        await row.getByText('财务处').waitFor();

        await page.getByRole('navigation', { name: '系统管理' }).getByRole('link', { name: '通讯录导入' }).click();
        await page.locator('input[type="file"]').setInputFiles({ name: '通讯录.xlsx', mimeType: XLSX, buffer: file });
        await button(page, '确认导入').click();
        await page.getByRole('table', { name: '初始密码' }).getByText('song_ganshi').waitFor();
        await w.shot('directory-imported');
      }),
    ).toEqual([]);
    const groups = z
      .object({ items: z.array(z.object({ name: z.string(), memberUnitIds: z.array(z.string()) })) })
      .parse(await admin.get('/api/unit-groups')).items;
    expect(groups.find((g) => g.name === '省直财务管理部门')?.memberUnitIds).toEqual([cast.financeStaff.unitId]);
    const units = ZUnits.parse(await admin.get('/api/units')).items;
    const unit = units.find((u) => u.name === '江南省医疗保障局');
    expect(unit?.aliases).toEqual(['省医保局']);
    const users = ZUsers.parse(await admin.get('/api/users')).items;
    expect(users.find((u) => u.name === '宋干事')).toMatchObject({ unitId: unit?.id, role: 'unit_staff' });
  });

  it('(g) the admin sees the calendar coverage warning, overrides a day and clears the override', async () => {
    const now = new Date();
    const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-15`;
    const source = async () =>
      z
        .object({ days: z.array(z.object({ date: z.string(), workday: z.boolean(), source: z.string() })) })
        .parse(await admin.get(`/api/calendar?from=${day}&to=${day}`)).days[0];
    const before = await source();
    expect(
      await as(cast.admin, 'admin-calendar', async (w) => {
        const { page } = w;
        await page.goto('/admin/calendar');
        // The month grid reaches into the next year; a year without official data is warned about at the top.
        if (now.getMonth() === 11)
          await page
            .getByRole('alert')
            .getByText(/没有官方节假日安排数据/)
            .first()
            .waitFor();
        await page.locator(`td[title="${day}"]`).click();
        const panel = page.getByRole('heading', { name: `${now.getFullYear()}年${now.getMonth() + 1}月15日` });
        await panel.waitFor();
        await page.getByRole('radio', { name: before.workday ? '休息日' : '工作日', exact: true }).check();
        await typeInto(page.getByLabel('说明', { exact: true }), '测试调整');
        await button(page, '保存调整').click();
        await button(page, '取消调整').waitFor();
        await w.shot('override');
        expect(await source()).toMatchObject({ source: 'override', workday: !before.workday });
        await button(page, '取消调整').click();
        await button(page, '取消调整').waitFor({ state: 'detached' });
      }),
    ).toEqual([]);
    expect(await source()).toMatchObject({ source: before.source, workday: before.workday });
  });

  it('(h) a person chooses mail and the daily digest in 通知设置', async () => {
    expect(
      await as(cast.financeStaff, 'staff-settings', async (w) => {
        const { page } = w;
        await page.getByRole('link', { name: '通知设置', exact: true }).click();
        await page.getByRole('checkbox', { name: '邮件' }).check();
        await page.getByRole('checkbox', { name: '每日汇总' }).check();
        await button(page, '保存').click();
        await page.getByText('通知设置已保存').waitFor();
        await page.reload();
        await signedIn(page);
        await page.getByRole('checkbox', { name: '邮件' }).waitFor();
        expect(await page.getByRole('checkbox', { name: '邮件' }).isChecked()).toBe(true);
        expect(await page.getByRole('checkbox', { name: '每日汇总' }).isChecked()).toBe(true);
      }),
    ).toEqual([]);
    const prefs = z
      .object({ channels: z.array(z.string()), digest: z.boolean() })
      .parse(await new ApiClient(stack.baseUrl, cast.financeStaff).get('/api/me/notification-preferences'));
    expect(prefs.channels).toContain('email');
    expect(prefs.digest).toBe(true);
  });

  it('(i) the admin puts a dead letter back in the queue', async () => {
    const dead = await stack.db.outboxMessage.create({
      data: {
        idempotencyKey: `browser-dead-${Date.now()}`,
        channel: 'email',
        payload: { title: '催办：请报送整改进展', userId: cast.medicalStaff.userId },
        status: 'dead',
        attempts: 8,
        lastError: '550 mailbox unavailable',
      },
    });
    expect(
      await as(cast.admin, 'admin-outbox', async (w) => {
        const { page } = w;
        await page.goto('/admin/outbox');
        const row = page.getByRole('row', { name: /550 mailbox unavailable/ });
        await row.waitFor();
        await w.shot('dead');
        await button(row, '重新投递').click();
        await row.waitFor({ state: 'detached' });
      }),
    ).toEqual([]);
    const after = await stack.db.outboxMessage.findUniqueOrThrow({ where: { id: dead.id } });
    expect(after.status).not.toBe('dead');
  });

  it('(m) an import with an unknown unit goes ahead once the office chooses to skip the rows with errors', async () => {
    const second = await createCampaign(office, cast.leader.unitId, { name: '省委第二巡视组反馈意见整改' });
    expect(
      await as(cast.office, 'office-import-skip', async (w) => {
        const { page } = w;
        await page.goto(`/campaigns/${second}/import`);
        await page
          .locator('input[type="file"]')
          .setInputFiles({ name: '整改任务清单.xlsx', mimeType: XLSX, buffer: await taskListXlsx(UNKNOWN_UNIT) });
        await page.locator('[data-cell-issue="error"]').first().waitFor();
        const commit = button(page, '确认导入');
        expect(await commit.isDisabled()).toBe(true);
        await page.getByRole('checkbox', { name: '跳过有错误的行' }).check();
        await page.getByText('所在的 1 行不会导入').waitFor();
        await commit.click();
        await page.getByText('已导入 2 项任务').waitFor({ timeout: 60_000 });
      }),
    ).toEqual([]);
    const tasks = z
      .object({ items: z.array(z.object({ measure: z.string() })) })
      .parse(await office.get(`/api/tasks?campaignId=${second}&pageSize=50`)).items;
    expect(tasks.map((t) => t.measure).sort()).toEqual([LIST[0].measure, LIST[1].measure].sort());
  });

  it('(n) the leader exports the ledger and reads the notices, but is offered neither import nor 生成通报', async () => {
    expect(
      await as(cast.leader, 'leader-campaign', async (w) => {
        const { page } = w;
        await page.getByRole('link', { name: '巡视批次', exact: true }).click();
        await page.getByRole('link', { name: '省委第一巡视组反馈意见整改（导入）' }).click();
        await page
          .getByRole('link', { name: /^下载通报/ })
          .first()
          .waitFor();
        const got = await download(page, () => button(page, '导出台账').click());
        expect(got.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
        expect(await button(page, '导入任务清单').count()).toBe(0);
        expect(await button(page, '生成通报').count()).toBe(0);
      }),
    ).toEqual([]);
    const leader = new ApiClient(stack.baseUrl, cast.leader);
    expect((await leader.request('POST', `/api/campaigns/${campaignId}/notices`, { asOf: '2026-12-01' })).status).toBe(
      403,
    );
  });

  it('(j) the office sees no 系统管理 and is refused the admin pages', async () => {
    expect(
      await as(cast.office, 'office-no-admin', async (w) => {
        const { page } = w;
        await page.getByRole('link', { name: '任务', exact: true }).waitFor();
        expect(await page.getByRole('link', { name: '系统管理' }).count()).toBe(0);
        await page.goto('/admin/users');
        await page.getByText('需要系统管理员权限').waitFor();
      }),
    ).toEqual([]);
    const res = await office.request('POST', '/api/units', {
      name: '越权单位',
      parentId: null,
      level: 'province',
      kind: 'department',
    });
    expect(res.status).toBe(403);
  });
});

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
