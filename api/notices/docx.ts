/**
 * A progress notice (通报) as a Word 公文 after GB/T 9704-2012: A4, margins 37 mm top, 28 mm left (订口), 26 mm right,
 * 35 mm bottom (a 156 × 225 mm text block); title in 方正小标宋简体 二号 (22 pt), body in 仿宋_GB2312 三号 (16 pt) on a fixed
 * 28.95 pt line (22 lines a page), 一级标题 in 黑体, 二级标题 in 楷体_GB2312, tables in 仿宋_GB2312 四号, page numbers
 * "— 1 —" in 宋体 四号 at the foot. The text follows the seeds' 通报: an opening with the totals, a section per category,
 * a table per unit, then the overdue and red measures with their units.
 */
import {
  AlignmentType,
  BorderStyle,
  Document,
  Footer,
  LineRuleType,
  Packer,
  PageNumber,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
  VerticalAlignTable,
  WidthType,
} from 'docx';
import { chineseDate, percent } from '../../domain/stats/words';
import type { TNoticeSnapshot } from './snapshot';

export const NOTICE_FONTS = {
  title: '方正小标宋简体',
  body: '仿宋_GB2312',
  heading1: '黑体',
  heading2: '楷体_GB2312',
  pageNumber: '宋体',
} as const;

/** Half-points: 二号 22 pt, 三号 16 pt, 四号 14 pt. */
const SIZE = { erhao: 44, sanhao: 32, sihao: 28 } as const;
/** Millimetres to twentieths of a point. */
const mm = (n: number) => Math.round((n / 25.4) * 1440);
/** 28.95 pt: 22 lines in the 225 mm text block. */
const LINE = { line: 579, lineRule: LineRuleType.EXACT };
/** Two characters of 三号 (16 pt each). */
const INDENT = { firstLine: 640 };

const CHINESE_NUMBERS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
/** 1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (sections and categories stay well under 100). */
export function chineseNumber(n: number): string {
  if (n <= 10) return CHINESE_NUMBERS[n - 1] ?? String(n);
  if (n < 20) return `十${CHINESE_NUMBERS[n - 11]}`;
  if (n < 100)
    return `${CHINESE_NUMBERS[Math.floor(n / 10) - 1]}十${n % 10 === 0 ? '' : CHINESE_NUMBERS[(n % 10) - 1]}`;
  return String(n);
}

function run(text: string, font: string, size: number, bold = false): TextRun {
  return new TextRun({ text, font, size, bold });
}

function body(text: string): Paragraph {
  return new Paragraph({ children: [run(text, NOTICE_FONTS.body, SIZE.sanhao)], indent: INDENT, spacing: LINE });
}

function heading1(text: string): Paragraph {
  return new Paragraph({ children: [run(text, NOTICE_FONTS.heading1, SIZE.sanhao)], indent: INDENT, spacing: LINE });
}

function heading2(text: string): Paragraph {
  return new Paragraph({ children: [run(text, NOTICE_FONTS.heading2, SIZE.sanhao)], indent: INDENT, spacing: LINE });
}

/** The opening sentence with the totals, in the seeds' words (问题…个，整改措施…条，已完成…条，完成率…%). */
export function totalsSentence(s: TNoticeSnapshot): string {
  const t = s.totals;
  return (
    `截至${chineseDate(s.asOf)}，${s.inspectingBody}反馈意见指出的问题${t.problems}个，` +
    `制定整改措施${t.measures}条，其中：已完成${t.completed}条，正在推进${t.inProgress}条，` +
    `需要长期坚持的${t.longTerm}条，完成率${percent(t.completionRate)}；逾期${t.overdue}条，红灯${t.red}条。`
  );
}

function cell(text: string, opts: { bold?: boolean; width: number; center?: boolean }): TableCell {
  return new TableCell({
    width: { size: opts.width, type: WidthType.DXA },
    verticalAlign: VerticalAlignTable.CENTER,
    children: [
      new Paragraph({
        alignment: opts.center ? AlignmentType.CENTER : AlignmentType.LEFT,
        children: [run(text, opts.bold ? NOTICE_FONTS.heading1 : NOTICE_FONTS.body, SIZE.sihao)],
      }),
    ],
  });
}

const BORDER = { style: BorderStyle.SINGLE, size: 4, color: '000000' };
const BORDERS = {
  top: BORDER,
  bottom: BORDER,
  left: BORDER,
  right: BORDER,
  insideHorizontal: BORDER,
  insideVertical: BORDER,
};

