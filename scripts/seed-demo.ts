/**
 * The demo organisation `npm start` creates on an empty database: a province with its rectification office, its
 * lead leader, a supervisor (the discipline inspection group) and an admin; two cities, each with its own office
 * and leader; under the province and each city, departments with a staff member and a head. Every user gets one
 * random API token and, for the browser, a username and a random password; only the token's SHA-256 and the
 * password's scrypt hash are stored, so the returned list is the only place the tokens and passwords appear.
 */
import type { Db } from '../db/client';
import { generateToken, hashToken, type TRole } from '../api/auth';
import { generatePassword, hashPassword } from '../api/auth/password';

export interface TDemoUser {
  userId: string;
  name: string;
  role: TRole;
  unitId: string;
  token: string;
  /** Sign-in name for the browser. */
  username: string;
  /** The password in clear: shown once by `npm start` (and data/demo-users.json), stored only as its hash. */
  password: string;
}

interface TUnitSpec {
  key: string;
  name: string;
  level: 'province' | 'city' | 'county' | 'department';
  kind: 'government' | 'office' | 'department' | 'discipline';
  parent?: string;
  /** Short names plans use for the unit (matched by the spreadsheet import). */
  aliases?: string[];
}

interface TUserSpec {
  username: string;
  name: string;
  role: TRole;
  unit: string;
}

const UNITS: TUnitSpec[] = [
  {
    key: 'province',
    name: '江南省卫生健康委员会',
    level: 'province',
    kind: 'government',
    aliases: ['省卫生健康委', '省卫健委'],
  },
  { key: 'province-office', name: '省卫健委巡视整改工作办公室', level: 'province', kind: 'office', parent: 'province' },
  {
    key: 'province-discipline',
    name: '驻省卫健委纪检监察组',
    level: 'province',
    kind: 'discipline',
    parent: 'province',
  },
  { key: 'dept-medical', name: '医政医管处', level: 'department', kind: 'department', parent: 'province' },
  { key: 'dept-finance', name: '财务处', level: 'department', kind: 'department', parent: 'province' },
  {
    key: 'city-a',
    name: '东州市卫生健康委员会',
    level: 'city',
    kind: 'government',
    parent: 'province',
    aliases: ['东州市卫健委'],
  },
  { key: 'city-a-office', name: '东州市整改办', level: 'city', kind: 'office', parent: 'city-a' },
  { key: 'city-a-dept', name: '东州市医政科', level: 'department', kind: 'department', parent: 'city-a' },
  {
    key: 'city-b',
    name: '西州市卫生健康委员会',
    level: 'city',
    kind: 'government',
    parent: 'province',
    aliases: ['西州市卫健委'],
  },
  { key: 'city-b-office', name: '西州市整改办', level: 'city', kind: 'office', parent: 'city-b' },
  { key: 'city-b-dept', name: '西州市医政科', level: 'department', kind: 'department', parent: 'city-b' },
];

/**
 * Each discipline unit's jurisdiction (SupervisedUnit): the units it supervises, descendants included, so its
 * supervisors see those tasks and are told of their escalations, and nothing else.
 */
const JURISDICTION: { discipline: string; units: string[] }[] = [
  { discipline: 'province-discipline', units: ['dept-medical', 'dept-finance', 'city-a', 'city-b'] },
];

