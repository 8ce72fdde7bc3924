/**
 * A 督办 document as a Word file, laid out after GB/T 9704-2012 (党政机关公文格式) as far as a generated file can be:
 * A4 with 37/35/28/26 mm margins; 发文机关标志 in red 方正小标宋简体 with a red rule under the 文号; the title in
 * 方正小标宋简体 二号; 主送机关, 正文 and 落款 in 仿宋_GB2312 三号 on a fixed 28-point line; 一级标题 in 黑体;
 * 成文日期 in Chinese numerals. Fonts are named, not embedded: Word substitutes where they are not installed.
 */
import { AlignmentType, BorderStyle, Document, LineRuleType, Packer, Paragraph, TextRun } from 'docx';
import type { TEscalationStepName } from '../../domain/policy';
import { chineseDocumentDate, plainDate, STEP_REQUIREMENTS } from './texts';

export interface TSupervisionDocument {
  documentNo: string;
  /** The document's kind: 督办通知书, 催办单, … */
  title: string;
  kind: 'report_overdue' | 'escalation';
  step: TEscalationStepName;
  issuerName: string;
  recipientUnitName: string;
  campaignName: string;
  problemTitle: string;
  measure: string;
  /** The deadline as a date (YYYY-MM-DD), or the plan's wording when it has no date. */
  deadline: string | null;
  /** Shanghai calendar date of issue. */
  issueDate: string;
  daysOverdue: number | null;
  /** For an overdue report: its period YYYY-MM. */
  period: string | null;
  /** The last Shanghai day to answer. */
  answerDueDate: string | null;
  /** Why it was issued (the ladder's words, or the issuer's own when issued by hand). */
  reason: string;
}

const RED = 'FF0000';
/** Millimetres to twips, rounded (docx's own helper truncates: A4 came out 11905 × 16837, not 11906 × 16838). */
const mm = (millimetres: number): number => Math.round((millimetres * 1440) / 25.4);
/** Half-points: 二号 22 pt, 三号 16 pt. */
const SIZE_2 = 44;
const SIZE_3 = 32;
const XIAOBIAOSONG = { ascii: 'Times New Roman', hAnsi: 'Times New Roman', eastAsia: '方正小标宋简体' };
const FANGSONG = { ascii: 'Times New Roman', hAnsi: 'Times New Roman', eastAsia: '仿宋_GB2312' };
const HEITI = { ascii: 'Times New Roman', hAnsi: 'Times New Roman', eastAsia: '黑体' };
/** A fixed 28-point line (560 twips): 22 lines to a page of type area, as the standard asks. */
const BODY_LINE = { line: 560, lineRule: LineRuleType.EXACT };
/** Two characters of 三号 (16 pt each) as the first-line indent. */
const FIRST_LINE = 640;

function body(text: string, options: { heading?: boolean } = {}): Paragraph {
  return new Paragraph({
    indent: { firstLine: FIRST_LINE },
    spacing: BODY_LINE,
    alignment: AlignmentType.JUSTIFIED,
    children: [new TextRun({ text, font: options.heading ? HEITI : FANGSONG, size: SIZE_3 })],
  });
}

function deadlineWords(deadline: string | null): string {
  if (!deadline) return '完成时限';
  return /^\d{4}-\d{2}-\d{2}$/.test(deadline) ? plainDate(deadline) : deadline;
}

/** The 正文: the facts, then what is required and by when. */
function paragraphs(doc: TSupervisionDocument): Paragraph[] {
  const task = `“${doc.problemTitle}”问题的整改任务（整改措施：${doc.measure}）`;
  const facts =
    doc.kind === 'report_overdue' && doc.period
      ? `根据${doc.campaignName}工作安排，你单位牵头负责${task}，应按月报送整改进展。` +
        `截至${plainDate(doc.issueDate)}，你单位${Number(doc.period.slice(5))}月份（${doc.period}）整改进展仍未报送。`
      : `根据${doc.campaignName}工作安排，你单位牵头负责${task}，完成时限为${deadlineWords(doc.deadline)}。` +
        `截至${plainDate(doc.issueDate)}，该任务${
          doc.daysOverdue !== null && doc.daysOverdue > 0 ? `已超过完成时限${doc.daysOverdue}天，` : ''
        }尚未完成整改销号。`;
  const out = [body(facts), body(`督办事由：${doc.reason}。`.replace(/。。$/, '。'))];
  out.push(body('一、有关要求', { heading: true }));
  out.push(body(STEP_REQUIREMENTS[doc.step]));
  out.push(body('二、反馈时限', { heading: true }));
  out.push(
    body(
      `请你单位收到本${doc.title}后及时签收，并于${
        doc.answerDueDate ? plainDate(doc.answerDueDate) : '规定时限'
      }前将整改落实情况书面反馈${doc.issuerName}（在整改系统中签收并提交反馈）。逾期未反馈的，将按督办程序逐级升级督办。`,
    ),
  );
  return out;
}

export async function supervisionDocx(doc: TSupervisionDocument): Promise<Buffer> {
  const document = new Document({
    creator: doc.issuerName,
    title: `${doc.documentNo} ${doc.title}`,
    description: `${doc.issuerName}${doc.title}`,
    styles: { default: { document: { run: { font: FANGSONG, size: SIZE_3 } } } },
    sections: [
      {
        properties: {
          page: {
            size: { width: mm(210), height: mm(297) },
            margin: {
              top: mm(37),
              bottom: mm(35),
              left: mm(28),
              right: mm(26),
            },
          },
        },
        children: [
          // 发文机关标志: the issuer's name in red.
          new Paragraph({
            alignment: AlignmentType.CENTER,
            spacing: { after: 400 },
            children: [new TextRun({ text: doc.issuerName, font: XIAOBIAOSONG, size: 60, color: RED })],
          }),
          // 发文字号, then the red rule (版头中的分隔线).
          new Paragraph({
            alignment: AlignmentType.CENTER,
            spacing: { after: 120 },
            border: { bottom: { color: RED, space: 4, style: BorderStyle.SINGLE, size: 12 } },
            children: [new TextRun({ text: doc.documentNo, font: FANGSONG, size: SIZE_3 })],
          }),
          // 标题
          new Paragraph({
            alignment: AlignmentType.CENTER,
            spacing: { before: 560, after: 560, line: 700, lineRule: LineRuleType.EXACT },
            children: [
              new TextRun({ text: `关于“${doc.problemTitle}”的${doc.title}`, font: XIAOBIAOSONG, size: SIZE_2 }),
            ],
          }),
          // 主送机关
          new Paragraph({
            spacing: BODY_LINE,
            children: [new TextRun({ text: `${doc.recipientUnitName}：`, font: FANGSONG, size: SIZE_3 })],
          }),
          ...paragraphs(doc),
          // 落款 and 成文日期, right-aligned with a margin of four characters to the right, as offices print them.
          new Paragraph({
            alignment: AlignmentType.RIGHT,
            spacing: { before: 1120, ...BODY_LINE },
            indent: { right: 4 * 320 },
            children: [new TextRun({ text: doc.issuerName, font: FANGSONG, size: SIZE_3 })],
          }),
          new Paragraph({
            alignment: AlignmentType.RIGHT,
            spacing: BODY_LINE,
            indent: { right: 4 * 320 },
            children: [new TextRun({ text: chineseDocumentDate(doc.issueDate), font: FANGSONG, size: SIZE_3 })],
          }),
        ],
      },
    ],
  });
  return Packer.toBuffer(document);
}