/** A table filling the 156 mm text block: columns as shares of it. */
function table(headers: string[], shares: number[], rows: string[][], centered: (col: number) => boolean): Table {
  const total = mm(156);
  const sum = shares.reduce((a, b) => a + b, 0);
  const widths = shares.map((s) => Math.floor((s / sum) * total));
  return new Table({
    width: { size: total, type: WidthType.DXA },
    columnWidths: widths,
    borders: BORDERS,
    rows: [
      new TableRow({
        tableHeader: true,
        children: headers.map((h, i) => cell(h, { bold: true, width: widths[i]!, center: true })),
      }),
      ...rows.map(
        (r) => new TableRow({ children: r.map((v, i) => cell(v, { width: widths[i]!, center: centered(i) })) }),
      ),
    ],
  });
}

export function noticeDocument(title: string, s: TNoticeSnapshot): Document {
  const children: (Paragraph | Table)[] = [
    new Paragraph({
      alignment: AlignmentType.CENTER,
      spacing: { line: 700, lineRule: LineRuleType.EXACT },
      children: [run(title, NOTICE_FONTS.title, SIZE.erhao)],
    }),
    new Paragraph({ children: [], spacing: LINE }),
    body(totalsSentence(s)),
  ];
  let section = 0;
  const next = () => `${chineseNumber(++section)}、`;

  children.push(heading1(`${next()}各类别问题整改情况`));
  if (s.byCategory.length === 0) children.push(body('无。'));
  s.byCategory.forEach((c, i) => {
    children.push(heading2(`（${chineseNumber(i + 1)}）${c.name}`));
    children.push(
      body(
        `该类问题${c.problems}个，整改措施${c.measures}条，已完成${c.completed}条，正在推进${c.inProgress}条，` +
          `长期坚持${c.longTerm}条，完成率${percent(c.completionRate)}；逾期${c.overdue}条，红灯${c.red}条。`,
      ),
    );
  });

  children.push(heading1(`${next()}各责任单位整改情况`));
  if (s.byUnit.length === 0) children.push(body('无。'));
  else {
    children.push(
      table(
        ['序号', '责任单位', '整改措施', '已完成', '正在推进', '长期坚持', '逾期', '红灯', '完成率'],
        [5, 22, 9, 9, 9, 9, 7, 7, 10],
        s.byUnit.map((u, i) => [
          String(i + 1),
          u.name,
          String(u.measures),
          String(u.completed),
          String(u.inProgress),
          String(u.longTerm),
          String(u.overdue),
          String(u.red),
          percent(u.completionRate),
        ]),
        (col) => col !== 1,
      ),
    );
  }

  children.push(heading1(`${next()}逾期和红灯整改措施`));
  if (s.flaggedTasks.length === 0) children.push(body('无逾期或红灯的整改措施。'));
  else {
    const more = s.flaggedTotal > s.flaggedTasks.length ? `（列出前${s.flaggedTasks.length}条，详见整改台账）` : '';
    children.push(body(`逾期或红灯的整改措施共${s.flaggedTotal}条${more}：`));
    children.push(
      table(
        ['序号', '责任单位', '具体问题', '整改措施', '整改时限', '情况'],
        [5, 16, 22, 30, 13, 10],
        s.flaggedTasks.map((t, i) => [
          String(i + 1),
          t.unitName,
          t.problem,
          t.measure,
          t.deadline,
          [t.overdue ? '逾期' : '', t.light === 'red' ? t.lightWord : ''].filter((x) => x !== '').join('、'),
        ]),
        (col) => col === 0 || col === 5,
      ),
    );
  }
  children.push(new Paragraph({ children: [], spacing: LINE }));
  children.push(
    new Paragraph({
      alignment: AlignmentType.RIGHT,
      indent: { right: 640 },
      spacing: LINE,
      children: [run(chineseDate(s.asOf), NOTICE_FONTS.body, SIZE.sanhao)],
    }),
  );

  return new Document({
    creator: '整改',
    title,
    styles: {
      default: { document: { run: { font: NOTICE_FONTS.body, size: SIZE.sanhao } } },
    },
    sections: [
      {
        properties: {
          page: {
            size: { width: mm(210), height: mm(297) },
            margin: { top: mm(37), bottom: mm(35), left: mm(28), right: mm(26), header: mm(15), footer: mm(28) },
          },
        },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [
                  new TextRun({
                    children: ['— ', PageNumber.CURRENT, ' —'],
                    font: NOTICE_FONTS.pageNumber,
                    size: SIZE.sihao,
                  }),
                ],
              }),
            ],
          }),
        },
        children,
      },
    ],
  });
}

export async function noticeDocx(title: string, snapshot: TNoticeSnapshot): Promise<Buffer> {
  return Packer.toBuffer(noticeDocument(title, snapshot));
}
