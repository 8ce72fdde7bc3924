/**
 * Reading an uploaded spreadsheet into grids of cell texts: .xlsx through exceljs (a merged cell's every position
 * carries its master's text), .csv in UTF-8 (with or without BOM) or GBK (what Excel on a Chinese Windows saves).
 * Anything else — a legacy or password-protected workbook, a corrupt file, noise, a formula — is refused with a 400
 * that names the problem, before anything is written.
 */
import ExcelJS from 'exceljs';
import { AppError } from '../errors';
import { cellRef, type TGrid } from '../../domain/import';

/** Largest upload accepted (an office's list of thousands of rows is well under 2 MB). */
export const IMPORT_MAX_BYTES = 10 * 1024 * 1024;
/** Most measure rows one import may hold. */
export const IMPORT_MAX_ROWS = 20_000;
/** Rows read per sheet at most: the row cap plus room for titles, headings and blank lines. */
const MAX_SHEET_ROWS = IMPORT_MAX_ROWS * 2;
const MAX_COLUMNS = 100;

export interface TSheet {
  name: string;
  grid: TGrid;
  /** Cells holding a formula ('E7'): refused where the sheet is used, since the value shown is not the data. */
  formulaCells: string[];
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const CFB = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function startsWith(buffer: Buffer, magic: number[]): boolean {
  return buffer.length >= magic.length && magic.every((b, i) => buffer[i] === b);
}

function bad(message: string): AppError {
  return AppError.validation(message, [{ code: 'custom', path: ['file'], message }]);
}

/** Every sheet of the file, in order. */
export async function readSpreadsheet(buffer: Buffer, fileName: string): Promise<TSheet[]> {
  if (buffer.length === 0) throw bad('文件为空');
  if (buffer.length > IMPORT_MAX_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `文件过大：导入文件不能超过 ${IMPORT_MAX_BYTES / 1024 / 1024} MB`);
  }
  if (startsWith(buffer, CFB)) {
    throw bad('文件已加密，或是旧版 .xls 格式：请在 Excel 或 WPS 中取消密码并另存为 .xlsx 后再导入');
  }
  if (startsWith(buffer, ZIP)) return readXlsx(buffer);
  if (/\.(csv|txt)$/i.test(fileName)) return [readCsv(buffer)];
  throw bad('不是可导入的表格文件：请上传 .xlsx 或 .csv（UTF-8 或 GBK 编码）');
}

async function readXlsx(buffer: Buffer): Promise<TSheet[]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  } catch {
    throw bad('无法读取 Excel 文件：文件已损坏，或不是 .xlsx 格式');
  }
  const sheets: TSheet[] = [];
  for (const sheet of workbook.worksheets) {
    if (sheet.rowCount > MAX_SHEET_ROWS) {
      throw bad(`工作表“${sheet.name}”行数过多（${sheet.rowCount} 行）：一次最多导入 ${IMPORT_MAX_ROWS} 行`);
    }
    const rows: string[][] = [];
    const formulaCells: string[] = [];
    sheet.eachRow({ includeEmpty: true }, (row, rowNumber) => {
      const texts: string[] = [];
      row.eachCell({ includeEmpty: false }, (cell, col) => {
        if (col > MAX_COLUMNS) return;
        if (cell.type === ExcelJS.ValueType.Formula) formulaCells.push(cellRef(rowNumber - 1, col - 1));
        texts[col - 1] = cellText(cell.value);
      });
      rows[rowNumber - 1] = Array.from(texts, (t) => t ?? '');
    });
    sheets.push({ name: sheet.name, grid: { rows: Array.from(rows, (r) => r ?? []) }, formulaCells });
  }
  if (sheets.length === 0) throw bad('Excel 文件中没有工作表');
  return sheets;
}

/** A cell's value as text: dates as YYYY-MM-DD (what the deadline parser reads), rich text joined. */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString().slice(0, 10);
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as { result?: ExcelJS.CellValue }).result;
    return result === undefined ? '' : cellText(result as ExcelJS.CellValue);
  }
  if ('text' in value && typeof value.text === 'string') return value.text;
  if ('error' in value) return '';
  return '';
}

/** UTF-8 (BOM or not) when the bytes are valid UTF-8, else GBK. */
export function decodeText(buffer: Buffer): string {
  if (buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) {
    return new TextDecoder('utf-8').decode(buffer.subarray(3));
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return new TextDecoder('gbk').decode(buffer);
  }
}

function readCsv(buffer: Buffer): TSheet {
  const text = decodeText(buffer);
  // Noise decodes too (GBK maps most byte pairs): a table's text has no NULs, few control characters, few U+FFFD.
  let suspicious = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) throw bad('不是文本表格：文件含有二进制内容，请上传 .xlsx 或 .csv');
    if (code === 0xfffd || (code < 0x20 && code !== 9 && code !== 10 && code !== 13)) suspicious++;
  }
  if (suspicious > Math.max(3, text.length / 200)) {
    throw bad('不是文本表格：无法按 UTF-8 或 GBK 读取，请上传 .xlsx 或 .csv');
  }
  const rows = parseCsv(text);
  if (rows.length > MAX_SHEET_ROWS) throw bad(`行数过多（${rows.length} 行）：一次最多导入 ${IMPORT_MAX_ROWS} 行`);
  return { name: 'CSV', grid: { rows }, formulaCells: [] };
}

/** RFC 4180: quoted fields may hold separators, quotes ("") and line breaks; the separator is , or a tab. */
export function parseCsv(text: string): string[][] {
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  const sep = (firstLine.match(/\t/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? '\t' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === sep) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
