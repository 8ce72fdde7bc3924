/**
 * The 督办 Word document on its own: what its body says for each kind of notice, the 成文日期 in Chinese numerals, and
 * LibreOffice (the closest stand-in for WPS and Word here) opening it and reading the same text back.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { supervisionDocx, type TSupervisionDocument } from '../../api/documents/supervisionDocx';
import { chineseDocumentDate, plainDate, STEP_DOCUMENT_TITLES } from '../../api/documents/texts';
import { ESCALATION_STEPS } from '../../domain/policy';

/** The text of one zip entry (a .docx is a zip): central directory, then the entry's local header. */
function zipEntry(zip: Buffer, name: string): string | null {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const entryName = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (entryName === name) {
      const local = zip.readUInt32LE(at + 42);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + zip.readUInt32LE(at + 20));
      return (zip.readUInt16LE(at + 10) === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return null;
}

/** The paragraphs' text, runs joined (Word splits text into runs; the reader sees each paragraph whole). */
function paragraphsOf(xml: string): string[] {
  return [...xml.matchAll(/<w:p[ >][\s\S]*?<\/w:p>/g)].map((p) =>
    [...p[0].matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((t) => t[1]).join(''),
  );
}

const BASE: TSupervisionDocument = {
  documentNo: '省卫健委整改办督〔2026〕12号',
  title: STEP_DOCUMENT_TITLES.supervision_notice,
  kind: 'escalation',
  step: 'supervision_notice',
  issuerName: '省卫健委巡视整改工作办公室',
  recipientUnitName: '医政医管处',
  campaignName: '省委第一巡视组反馈意见整改',
  problemTitle: '整改责任落实不到位',
  measure: '建立整改台账，逐项销号',
  deadline: '2026-10-31',
  issueDate: '2026-12-01',
  daysOverdue: 31,
  period: null,
  answerDueDate: '2026-12-08',
  reason: '超过完成时限（2026年10月31日）31天：督办通知',
};

describe('the 成文日期 and dates in running text', () => {
  it('When dates are written, then the 成文日期 uses Chinese numerals (〇 for zero) and running text Arabic ones', () => {
    expect(chineseDocumentDate('2026-12-01')).toBe('二〇二六年十二月一日');
    expect(chineseDocumentDate('2026-10-31')).toBe('二〇二六年十月三十一日');
    expect(chineseDocumentDate('2030-01-20')).toBe('二〇三〇年一月二十日');
    expect(chineseDocumentDate('2027-02-15')).toBe('二〇二七年二月十五日');
    expect(plainDate('2026-03-08')).toBe('2026年3月8日');
  });
});

describe('supervisionDocx', () => {
  it('When an escalation step is rendered, then the paragraphs run 发文机关标志, 文号, title, 主送, 正文, 落款, date', async () => {
    const xml = zipEntry(await supervisionDocx(BASE), 'word/document.xml')!;
    const paragraphs = paragraphsOf(xml).filter((p) => p.length > 0);
    expect(paragraphs[0]).toBe('省卫健委巡视整改工作办公室');
    expect(paragraphs[1]).toBe('省卫健委整改办督〔2026〕12号');
    expect(paragraphs[2]).toBe('关于“整改责任落实不到位”的督办通知书');
    expect(paragraphs[3]).toBe('医政医管处：');
    expect(paragraphs[4]).toContain('完成时限为2026年10月31日');
    expect(paragraphs[4]).toContain('已超过完成时限31天');
    expect(paragraphs).toContain('一、有关要求');
    expect(paragraphs.find((p) => p.startsWith('请你单位收到本督办通知书后'))).toContain('2026年12月8日前');
    expect(paragraphs.slice(-2)).toEqual(['省卫健委巡视整改工作办公室', '二〇二六年十二月一日']);
    // The red 发文机关标志 and rule; A4 with the standard's margins (37 mm top = 2098 twips, 28 mm left = 1587).
    expect(xml).toMatch(/<w:color w:val="FF0000"\/>/);
    expect(xml).toMatch(/<w:bottom [^>]*w:color="FF0000"/);
    expect(xml).toMatch(/<w:pgSz w:w="11906" w:h="16838"/);
    expect(xml).toMatch(/w:top="2098"/);
    expect(xml).toMatch(/w:left="1587"/);
  });

  it('When a monthly report is overdue, then the body names the missing month, not days past the deadline', async () => {
    const xml = zipEntry(
      await supervisionDocx({ ...BASE, kind: 'report_overdue', period: '2026-11', daysOverdue: null }),
      'word/document.xml',
    )!;
    const text = paragraphsOf(xml).join('\n');
    expect(text).toContain('11月份（2026-11）整改进展仍未报送');
    expect(text).not.toContain('已超过完成时限');
  });

  it('When each ladder step is rendered, then its title and requirement are its own', async () => {
    const titles = new Set<string>();
    for (const step of ESCALATION_STEPS) {
      const title = STEP_DOCUMENT_TITLES[step];
      titles.add(title);
      const xml = zipEntry(await supervisionDocx({ ...BASE, step, title }), 'word/document.xml')!;
      expect(paragraphsOf(xml)).toContain(`关于“整改责任落实不到位”的${title}`);
    }
    expect(titles.size).toBe(ESCALATION_STEPS.length);
  });

  const SOFFICE = '/usr/bin/soffice';
  const run = promisify(execFile);
  (existsSync(SOFFICE) ? it : it.skip)(
    'When LibreOffice opens the document, then it reads back the 文号, the recipient and the date',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'zg-docx-'));
      try {
        const source = path.join(dir, 'notice.docx');
        await writeFile(source, await supervisionDocx(BASE));
        // A private profile: concurrent runs never share LibreOffice's lock, and the user's profile is untouched.
        const profile = `-env:UserInstallation=file://${path.join(dir, 'profile')}`;
        // Why 120 s: a cold LibreOffice start on a loaded 2-core machine takes tens of seconds.
        await run(
          SOFFICE,
          [profile, '--headless', '--convert-to', 'txt:Text (encoded):UTF8', '--outdir', dir, source],
          {
            timeout: 120_000,
          },
        );
        const text = (await readFile(path.join(dir, 'notice.txt'), 'utf8')).replace(/^\uFEFF/, '');
        expect(text).toContain('省卫健委整改办督〔2026〕12号');
        expect(text).toContain('医政医管处：');
        expect(text).toContain('二〇二六年十二月一日');
        expect(text).toContain('已超过完成时限31天');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
