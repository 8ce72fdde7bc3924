/**
 * The directory as the importer matches names against it: every unit (with aliases), every named group with its
 * members, every person (active or not: an inactive one is never matched). One read of four tables.
 */
import type { Db } from '../../db/client';
import type { TDirectorySnapshot } from '../../domain/import';

/** A JSON aliases column as a list of strings (anything else is treated as none). */
export function aliasesOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export async function loadDirectorySnapshot(db: Db): Promise<TDirectorySnapshot> {
  const [units, groups, members, users] = await Promise.all([
    db.unit.findMany({ select: { id: true, name: true, aliases: true, level: true, kind: true, parentId: true } }),
    db.unitGroup.findMany({ select: { id: true, name: true, aliases: true } }),
    db.unitGroupMember.findMany({ select: { groupId: true, unitId: true } }),
    db.user.findMany({ select: { id: true, name: true, role: true, unitId: true, active: true } }),
  ]);
  return {
    units: units.map((u) => ({ ...u, aliases: aliasesOf(u.aliases) })),
    groups: groups.map((g) => ({
      id: g.id,
      name: g.name,
      aliases: aliasesOf(g.aliases),
      memberUnitIds: members.filter((m) => m.groupId === g.id).map((m) => m.unitId),
    })),
    users,
  };
}
