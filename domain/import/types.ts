/**
 * Shared shapes of the spreadsheet import: a sheet as a grid of cell texts, the fields a task list has, and the
 * directory snapshot names are matched against. Pure data: the API reads files and the database, this folder decides.
 */

/** A sheet as read: `rows[r][c]` is the text of Excel row r + 1, column c + 1 (merged cells carry their master's text). */
export interface TGrid {
  rows: string[][];
}

/** The columns a task list may have (header words in header.ts). */
export const TASK_FIELDS = [
  'seq',
  'category',
  'problem',
  'target',
  'measure',
  'leader',
  'leadUnit',
  'participants',
  'deadline',
  'responsible',
] as const;
export type TTaskField = (typeof TASK_FIELDS)[number];

/** An error or warning about one cell ('E7') or the sheet as a whole (cell null), in Chinese. */
export interface TCellIssue {
  cell: string | null;
  field: string | null;
  message: string;
}

export interface TDirectoryUnit {
  id: string;
  name: string;
  aliases: string[];
  level: string;
  kind: string;
  parentId: string | null;
}

export interface TDirectoryGroup {
  id: string;
  name: string;
  aliases: string[];
  memberUnitIds: string[];
}

export interface TDirectoryUser {
  id: string;
  name: string;
  role: string;
  unitId: string;
  active: boolean;
}

/** What names are matched against: the unit tree, the named groups and the people. */
export interface TDirectorySnapshot {
  units: TDirectoryUnit[];
  groups: TDirectoryGroup[];
  users: TDirectoryUser[];
}

/** 'A' for column 0, 'AB' for 27: Excel's column letters. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** The Excel reference of a zero-based cell: cellRef(6, 4) is 'E7'. */
export function cellRef(rowIndex: number, columnIndex: number): string {
  return `${columnLetter(columnIndex)}${rowIndex + 1}`;
}

/** Whitespace (incl. NBSP and the ideographic space) removed, full-width parentheses and colons made ASCII. */
export function normaliseName(text: string): string {
  return text
    .replace(/[\s\u00a0\u3000]+/g, '')
    .replace(/（/g, '(')
    .replace(/）/g, ')')
    .replace(/：/g, ':');
}
