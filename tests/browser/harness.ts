/**
 * The real stack for browser tests: the embedded dev server (time skipping), the product's worker on a private task
 * queue, a fresh SQLite database with the demo organisation, the Express app (API + the built web application)
 * listening on a random port of 127.0.0.1 — and Debian's Chromium driven by playwright-core.
 *
 * Every page opened through `open()` is watched: a console error, an uncaught page error, a failed request or an HTTP
 * response ≥ 400 that the journey did not declare with `allow()` is recorded, and `finish()` returns the list, which a
 * journey asserts empty. Screenshots of key screens go to test-output/screenshots/ (not committed).
 *
 * Used by tests/browser/*.test.ts, by bench/web.ts and by tests/browser/screenshots.ts: nothing here depends on Jest.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import express from 'express';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { z } from 'zod';
import { createApp } from '../../api/app';
import type { Db } from '../../db/client';
import { periodOf } from '../../domain/calendar';
import { createTestEnvironment } from '../../devserver/src/testing';
import { seedDemo, type TDemoUser } from '../../scripts/seed-demo';
import { createTaskWorker } from '../../worker';
import { createTestDb } from '../helpers/db';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SCREENSHOTS_DIR = path.join(ROOT, 'test-output', 'screenshots');
const WEB_DIR = path.join(ROOT, 'web');
const WEB_INDEX = path.join(WEB_DIR, 'dist', 'index.html');

/** A demo user with the sign-in the demo organisation gives them (issue 9: `username`, `password`). */
export type TDemoLogin = TDemoUser & { username: string; password: string };

const ZLogin = z.object({ username: z.string().min(1), password: z.string().min(1) });

export function login(user: TDemoUser): TDemoLogin {
  const parsed = ZLogin.safeParse(user);
  if (!parsed.success) {
    throw new Error(`The demo user ${user.name} has no username/password: scripts/seed-demo.ts must give them one`);
  }
  return { ...user, ...parsed.data };
}

/** The newest modification time under a folder (skipping dist and node_modules), in ms. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * The browser tests exercise the built application (web/dist), as `npm start` serves it. It is built when missing, or
 * when a source under web/ is newer than the build (otherwise a local run would silently test a stale bundle).
 */
export function ensureWebBuilt(): void {
  if (!fs.existsSync(path.join(WEB_DIR, 'package.json')) && !fs.existsSync(path.join(WEB_DIR, 'index.html'))) {
    throw new Error('The web application (web/) does not exist yet: nothing to test in a browser');
  }
  if (fs.existsSync(WEB_INDEX) && fs.statSync(WEB_INDEX).mtimeMs >= newestMtime(WEB_DIR)) return;
  const scripts = z
    .object({ scripts: z.record(z.string(), z.string()).default({}) })
    .parse(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))).scripts;
  if (!scripts['build:web']) {
    throw new Error('web/dist/index.html is missing and package.json has no build:web script to build it');
  }
  console.log('[browser] building the web application (npm run build:web)…');
  try {
    execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`npm run build:web failed:\n${stderr.slice(-4000)}`);
  }
  if (!fs.existsSync(WEB_INDEX)) throw new Error('npm run build:web did not produce web/dist/index.html');
}

/** A problem seen on a page that the journey did not declare. */
export interface TPageProblem {
  kind: 'console' | 'pageerror' | 'requestfailed' | 'http';
  text: string;
}

/** A response the journey expects to fail (e.g. the 401 of /api/auth/me before sign-in, a 403 it provokes). */
export interface TAllowed {
  url: RegExp;
  status?: number;
}

export interface TWatchedPage {
  page: Page;
  context: BrowserContext;
  /** Declares responses (and their console messages) this journey expects to fail. */
  allow(rule: TAllowed): void;
  /** A full-page screenshot in test-output/screenshots/<prefix>-<name>.png. */
  shot(name: string): Promise<string>;
  /** Closes the page's context and returns every problem it saw that was not allowed. */
  finish(): Promise<TPageProblem[]>;
}

export interface TBrowserStack {
  baseUrl: string;
  db: Db;
  testEnv: TestWorkflowEnvironment;
  users: TDemoUser[];
  browser: Browser;
  /** A fresh browser context (own cookies) with one watched page; screenshots are named `<prefix>-…`. */
  open(prefix: string): Promise<TWatchedPage>;
  /** The workflows' clock (the dev server's virtual time). */
  now(): Promise<Date>;
  currentPeriod(): Promise<string>;
  teardown(): Promise<void>;
}

