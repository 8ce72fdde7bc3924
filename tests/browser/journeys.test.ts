/**
 * Journeys through the browser application in Debian's Chromium, on the real stack (dev server, worker, fresh
 * SQLite, demo organisation, the built web application served by the API). Set-up (campaigns, tasks, an overdue
 * task) goes through the API with bearer tokens; every journey step goes through the UI, finding controls by the
 * accessible names of the contract. Each page fails its journey on any console error, page error, failed request or
 * HTTP ≥ 400 response the journey did not declare. Screenshots: test-output/screenshots/.
 *
 * One stack and one browser for the whole file (each user gets a fresh browser context); the journeys run in order
 * on shared tasks: (a) report with a PDF → (b) review returned, resubmitted, accepted → (c) close-out signed by three
 * levels → (e) another unit sees none of it; (d) and (f) use tasks of their own.
 */
import type { Locator, Page } from 'playwright-core';
import { z } from 'zod';
import { demoCast } from '../api/harness';
import {
  ApiClient,
  createCampaign,
  createTasks,
  signIn,
  startBrowserStack,
  tinyPdf,
  waitForTask,
  type TBrowserStack,
  type TPageProblem,
  type TWatchedPage,
} from './harness';
import type { TDemoUser } from '../../scripts/seed-demo';

jest.setTimeout(90_000);

let stack: TBrowserStack;
let cast: ReturnType<typeof demoCast>;
let office: ApiClient;
let campaignId: string;

// Titles unique to each journey: the inbox links a task by its problem title.
const MAIN = { title: '财政专项资金管理不规范', measure: '建立专项资金台账，逐笔核对' };
const RED = { title: '医疗设备采购逾期未整改', measure: '完成设备采购清理' };
const GREEN = { title: '门诊服务流程不便民', measure: '优化门诊预约流程' };
const KEYBOARD = { title: '基层药品配备不足', measure: '补齐基层常用药品目录' };
const WEST = { title: '西州市医疗废物处置不规范', measure: '规范医疗废物转运台账' };

let mainTaskId: string;
let redTaskId: string;
let keyboardTaskId: string;
let fileId: string;

const PDF = tinyPdf('Zhenggai ledger');
const PDF_NAME = '整改台账.pdf';

const ZTaskView = z.object({
  status: z.string(),
  reports: z.array(
    z.object({
      period: z.string(),
      status: z.string(),
      version: z.number(),
      progress: z.string(),
      problems: z.string().nullable(),
      nextPlan: z.string().nullable(),
      evidence: z.array(
        z.object({ fileId: z.string().nullable(), fileName: z.string(), downloadUrl: z.string().nullable() }),
      ),
      reviews: z.array(z.object({ decision: z.string(), reason: z.string().nullable().optional() })),
    }),
  ),
  signOffs: z.array(z.object({ level: z.number(), decision: z.string() })),
});
const taskView = async (id: string) => ZTaskView.parse(await office.get(`/api/tasks/${id}`));

beforeAll(async () => {
  stack = await startBrowserStack();
  cast = demoCast(stack.users);
  office = new ApiClient(stack.baseUrl, cast.office);
  campaignId = await createCampaign(office, cast.leader.unitId);
  const leaderId = cast.leader.userId;
  const medical = cast.medicalStaff.unitId;
  [mainTaskId, keyboardTaskId] = await createTasks(office, campaignId, [
    { problem: { category: '党的建设', title: MAIN.title }, measure: MAIN.measure, leadUnitId: medical, leaderId },
    {
      problem: { category: '民生保障', title: KEYBOARD.title },
      measure: KEYBOARD.measure,
      leadUnitId: cast.financeStaff.unitId,
      leaderId,
    },
  ]);
  // The overdue task: its deadline is long past, so its workflow marks it OVERDUE (red) as soon as it starts.
  [redTaskId] = await createTasks(office, campaignId, [
    {
      problem: { category: '民生保障', title: RED.title },
      measure: RED.measure,
      leadUnitId: medical,
      leaderId,
      deadline: '2020年12月31日前完成',
    },
    { problem: { category: '民生保障', title: GREEN.title }, measure: GREEN.measure, leadUnitId: medical, leaderId },
    // 西州's own task: journey (e) sees it listed, so an absent task is absent from a list that did render.
    {
      problem: { category: '民生保障', title: WEST.title },
      measure: WEST.measure,
      leadUnitId: cast.cityBStaff.unitId,
      leaderId,
    },
  ]);
  for (const id of [mainTaskId, keyboardTaskId]) {
    await waitForTask(office, id, (t) => t.audit.some((a) => a.action === 'TaskAssigned'), 'assigned');
  }
  await waitForTask(office, redTaskId, (t) => t.status === 'OVERDUE', 'the deadline timer to mark it overdue');
}, 240_000);

