import type { Db } from '../../db/client';
import type { TApiActor } from '../auth';
import { AppError } from '../errors';
import { scopeOf } from '../scope';

type TPath = (string | number)[];

/**
 * The workflow cannot see the database, so the API checks that the units and leaders a decision names exist (and
 * that a leader holds the leader role, or nobody could sign the leader's level) before sending it: 400 otherwise.
 */
export async function checkUnitsAndLeaders(
  db: Db,
  refs: { units?: [TPath, string][]; leaders?: [TPath, string][] },
): Promise<void> {
  const unitIds = [...new Set((refs.units ?? []).map(([, id]) => id))];
  const leaderIds = [...new Set((refs.leaders ?? []).map(([, id]) => id))];
  const [units, users] = await Promise.all([
    db.unit.findMany({ where: { id: { in: unitIds } }, select: { id: true } }),
    db.user.findMany({ where: { id: { in: leaderIds } }, select: { id: true, role: true } }),
  ]);
  const known = new Set(units.map((u) => u.id));
  const roleOf = new Map(users.map((u) => [u.id, u.role]));
  const issues: { code: 'custom'; path: TPath; message: string }[] = [];
  for (const [path, id] of refs.units ?? []) {
    if (!known.has(id)) issues.push({ code: 'custom', path, message: `Unknown unit ${id}` });
  }
  for (const [path, id] of refs.leaders ?? []) {
    const role = roleOf.get(id);
    if (role !== 'leader') {
      issues.push({ code: 'custom', path, message: role ? `User ${id} is not a leader` : `Unknown user ${id}` });
    }
  }
  if (issues.length > 0) throw AppError.validation(issues.map((i) => i.message).join('; '), issues);
}

/**
 * Offices act only within their level (issue 11): the units and people a caller names when creating, reassigning or
 * splitting a task must lie in the caller's scope — for an office, its parent unit's subtree (`scopeOf`), so a city
 * office names its own city's units and leaders only, while a province office may name its cities'. Admins see
 * everything, so nothing is refused for them; a supervisor's scope is their discipline unit's jurisdiction. 403 in Chinese, naming units and people by name only:
 * refusals never show internal ids. Unknown ids are left to `checkUnitsAndLeaders` (400), which runs first.
 */
export async function requireWithinLevel(
  db: Db,
  actor: TApiActor,
  named: { units?: string[]; users?: string[] },
): Promise<void> {
  const scope = await scopeOf(db, actor);
  if (scope.all) return;
  const inScope = new Set(scope.unitIds);
  const unitIds = [...new Set(named.units ?? [])];
  const userIds = [...new Set(named.users ?? [])];
  const [units, users] = await Promise.all([
    db.unit.findMany({ where: { id: { in: unitIds } }, select: { id: true, name: true } }),
    db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true, unitId: true } }),
  ]);
  const outside = [
    ...units.filter((u) => !inScope.has(u.id)).map((u) => u.name),
    ...users.filter((u) => !inScope.has(u.unitId)).map((u) => u.name),
  ];
  if (outside.length > 0) {
    throw AppError.forbidden(`只能在本级范围内指定责任单位和人员：${[...new Set(outside)].join('、')}不在本级范围内`);
  }
}
