/**
 * Plans number their structure: 一、 a category, （一） a problem, 1. a measure. The numbers are not data: they are
 * stripped, and their level tells a heading row's meaning.
 */
export type TNumberingLevel = 'category' | 'problem' | 'measure';

const CN_DIGITS = '[一二三四五六七八九十百零〇两]+';
const CATEGORY = new RegExp(`^(?:第${CN_DIGITS}[类部分]*|${CN_DIGITS})\\s*[、.．,，:：]\\s*`);
const PROBLEM = new RegExp(`^[（(]\\s*${CN_DIGITS}\\s*[)）]\\s*[、.．,，]?\\s*`);
const MEASURE = /^(?:\d{1,3}\s*[、.．,，](?!\d)|[（(]\s*\d{1,3}\s*[)）]|[\u2460-\u2473])\s*/;

export interface TNumbered {
  level: TNumberingLevel | null;
  text: string;
}

/** The text without its leading number, and the level that number marks (null when it has none). */
export function stripNumbering(raw: string): TNumbered {
  const text = raw.trim();
  for (const [level, re] of [
    ['category', CATEGORY],
    ['problem', PROBLEM],
    ['measure', MEASURE],
  ] as const) {
    const m = re.exec(text);
    if (m && m[0].length < text.length) return { level, text: text.slice(m[0].length).trim() };
  }
  return { level: null, text };
}

/** Leading labels some plans write into the cell itself ("整改措施：…", "责任部门：…"). */
export function stripLabel(text: string, labels: readonly string[]): string {
  for (const label of labels) {
    const m = new RegExp(`^${label}\\s*[:：]\\s*`).exec(text);
    if (m) return text.slice(m[0].length).trim();
  }
  return text;
}