afterAll(async () => {
  await stack?.teardown();
});

/**
 * Runs one user's part of a journey in a fresh browser context; on failure keeps a screenshot of where it stopped.
 * Returns the page's undeclared problems, which the journey asserts empty.
 */
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
    // The page's own errors usually say why a step failed: keep them with the failure.
    throw problems.length ? new Error(`${String(err)}\npage problems: ${JSON.stringify(problems, null, 2)}`) : err;
  }
  return w.finish();
}

const button = (scope: Page | Locator, name: string) => scope.getByRole('button', { name, exact: true });

/** The open form: a dialog (modal or drawer) when the application uses one, else the page. */
async function form(page: Page): Promise<Locator> {
  const dialog = page.getByRole('dialog').last();
  await dialog.waitFor();
  // Opened: the application moves the focus to the form's first field once the dialog has finished opening. Typing
  // before that (no person is that fast) could race the form's own set-up.
  await dialog.locator(':focus').waitFor();
  return dialog;
}

/**
 * Types into a dialog's field and makes sure the text is there before going on: on a loaded machine the dialog may
 * still be settling (its form mounts while the open animation runs) and a fill landing in that moment is lost. A person
 * would see an empty box and type again; so does this, once, and the journey still fails if the text never stays.
 */
async function fillIn(field: Locator, text: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await field.fill(text);
    await new Promise((resolve) => setTimeout(resolve, 150));
    if ((await field.inputValue()) === text) return;
  }
  throw new Error(`the field did not keep the text "${text}"`);
}

/** From 待办, opens the task linked by its problem title. */
async function openFromInbox(page: Page, title: string): Promise<void> {
  await page.getByRole('link', { name: '待办', exact: true }).click();
  await page.getByRole('link', { name: title }).first().click();
  await page.waitForURL(/\/tasks\/[^/]+$/);
  await page.getByText(title).first().waitFor();
}

/** Submits the open form with "提交" and waits until it has gone (the server accepted it). */
async function submit(page: Page, scope: Locator): Promise<void> {
  await button(scope, '提交').click();
  await scope.waitFor({ state: 'hidden' });
  await page.waitForLoadState('networkidle');
}

/** A status tag (or any text) on the task page. */
const shows = (page: Page, text: string) => page.getByText(text, { exact: true }).first().waitFor();

async function chooseAndReason(scope: Locator, choice: string, reason?: string): Promise<void> {
  await scope.getByRole('radio', { name: choice, exact: true }).check();
  // The reason is free text (审核意见 / 理由); the 常用意见 picker beside it is a combobox, not a textbox.
  if (reason !== undefined) await fillIn(scope.getByRole('textbox', { name: /理由|意见|原因/ }).first(), reason);
}

