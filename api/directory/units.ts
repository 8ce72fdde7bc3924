/**
 * Units: the tree, and the admin's changes to it. Names and aliases are what imports match, so no two units may
 * answer to the same word (409), and a unit cannot move under itself or its own descendant (400).
 */
import type { Db } from '../../db/client';
import { normaliseName } from '../../domain/import';
import { AppError } from '../errors';
import type { TCreateUnit, TUpdateUnit } from './schemas';
import { aliasesOf } from './snapshot';

export interface TUnitNode {
  id: string;
  name: string;
  level: string;
  kind: string;
  parentId: string | null;
  aliases: string[];
  children: TUnitNode[];
}

export async function listUnits(db: Db) {
  const units = await db.unit.findMany({
    select: { id: true, name: true, level: true, kind: true, parentId: true, aliases: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  const items = units.map((u) => ({ ...u, aliases: aliasesOf(u.aliases) }));
  const nodes = new Map<string, TUnitNode>(items.map((u) => [u.id, { ...u, children: [] }]));
  const tree: TUnitNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId ? nodes.get(node.parentId) : undefined;
    if (parent) parent.children.push(node);
    else tree.push(node);
  }
  return { items, tree };
}

function field(path: string, message: string): AppError {
  return AppError.validation(message, [{ code: 'custom', path: [path], message }]);
}

/** 409 when a word (name or alias) of this unit already names another unit. */
async function requireWordsFree(db: Db, words: string[], exceptId: string | null): Promise<void> {
  const wanted = new Set(words.map(normaliseName));
  const units = await db.unit.findMany({ select: { id: true, name: true, aliases: true } });
  for (const u of units) {
    if (u.id === exceptId) continue;
    for (const w of [u.name, ...aliasesOf(u.aliases)]) {
      if (wanted.has(normaliseName(w))) {
        throw AppError.conflict(`“${w}”已是单位“${u.name}”的名称或简称：同一个词不能指两个单位`);
      }
    }
  }
}

export async function createUnit(db: Db, body: TCreateUnit): Promise<string> {
  if (body.parentId !== null && !(await db.unit.findUnique({ where: { id: body.parentId } }))) {
    throw field('parentId', `上级单位不存在：${body.parentId}`);
  }
  await requireWordsFree(db, [body.name, ...(body.aliases ?? [])], null);
  const unit = await db.unit.create({
    data: {
      name: body.name,
      parentId: body.parentId,
      level: body.level,
      kind: body.kind,
      aliases: body.aliases ?? [],
    },
  });
  return unit.id;
}

export async function updateUnit(db: Db, id: string, body: TUpdateUnit) {
  const unit = await db.unit.findUnique({ where: { id } });
  if (!unit) throw AppError.notFound(`Unit ${id} not found`);
  if (body.parentId !== undefined && body.parentId !== null) {
    if (body.parentId === id) throw field('parentId', '单位不能是自己的上级');
    const all = await db.unit.findMany({ select: { id: true, parentId: true } });
    const parentOf = new Map(all.map((u) => [u.id, u.parentId]));
    if (!parentOf.has(body.parentId)) throw field('parentId', `上级单位不存在：${body.parentId}`);
    // Walking up from the new parent must not reach this unit: that would close a cycle.
    const seen = new Set<string>();
    for (let at: string | null | undefined = body.parentId; at; at = parentOf.get(at)) {
      if (at === id) throw field('parentId', '不能把单位移到它自己的下级单位之下');
      if (seen.has(at)) break;
      seen.add(at);
    }
  }
  if (body.name !== undefined || body.aliases !== undefined) {
    await requireWordsFree(db, [body.name ?? unit.name, ...(body.aliases ?? aliasesOf(unit.aliases))], id);
  }
  const updated = await db.unit.update({
    where: { id },
    data: {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.parentId !== undefined ? { parentId: body.parentId } : {}),
      ...(body.level !== undefined ? { level: body.level } : {}),
      ...(body.kind !== undefined ? { kind: body.kind } : {}),
      ...(body.aliases !== undefined ? { aliases: body.aliases } : {}),
    },
  });
  return {
    id: updated.id,
    name: updated.name,
    level: updated.level,
    kind: updated.kind,
    parentId: updated.parentId,
    aliases: aliasesOf(updated.aliases),
  };
}
