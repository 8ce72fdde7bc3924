/**
 * The whole preview of a task list, pure: header → rows → units, leader, deadline, each problem named by its cell.
 * The API reads the file and the directory, calls `previewTaskRows`, stores the answer, and writes it only on commit.
 */
import { outsideLifecycleWindow, parseDeadlineText, type TDeadline } from '../deadline';
import { findHeader, HEADER_SYNONYMS } from './header';
import { structureRows, type TSheetRow } from './rows';
import { normaliseName, type TCellIssue, type TDirectorySnapshot, type TDirectoryUser, type TGrid } from './types';
import { buildNameIndex, resolveUnits, splitUnitCell } from './units';

export interface TPreviewOptions {
  /** The Shanghai date tasks would be assigned on: immediate deadlines count from it. */
  assignedOn: string;
  immediateDays: number;
  defaultLeadUnitId: string | null;
  /** The leader of tasks whose 牵头领导 names nobody in the directory (null: such rows are errors). */
  defaultLeaderId: string | null;
  /** Most rows a list may have. */
  maxRows: number;
  /** The campaign's feedback date: deadlines must lie in the lifecycle window it sets (as creation by hand has it). */
  feedbackDate?: string;
}

export interface TPreviewRow {
  row: number;
  category: string;
  problem: string;
  measure: string;
  target: string | null;
  leadUnitId: string | null;
  participatingUnitIds: string[];
  leaderText: string | null;
  leaderId: string | null;
  responsiblePersonText: string | null;
  responsiblePersonId: string | null;
  deadlineText: string;
  deadline: TDeadline | null;
  errors: TCellIssue[];
  warnings: TCellIssue[];
}

export interface TPreviewSummary {
  categories: number;
  problems: number;
  tasks: number;
  errors: number;
  warnings: number;
}

export type TPreviewResult =
  { ok: true; summary: TPreviewSummary; rows: TPreviewRow[] } | { ok: false; message: string };

/** Titles and texts bounded as the task API bounds them (api/routes/schemas.ts). */
const MAX = { category: 200, problem: 500, measure: 5000, target: 5000, text: 200 };

const ALL_HEADER_WORDS = `${HEADER_SYNONYMS.measure[0]}、${HEADER_SYNONYMS.problem[0]}、${HEADER_SYNONYMS.leadUnit[0]}、${HEADER_SYNONYMS.deadline[0]}`;

export function previewTaskRows(grid: TGrid, directory: TDirectorySnapshot, options: TPreviewOptions): TPreviewResult {
  const header = findHeader(grid);
  if (!header) {
    return {
      ok: false,
      message: `没有找到表头：前 30 行中没有一行同时含有“整改措施”和其他列名（如 ${ALL_HEADER_WORDS}）`,
    };
  }
  const sheetRows = structureRows(grid, header);
  if (sheetRows.length === 0) return { ok: false, message: '表头下没有任何整改措施行' };
  if (sheetRows.length > options.maxRows) {
    return {
      ok: false,
      message: `行数过多：共 ${sheetRows.length} 行，一次最多导入 ${options.maxRows} 行，请拆分后分批导入`,
    };
  }
  const index = buildNameIndex(directory);
  const leaderList = directory.users.filter((u) => u.active && u.role === 'leader');
  const leaders = { list: leaderList, index: peopleIndex(leaderList) };
  const people = peopleIndex(directory.users.filter((u) => u.active));
  const rows = sheetRows.map((r) =>
    previewRow(r, header.columns.participants !== undefined, index, leaders, people, options),
  );
  const categories = new Set(rows.map((r) => r.category));
  const problems = new Set(rows.map((r) => `${r.category}\u0000${r.problem}`));
  return {
    ok: true,
    summary: {
      categories: categories.size,
      problems: problems.size,
      tasks: rows.length,
      errors: rows.reduce((n, r) => n + r.errors.length, 0),
      warnings: rows.reduce((n, r) => n + r.warnings.length, 0),
    },
    rows,
  };
}