const USERS: TUserSpec[] = [
  { username: 'office', name: '王整改（省整改办）', role: 'office', unit: 'province-office' },
  { username: 'leader', name: '李主任（牵头领导）', role: 'leader', unit: 'province' },
  { username: 'supervisor', name: '赵组长（纪检监察组）', role: 'supervisor', unit: 'province-discipline' },
  { username: 'admin', name: '系统管理员', role: 'admin', unit: 'province' },
  { username: 'medical_staff', name: '陈干事（医政医管处）', role: 'unit_staff', unit: 'dept-medical' },
  { username: 'medical_head', name: '刘处长（医政医管处）', role: 'unit_head', unit: 'dept-medical' },
  { username: 'finance_staff', name: '周干事（财务处）', role: 'unit_staff', unit: 'dept-finance' },
  { username: 'finance_head', name: '吴处长（财务处）', role: 'unit_head', unit: 'dept-finance' },
  { username: 'dongzhou_office', name: '郑整改（东州市整改办）', role: 'office', unit: 'city-a-office' },
  { username: 'dongzhou_leader', name: '孙主任（东州市领导）', role: 'leader', unit: 'city-a' },
  { username: 'dongzhou_staff', name: '钱干事（东州市医政科）', role: 'unit_staff', unit: 'city-a-dept' },
  { username: 'dongzhou_head', name: '冯科长（东州市医政科）', role: 'unit_head', unit: 'city-a-dept' },
  { username: 'xizhou_office', name: '何整改（西州市整改办）', role: 'office', unit: 'city-b-office' },
  { username: 'xizhou_leader', name: '许主任（西州市领导）', role: 'leader', unit: 'city-b' },
  { username: 'xizhou_staff', name: '韩干事（西州市医政科）', role: 'unit_staff', unit: 'city-b-dept' },
  { username: 'xizhou_head', name: '杨科长（西州市医政科）', role: 'unit_head', unit: 'city-b-dept' },
  // Deputies who could hold the office's and the leader's sign-off levels (same role, same unit): 委托签批 needs them.
  { username: 'deputy_leader', name: '张副主任（省领导）', role: 'leader', unit: 'province' },
  { username: 'office2', name: '孙整改（省整改办）', role: 'office', unit: 'province-office' },
];

/** A demo user's email address (for the delivery channels; written beside the user in data/demo-users.json). */
export function demoEmail(username: string): string {
  return `${username}@zhenggai.example.cn`;
}

/** Creates the demo organisation on an empty database; on a database that has units already, does nothing. */
export async function seedDemo(db: Db): Promise<TDemoUser[]> {
  // A cheap look first, so a restart does not pay for 16 password hashes it would throw away.
  if ((await db.unit.count()) > 0) return [];
  // Hashed before the transaction, all at once: scrypt runs on libuv's thread pool, so 16 hashes take a few of
  // them in wall time (≈ 0.8 s on 2 cores) instead of holding a write transaction open for 16 in a row.
  const passwords = USERS.map(() => generatePassword());
  const passwordHashes = await Promise.all(passwords.map((p) => hashPassword(p)));
  return db.$transaction(async (tx) => {
    // Checked again inside the transaction: two processes starting at once cannot both seed.
    if ((await tx.unit.count()) > 0) return [];
    const unitIds = new Map<string, string>();
    for (const spec of UNITS) {
      const parentId = spec.parent ? unitIds.get(spec.parent) : undefined;
      const unit = await tx.unit.create({
        data: {
          name: spec.name,
          level: spec.level,
          kind: spec.kind,
          parentId: parentId ?? null,
          aliases: spec.aliases ?? [],
        },
      });
      unitIds.set(spec.key, unit.id);
    }
    for (const { discipline, units } of JURISDICTION) {
      await tx.supervisedUnit.createMany({
        data: units.map((key) => ({ disciplineUnitId: unitIds.get(discipline)!, unitId: unitIds.get(key)! })),
      });
    }
    const users: TDemoUser[] = [];
    for (const [i, spec] of USERS.entries()) {
      const unitId = unitIds.get(spec.unit)!;
      const user = await tx.user.create({
        data: {
          name: spec.name,
          role: spec.role,
          unitId,
          username: spec.username,
          passwordHash: passwordHashes[i],
          email: demoEmail(spec.username),
        },
      });
      const token = generateToken();
      await tx.apiToken.create({ data: { userId: user.id, tokenHash: hashToken(token) } });
      users.push({
        userId: user.id,
        name: spec.name,
        role: spec.role,
        unitId,
        token,
        username: spec.username,
        password: passwords[i],
      });
    }
    return users;
  });
}
