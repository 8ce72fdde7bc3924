/**
 * Unit groups: the admin's named groups (UnitGroup, e.g. 具有执法职能的省(中)直各部门) and the built-in ones the
 * tree answers (各市人民政府, 省(中)直各部门), listed together so the screens and the importer agree.
 */
import type { Db } from '../../db/client';
import {
  CITY_GOVERNMENTS_WORDS,
  cityGovernments,
  PROVINCIAL_DEPARTMENTS_WORDS,
  provincialDepartments,
} from '../../domain/import';
import { AppError } from '../errors';
import type { TCreateGroup, TUpdateGroup } from './schemas';
import { aliasesOf, loadDirectorySnapshot } from './snapshot';

export async function listGroups(db: Db) {
  const snapshot = await loadDirectorySnapshot(db);
  return [
    ...snapshot.groups.map((g) => ({ ...g, builtIn: false })),
    {
      id: 'builtin:city-governments',
      name: CITY_GOVERNMENTS_WORDS[0],
      aliases: CITY_GOVERNMENTS_WORDS.slice(1),
      memberUnitIds: cityGovernments(snapshot.units),
      builtIn: true,
    },
    {
      id: 'builtin:provincial-departments',
      name: PROVINCIAL_DEPARTMENTS_WORDS[0],
      aliases: PROVINCIAL_DEPARTMENTS_WORDS.slice(1),
      memberUnitIds: provincialDepartments(snapshot.units),
      builtIn: true,
    },
  ];
}

async function requireUnits(db: Db, ids: string[]): Promise<void> {
  const found = await db.unit.findMany({ where: { id: { in: ids } }, select: { id: true } });
  const known = new Set(found.map((u) => u.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw AppError.validation(`成员单位不存在：${missing.join('、')}`, [
      { code: 'custom', path: ['memberUnitIds'], message: `成员单位不存在：${missing.join('、')}` },
    ]);
  }
}

async function requireNameFree(db: Db, name: string, exceptId: string | null): Promise<void> {
  const other = await db.unitGroup.findUnique({ where: { name } });
  if (other && other.id !== exceptId) throw AppError.conflict(`已有名为“${name}”的单位组`);
}

export async function createGroup(db: Db, body: TCreateGroup): Promise<string> {
  const members = [...new Set(body.memberUnitIds)];
  await requireUnits(db, members);
  await requireNameFree(db, body.name, null);
  const group = await db.$transaction(async (tx) => {
    const created = await tx.unitGroup.create({ data: { name: body.name, aliases: body.aliases ?? [] } });
    if (members.length > 0) {
      await tx.unitGroupMember.createMany({ data: members.map((unitId) => ({ groupId: created.id, unitId })) });
    }
    return created;
  });
  return group.id;
}

export async function updateGroup(db: Db, id: string, body: TUpdateGroup) {
  const group = await db.unitGroup.findUnique({ where: { id } });
  if (!group) throw AppError.notFound(`Unit group ${id} not found`);
  if (body.name !== undefined) await requireNameFree(db, body.name, id);
  const members = body.memberUnitIds ? [...new Set(body.memberUnitIds)] : null;
  if (members) await requireUnits(db, members);
  await db.$transaction(async (tx) => {
    await tx.unitGroup.update({
      where: { id },
      data: {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.aliases !== undefined ? { aliases: body.aliases } : {}),
      },
    });
    if (members) {
      await tx.unitGroupMember.deleteMany({ where: { groupId: id } });
      if (members.length > 0) {
        await tx.unitGroupMember.createMany({ data: members.map((unitId) => ({ groupId: id, unitId })) });
      }
    }
  });
  const after = await db.unitGroup.findUniqueOrThrow({ where: { id }, include: { members: true } });
  return {
    id: after.id,
    name: after.name,
    aliases: aliasesOf(after.aliases),
    memberUnitIds: after.members.map((m) => m.unitId),
    builtIn: false,
  };
}