describe('journeys in Chromium', () => {
  it('(a) unit staff signs in, acknowledges the task from 待办 and files a monthly report with an uploaded PDF', async () => {
    const problems = await as(cast.medicalStaff, 'a-staff', async (w) => {
      const { page } = w;
      await page.getByRole('link', { name: MAIN.title }).first().waitFor();
      await w.shot('inbox');
      await openFromInbox(page, MAIN.title);
      await shows(page, '待签收');
      await button(page, '签收').click();
      await shows(page, '整改中');
      await button(page, '填报进展').click();
      const dialog = await form(page);
      await fillIn(dialog.getByLabel('本月进展', { exact: true }), '已建立专项资金台账，完成第一批核对。');
      await fillIn(dialog.getByLabel('存在问题', { exact: true }), '部分凭证缺失');
      await fillIn(dialog.getByLabel('下步计划', { exact: true }), '下月补齐凭证并完成全部核对');
      const uploaded = page.waitForResponse((r) => r.url().endsWith('/api/files') && r.request().method() === 'POST');
      await dialog
        .locator('input[type="file"]')
        .setInputFiles({ name: PDF_NAME, mimeType: 'application/pdf', buffer: PDF });
      const upload = await uploaded;
      expect(upload.status()).toBe(201);
      fileId = z.object({ id: z.string() }).parse(await upload.json()).id;
      await dialog.getByText(PDF_NAME).first().waitFor();
      await w.shot('report-form');
      await submit(page, dialog);
      // The report is on the task page, with its text and the file, which opens from there.
      await page.getByText('已建立专项资金台账，完成第一批核对。').first().waitFor();
      const link = page.getByRole('link', { name: new RegExp(PDF_NAME.replace('.', '\\.')) }).first();
      await link.waitFor();
      const href = await link.getAttribute('href');
      expect(href).toContain(`/api/files/${fileId}`);
      const download = await w.context.request.get(`/api/files/${fileId}`);
      expect(download.status()).toBe(200);
      expect(Buffer.compare(await download.body(), PDF)).toBe(0);
      await w.shot('reported');
    });
    expect(problems).toEqual([]);
    const task = await taskView(mainTaskId);
    expect(task.status).toBe('IN_PROGRESS');
    expect(task.reports).toHaveLength(1);
    expect(task.reports[0]).toMatchObject({
      status: 'submitted',
      progress: '已建立专项资金台账，完成第一批核对。',
      problems: '部分凭证缺失',
      nextPlan: '下月补齐凭证并完成全部核对',
    });
    expect(task.reports[0].evidence).toEqual([
      expect.objectContaining({ fileId, fileName: PDF_NAME, downloadUrl: `/api/files/${fileId}` }),
    ]);
  });

  it('(b) the office returns the report with a reason, staff resubmits, the office accepts it', async () => {
    const reason = '佐证材料不完整，请补充凭证清单';
    expect(
      await as(cast.office, 'b-office-return', async (w) => {
        const { page } = w;
        await openFromInbox(page, MAIN.title);
        await button(page, '审核').click();
        const dialog = await form(page);
        await chooseAndReason(dialog, '退回', reason);
        await w.shot('review-form');
        await submit(page, dialog);
        await page.getByText(reason).first().waitFor();
        await w.shot('returned');
      }),
    ).toEqual([]);
    expect((await taskView(mainTaskId)).reports[0].status).toBe('returned');

    expect(
      await as(cast.medicalStaff, 'b-staff-resubmit', async (w) => {
        const { page } = w;
        await openFromInbox(page, MAIN.title);
        await button(page, '填报进展').click();
        const dialog = await form(page);
        await fillIn(dialog.getByLabel('本月进展', { exact: true }), '已补充凭证清单，台账核对完毕。');
        await submit(page, dialog);
        await page.getByText('已补充凭证清单，台账核对完毕。').first().waitFor();
      }),
    ).toEqual([]);

    expect(
      await as(cast.office, 'b-office-accept', async (w) => {
        const { page } = w;
        await openFromInbox(page, MAIN.title);
        await button(page, '审核').click();
        const dialog = await form(page);
        await chooseAndReason(dialog, '通过');
        await submit(page, dialog);
        // Nothing is left to review: the button is gone.
        await button(page, '审核').waitFor({ state: 'detached' });
        await w.shot('accepted');
      }),
    ).toEqual([]);
    const task = await taskView(mainTaskId);
    expect(task.reports.map((r) => [r.version, r.status])).toEqual([
      [1, 'returned'],
      [2, 'accepted'],
    ]);
    expect(task.reports[0].reviews[0]).toMatchObject({ decision: 'return', reason });
  });

  it('(c) staff applies for close-out; head, office and leader each approve in turn; the task shows 已销号', async () => {
    expect(
      await as(cast.medicalStaff, 'c-staff', async (w) => {
        const { page } = w;
        // Nothing is due once the report is accepted: the task is reached from 任务.
        await page.getByRole('link', { name: '任务', exact: true }).click();
        await page.getByRole('link', { name: MAIN.title }).first().click();
        await page.waitForURL(new RegExp(`/tasks/${mainTaskId}$`));
        await button(page, '申请销号').click();
        const dialog = await form(page);
        await fillIn(dialog.getByRole('textbox').first(), '专项资金台账已建立，问题全部整改到位。');
        await submit(page, dialog);
        await shows(page, '待销号');
      }),
    ).toEqual([]);

    for (const [signer, prefix] of [
      [cast.medicalHead, 'c-head'],
      [cast.office, 'c-office'],
      [cast.leader, 'c-leader'],
    ] as const) {
      expect(
        await as(signer, prefix, async (w) => {
          const { page } = w;
          await openFromInbox(page, MAIN.title);
          await button(page, '签批').click();
          const dialog = await form(page);
          await chooseAndReason(dialog, '同意');
          await submit(page, dialog);
          await button(page, '签批').waitFor({ state: 'detached' });
          if (prefix === 'c-leader') {
            await shows(page, '已销号');
            await w.shot('closed');
          }
        }),
      ).toEqual([]);
    }
    const task = await taskView(mainTaskId);
    expect(task.status).toBe('CLOSED');
    expect(task.signOffs.map((s) => `${s.level}:${s.decision}`)).toEqual(['1:approve', '2:approve', '3:approve']);
  });

  it('(d) a supervisor filters 红灯 in 任务 and opens the red task', async () => {
    expect(
      await as(cast.supervisor, 'd-supervisor', async (w) => {
        const { page } = w;
        await page.getByRole('link', { name: '任务', exact: true }).click();
        // Before filtering, the green task of the same campaign is listed too.
        await page.getByRole('link', { name: GREEN.title }).first().waitFor();
        const light = page.getByRole('combobox', { name: /灯/ }).first();
        await light.click();
        await page.locator('.ant-select-dropdown:visible').getByTitle('红灯', { exact: true }).click();
        await page.getByRole('link', { name: GREEN.title }).waitFor({ state: 'detached' });
        const red = page.getByRole('link', { name: RED.title }).first();
        await red.waitFor();
        expect(page.url()).toMatch(/trafficLight=red|light=red|红灯/);
        await w.shot('red-filter');
        await red.click();
        await page.waitForURL(new RegExp(`/tasks/${redTaskId}$`));
        await shows(page, '红灯');
        await shows(page, '已逾期');
        await w.shot('red-task');
      }),
    ).toEqual([]);
  });

  it('(e) a user of another unit sees the task neither in 任务 nor in 待办, nor by URL, nor its file', async () => {
    expect(
      await as(cast.cityBStaff, 'e-other-unit', async (w) => {
        const { page } = w;
        // The refusals this journey provokes on purpose.
        w.allow({ url: new RegExp(`/api/tasks/${mainTaskId}$`) });
        w.allow({ url: new RegExp(`/api/files/${fileId}$`) });
        await page.getByRole('link', { name: WEST.title }).first().waitFor();
        await page.waitForLoadState('networkidle');
        expect(await page.getByText(MAIN.title).count()).toBe(0);
        await page.getByRole('link', { name: '任务', exact: true }).click();
        await page.waitForURL(/\/tasks(\?|$)/);
        await page.getByRole('link', { name: WEST.title }).first().waitFor();
        await page.waitForLoadState('networkidle');
        expect(await page.getByText(MAIN.title).count()).toBe(0);
        expect(await page.getByText(RED.title).count()).toBe(0);
        await page.goto(`/tasks/${mainTaskId}`);
        await page
          .getByText(/无权|没有权限|不存在|无法查看/)
          .first()
          .waitFor();
        expect(await page.getByText(MAIN.measure).count()).toBe(0);
        await w.shot('no-permission');
        const status = await page.evaluate(
          async (url: string) => (await fetch(url, { credentials: 'same-origin' })).status,
          `/api/files/${fileId}`,
        );
        expect([403, 404]).toContain(status);
      }),
    ).toEqual([]);
  });

  it('(f) with the keyboard alone, finance staff signs in, opens the task from 待办 and acknowledges it', async () => {
    const { username, password } = z.object({ username: z.string(), password: z.string() }).parse(cast.financeStaff);
    expect(
      await as(
        cast.financeStaff,
        'f-keyboard',
        async (w) => {
          const { page } = w;
          w.allow({ url: /\/api\/auth\/me$/, status: 401 });
          await page.goto('/');
          await tabTo(page, page.getByLabel('用户名', { exact: true }));
          await page.keyboard.type(username);
          await tabTo(page, page.getByLabel('密码', { exact: true }));
          await page.keyboard.type(password);
          await page.keyboard.press('Enter');
          const link = page.getByRole('link', { name: KEYBOARD.title }).first();
          await link.waitFor();
          await tabTo(page, link);
          await page.keyboard.press('Enter');
          await page.waitForURL(new RegExp(`/tasks/${keyboardTaskId}$`));
          const acknowledge = button(page, '签收');
          await acknowledge.waitFor();
          await tabTo(page, acknowledge);
          await page.keyboard.press('Space');
          // A confirmation, if the application asks for one, is answered from the keyboard too.
          const confirm = page.getByRole('dialog').getByRole('button', { name: /^(提交|确定|确认)$/ });
          await Promise.race([shows(page, '整改中'), confirm.waitFor()]);
          if (await confirm.isVisible()) {
            await tabTo(page, confirm);
            await page.keyboard.press('Enter');
          }
          await shows(page, '整改中');
          await w.shot('acknowledged');
        },
        { signIn: false },
      ),
    ).toEqual([]);
    expect((await taskView(keyboardTaskId)).status).toBe('IN_PROGRESS');
  });
});

/** Presses Tab (up to 80 times) until `target` has the focus; never clicks. */
async function tabTo(page: Page, target: Locator): Promise<void> {
  await target.waitFor();
  for (let i = 0; i < 80; i++) {
    const focused = await target
      .evaluate((el: unknown) => {
        const node = el as { ownerDocument: { activeElement: unknown } };
        return node === node.ownerDocument.activeElement;
      })
      .catch(() => false);
    if (focused) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}