export function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: install Debian's chromium (see .ci/run) or set CHROMIUM_PATH to one`,
    );
  }
  // --no-sandbox: CI and these machines run as root, where Chromium refuses its sandbox.
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

export async function watchPage(browser: Browser, baseUrl: string, prefix: string): Promise<TWatchedPage> {
  // A previous run's screenshots of this page (a failure's, say) would otherwise sit beside this run's.
  if (fs.existsSync(SCREENSHOTS_DIR)) {
    for (const name of fs.readdirSync(SCREENSHOTS_DIR)) {
      if (name.startsWith(`${prefix}-`)) fs.rmSync(path.join(SCREENSHOTS_DIR, name));
    }
  }
  const context = await browser.newContext({
    baseURL: baseUrl,
    locale: 'zh-CN',
    viewport: { width: 1366, height: 800 },
  });
  // Waits are for a local server: a control that has not appeared in 10 s is not coming, and a journey should say so
  // quickly rather than after Playwright's default 30 s.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const allowed: TAllowed[] = [];
  const problems: TPageProblem[] = [];
  const isAllowed = (url: string, status?: number) =>
    allowed.some(
      (rule) => rule.url.test(url) && (rule.status === undefined || status === undefined || rule.status === status),
    );
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium logs every failed response as a console error naming its URL; an allowed response's is allowed too.
    const url = msg.location().url;
    if (/^Failed to load resource/.test(msg.text()) && url && isAllowed(url)) return;
    problems.push({ kind: 'console', text: `${msg.text()} (${url})` });
  });
  page.on('pageerror', (err) => problems.push({ kind: 'pageerror', text: err.stack ?? err.message }));
  page.on('requestfailed', (req) => {
    const failure = req.failure()?.errorText ?? 'failed';
    // A request the page itself cancelled (navigating away, React Query aborting a superseded query) is not a
    // failure of the product; every other network failure is.
    if (failure === 'net::ERR_ABORTED') return;
    problems.push({ kind: 'requestfailed', text: `${req.method()} ${req.url()}: ${failure}` });
  });
  page.on('response', (res) => {
    if (res.status() < 400 || isAllowed(res.url(), res.status())) return;
    problems.push({ kind: 'http', text: `${res.request().method()} ${res.url()} → ${res.status()}` });
  });
  return {
    page,
    context,
    allow: (rule) => allowed.push(rule),
    async shot(name) {
      fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
      const file = path.join(SCREENSHOTS_DIR, `${prefix}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async finish() {
      await context.close();
      return problems;
    },
  };
}

export interface TStackOptions {
  /** Routes mounted before the application's own (bench/web.ts serves its baseline page this way). */
  routes?: (app: express.Express) => void;
}

export async function startBrowserStack(options: TStackOptions = {}): Promise<TBrowserStack> {
  ensureWebBuilt();
  const { testEnv, teardown: stopServer } = await createTestEnvironment();
  const { db, cleanup } = await createTestDb();
  // A private queue per stack: two test files never take each other's workflow tasks.
  const taskQueue = `browser-test-${randomUUID()}`;
  const worker = await createTaskWorker({ connection: testEnv.nativeConnection, taskQueue, deps: { db } });
  const running = worker.run();
  const users = await seedDemo(db);
  const app = express();
  options.routes?.(app);
  app.use(createApp({ db, client: testEnv.client, taskQueue }));
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  const now = async () => new Date(await testEnv.currentTimeMs());
  return {
    baseUrl,
    db,
    testEnv,
    users,
    browser,
    open: (prefix) => watchPage(browser, baseUrl, prefix),
    now,
    currentPeriod: async () => periodOf((await now()).toISOString()),
    async teardown() {
      await browser.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      worker.shutdown();
      await running;
      await cleanup();
      await stopServer();
    },
  };
}

/**
 * Signs in through the login form ("用户名", "密码", "登录") and waits until the application has left the login page.
 * Before sign-in the application may ask /api/auth/me and be told 401: that one is expected.
 */
export async function signIn(watched: TWatchedPage, user: TDemoUser): Promise<void> {
  const { username, password } = login(user);
  const { page } = watched;
  watched.allow({ url: /\/api\/auth\/me$/, status: 401 });
  await page.goto('/');
  await page.getByLabel('用户名', { exact: true }).fill(username);
  await page.getByLabel('密码', { exact: true }).fill(password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await signedIn(page);
}

/** Signed in: the top navigation's "退出" is there. */
export async function signedIn(page: Page): Promise<void> {
  await page
    .getByRole('button', { name: '退出' })
    .or(page.getByRole('link', { name: '退出' }))
    .first()
    .waitFor();
}

// ---- Set-up through the API (bearer tokens, as machine clients use it); journeys themselves go through the UI. ----

const ZApiError = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).partial();

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly user: TDemoUser,
  ) {}

  async request(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(this.baseUrl + url, {
      method,
      headers: {
        Authorization: `Bearer ${this.user.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  /** A request that must succeed with `expected`; anything else throws with the API's error. */
  async ok(method: string, url: string, body?: unknown, expected = 200): Promise<unknown> {
    const res = await this.request(method, url, body);
    if (res.status !== expected) {
      const err = ZApiError.safeParse(res.body);
      throw new Error(`${method} ${url} as ${this.user.name}: ${res.status} ${JSON.stringify(err.data ?? res.body)}`);
    }
    return res.body;
  }

  get = (url: string) => this.ok('GET', url);
  post = (url: string, body: unknown = {}, expected = 200) => this.ok('POST', url, body, expected);
}

const ZCreated = z.object({ id: z.string() });
const ZTasksCreated = z.object({ tasks: z.array(z.object({ id: z.string() })) });
const ZTaskView = z.object({ id: z.string(), status: z.string(), audit: z.array(z.object({ action: z.string() })) });

export type TTaskSpec = {
  problem?: { category: string; title: string };
  measure?: string;
  leadUnitId: string;
  leaderId: string;
  deadline?: unknown;
};

export async function createCampaign(
  api: ApiClient,
  provinceUnitId: string,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const body = await api.post(
    '/api/campaigns',
    {
      name: '省委第一巡视组反馈意见整改',
      kind: 'xunshi',
      inspectingBody: '省委第一巡视组',
      inspectedUnitId: provinceUnitId,
      feedbackDate: '2020-06-30',
      ...overrides,
    },
    201,
  );
  return ZCreated.parse(body).id;
}

/** Creates tasks in batches of at most 500 (the API's limit per request); returns their ids in order. */
export async function createTasks(api: ApiClient, campaignId: string, specs: TTaskSpec[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < specs.length; i += 500) {
    const tasks = specs.slice(i, i + 500).map((spec, j) => ({
      problem: spec.problem ?? { category: '党的建设', title: `整改责任落实不到位（${i + j + 1}）` },
      measure: spec.measure ?? '建立整改台账，逐项销号',
      leadUnitId: spec.leadUnitId,
      leaderId: spec.leaderId,
      // Far in the future by default (within the ten years ahead a deadline may lie): a journey must not trip a deadline
      // timer it did not ask for.
      deadline: spec.deadline ?? '2035年12月31日前完成',
    }));
    ids.push(
      ...ZTasksCreated.parse(await api.post(`/api/campaigns/${campaignId}/tasks`, { tasks }, 201)).tasks.map(
        (t) => t.id,
      ),
    );
  }
  return ids;
}

/** Polls the task view until `ok` holds (the projection follows the workflow by a moment). */
export async function waitForTask(
  api: ApiClient,
  taskId: string,
  ok: (task: z.infer<typeof ZTaskView>) => boolean,
  what: string,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const task = ZTaskView.parse(await api.get(`/api/tasks/${taskId}`));
    if (ok(task)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for task ${taskId}: ${what}`);
}

/** A small but real PDF (one page, one line of text), valid enough for any content sniffing. */
export function tinyPdf(text = 'Zhenggai evidence'): Buffer {
  const stream = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

// ---- Shared steps of the journeys (tests/browser/admin.test.ts; journeys.test.ts keeps its own copies). ----

/** A button by its exact accessible name. */
export const buttonNamed = (scope: Page | Locator, name: string): Locator =>
  scope.getByRole('button', { name, exact: true });

/**
 * The open dialog, once the application has moved the focus into it (its form is then mounted and settled). A dialog
 * with fields is ready when its first field has the focus: antd focuses the dialog itself at once, the application
 * its first field after the opening animation, which a loaded machine stretches; typing before that lost text to
 * the first field (a CI run so named a person "林干事lin_ganshi").
 */
export async function openDialog(page: Page): Promise<Locator> {
  const dialog = page.getByRole('dialog').last();
  await dialog.waitFor();
  const fields = 'input:not([type=hidden]):not([disabled]), textarea:not([disabled]), [role=combobox]';
  const hasField = (await dialog.locator(fields).count()) > 0;
  await dialog.locator(hasField ? 'input:focus, textarea:focus, [role=combobox]:focus' : ':focus').waitFor();
  return dialog;
}

/**
 * Confirms the open confirmation dialog with `okText` and waits for the server's answer to the request it sends
 * (`method` to a URL ending in `urlEnd`). Under load a click can land while the dialog is still opening and be lost:
 * then, as a person would, it is clicked again (a confirm's button shows a spinner once clicked, so no second request).
 */
export async function confirmAndAwait(page: Page, okText: string, method: string, urlEnd: string): Promise<void> {
  const dialog = page.getByRole('dialog').filter({ has: page.getByRole('button', { name: okText, exact: true }) });
  await dialog.waitFor();
  const answered = page.waitForResponse((r) => r.request().method() === method && r.url().endsWith(urlEnd), {
    timeout: 60_000,
  });
  for (let attempt = 0; ; attempt++) {
    await buttonNamed(dialog, okText)
      .click({ timeout: 5_000 })
      .catch(() => undefined);
    const result = await Promise.race([
      answered.then(() => 'answered' as const),
      new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 5_000)),
    ]);
    if (result === 'answered') return;
    const stillOpen =
      (await dialog.count()) > 0 && !(await buttonNamed(dialog, okText).getAttribute('class'))?.includes('loading');
    if (!stillOpen) break;
    if (attempt >= 3) throw new Error(`"${okText}" was clicked ${attempt + 1} times and sent no ${method} ${urlEnd}`);
  }
  await answered;
}

/** Types into a field and makes sure the text stayed (a dialog still settling may drop a fill; a person retypes). */
export async function typeInto(field: Locator, text: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await field.fill(text);
    await new Promise((resolve) => setTimeout(resolve, 150));
    if ((await field.inputValue()) === text) return;
  }
  throw new Error(`the field did not keep the text "${text}"`);
}

/** Picks `option` in the antd select labelled `label` inside `scope` (typing to narrow it first when it searches). */
export async function pickOption(page: Page, scope: Page | Locator, label: string, option: string): Promise<void> {
  const box = scope.getByLabel(label, { exact: true });
  await box.click();
  // Long lists are virtual (only the first rows exist): a searchable select is narrowed by typing; a plain one, whose
  // input is read-only, ignores the keys.
  if ((await box.getAttribute('readonly')) === null) await box.pressSequentially(option);
  const dropdown = page.locator('.ant-select-dropdown:visible');
  await dropdown.getByTitle(option, { exact: true }).first().click();
  // A single select closes on the choice, with an animation that a loaded machine stretches: wait until its list is
  // gone, or it takes the next field's click (a CI run lost one so). A multiple one stays open (the journey closes it
  // by moving on).
  const multiple = (await box.locator('xpath=ancestor::*[contains(@class, "ant-select-multiple")]').count()) > 0;
  if (multiple) return;
  // Under load the click can also land while the list is still opening and be lost: then the choice is made again;
  // a list that stays open although the box shows the choice is closed with Escape, as a person would.
  const chosen = page.locator('.ant-select-dropdown:visible').getByTitle(option, { exact: true });
  const shown = box.locator(`xpath=ancestor::*[contains(concat(" ", @class, " "), " ant-select ")][1]`);
  for (let waited = 0; (await chosen.count()) > 0; waited += 100) {
    if (waited > 0 && waited % 2_000 === 0) {
      const text = await shown
        .locator('.ant-select-content')
        .first()
        .textContent()
        .catch(() => null);
      if (text === option) await box.press('Escape');
      else
        await chosen
          .first()
          .click({ timeout: 2_000 })
          .catch(() => undefined);
    }
    if (waited > 12_000) throw new Error(`the list of "${label}" stayed open after choosing "${option}"`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const text = await shown.locator('.ant-select-content').first().textContent();
  if (text !== option) throw new Error(`"${label}" shows "${text ?? ''}" after choosing "${option}"`);
}
