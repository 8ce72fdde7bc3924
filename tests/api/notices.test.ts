/**
 * Progress notices (通报) on the real stack: a notice freezes the figures the statistics give on its date, reads the
 * same after tasks change, lists, renders as a GB/T 9704 Word document (fonts, sizes, A4 margins, totals, units,
 * overdue and red measures), rebuilds a past date from the audit trail, and is refused to those who may not issue or
 * read it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createApp } from '../../api/app';
import { chineseNumber } from '../../api/notices/docx';
import { dateOf } from '../../domain/calendar';
import { totalsOf } from '../../domain/stats/figures';
import { measuresAsOf, currentMeasureRows } from '../../api/stats/measures';
import { close, createTasks, download, reportAccepted, unzip, type TCast } from './figuresHelpers';
import { as, assigned, demoCast, eventually, openCampaign, startApiStack, type TApiStack } from './harness';

let stack: TApiStack;
let cast: TCast;
let campaignId: string;
let ids: string[];
let today: string;
const CAMPAIGN = '省委第一巡视组反馈意见整改';
const TITLE = '关于省委第一巡视组反馈意见整改进展情况的通报';

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  today = dateOf(new Date().toISOString());
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId, { name: CAMPAIGN });
  const leaderId = cast.leader.userId;
  ids = await createTasks(stack, cast.office, campaignId, [
    {
      problem: { category: '党的建设', title: '整改责任落实不到位' },
      measure: '建立整改台账，逐项销号',
      leadUnitId: cast.medicalStaff.unitId,
      leaderId,
      deadline: '2035年12月31日前完成',
    },
    {
      problem: { category: '党的建设', title: '制度执行不严格' },
      measure: '健全长效机制',
      leadUnitId: cast.medicalStaff.unitId,
      leaderId,
      deadline: '长期坚持',
    },
    {
      problem: { category: '财务管理', title: '往来款项长期挂账' },
      measure: '清理往来款项',
      leadUnitId: cast.financeStaff.unitId,
      leaderId,
      deadline: '2020年12月31日前完成',
    },
  ]);
  for (const id of ids) await assigned(stack.app, cast.office, id);
  await eventually(
    async () =>
      (await as(stack.app, cast.office).get(`/api/tasks/${ids[2]}`)).body as { status: string; trafficLight: string },
    // Overdue (the workflow's deadline timer fired), not only red (the read side sees the passed deadline first).
    (t) => t.status === 'OVERDUE' && t.trafficLight === 'red',
    'the past-deadline task to be marked overdue',
  );
}, 180_000);

afterAll(async () => {
  await stack?.teardown();
});

let noticeId: string;
let first: { snapshot: Record<string, unknown> } & Record<string, unknown>;

it('When the office issues a notice as of today, then its figures are the statistics of today', async () => {
  const res = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/notices`, { asOf: today });
  expect(res.status).toBe(201);
  noticeId = res.body.id;
  const notice = await as(stack.app, cast.office).get(`/api/notices/${noticeId}`);
  expect(notice.status).toBe(200);
  // Who issued it is on the campaign's audit trail.
  const audit = await stack.db.auditEvent.findMany({ where: { campaignId, action: 'NoticeIssued' } });
  expect(audit).toEqual([
    expect.objectContaining({
      actorId: cast.office.userId,
      actorRole: 'office',
      taskId: null,
      chainSeq: expect.any(Number),
    }),
  ]);
  expect(audit[0]!.detail).toMatchObject({ noticeId, asOf: today });
  first = notice.body;
  expect(first).toMatchObject({
    id: noticeId,
    campaignId,
    asOf: today,
    title: TITLE,
    createdById: cast.office.userId,
    createdByName: cast.office.name,
  });
  const byCategory = (await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats?by=category`)).body;
  const byUnit = (await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats?by=unit`)).body;
  const byLeader = (await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats?by=leader`)).body;
  expect(first.snapshot).toMatchObject({
    campaignName: CAMPAIGN,
    asOf: today,
    source: 'current',
    totals: byCategory.totals,
    byCategory: byCategory.groups,
    byUnit: byUnit.groups,
    byLeader: byLeader.groups,
    flaggedTotal: 1,
  });
  expect(byCategory.totals).toEqual({
    problems: 3,
    measures: 3,
    completed: 0,
    inProgress: 3,
    longTerm: 0,
    overdue: 1,
    red: 1,
    completionRate: 0,
  });
  expect(first.snapshot.flaggedTasks).toEqual([
    expect.objectContaining({
      taskId: ids[2],
      unitName: '财务处',
      measure: '清理往来款项',
      deadline: '2020年12月31日前完成',
      overdue: true,
      light: 'red',
    }),
  ]);
});

it('When a task closes after the notice, then the statistics change and the notice reads exactly as before', async () => {
  await reportAccepted(stack, cast, ids[0]!, cast.medicalStaff, '台账已建立。');
  await close(stack, cast, ids[0]!, cast.medicalStaff, cast.medicalHead);
  const now = (await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats?by=category`)).body;
  expect(now.totals).toMatchObject({ completed: 1, inProgress: 2, completionRate: 0.3333 });
  const again = await as(stack.app, cast.office).get(`/api/notices/${noticeId}`);
  expect(again.body).toEqual(first);
  const docx = await download(stack, cast.office, `/api/notices/${noticeId}/document.docx`);
  expect(unzip(docx.body).get('word/document.xml')!.toString('utf8')).toContain('已完成0条');
});

it('When the notice is downloaded, then a valid docx with the title, the totals, units, flagged tasks and 公文 fonts', async () => {
  const res = await download(stack, cast.leader, `/api/notices/${noticeId}/document.docx`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  expect(decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(res.headers['content-disposition']!)![1]!)).toBe(
    `${TITLE}（截至${today}）.docx`,
  );
  const files = unzip(res.body);
  expect(files.has('[Content_Types].xml')).toBe(true);
  const xml = files.get('word/document.xml')!.toString('utf8');
  const plain = [...xml.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]).join('');
  expect(plain).toContain(TITLE);
  const [y, m, d] = today.split('-').map(Number);
  expect(plain).toContain(
    `截至${y}年${m}月${d}日，省委第一巡视组反馈意见指出的问题3个，制定整改措施3条，其中：已完成0条，正在推进3条，` +
      '需要长期坚持的0条，完成率0%；逾期1条，红灯1条。',
  );
  expect(plain).toContain('一、各类别问题整改情况');
  expect(plain).toContain('（一）党的建设');
  expect(plain).toContain('（二）财务管理');
  expect(plain).toContain('二、各责任单位整改情况');
  expect(plain).toContain('医政医管处');
  expect(plain).toContain('三、逾期和红灯整改措施');
  expect(plain).toContain('清理往来款项');
  expect(plain).toContain('逾期、红灯');
  for (const font of ['方正小标宋简体', '仿宋_GB2312', '黑体', '楷体_GB2312']) {
    expect(xml).toContain(`w:eastAsia="${font}"`);
  }
  // 二号 title (22 pt = 44 half-points), 三号 body (32); A4 with GB/T 9704 margins (37/35/28/26 mm in twips).
  expect(xml).toMatch(/w:ascii="方正小标宋简体"[^>]*\/>(?:<[^>]+>)*?<w:sz w:val="44"\/>/);
  expect(xml).toMatch(/<w:sz w:val="32"\/>/);
  expect(xml).toMatch(/<w:pgSz w:w="11906" w:h="16838"/);
  expect(xml).toMatch(/<w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1587"/);
  expect(xml).toContain('<w:tbl>');
});

it('When notices are listed, then newest first with their totals', async () => {
  const past = await as(stack.app, cast.admin).post(`/api/campaigns/${campaignId}/notices`, {
    asOf: '2020-01-01',
    title: '2020年初整改进展情况通报',
  });
  expect(past.status).toBe(201);
  const list = await as(stack.app, cast.supervisor).get(`/api/campaigns/${campaignId}/notices`);
  expect(list.status).toBe(200);
  expect(list.body.total).toBe(2);
  expect(list.body.items.map((n: { id: string }) => n.id)).toEqual([past.body.id, noticeId]);
  expect(list.body.items[0]).toMatchObject({ asOf: '2020-01-01', title: '2020年初整改进展情况通报' });
  expect(list.body.items[1].totals).toEqual(first.snapshot.totals);
  // Before any task existed: rebuilt from the audit trail, nothing.
  const old = await as(stack.app, cast.office).get(`/api/notices/${past.body.id}`);
  expect(old.body.snapshot).toMatchObject({ source: 'audit', totals: { measures: 0 }, flaggedTasks: [] });
});

it('When the figures of today are rebuilt from the audit trail, then they agree with the read model', async () => {
  const scope = { all: true } as const;
  const rebuilt = await measuresAsOf(stack.db, campaignId, scope, today);
  const current = await currentMeasureRows(stack.db, campaignId, scope);
  const strip = (t: ReturnType<typeof totalsOf>) => ({ ...t });
  expect(strip(totalsOf(rebuilt.map((r) => ({ ...r, key: '' }))))).toEqual(
    strip(totalsOf(current.map((r) => ({ ...r, key: '' })))),
  );
  const statusOf = new Map(rebuilt.map((r) => [r.id, r.status]));
  expect(ids.map((id) => statusOf.get(id))).toEqual(['CLOSED', 'ASSIGNED', 'OVERDUE']);
});

it('When someone may not issue or read a notice, or the input is wrong, then 403 / 404 / 400 and nothing written', async () => {
  const before = await stack.db.notice.count();
  const post = (user: { token: string }, body: object) =>
    as(stack.app, user).post(`/api/campaigns/${campaignId}/notices`, body);
  expect((await post(cast.medicalStaff, { asOf: today })).status).toBe(403);
  expect((await post(cast.leader, { asOf: today })).status).toBe(403);
  for (const [body, field] of [
    [{}, 'asOf'],
    [{ asOf: '2035-01-01' }, 'asOf'],
    [{ asOf: '2026/01/01' }, 'asOf'],
    [{ asOf: today, title: '标'.repeat(201) }, 'title'],
  ] as const) {
    const res = await post(cast.office, body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.issues)).toContain(field);
  }
  expect((await as(stack.app, cast.office).post('/api/campaigns/nope/notices', { asOf: today })).status).toBe(404);
  expect(await stack.db.notice.count()).toBe(before);
  expect((await as(stack.app, cast.medicalStaff).get(`/api/notices/${noticeId}`)).status).toBe(403);
  expect((await download(stack, cast.medicalStaff, `/api/notices/${noticeId}/document.docx`)).status).toBe(403);
  expect((await as(stack.app, cast.medicalStaff).get(`/api/campaigns/${campaignId}/notices`)).status).toBe(403);
  expect((await as(stack.app, cast.office).get('/api/notices/nope')).status).toBe(404);
});

// Last in this file: it moves the shared dev server's clock ahead.
it('When history spans days, then figures dated in the past have each task as it was at the end of that day', async () => {
  const history = await openCampaign(stack.app, cast.office, cast.leader.unitId, { name: '回溯统计' });
  const [id] = await createTasks(stack, cast.office, history, [
    {
      problem: { category: '党的建设', title: '整改责任落实不到位' },
      measure: '建立整改台账',
      leadUnitId: cast.medicalStaff.unitId,
      leaderId: cast.leader.userId,
      deadline: '2035年12月31日前完成',
    },
  ]);
  await assigned(stack.app, cast.office, id!);
  await reportAccepted(stack, cast, id!, cast.medicalStaff, '台账已建立。');
  const start = await stack.now();
  // Ten days on the workflows' clock, then the close-out: its audit events carry that later instant.
  await stack.testEnv.sleep('10 days');
  await close(stack, cast, id!, cast.medicalStaff, cast.medicalHead);
  const offset = (await stack.now()).getTime() - Date.now();
  // The API on the workflows' clock: "today" is ten days on.
  const later = createApp({ db: stack.db, client: stack.testEnv.client, now: () => new Date(Date.now() + offset) });
  const totalsOn = async (asOf: string) => {
    const res = await as(later, cast.office).get(`/api/campaigns/${history}/stats?by=unit&asOf=${asOf}`);
    expect(res.status).toBe(200);
    return res.body as { source: string; totals: Record<string, number> };
  };
  const day = (ms: number) => dateOf(new Date(start.getTime() + ms).toISOString());
  const DAY = 86_400_000;
  expect(await totalsOn(day(-DAY))).toMatchObject({ source: 'audit', totals: { measures: 0 } });
  expect(await totalsOn(day(5 * DAY))).toMatchObject({
    source: 'audit',
    totals: { measures: 1, inProgress: 1, completed: 0, completionRate: 0 },
  });
  const today = await totalsOn(dateOf(new Date(Date.now() + offset).toISOString()));
  expect(today).toMatchObject({ source: 'current', totals: { measures: 1, completed: 1, completionRate: 1 } });
  // A notice dated on day 5 freezes day 5's figures.
  const notice = await as(later, cast.office).post(`/api/campaigns/${history}/notices`, { asOf: day(5 * DAY) });
  expect(notice.status).toBe(201);
  const read = await as(later, cast.office).get(`/api/notices/${notice.body.id}`);
  expect(read.body.snapshot).toMatchObject({ source: 'audit', totals: { measures: 1, inProgress: 1, completed: 0 } });
}, 120_000);

it('When sections are numbered, then in Chinese numerals (一 … 十, 十一, 二十, 二十三)', () => {
  expect([1, 2, 9, 10, 11, 19, 20, 23, 99].map(chineseNumber)).toEqual([
    '一',
    '二',
    '九',
    '十',
    '十一',
    '十九',
    '二十',
    '二十三',
    '九十九',
  ]);
});

const SOFFICE = '/usr/bin/soffice';
// LibreOffice reads Word files as WPS does: the notice must open and lay out into a PDF.
(existsSync(SOFFICE) ? it : it.skip)(
  'When LibreOffice opens the notice document, then it converts it to a PDF',
  async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'zg-notice-'));
    try {
      const res = await download(stack, cast.office, `/api/notices/${noticeId}/document.docx`);
      const source = path.join(dir, 'notice.docx');
      await writeFile(source, res.body);
      await promisify(execFile)(
        SOFFICE,
        [
          `-env:UserInstallation=file://${path.join(dir, 'profile')}`,
          '--headless',
          '--convert-to',
          'pdf',
          '--outdir',
          dir,
          source,
        ],
        { timeout: 120_000 },
      );
      expect((await readFile(path.join(dir, 'notice.pdf'))).subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  180_000,
);
