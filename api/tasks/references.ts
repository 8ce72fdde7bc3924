import type { Db } from '../../db/client';
import { AppError } from '../errors';

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
