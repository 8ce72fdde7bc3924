/**
 * `npm run bench:web`: the browser application's figures in headless Chromium (Debian's, as the browser tests use it),
 * on the real stack (dev server, worker, fresh SQLite, demo organisation, the built web/dist served by the API):
 *
 * - first load of 待办 for a signed-in user with a cold browser cache: navigation start → the first inbox item
 *   rendered (a MutationObserver installed before any script runs records `performance.now()`, whose origin is the
 *   navigation start), p50 over BENCH_LOADS loads (default 10), each in a fresh browser context;
 * - JavaScript sent for that first page (and for the login page): every script response, its bytes on the wire and
 *   gzip -6 of its body (the API serves the files uncompressed; a gzip-ing proxy in front would send about that);
 * - the task list with 1,000 tasks in scope (created through the API in batches of 500): navigation start → the
 *   table's rows rendered, with pageSize 50 and 200 (the list reads its page size from the URL);
 * - the baseline of the same run: a tiny static HTML page served by the same process, navigation start → its text
 *   in the DOM (same observer), so that browser start-up and loopback costs on this machine can be read off the figures above.
 */
import { loadavg } from 'node:os';
import zlib from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { z } from 'zod';
import { demoCast } from '../tests/api/harness';
import {
  ApiClient,
  createCampaign,
  createTasks,
  signIn,
  startBrowserStack,
  watchPage,
  type TTaskSpec,
} from '../tests/browser/harness';
import type { TDemoUser } from '../scripts/seed-demo';

const LOADS = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(10)
  .parse(process.env.BENCH_LOADS ?? undefined);
const TASKS = z.coerce
  .number()
  .int()
  .min(1)
  .max(5000)
  .default(1000)
  .parse(process.env.BENCH_TASKS ?? undefined);

const BASELINE_HTML =
  '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>基准</title></head><body><p>基准页</p></body></html>';

/**
 * Installed before any of the page's scripts: records when the first element matching `selector` exists (and, for
 * lists, when at least `count` of them do), in ms since navigation start.
 */
function markWhen(selector: string, count: number): string {
  return `(() => {
    const check = () => {
      if (window.__zgMark !== undefined) return true;
      if (document.querySelectorAll(${JSON.stringify(selector)}).length >= ${count}) {
        window.__zgMark = performance.now();
        return true;
      }
      return false;
    };
    const start = () => {
      if (check()) return;
      const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
      observer.observe(document.documentElement, { childList: true, subtree: true });
    };
    if (document.documentElement) start(); else document.addEventListener('readystatechange', start, { once: true });
  })();`;
}

const ZMark = z.number();

type TState = Awaited<ReturnType<BrowserContext['storageState']>>;

