/**
 * From a grid to task rows, the way offices lay a task list out: a category or problem cell merged over its
 * measures (or left blank below its first row when WPS lost the merge) is carried down; numbering (一、 （一） 1.) is
 * stripped; a row whose only text is a numbered category or problem (a heading row above its measures, as in plans
 * written as documents) sets the category or problem for the rows below it.
 */
import type { THeader } from './header';
import { stripLabel, stripNumbering } from './numbering';
import { cellRef, type TCellIssue, type TGrid, type TTaskField } from './types';

/** One measure row of the sheet, texts as written (numbering stripped), each with its cell. */
export interface TSheetRow {
  /** Excel row number (1-based). */
  row: number;
  category: string;
  problem: string;
  measure: string;
  target: string;
  leaderText: string;
  leadUnitText: string;
  participantsText: string;
  deadlineText: string;
  responsibleText: string;
  /** The cell of each field in this row ('E7'); absent when the sheet has no such column. */
  cells: Partial<Record<TTaskField, string>>;
  issues: { errors: TCellIssue[]; warnings: TCellIssue[] };
}

/**
 * Required fields carried down within one problem when a cell is blank (a merge lost by WPS), with a warning. Optional
 * ones (配合单位, 责任人, 整改目标) are not: blank is a normal answer for them.
 */
const CARRIED: readonly TTaskField[] = ['leadUnit', 'deadline', 'leader'];
/** Fields whose text makes a row more than a problem's own line. */
const DATA_FIELDS: readonly TTaskField[] = ['leadUnit', 'participants', 'deadline', 'leader', 'target', 'responsible'];

const FIELD_LABELS: Record<TTaskField, string> = {
  seq: '序号',
  category: '问题类别',
  problem: '具体问题',
  target: '整改目标',
  measure: '整改措施',
  leader: '牵头领导',
  leadUnit: '责任单位',
  participants: '配合单位',
  deadline: '整改时限',
  responsible: '责任人',
};

export function fieldLabel(field: TTaskField): string {
  return FIELD_LABELS[field];
}

export function structureRows(grid: TGrid, header: THeader): TSheetRow[] {
  const { columns } = header;
  const out: TSheetRow[] = [];
  let category = '';
  let problem = '';
  let previous: TSheetRow | null = null;
  const text = (r: number, field: TTaskField): string => {
    const c = columns[field];
    return c === undefined ? '' : (grid.rows[r]?.[c] ?? '').trim();
  };
  for (let r = header.rowIndex + 1; r < grid.rows.length; r++) {
    const cells = grid.rows[r] ?? [];
    const filled = cells.map((t, c) => ({ t: (t ?? '').trim(), c })).filter((x) => x.t !== '');
    if (filled.length === 0) continue;
    const distinct = new Set(filled.map((x) => x.t));
    // A heading row: one text only (a merged row repeats it in every column it spans).
    if (distinct.size === 1) {
      const only = filled[0].t;
      const numbered = stripNumbering(only);
      const inColumn = (field: TTaskField) => filled.every((x) => x.c === columns[field]);
      if (numbered.level === 'category' || (numbered.level === null && inColumn('category'))) {
        category = numbered.text;
        problem = '';
        previous = null;
        continue;
      }
      if (numbered.level === 'problem' || (numbered.level === null && inColumn('problem'))) {
        problem = numbered.text;
        previous = null;
        continue;
      }
      if (filled.every((x) => x.c === columns.seq)) continue;
    }
    const ownCategory = stripNumbering(text(r, 'category')).text;
    if (ownCategory !== '' && ownCategory !== category) {
      category = ownCategory;
      problem = '';
      previous = null;
    }
    const ownProblem = stripNumbering(stripLabel(text(r, 'problem'), ['存在问题', '问题'])).text;
    if (ownProblem !== '' && ownProblem !== problem) {
      problem = ownProblem;
      previous = null;
    }
    const refs: Partial<Record<TTaskField, string>> = {};
    for (const [field, c] of Object.entries(columns) as [TTaskField, number][]) refs[field] = cellRef(r, c);
    const row: TSheetRow = {
      row: r + 1,
      category,
      problem,
      measure: stripNumbering(stripLabel(text(r, 'measure'), ['整改措施', '具体措施'])).text,
      target: text(r, 'target'),
      leaderText: text(r, 'leader'),
      leadUnitText: stripLabel(text(r, 'leadUnit'), ['责任单位', '责任部门', '牵头单位']),
      participantsText: text(r, 'participants'),
      deadlineText: stripLabel(text(r, 'deadline'), ['整改时限', '完成时限']),
      responsibleText: text(r, 'responsible'),
      cells: refs,
      issues: { errors: [], warnings: [] },
    };
    // A row with a problem but no measure and nothing else: the problem's own row above its measures.
    const data = DATA_FIELDS.some((f) => text(r, f) !== '');
    if (row.measure === '' && !data && ownProblem !== '') continue;
    if (previous) {
      for (const field of CARRIED) {
        const key = fieldKey(field);
        if (columns[field] !== undefined && row[key] === '' && previous[key] !== '') {
          row[key] = previous[key];
          row.issues.warnings.push({
            cell: refs[field]!,
            field,
            message: `${refs[field]}：${FIELD_LABELS[field]}为空，沿用同一问题上一行的内容`,
          });
        }
      }
    }
    out.push(row);
    previous = row;
  }
  return out;
}

function fieldKey(field: TTaskField): 'leadUnitText' | 'deadlineText' | 'leaderText' {
  return field === 'leadUnit' ? 'leadUnitText' : field === 'deadline' ? 'deadlineText' : 'leaderText';
}
