/**
 * The ledger export (整改台账) on the real stack: columns and their words, merged categories and problems, the
 * light as fill and word, the print layout, formula-injection safety in xlsx and CSV, the Chinese filename, who may
 * export it, and LibreOffice opening it without losing its merges.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { csvField } from '../../api/ledger/csv';
import { looksLikeFormula, runsOf } from '../../api/ledger/xlsx';
import { attachmentDisposition } from '../../api/routes/ledger';
import { dateOf } from '../../domain/calendar';
import { chineseDate } from '../../domain/stats/words';
import { close, createTasks, download, reportAccepted, unzip, type TCast } from './figuresHelpers';
import { as, assigned, demoCast, eventually, openCampaign, startApiStack, type TApiStack } from './harness';

let stack: TApiStack;
let cast: TCast;
let campaignId: string;
let ids: string[];
let units: Map<string, string>;
const CAMPAIGN = '省委第一巡视组反馈意见整改';
const HEADERS = [
  '序号',
  '问题类别',
  '具体问题',
  '整改措施',
  '牵头领导',
  '责任单位',
  '配合单位',
  '整改时限',
  '整改进展',
  '完成情况',
  '红黄绿灯',
  '佐证材料',
  '销号时间',
];
const INJECTED_MEASURE = '=HYPERLINK("http://evil.example/","点击"),1';
const INJECTED_PROBLEM = '+SUM(1,2)问题';

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  units = new Map((await stack.db.unit.findMany()).map((u) => [u.id, u.name]));
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId, { name: CAMPAIGN });
  const medical = cast.medicalStaff.unitId;
  const finance = cast.financeStaff.unitId;
  const leaderId = cast.leader.userId;
  // One request per task: a batch shares one creation instant, and the ledger orders by creation.
  const specs = [
    {
      problem: { category: '党的建设', title: '整改责任落实不到位' },
      measure: '建立整改台账，逐项销号',
      leadUnitId: medical,
      participatingUnitIds: [finance],
      leaderId,
      deadline: '2035年12月31日前完成',
    },
    {
      problem: { category: '党的建设', title: '整改责任落实不到位' },
      measure: '健全长效机制',
      leadUnitId: finance,
      leaderId,
      deadline: { kind: 'date', date: '2035-06-30' },
    },
    {
      problem: { category: '党的建设', title: '民主集中制执行不严格' },
      measure: '修订议事规则',
      leadUnitId: medical,
      leaderId,
      deadline: '2035年12月31日前完成',
    },
    {
      problem: { category: '财务管理', title: INJECTED_PROBLEM },
      measure: INJECTED_MEASURE,
      leadUnitId: finance,
      leaderId,
      // Past: the workflow marks it overdue, so its light is red.
      deadline: '2020年12月31日前完成',
    },
    {
      problem: { category: '财务管理', title: INJECTED_PROBLEM },
      measure: '@SUM(A1)-清理往来款项',
      leadUnitId: finance,
      leaderId,
      deadline: '立行立改，长期推进',
    },
  ];
  ids = [];
  for (const spec of specs) ids.push(...(await createTasks(stack, cast.office, campaignId, [spec])));
  for (const id of ids) await assigned(stack.app, cast.office, id);
  const evidence = [
    { fileName: '台账.pdf', sha256: 'a'.repeat(64), sizeBytes: 1024, mimeType: 'application/pdf' },
    { fileName: '会议纪要.pdf', sha256: 'b'.repeat(64), sizeBytes: 2048, mimeType: 'application/pdf' },
  ];
  await reportAccepted(stack, cast, ids[0]!, cast.medicalStaff, '已建立整改台账，完成第一批问题整改。', evidence);
  await reportAccepted(stack, cast, ids[2]!, cast.medicalStaff, '议事规则已修订并印发。');
  await close(stack, cast, ids[2]!, cast.medicalStaff, cast.medicalHead);
  await eventually(
    async () =>
      (await as(stack.app, cast.office).get(`/api/tasks/${ids[3]}`)).body as { status: string; trafficLight: string },
    // Overdue (the workflow's deadline timer fired), not only red (the read side sees the passed deadline first).
    (t) => t.status === 'OVERDUE' && t.trafficLight === 'red',
    'the past-deadline task to be marked overdue',
  );
}, 180_000);

afterAll(async () => {
  await stack?.teardown();
});

async function exportXlsx(): Promise<{ sheet: ExcelJS.Worksheet; bytes: Buffer; headers: Record<string, string> }> {
  const res = await download(stack, cast.office, `/api/campaigns/${campaignId}/ledger.xlsx`);
  expect(res.status).toBe(200);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('整改台账');
  if (!sheet) throw new Error('no sheet 整改台账');
  return { sheet, bytes: res.body, headers: res.headers };
}

const text = (sheet: ExcelJS.Worksheet, row: number) =>
  HEADERS.map((_, i) => {
    const v = sheet.getRow(row).getCell(i + 1).value;
    return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });

it('When the office exports the ledger, then a title row, the standard header and one row per measure in order', async () => {
  const { sheet, headers } = await exportXlsx();
  const today = dateOf(new Date().toISOString());
  expect(sheet.getCell('A1').value).toBe(`${CAMPAIGN}整改台账（导出日期：${chineseDate(today)}）`);
  expect(text(sheet, 2)).toEqual(HEADERS);
  const leader = cast.leader.name;
  const medical = units.get(cast.medicalStaff.unitId)!;
  const finance = units.get(cast.financeStaff.unitId)!;
  expect(text(sheet, 3)).toEqual([
    '1',
    '党的建设',
    '整改责任落实不到位',
    '建立整改台账，逐项销号',
    leader,
    medical,
    finance,
    '2035年12月31日前完成',
    '已建立整改台账，完成第一批问题整改。',
    '正在推进',
    '绿灯',
    '2',
    '',
  ]);
  // A structured deadline is printed as the date in Chinese.
  expect(text(sheet, 4).slice(3, 10)).toEqual(['健全长效机制', leader, finance, '', '2035年6月30日', '', '待签收']);
  const closedRow = text(sheet, 5);
  expect(closedRow.slice(2, 4)).toEqual(['民主集中制执行不严格', '修订议事规则']);
  expect(closedRow[8]).toBe('议事规则已修订并印发。');
  expect(closedRow[9]).toBe('已完成');
  expect(closedRow[12]).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日$/);
  expect(text(sheet, 6).slice(1, 4)).toEqual(['财务管理', INJECTED_PROBLEM, INJECTED_MEASURE]);
  expect(text(sheet, 6).slice(9, 11)).toEqual(['已逾期', '红灯']);
  expect(text(sheet, 7)[7]).toBe('立行立改，长期推进');
  expect(sheet.getRow(8).getCell(4).value ?? null).toBeNull();
  // The Chinese filename in RFC 5987 form, with an ASCII fallback.
  const disposition = headers['content-disposition']!;
  expect(disposition).toContain(`filename="ledger-${today}.xlsx"`);
  const star = /filename\*=UTF-8''([^;]+)/.exec(disposition)![1]!;
  expect(decodeURIComponent(star)).toBe(`${CAMPAIGN}整改台账_${today.replace(/-/g, '')}.xlsx`);
  expect(star).not.toMatch(/[^A-Za-z0-9%._~-]/);
});

it('When the ledger is opened, then categories and problems are merged over their rows and the light is a fill', async () => {
  const { sheet } = await exportXlsx();
  expect([...sheet.model.merges].sort()).toEqual(['A1:M1', 'B3:B5', 'B6:B7', 'C3:C4', 'C6:C7'].sort());
  const fill = (row: number) => (sheet.getRow(row).getCell(11).fill as ExcelJS.FillPattern).fgColor?.argb;
  expect(fill(3)).toBe('FF73D13D');
  expect(fill(6)).toBe('FFFF4D4F');
  expect(sheet.getRow(3).getCell(4).alignment?.wrapText).toBe(true);
  expect(sheet.getRow(3).getCell(4).border?.left?.style).toBe('thin');
  expect(sheet.getColumn(4).width).toBeGreaterThanOrEqual(30);
});

it('When the ledger is printed, then A3 landscape fitted to width, the header frozen and repeated on every page', async () => {
  const { sheet } = await exportXlsx();
  expect(sheet.pageSetup).toMatchObject({
    paperSize: 8,
    orientation: 'landscape',
    fitToPage: true,
    fitToWidth: 1,
    fitToHeight: 0,
    printTitlesRow: '2:2',
  });
  expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
});

it('When a cell begins with = + - @, then it is a text cell, never a formula (xlsx), and prefixed with a quote (CSV)', async () => {
  const { sheet, bytes } = await exportXlsx();
  for (const [row, col] of [
    [6, 3],
    [6, 4],
    [7, 4],
  ] as const) {
    const cell = sheet.getRow(row).getCell(col);
    expect(cell.type).toBe(ExcelJS.ValueType.String);
    expect(cell.formula).toBeUndefined();
    expect(cell.numFmt).toBe('@');
  }
  // No formula element anywhere in the sheet.
  const xml = unzip(bytes).get('xl/worksheets/sheet1.xml')!.toString('utf8');
  expect(xml).not.toMatch(/<f[ >]/);

  const csv = await download(stack, cast.office, `/api/campaigns/${campaignId}/ledger.xlsx?format=csv`);
  expect(csv.status).toBe(200);
  expect(csv.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
  expect([...csv.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = csv.body.toString('utf8').slice(1).split('\r\n');
  expect(lines[0]).toBe(HEADERS.join(','));
  expect(lines).toHaveLength(5 + 2);
  expect(lines[4]).toContain(`'${INJECTED_PROBLEM}`);
  expect(lines[4]).toContain(`"'=HYPERLINK(""http://evil.example/"",""点击""),1"`);
  expect(lines[5]).toContain(`,'@SUM(A1)-清理往来款项,`);
  // Category and problem on every row (CSV has no merges).
  expect(lines[2]!.split(',').slice(1, 3)).toEqual(['党的建设', '整改责任落实不到位']);
  expect(decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(csv.headers['content-disposition']!)![1]!)).toMatch(
    /整改台账_\d{8}\.csv$/,
  );
});

it('When someone other than an office, leader, admin or supervisor of the campaign asks, then 403; unknown campaign 404', async () => {
  expect((await download(stack, cast.medicalStaff, `/api/campaigns/${campaignId}/ledger.xlsx`)).status).toBe(403);
  expect((await download(stack, cast.cityOffice, `/api/campaigns/${campaignId}/ledger.xlsx`)).status).toBe(403);
  expect((await download(stack, cast.leader, `/api/campaigns/${campaignId}/ledger.xlsx`)).status).toBe(200);
  expect((await download(stack, cast.admin, `/api/campaigns/${campaignId}/ledger.xlsx?format=csv`)).status).toBe(200);
  expect((await download(stack, cast.office, `/api/campaigns/nope/ledger.xlsx`)).status).toBe(404);
  const bad = await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/ledger.xlsx?format=pdf`);
  expect(bad.status).toBe(400);
});

const SOFFICE = '/usr/bin/soffice';
const run = promisify(execFile);

// LibreOffice is the closest stand-in for WPS here: it must open the file, print it, and keep every merge.
(existsSync(SOFFICE) ? it : it.skip)(
  'When LibreOffice opens the export, then it converts to PDF and, re-saved as xlsx and ods, keeps every merge',
  async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'zg-ledger-'));
    try {
      const { bytes, sheet } = await exportXlsx();
      const source = path.join(dir, 'ledger.xlsx');
      await writeFile(source, bytes);
      // A private profile: concurrent runs never share LibreOffice's lock, and the user's profile is untouched.
      const profile = `-env:UserInstallation=file://${path.join(dir, 'profile')}`;
      const convert = async (to: string, outDir: string) =>
        run(SOFFICE, [profile, '--headless', '--convert-to', to, '--outdir', outDir, source], { timeout: 120_000 });
      await convert('pdf', dir);
      expect((await readFile(path.join(dir, 'ledger.pdf'))).subarray(0, 5).toString()).toBe('%PDF-');
      await convert('xlsx', path.join(dir, 'again'));
      const again = new ExcelJS.Workbook();
      await again.xlsx.readFile(path.join(dir, 'again', 'ledger.xlsx'));
      const reread = again.worksheets[0]!;
      expect([...reread.model.merges].sort()).toEqual([...sheet.model.merges].sort());
      // LibreOffice writes the text back as rich text runs (a font per script): the same characters, still text.
      expect(reread.getCell('C6').text).toBe(INJECTED_PROBLEM);
      expect(reread.getCell('C6').formula).toBeUndefined();
      await convert('ods', dir);
      const ods = unzip(await readFile(path.join(dir, 'ledger.ods')))
        .get('content.xml')!
        .toString('utf8');
      // ODF spans: the title over 13 columns, categories over 3 and 2 rows, problems over 2 and 2.
      expect(ods.match(/table:number-columns-spanned="13"/g)?.length).toBe(1);
      const rowSpans = [...ods.matchAll(/table:number-rows-spanned="(\d+)"/g)].map((m) => Number(m[1]));
      expect(rowSpans.filter((n) => n > 1).sort()).toEqual([2, 2, 2, 3]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  180_000,
);

describe('ledger pieces', () => {
  it('When keys repeat in runs, then runsOf gives each run longer than one as [first, last]', () => {
    expect(runsOf([])).toEqual([]);
    expect(runsOf(['a'])).toEqual([]);
    expect(runsOf(['a', 'a', 'b', 'c', 'c', 'c', 'a'])).toEqual([
      [0, 1],
      [3, 5],
    ]);
  });

  it('When a CSV field could be read as a formula or breaks the line, then it is quoted or prefixed', () => {
    expect(['=1+1', '+1', '-1', '@A1', '\t=1', '\r=1', '正常', '1-2'].map(looksLikeFormula)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('他说"好"')).toBe('"他说""好"""');
    expect(csvField('两行\n文字')).toBe('"两行\n文字"');
    expect(csvField(12)).toBe('12');
  });

  it('When a filename has characters outside RFC 5987 attr-char, then they are percent-encoded', () => {
    const header = attachmentDisposition("整改(一)'台账'*.xlsx", 'ledger.xlsx');
    expect(header).toBe(
      `attachment; filename="ledger.xlsx"; filename*=UTF-8''${encodeURIComponent('整改')}%28${encodeURIComponent('一')}%29%27${encodeURIComponent('台账')}%27%2A.xlsx`,
    );
  });

  it('When a campaign has no task yet, then the ledger is the title and the header only', async () => {
    const empty = await openCampaign(stack.app, cast.office, cast.leader.unitId, { name: '空白轮次' });
    const res = await download(stack, cast.office, `/api/campaigns/${empty}/ledger.xlsx`);
    expect(res.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('整改台账')!;
    expect(sheet.getCell('A1').value).toMatch(/^空白轮次整改台账/);
    expect(text(sheet, 2)).toEqual(HEADERS);
    expect(sheet.getRow(3).getCell(1).value ?? null).toBeNull();
    expect([...sheet.model.merges]).toEqual(['A1:M1']);
    const csv = await download(stack, cast.office, `/api/campaigns/${empty}/ledger.xlsx?format=csv`);
    expect(csv.body.toString('utf8')).toBe(`\uFEFF${HEADERS.join(',')}\r\n`);
  });
});