async function markedLoad(
  browser: Browser,
  baseUrl: string,
  state: TState | undefined,
  url: string,
  selector: string,
  count: number,
  onPage?: (page: Page) => void,
): Promise<number> {
  const context: BrowserContext = await browser.newContext({ baseURL: baseUrl, locale: 'zh-CN', storageState: state });
  try {
    await context.addInitScript(markWhen(selector, count));
    const page = await context.newPage();
    onPage?.(page);
    await page.goto(url);
    // Functions, not string expressions: Playwright evaluates a string with eval, which the application's
    // Content-Security-Policy (script-src 'self') refuses.
    const mark = () => (globalThis as { __zgMark?: number }).__zgMark;
    await page
      .waitForFunction(() => (globalThis as { __zgMark?: number }).__zgMark !== undefined, undefined, {
        timeout: 30_000,
      })
      .catch(async (err: unknown) => {
        await page.screenshot({ path: 'test-output/bench-timeout.png' }).catch(() => undefined);
        throw err;
      });
    return ZMark.parse(await page.evaluate(mark));
  } finally {
    await context.close();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const ms = (n: number) => `${n.toFixed(0)} ms`;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/**
 * A signed-in browser's state (the session cookie and whatever the application keeps in localStorage), taken after
 * signing in through the login form once: each measured load starts from it in a fresh context, so it is a returning
 * user's first load of the day — signed in, nothing cached.
 */
async function signedInState(browser: Browser, baseUrl: string, user: TDemoUser): Promise<TState> {
  const w = await watchPage(browser, baseUrl, 'bench-sign-in');
  try {
    await signIn(w, user);
    return await w.context.storageState();
  } finally {
    await w.finish();
  }
}

interface TScripts {
  count: number;
  wire: number;
  raw: number;
  gzip: number;
}

/** Every script the page loads until `ready` holds: its bytes on the wire, raw, and gzip -6. */
async function scriptsOf(
  browser: Browser,
  baseUrl: string,
  state: TState | undefined,
  url: string,
  ready: (page: Page) => Promise<void>,
): Promise<TScripts> {
  const context = await browser.newContext({ baseURL: baseUrl, storageState: state });
  try {
    const page = await context.newPage();
    const bodies: Promise<{ wire: number; raw: number; gzip: number }>[] = [];
    page.on('response', (res) => {
      if (res.request().resourceType() !== 'script') return;
      bodies.push(
        (async () => {
          const body = await res.body();
          const sizes = await res.request().sizes();
          return {
            wire: sizes.responseBodySize + sizes.responseHeadersSize,
            raw: body.length,
            gzip: zlib.gzipSync(body, { level: 6 }).length,
          };
        })(),
      );
    });
    await page.goto(url);
    await ready(page);
    await page.waitForLoadState('networkidle');
    const all = await Promise.all(bodies);
    return {
      count: all.length,
      wire: all.reduce((s, b) => s + b.wire, 0),
      raw: all.reduce((s, b) => s + b.raw, 0),
      gzip: all.reduce((s, b) => s + b.gzip, 0),
    };
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:web — load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const stack = await startBrowserStack({
    routes: (app) => app.get('/__bench/baseline.html', (_req, res) => res.type('html').send(BASELINE_HTML)),
  });
  try {
    const cast = demoCast(stack.users);
    const office = new ApiClient(stack.baseUrl, cast.office);
    const { browser, baseUrl } = stack;
    const campaignId = await createCampaign(office, cast.leader.unitId);

    // A 待办 with something in it: reports awaiting the office's review.
    const staff = new ApiClient(stack.baseUrl, cast.medicalStaff);
    const period = await stack.currentPeriod();
    const inboxTasks = await createTasks(
      office,
      campaignId,
      Array.from({ length: 5 }, (): TTaskSpec => ({
        leadUnitId: cast.medicalStaff.unitId,
        leaderId: cast.leader.userId,
      })),
    );
    for (const id of inboxTasks) {
      await waitUntil(
        async () => (await staff.request('POST', `/api/tasks/${id}/acknowledge`, {})).status === 200,
        'acknowledge',
      );
      await staff.post(`/api/tasks/${id}/reports`, { period, progress: '已建立整改台账' });
    }
    const state = await signedInState(browser, baseUrl, cast.office);

    // Baseline: the same server, a page with no script.
    const baseline: number[] = [];
    for (let i = 0; i <= LOADS; i++) {
      const t = await markedLoad(browser, baseUrl, undefined, '/__bench/baseline.html', 'p', 1);
      if (i > 0) baseline.push(t); // the first load warms the server and the browser process up
    }

    // First load of 待办, cold cache, signed in.
    const inbox: number[] = [];
    for (let i = 0; i <= LOADS; i++) {
      const t = await markedLoad(browser, baseUrl, state, '/', 'main a[href^="/tasks/"]', 1);
      if (i > 0) inbox.push(t);
    }

    const inboxScripts = await scriptsOf(browser, baseUrl, state, '/', (page) =>
      page.locator('main a[href^="/tasks/"]').first().waitFor(),
    );
    const loginScripts = await scriptsOf(browser, baseUrl, undefined, '/login', (page) =>
      page.getByLabel('密码', { exact: true }).waitFor(),
    );

    // 1,000 tasks in scope of the office.
    const started = Date.now();
    const specs = Array.from({ length: TASKS }, (_, i): TTaskSpec => ({
      leadUnitId: i % 2 === 0 ? cast.medicalStaff.unitId : cast.financeStaff.unitId,
      leaderId: cast.leader.userId,
    }));
    await createTasks(office, campaignId, specs);
    // Let the workflows start and project before measuring: a busy worker would slow the API and skew the list.
    await waitUntil(
      async () => {
        const assigned = await stack.db.auditEvent.count({ where: { action: 'TaskAssigned' } });
        return assigned >= TASKS + inboxTasks.length;
      },
      `${TASKS} tasks to be assigned`,
      600_000,
    );
    console.log(`(created and assigned ${TASKS} tasks in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const total = z.object({ total: z.number() }).parse(await office.get(`/api/tasks?pageSize=1`)).total;

    const list: Record<number, number[]> = {};
    for (const pageSize of [50, 200]) {
      list[pageSize] = [];
      for (let i = 0; i <= Math.max(3, Math.ceil(LOADS / 2)); i++) {
        const t = await markedLoad(
          browser,
          baseUrl,
          state,
          `/tasks?pageSize=${pageSize}`,
          '.ant-table-tbody tr.ant-table-row',
          Math.min(pageSize, total),
        );
        if (i > 0) list[pageSize].push(t);
      }
    }
    // The same list reached inside the running application (the user clicks 任务 from 待办): no script to load,
    // only the API call and the render. And the API call alone, timed from Node.
    const inApp: Record<number, number[]> = {};
    const apiMs: Record<number, number[]> = {};
    for (const pageSize of [50, 200]) {
      inApp[pageSize] = await inAppNavigations(
        browser,
        baseUrl,
        state,
        `/tasks?pageSize=${pageSize}`,
        Math.min(pageSize, total),
        Math.max(3, Math.ceil(LOADS / 2)),
      );
      apiMs[pageSize] = [];
      for (let i = 0; i <= 5; i++) {
        const t0 = performance.now();
        await office.get(`/api/tasks?pageSize=${pageSize}`);
        if (i > 0) apiMs[pageSize].push(performance.now() - t0);
      }
    }
    const p50 = (v: number[]) => percentile(v, 50);
    console.log('');
    console.log(`| figure | measured | goal |`);
    console.log(`| --- | --- | --- |`);
    console.log(
      `| baseline: tiny static HTML from the same server, navigation → its text in the DOM (p50 / p90, ${baseline.length} cold loads) | ${ms(p50(baseline))} / ${ms(percentile(baseline, 90))} | — |`,
    );
    console.log(
      `| 待办 first load, signed in, cold cache: navigation → first item (p50 / p90, ${inbox.length} loads) | ${ms(p50(inbox))} / ${ms(percentile(inbox, 90))} | ≤ 1,500 ms p50: ${verdict(p50(inbox) <= 1500)} |`,
    );
    console.log(
      `| JavaScript for 待办 (${inboxScripts.count} scripts): gzip -6 / raw / on the wire | ${kb(inboxScripts.gzip)} / ${kb(inboxScripts.raw)} / ${kb(inboxScripts.wire)} | ≤ 600 KB gzip: ${verdict(inboxScripts.gzip <= 600 * 1024)} |`,
    );
    console.log(
      `| JavaScript for the login page (${loginScripts.count} scripts): gzip -6 / raw / on the wire | ${kb(loginScripts.gzip)} / ${kb(loginScripts.raw)} / ${kb(loginScripts.wire)} | — |`,
    );
    for (const pageSize of [50, 200]) {
      const v = list[pageSize];
      console.log(
        `| 任务, ${total} tasks in scope, pageSize ${pageSize}, cold cache: navigation → ${Math.min(pageSize, total)} rows (p50 / max, ${v.length} loads) | ${ms(p50(v))} / ${ms(Math.max(...v))} | ≤ 1,000 ms: ${verdict(p50(v) <= 1000)} |`,
      );
    }
    for (const pageSize of [50, 200]) {
      const v = inApp[pageSize];
      console.log(
        `| 任务, same, reached from 待办 inside the application: click → ${Math.min(pageSize, total)} rows (p50 / max, ${v.length}) | ${ms(p50(v))} / ${ms(Math.max(...v))} | ≤ 1,000 ms: ${verdict(p50(v) <= 1000)} |`,
      );
    }
    for (const pageSize of [50, 200]) {
      const v = apiMs[pageSize];
      console.log(
        `| GET /api/tasks?pageSize=${pageSize} alone, ${total} in scope (p50 of ${v.length}) | ${ms(p50(v))} | — |`,
      );
    }
    console.log('');
    console.log(
      `Chromium ${browser.version()}; load average at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await stack.teardown();
  }
}

/**
 * Opens 待办 (signed in), then moves to `url` the way a click on a link does inside the application (history push and
 * a popstate event, which React Router follows), timing from there to `count` rows of the table.
 */
async function inAppNavigations(
  browser: Browser,
  baseUrl: string,
  state: TState,
  url: string,
  count: number,
  times: number,
): Promise<number[]> {
  const context = await browser.newContext({ baseURL: baseUrl, locale: 'zh-CN', storageState: state });
  const results: number[] = [];
  try {
    const page = await context.newPage();
    for (let i = 0; i <= times; i++) {
      await page.goto('/');
      await page.locator('main a[href^="/tasks/"]').first().waitFor();
      const took = await page.evaluate(
        ({ url, count }) =>
          new Promise<number>((resolve) => {
            const g = globalThis as unknown as {
              document: { querySelectorAll(s: string): { length: number }; documentElement: unknown };
              history: { pushState(a: unknown, b: string, c: string): void };
              dispatchEvent(e: unknown): void;
              PopStateEvent: new (type: string) => unknown;
              MutationObserver: new (cb: () => void) => { observe(n: unknown, o: object): void; disconnect(): void };
            };
            // No named inner functions: tsx would wrap them in a helper (__name) that the page does not have.
            const start = performance.now();
            const observer = new g.MutationObserver(() => {
              if (g.document.querySelectorAll('.ant-table-tbody tr.ant-table-row').length < count) return;
              observer.disconnect();
              resolve(performance.now() - start);
            });
            observer.observe(g.document.documentElement, { childList: true, subtree: true });
            g.history.pushState({}, '', url);
            g.dispatchEvent(new g.PopStateEvent('popstate'));
          }),
        { url, count },
      );
      if (i > 0) results.push(took); // the first visit also loads the page's chunk
    }
  } finally {
    await context.close();
  }
  return results;
}

async function waitUntil(ok: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
