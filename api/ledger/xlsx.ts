/**
 * The ledger as an .xlsx workbook, laid out as offices print it: a title row (campaign + 整改台账 + export date), the
 * header frozen and repeated on every printed page, 问题类别 and 具体问题 merged over their rows, borders, wrapped text,
 * widths for Chinese, A3 landscape fitted to the page width, and the light as a cell fill with its word. Every text
 * is written as a string cell (never a formula); one beginning with = + - @ also gets the text number format, so
 * neither Excel nor WPS reads it as a formula when the cell is edited.
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import type { TLedgerRow } from './rows';

export interface TLedgerColumn {
  header: string;
  /** Width in characters (a Chinese character is about two). */
  width: number;
  value: (row: TLedgerRow) => string | number;
}

export const LEDGER_COLUMNS: readonly TLedgerColumn[] = [
  { header: '序号', width: 6, value: (r) => r.no },
  { header: '问题类别', width: 16, value: (r) => r.category },
  { header: '具体问题', width: 36, value: (r) => r.problem },
  { header: '整改措施', width: 46, value: (r) => r.measure },
  { header: '牵头领导', width: 12, value: (r) => r.leader },
  { header: '责任单位', width: 20, value: (r) => r.leadUnit },
  { header: '配合单位', width: 22, value: (r) => r.participants },
  { header: '整改时限', width: 18, value: (r) => r.deadline },
  { header: '整改进展', width: 44, value: (r) => r.progress },
  { header: '完成情况', width: 12, value: (r) => r.completion },
  { header: '红黄绿灯', width: 9, value: (r) => r.lightWord },
  { header: '佐证材料', width: 9, value: (r) => r.evidence },
  { header: '销号时间', width: 15, value: (r) => r.closedOn },
];

/** 1-based column numbers of the merged and filled columns. */
const CATEGORY_COL = 2;
const PROBLEM_COL = 3;
const LIGHT_COL = 11;
const TITLE_ROW = 1;
const HEADER_ROW = 2;

/** Light fills (ARGB): red, amber, green as offices colour them. */
const LIGHT_FILL: Record<TLedgerRow['light'], string> = { red: 'FFFF4D4F', yellow: 'FFFFC53D', green: 'FF73D13D' };

/** A3 in the OOXML paper-size table (exceljs's enum lists only some sizes). */
const PAPER_A3 = 8 as ExcelJS.PageSetup['paperSize'];

/** Whether a spreadsheet would read this text as a formula (or a DDE/formula trigger) when entered. */
export function looksLikeFormula(text: string): boolean {
  return /^[=+\-@\t\r]/.test(text);
}

const THIN: Partial<ExcelJS.Borders> = {
  top: { style: 'thin' },
  left: { style: 'thin' },
  bottom: { style: 'thin' },
  right: { style: 'thin' },
};

/** Runs of equal consecutive keys as [first, last] indexes (inclusive), only those longer than one. */
export function runsOf(keys: readonly string[]): [number, number][] {
  const runs: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= keys.length; i++) {
    if (i === keys.length || keys[i] !== keys[start]) {
      if (i - 1 > start) runs.push([start, i - 1]);
      start = i;
    }
  }
  return runs;
}

/**
 * Writes the workbook with exceljs's streaming writer (rows serialised as they go, strings inline: several times
 * faster than the document model for 10⁴ rows) into a buffer, so a failure answers an error rather than half a file.
 */
export async function ledgerXlsx(input: {
  campaignName: string;
  exportedOn: string;
  rows: readonly TLedgerRow[];
}): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  workbook.creator = '整改';
  const sheet = workbook.addWorksheet('整改台账', {
    views: [{ state: 'frozen', ySplit: HEADER_ROW, xSplit: 0 }],
    pageSetup: {
      paperSize: PAPER_A3,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: `${HEADER_ROW}:${HEADER_ROW}`,
      horizontalCentered: true,
      margins: { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
    },
    headerFooter: { oddFooter: '第 &P 页，共 &N 页' },
  });
  sheet.columns = LEDGER_COLUMNS.map((c) => ({ width: c.width }));

  const title = sheet.getRow(TITLE_ROW);
  title.getCell(1).value = `${input.campaignName}整改台账（导出日期：${input.exportedOn}）`;
  title.getCell(1).font = { name: '宋体', size: 16, bold: true };
  title.getCell(1).alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  title.height = 36;
  sheet.mergeCells(TITLE_ROW, 1, TITLE_ROW, LEDGER_COLUMNS.length);

  const header = sheet.getRow(HEADER_ROW);
  LEDGER_COLUMNS.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    cell.value = c.header;
    cell.font = { name: '宋体', size: 11, bold: true };
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9D9D9' } };
    cell.border = THIN;
  });
  header.height = 28;

  // One style object per kind of cell, shared by reference: the writer caches a style's id per object (a WeakMap),
  // so 130,000 cells cost a handful of style serialisations instead of one each.
  const body = { name: '宋体', size: 10 };
  const left: Partial<ExcelJS.Alignment> = { vertical: 'middle', horizontal: 'left', wrapText: true };
  const center: Partial<ExcelJS.Alignment> = { vertical: 'middle', horizontal: 'center', wrapText: true };
  const text: Partial<ExcelJS.Style> = { font: body, border: THIN, alignment: left };
  // The text format: an edited cell stays text, never becomes a formula.
  const textAsText: Partial<ExcelJS.Style> = { ...text, numFmt: '@' };
  const number: Partial<ExcelJS.Style> = { font: body, border: THIN, alignment: center };
  const lightStyle = (light: TLedgerRow['light']): Partial<ExcelJS.Style> => ({
    font: { ...body, bold: true, color: { argb: light === 'yellow' ? 'FF000000' : 'FFFFFFFF' } },
    border: THIN,
    alignment: center,
    fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: LIGHT_FILL[light] } },
  });
  const lights = { red: lightStyle('red'), yellow: lightStyle('yellow'), green: lightStyle('green') };
  const first = HEADER_ROW + 1;
  for (const [index, row] of input.rows.entries()) {
    const excelRow = sheet.getRow(first + index);
    LEDGER_COLUMNS.forEach((c, i) => {
      const cell = excelRow.getCell(i + 1);
      const value = c.value(row);
      // A string stays a string cell (never `{ formula }`).
      cell.value = value;
      cell.style =
        i + 1 === LIGHT_COL
          ? lights[row.light]
          : typeof value === 'number'
            ? number
            : looksLikeFormula(value)
              ? textAsText
              : text;
    });
  }
  // Merged before any row is committed (the writer merges only rows it still holds).
  for (const [a, b] of runsOf(input.rows.map((r) => r.categoryId))) {
    sheet.mergeCells(first + a, CATEGORY_COL, first + b, CATEGORY_COL);
  }
  // A problem is merged only within its category (the same problem never spans two categories anyway).
  for (const [a, b] of runsOf(input.rows.map((r) => `${r.categoryId}|${r.problemId}`))) {
    sheet.mergeCells(first + a, PROBLEM_COL, first + b, PROBLEM_COL);
  }
  sheet.commit();
  await workbook.commit();
  await finished;
  return Buffer.concat(chunks);
}
