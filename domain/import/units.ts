/**
 * Units named in a cell: several per cell (separate lines, or 、，; between them), a unit marked as lead
 * ("省卫生健康委（牵头）", or "省(中)直各部门(省卫生健康委牵头)": a group whose named member leads), and groups
 * ("各市人民政府", "省(中)直各部门", a named UnitGroup) expanded to their units. Who leads is decided by rules, never
 * guessed: a marked unit; else the only unit named; else the one single unit named beside groups; else the import's
 * default lead unit when given; else an error naming the cell.
 */
import { normaliseName, type TDirectorySnapshot, type TDirectoryUnit } from './types';

export interface TUnitMention {
  /** The name as written (parentheses normalised, no spaces). */
  name: string;
  /** Marked as the lead (…牵头). */
  lead: boolean;
}

/** Splits a cell at separators outside parentheses: lines, 、，,；; and whitespace between names. */
export function splitUnitCell(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text.replace(/（/g, '(').replace(/）/g, ')')) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (depth === 0 && /[\n\r、，,；;\s\u00a0\u3000]/.test(ch)) {
      if (current.trim() !== '') parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

const LEAD_INSIDE = /^(.*?)\(([^()]*?)牵头\)$/;
const LEAD_SUFFIX = /^(.*?)(?:\(牵头\)|牵头)$/;
const ROLE_NOTE = /\((?:配合|参与|协办|协助)\)$/;

/** One part of a cell as mentions: "省(中)直各部门(省卫生健康委牵头)" is the group plus its leading member. */
export function parseMention(part: string): TUnitMention[] {
  const text = normaliseName(part).replace(/^责任(?:单位|部门):/, '');
  const inside = LEAD_INSIDE.exec(text);
  if (inside && inside[1] !== '' && inside[2] !== '') {
    return [
      { name: inside[1], lead: false },
      ...inside[2]
        .split(/[、,，;；]/)
        .filter((n) => n !== '')
        .map((name) => ({ name, lead: true })),
    ];
  }
  const suffix = LEAD_SUFFIX.exec(text);
  if (suffix && suffix[1] !== '') return [{ name: suffix[1], lead: true }];
  return [{ name: text.replace(ROLE_NOTE, ''), lead: false }];
}

export function parseUnitCell(text: string): TUnitMention[] {
  return splitUnitCell(text).flatMap(parseMention);
}

/** Built-in groups, resolved from the tree (no UnitGroup row needed). */
export const CITY_GOVERNMENTS_WORDS = [
  '各市人民政府',
  '各市(州)人民政府',
  '各市政府',
  '各市(州)政府',
  '各地级市人民政府',
];
export const PROVINCIAL_DEPARTMENTS_WORDS = [
  '省(中)直各部门',
  '省直各部门',
  '省直有关部门',
  '省(中)直有关部门',
  '省直各有关部门',
  '省(中)直各有关部门',
  '省直相关部门',
];

export type TNamed = { kind: 'unit'; ids: string[] } | { kind: 'group'; name: string; ids: string[] };

/** Every province (a unit of level 'province' with no province above it). */
function provinces(units: TDirectoryUnit[]): TDirectoryUnit[] {
  const byId = new Map(units.map((u) => [u.id, u]));
  return units.filter((u) => {
    if (u.level !== 'province') return false;
    const parent = u.parentId ? byId.get(u.parentId) : undefined;
    return !parent || parent.level !== 'province';
  });
}

/** Ancestors from the unit's parent up to the root (a broken cycle stops the walk). */
function ancestors(unit: TDirectoryUnit, byId: Map<string, TDirectoryUnit>): TDirectoryUnit[] {
  const out: TDirectoryUnit[] = [];
  const seen = new Set<string>([unit.id]);
  let current = unit.parentId ? byId.get(unit.parentId) : undefined;
  while (current && !seen.has(current.id)) {
    out.push(current);
    seen.add(current.id);
    current = current.parentId ? byId.get(current.parentId) : undefined;
  }
  return out;
}

/** 各市人民政府: every city-level government unit under a province. */
export function cityGovernments(units: TDirectoryUnit[]): string[] {
  const byId = new Map(units.map((u) => [u.id, u]));
  const roots = new Set(provinces(units).map((p) => p.id));
  return units
    .filter((u) => u.level === 'city' && u.kind === 'government')
    .filter((u) => ancestors(u, byId).some((a) => roots.has(a.id)))
    .map((u) => u.id);
}

/**
 * 省(中)直各部门: every provincial department — kind 'department', level 'province' or 'department', whose way up to
 * the province passes no city or county (a city's 医政科 is not a provincial department).
 */
export function provincialDepartments(units: TDirectoryUnit[]): string[] {
  const byId = new Map(units.map((u) => [u.id, u]));
  const roots = new Set(provinces(units).map((p) => p.id));
  return units
    .filter((u) => u.kind === 'department' && (u.level === 'province' || u.level === 'department'))
    .filter((u) => {
      const up = ancestors(u, byId);
      const rootAt = up.findIndex((a) => roots.has(a.id));
      return rootAt >= 0 && up.slice(0, rootAt).every((a) => a.level === 'province' || a.level === 'department');
    })
    .map((u) => u.id);
}

/**
 * Every name a cell may use: units by name and alias, named groups by name and alias, then the built-in groups
 * (a named group of the same wording takes precedence: the admin's definition wins).
 */
export function buildNameIndex(snapshot: TDirectorySnapshot): Map<string, TNamed> {
  const index = new Map<string, TNamed>();
  const addUnit = (name: string, id: string) => {
    const key = normaliseName(name);
    if (key === '') return;
    const existing = index.get(key);
    if (existing?.kind === 'unit') {
      if (!existing.ids.includes(id)) existing.ids.push(id);
    } else if (!existing) index.set(key, { kind: 'unit', ids: [id] });
  };
  for (const unit of snapshot.units) {
    addUnit(unit.name, unit.id);
    for (const alias of unit.aliases) addUnit(alias, unit.id);
  }
  const addGroup = (word: string, name: string, ids: string[]) => {
    const key = normaliseName(word);
    if (key !== '' && !index.has(key)) index.set(key, { kind: 'group', name, ids });
  };
  for (const group of snapshot.groups) {
    for (const word of [group.name, ...group.aliases]) addGroup(word, group.name, group.memberUnitIds);
  }
  const cities = cityGovernments(snapshot.units);
  for (const word of CITY_GOVERNMENTS_WORDS) addGroup(word, '各市人民政府', cities);
  const departments = provincialDepartments(snapshot.units);
  for (const word of PROVINCIAL_DEPARTMENTS_WORDS) addGroup(word, '省(中)直各部门', departments);
  return index;
}

export interface TUnitCells {
  /** The lead-unit cell (责任单位 / 牵头单位), with its reference. */
  lead: { cell: string; text: string } | null;
  /** The participants cell (配合单位), when the sheet has that column. */
  participants: { cell: string; text: string } | null;
}

export interface TUnitResolution {
  leadUnitId: string | null;
  participatingUnitIds: string[];
  errors: { cell: string; message: string }[];
  warnings: { cell: string; message: string }[];
}

/** Decides the lead and the participants of one row (rules in the header comment). */
export function resolveUnits(
  cells: TUnitCells,
  index: Map<string, TNamed>,
  defaultLeadUnitId: string | null,
): TUnitResolution {
  const errors: TUnitResolution['errors'] = [];
  const warnings: TUnitResolution['warnings'] = [];
  type TResolved = { cell: string; mention: TUnitMention; named: TNamed; column: 'lead' | 'participants' };
  const resolved: TResolved[] = [];
  for (const column of ['lead', 'participants'] as const) {
    const cell = cells[column];
    if (!cell) continue;
    for (const mention of parseUnitCell(cell.text)) {
      const named = index.get(mention.name);
      if (!named) {
        errors.push({
          cell: cell.cell,
          message: `${cell.cell}：通讯录中没有单位“${mention.name}”（可在通讯录中添加单位或简称）`,
        });
        continue;
      }
      if (named.kind === 'unit' && named.ids.length > 1) {
        errors.push({ cell: cell.cell, message: `${cell.cell}：“${mention.name}”对应多个单位，请写全称` });
        continue;
      }
      if (named.kind === 'group' && named.ids.length === 0) {
        warnings.push({ cell: cell.cell, message: `${cell.cell}：“${mention.name}”在通讯录中没有成员单位` });
      }
      resolved.push({ cell: cell.cell, mention, named, column });
    }
  }
  const leadCell = cells.lead?.cell ?? cells.participants?.cell ?? '表头';
  const marked = resolved.filter((r) => r.mention.lead);
  let leadUnitId: string | null = null;
  const markedIds = new Set(marked.flatMap((r) => r.named.ids));
  if (marked.length > 0) {
    if (marked.some((r) => r.named.kind === 'group')) {
      errors.push({
        cell: marked[0].cell,
        message: `${marked[0].cell}：牵头的应是一个单位，不能是单位组“${marked[0].mention.name}”`,
      });
    } else if (markedIds.size > 1) {
      errors.push({ cell: marked[0].cell, message: `${marked[0].cell}：标明了多个牵头单位，只能有一个` });
    } else {
      leadUnitId = marked[0].named.ids[0];
    }
  } else if (errors.length === 0) {
    // Without a mark, the lead column decides when the sheet has a separate participants column.
    const candidates = cells.participants ? resolved.filter((r) => r.column === 'lead') : resolved;
    const singles = [...new Set(candidates.filter((r) => r.named.kind === 'unit').map((r) => r.named.ids[0]))];
    const groups = candidates.filter((r) => r.named.kind === 'group');
    if (singles.length === 1 && (groups.length > 0 || candidates.every((r) => r.named.kind === 'unit'))) {
      leadUnitId = singles[0];
    } else if (defaultLeadUnitId) {
      leadUnitId = defaultLeadUnitId;
      warnings.push({ cell: leadCell, message: `${leadCell}：未标明牵头单位，采用导入时选择的默认牵头单位` });
    } else if (candidates.length === 0 && resolved.length === 0) {
      errors.push({ cell: leadCell, message: `${leadCell}：责任单位为空` });
    } else {
      errors.push({
        cell: leadCell,
        message: `${leadCell}：无法确定牵头单位，请用“（××牵头）”标明，或在导入时选择默认牵头单位`,
      });
    }
  }
  const participants: string[] = [];
  for (const r of resolved) {
    for (const id of r.named.ids) if (id !== leadUnitId && !participants.includes(id)) participants.push(id);
  }
  return { leadUnitId, participatingUnitIds: participants, errors, warnings };
}
