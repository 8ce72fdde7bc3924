/**
 * The ledger as CSV: UTF-8 with a byte-order mark (so Excel and WPS detect the encoding), CRLF line ends, the header
 * row first (no title row: CSV is read by programs as often as by people), category and problem repeated on every
 * row (CSV has no merges). A field beginning with = + - @ (or a tab or carriage return) is prefixed with ' so a
 * spreadsheet never evaluates it as a formula.
 */
import type { TLedgerRow } from './rows';
import { LEDGER_COLUMNS, looksLikeFormula } from './xlsx';

const BOM = '\uFEFF';

export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const safe = looksLikeFormula(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function ledgerCsv(rows: readonly TLedgerRow[]): Buffer {
  const lines = [LEDGER_COLUMNS.map((c) => csvField(c.header)).join(',')];
  for (const row of rows) lines.push(LEDGER_COLUMNS.map((c) => csvField(c.value(row))).join(','));
  return Buffer.from(BOM + lines.join('\r\n') + '\r\n', 'utf8');
}