function previewRow(
  r: TSheetRow,
  hasParticipantsColumn: boolean,
  index: ReturnType<typeof buildNameIndex>,
  leaders: { list: TDirectoryUser[]; index: Map<string, string[]> },
  people: Map<string, string[]>,
  options: TPreviewOptions,
): TPreviewRow {
  const errors: TCellIssue[] = [...r.issues.errors];
  const warnings: TCellIssue[] = [...r.issues.warnings];
  const cellOf = (field: keyof TSheetRow['cells']) => r.cells[field] ?? `第${r.row}行`;
  const error = (field: keyof TSheetRow['cells'], message: string) =>
    errors.push({ cell: r.cells[field] ?? null, field, message: `${cellOf(field)}：${message}` });
  const warning = (field: keyof TSheetRow['cells'], message: string) =>
    warnings.push({ cell: r.cells[field] ?? null, field, message: `${cellOf(field)}：${message}` });

  if (r.measure === '') error('measure', '整改措施为空');
  else if (r.measure.length > MAX.measure) error('measure', `整改措施过长（超过 ${MAX.measure} 字）`);
  if (r.problem === '') error('problem', '具体问题为空（上方也没有可沿用的问题）');
  else if (r.problem.length > MAX.problem) error('problem', `具体问题过长（超过 ${MAX.problem} 字）`);
  const category = r.category === '' ? '未分类' : r.category;
  if (category.length > MAX.category) error('category', `问题类别过长（超过 ${MAX.category} 字）`);
  if (r.target.length > MAX.target) error('target', `整改目标过长（超过 ${MAX.target} 字）`);

  const units = resolveUnits(
    {
      lead: r.cells.leadUnit ? { cell: r.cells.leadUnit, text: r.leadUnitText } : null,
      participants:
        hasParticipantsColumn && r.cells.participants ? { cell: r.cells.participants, text: r.participantsText } : null,
    },
    index,
    options.defaultLeadUnitId,
  );
  for (const e of units.errors) errors.push({ cell: e.cell, field: 'leadUnit', message: e.message });
  for (const w of units.warnings) warnings.push({ cell: w.cell, field: 'leadUnit', message: w.message });

  let leaderId: string | null = null;
  if (r.leaderText !== '') {
    const matched = matchPeople(r.leaderText, leaders.index);
    if (matched.length === 1) leaderId = matched[0];
    else if (matched.length > 1) {
      leaderId = matched[0];
      warning('leader', `牵头领导写了多人，任务由第一位（${nameOf(leaders.list, matched[0])}）牵头签批`);
    }
  }
  if (!leaderId) {
    if (options.defaultLeaderId) {
      leaderId = options.defaultLeaderId;
      if (r.leaderText !== '') warning('leader', `通讯录中没有牵头领导“${r.leaderText}”，采用本轮默认牵头领导`);
    } else {
      error(
        'leader',
        r.leaderText === '' ? '没有牵头领导，且本轮没有默认牵头领导' : `通讯录中没有牵头领导“${r.leaderText}”`,
      );
    }
  }
  const responsible = r.responsibleText === '' ? [] : matchPeople(r.responsibleText, people);

  let deadline: TDeadline | null = null;
  if (r.deadlineText === '') error('deadline', '整改时限为空');
  else {
    const parsed = parseDeadlineText(r.deadlineText, {
      assignedOn: options.assignedOn,
      immediateDays: options.immediateDays,
    });
    if (parsed.ok) {
      deadline = parsed.value;
      const outside =
        deadline.kind === 'long_term'
          ? null
          : deadline.date < '2000-01-01' || deadline.date > '2199-12-31'
            ? `整改时限“${r.deadlineText}”不在 2000—2199 年之间`
            : options.feedbackDate
              ? outsideLifecycleWindow(deadline.date, { today: options.assignedOn, feedbackDate: options.feedbackDate })
              : null;
      if (outside) {
        error('deadline', outside);
        deadline = null;
      }
    } else
      error('deadline', `无法识别的整改时限“${r.deadlineText}”（可写“2026年6月30日前完成”“立行立改”“长期坚持”等）`);
  }
  for (const [field, value] of [
    ['leader', r.leaderText],
    ['responsible', r.responsibleText],
    ['deadline', r.deadlineText],
  ] as const) {
    if (value.length > MAX.text) error(field, `内容过长（超过 ${MAX.text} 字）`);
  }

  return {
    row: r.row,
    category,
    problem: r.problem,
    measure: r.measure,
    target: r.target === '' ? null : r.target,
    leadUnitId: units.leadUnitId,
    participatingUnitIds: units.participatingUnitIds,
    leaderText: r.leaderText === '' ? null : r.leaderText,
    leaderId,
    responsiblePersonText: r.responsibleText === '' ? null : r.responsibleText,
    responsiblePersonId: responsible.length === 1 ? responsible[0] : null,
    deadlineText: r.deadlineText,
    deadline,
    errors,
    warnings,
  };
}

/** A person's name as plans write it: without the note in parentheses the directory may add ("李主任（牵头领导）"). */
export function bareName(name: string): string {
  return normaliseName(name).replace(/\([^()]*\)$/, '');
}

/** People by the names a cell may use for them (full, or without the note), built once per preview. */
export function peopleIndex(users: TDirectoryUser[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const u of users) {
    for (const key of new Set([normaliseName(u.name), bareName(u.name)])) {
      const ids = index.get(key) ?? [];
      ids.push(u.id);
      index.set(key, ids);
    }
  }
  return index;
}

/** The ids of the people a cell names, in its order, each name matched exactly (with or without the note). */
export function matchPeople(text: string, people: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const part of splitUnitCell(text)) {
    const hits = people.get(normaliseName(part)) ?? [];
    if (hits.length === 1 && !out.includes(hits[0])) out.push(hits[0]);
  }
  return out;
}

function nameOf(users: TDirectoryUser[], id: string): string {
  return users.find((u) => u.id === id)?.name ?? id;
}
