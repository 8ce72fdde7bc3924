/**
 * The directory spreadsheet: sheet 单位 (单位名称 · 上级单位 · 层级 · 类型 · 简称) and sheet 人员 (姓名 · 用户名 ·
 * 角色 · 所属单位 · 邮箱 · 手机). Pure: cells in, planned units and people out, each problem naming its cell. A parent
 * or a person's unit may be a unit already in the directory or one the same sheet adds (in any row order).
 */
import { ROLES, type TRole } from '../policy';
import { cellRef, normaliseName, type TCellIssue, type TDirectorySnapshot, type TGrid } from './types';
import { splitUnitCell } from './units';

const UNIT_HEADERS = {
  name: ['单位名称', '单位', '名称'],
  parent: ['上级单位', '上级', '上级单位名称'],
  level: ['层级', '级别'],
  kind: ['类型', '单位类型'],
  aliases: ['简称', '别名', '简称/别名'],
} as const;
const USER_HEADERS = {
  name: ['姓名'],
  username: ['用户名', '登录名', '账号'],
  role: ['角色'],
  unit: ['所属单位', '单位'],
  email: ['邮箱', '电子邮箱', 'email'],
  phone: ['手机', '手机号', '手机号码', '电话'],
} as const;

const LEVEL_WORDS: Record<string, string> = {
  province: 'province',
  省: 'province',
  省级: 'province',
  city: 'city',
  市: 'city',
  市级: 'city',
  county: 'county',
  县: 'county',
  县级: 'county',
  区: 'county',
  区县: 'county',
  department: 'department',
  部门: 'department',
};
const KIND_WORDS: Record<string, string> = {
  government: 'government',
  政府: 'government',
  人民政府: 'government',
  机关: 'government',
  office: 'office',
  办公室: 'office',
  整改办: 'office',
  department: 'department',
  部门: 'department',
  处室: 'department',
  leading_group: 'leading_group',
  领导小组: 'leading_group',
  discipline: 'discipline',
  纪检: 'discipline',
  纪检监察: 'discipline',
  纪检监察组: 'discipline',
};
const ROLE_WORDS: Record<string, TRole> = {
  ...(Object.fromEntries(ROLES.map((r) => [r, r])) as Record<string, TRole>),
  经办人: 'unit_staff',
  责任单位经办人: 'unit_staff',
  负责人: 'unit_head',
  责任单位负责人: 'unit_head',
  整改办: 'office',
  牵头领导: 'leader',
  领导: 'leader',
  纪检监督: 'supervisor',
  监督: 'supervisor',
  系统管理员: 'admin',
  管理员: 'admin',
};

export interface TPlannedUnit {
  row: number;
  name: string;
  parentName: string | null;
  level: string | null;
  kind: string | null;
  aliases: string[];
  errors: TCellIssue[];
  warnings: TCellIssue[];
}

export interface TPlannedUser {
  row: number;
  name: string;
  username: string;
  role: TRole | null;
  unitName: string;
  email: string | null;
  phone: string | null;
  errors: TCellIssue[];
  warnings: TCellIssue[];
}

export interface TDirectoryPlan {
  units: TPlannedUnit[];
  users: TPlannedUser[];
  summary: { units: number; users: number; errors: number; warnings: number };
}

function headerRow<K extends string>(grid: TGrid, words: Record<K, readonly string[]>) {
  for (let r = 0; r < Math.min(grid.rows.length, 10); r++) {
    const columns: Partial<Record<K, number>> = {};
    for (const [c, text] of (grid.rows[r] ?? []).entries()) {
      const word = normaliseName(text ?? '').toLowerCase();
      for (const key of Object.keys(words) as K[]) {
        if (columns[key] === undefined && words[key].some((w) => w.toLowerCase() === word)) columns[key] = c;
      }
    }
    if (Object.keys(columns).length >= 2) return { rowIndex: r, columns };
  }
  return null;
}

