/**
 * Finding the header of a task list: offices put a title row (and sometimes a note) above it, and word the columns
 * their own way. A row is the header when it names the measure column and at least one other known column; the
 * first such row among the first rows wins.
 */
import { normaliseName, type TGrid, type TTaskField } from './types';

/** Header words per field, most usual first. Compared after normalising (no spaces, no trailing "(…)" note). */
export const HEADER_SYNONYMS: Record<TTaskField, readonly string[]> = {
  seq: ['序号', '编号', '序'],
  category: ['问题类别', '类别', '问题分类', '问题大类', '大类', '问题类型', '类型'],
  problem: ['具体问题', '存在问题', '问题描述', '问题', '反馈问题', '主要问题', '问题内容', '问题清单', '反馈意见'],
  target: ['整改目标', '目标', '整改目标任务'],
  measure: ['整改措施', '具体措施', '措施', '整改举措', '工作措施', '整改任务'],
  leader: ['牵头领导', '责任领导', '分管领导', '包保领导', '领导'],
  leadUnit: ['责任单位', '责任部门', '牵头单位', '牵头部门', '主责单位', '责任主体'],
  participants: ['配合单位', '配合部门', '协办单位', '参与单位', '协同单位', '协助单位'],
  deadline: ['整改时限', '完成时限', '时限要求', '时限', '整改期限', '完成时间', '整改时间'],
  responsible: ['责任人', '具体责任人', '联系人'],
};

const WORD_TO_FIELD = new Map<string, TTaskField>(
  (Object.entries(HEADER_SYNONYMS) as [TTaskField, readonly string[]][]).flatMap(([field, words]) =>
    words.map((w) => [w, field] as const),
  ),
);

/** The field a header cell names, or null: "整改时限（截止日期）", "责 任 单 位", "*整改措施" all count. */
export function headerField(text: string): TTaskField | null {
  const word = normaliseName(text)
    .replace(/^[*＊]+/, '')
    .replace(/\([^()]*\)$/, '')
    .replace(/[:]$/, '');
  return WORD_TO_FIELD.get(word) ?? null;
}

export interface THeader {
  /** Zero-based index of the header row. */
  rowIndex: number;
  /** Zero-based column of each field found (the first column wins when a word repeats). */
  columns: Partial<Record<TTaskField, number>>;
}

/** Rows searched for the header: titles and notes above it are a few rows, never dozens. */
export const HEADER_SCAN_ROWS = 30;

export function findHeader(grid: TGrid): THeader | null {
  const limit = Math.min(grid.rows.length, HEADER_SCAN_ROWS);
  for (let r = 0; r < limit; r++) {
    const columns: Partial<Record<TTaskField, number>> = {};
    for (const [c, text] of (grid.rows[r] ?? []).entries()) {
      const field = headerField(text ?? '');
      if (field && columns[field] === undefined) columns[field] = c;
    }
    const found = Object.keys(columns).length;
    if (columns.measure !== undefined && found >= 2) return { rowIndex: r, columns };
  }
  return null;
}