export function planDirectory(
  sheets: { units: TGrid | null; users: TGrid | null },
  directory: TDirectorySnapshot,
): { ok: true; plan: TDirectoryPlan } | { ok: false; message: string } {
  if (!sheets.units && !sheets.users) return { ok: false, message: '没有找到名为“单位”或“人员”的工作表' };
  const units: TPlannedUnit[] = [];
  const users: TPlannedUser[] = [];
  const known = new Set(directory.units.flatMap((u) => [u.name, ...u.aliases].map(normaliseName)));
  if (sheets.units) {
    const header = headerRow(sheets.units, UNIT_HEADERS);
    if (!header || header.columns.name === undefined) return { ok: false, message: '工作表“单位”没有“单位名称”列' };
    const seen = new Set<string>();
    for (let r = header.rowIndex + 1; r < sheets.units.rows.length; r++) {
      const cells = sheets.units.rows[r] ?? [];
      const at = (k: keyof typeof UNIT_HEADERS) =>
        header.columns[k] === undefined ? '' : (cells[header.columns[k]!] ?? '').trim();
      const ref = (k: keyof typeof UNIT_HEADERS) => cellRef(r, header.columns[k] ?? 0);
      if (Object.keys(header.columns).every((k) => at(k as keyof typeof UNIT_HEADERS) === '')) continue;
      const errors: TCellIssue[] = [];
      const warnings: TCellIssue[] = [];
      const name = at('name');
      const level = LEVEL_WORDS[at('level')] ?? null;
      const kind = KIND_WORDS[at('kind') === '' ? '部门' : at('kind')] ?? null;
      if (name === '') errors.push({ cell: ref('name'), field: 'name', message: `${ref('name')}：单位名称为空` });
      else if (seen.has(normaliseName(name)))
        errors.push({ cell: ref('name'), field: 'name', message: `${ref('name')}：单位“${name}”在表中重复` });
      else if (known.has(normaliseName(name)))
        warnings.push({ cell: ref('name'), field: 'name', message: `${ref('name')}：通讯录中已有“${name}”，不再新建` });
      if (!level)
        errors.push({ cell: ref('level'), field: 'level', message: `${ref('level')}：层级应为 省/市/县/部门` });
      if (!kind)
        errors.push({
          cell: ref('kind'),
          field: 'kind',
          message: `${ref('kind')}：类型应为 政府/办公室/部门/领导小组/纪检`,
        });
      seen.add(normaliseName(name));
      units.push({
        row: r + 1,
        name,
        parentName: at('parent') === '' ? null : at('parent'),
        level,
        kind,
        aliases: splitUnitCell(at('aliases')),
        errors,
        warnings,
      });
    }
    const inSheet = new Set(units.flatMap((u) => [u.name, ...u.aliases].map(normaliseName)));
    for (const u of units) {
      if (u.parentName && !known.has(normaliseName(u.parentName)) && !inSheet.has(normaliseName(u.parentName))) {
        const cell = cellRef(u.row - 1, header.columns.parent ?? 0);
        u.errors.push({
          cell,
          field: 'parent',
          message: `${cell}：上级单位“${u.parentName}”不在通讯录中，也不在本表中`,
        });
      }
    }
  }
  if (sheets.users) {
    const header = headerRow(sheets.users, USER_HEADERS);
    if (!header || header.columns.name === undefined || header.columns.username === undefined) {
      return { ok: false, message: '工作表“人员”应有“姓名”和“用户名”列' };
    }
    // A person's unit may be named by a unit's alias, in the directory or in the sheet.
    const unitNames = new Set([...known, ...units.flatMap((u) => [u.name, ...u.aliases].map(normaliseName))]);
    const usernames = new Set<string>();
    for (let r = header.rowIndex + 1; r < sheets.users.rows.length; r++) {
      const cells = sheets.users.rows[r] ?? [];
      const at = (k: keyof typeof USER_HEADERS) =>
        header.columns[k] === undefined ? '' : (cells[header.columns[k]!] ?? '').trim();
      const ref = (k: keyof typeof USER_HEADERS) => cellRef(r, header.columns[k] ?? 0);
      if (Object.keys(header.columns).every((k) => at(k as keyof typeof USER_HEADERS) === '')) continue;
      const errors: TCellIssue[] = [];
      const err = (k: keyof typeof USER_HEADERS, message: string) =>
        errors.push({ cell: ref(k), field: k, message: `${ref(k)}：${message}` });
      const username = at('username');
      const role = ROLE_WORDS[at('role')] ?? null;
      if (at('name') === '') err('name', '姓名为空');
      if (!/^[A-Za-z0-9_.-]{2,64}$/.test(username))
        err('username', '用户名只能含字母、数字、下划线、点和连字符（2–64 位）');
      else if (usernames.has(username)) err('username', `用户名“${username}”在表中重复`);
      if (!role) err('role', '角色应为 经办人/负责人/整改办/牵头领导/纪检监督/系统管理员');
      if (!unitNames.has(normaliseName(at('unit'))))
        err('unit', `所属单位“${at('unit')}”不在通讯录中，也不在“单位”表中`);
      if (at('email') !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(at('email'))) err('email', '邮箱格式不正确');
      if (at('phone') !== '' && !/^\+?[0-9 -]{5,20}$/.test(at('phone'))) err('phone', '手机号码格式不正确');
      usernames.add(username);
      users.push({
        row: r + 1,
        name: at('name'),
        username,
        role,
        unitName: at('unit'),
        email: at('email') === '' ? null : at('email'),
        phone: at('phone') === '' ? null : at('phone'),
        errors,
        warnings: [],
      });
    }
  }
  const all = [...units, ...users];
  return {
    ok: true,
    plan: {
      units,
      users,
      summary: {
        units: units.length,
        users: users.length,
        errors: all.reduce((n, x) => n + x.errors.length, 0),
        warnings: all.reduce((n, x) => n + x.warnings.length, 0),
      },
    },
  };
}
