/**
 * Read scope: which tasks a caller may see. Decision rules (who may sign, review, report) belong to the workflow's
 * validators; the API decides only visibility and who may create.
 * - admin: everything;
 * - supervisor: the jurisdiction of their discipline unit (SupervisedUnit rows naming it, each unit with all its
 *   descendants): a discipline-inspection group supervises the units assigned to it, not the whole system;
 * - office: every unit of its level (the office's parent unit and all below it: a province office sees its cities);
 * - leader: every unit under the leader's unit, and every task they lead;
 * - unit staff and heads: tasks their own unit leads or takes part in.
 */
import type { Db } from '../db/client';
import { dateOf } from '../domain/calendar';
import { directoryVersion } from './readCache';
import type { TApiActor } from './auth';
import { AppError } from './errors';

/**
 * `all`: every task. Otherwise the tasks led by one of `unitIds`, those `leaderId` leads, and those one of `unitIds`
 * takes part in although another unit leads them: `crossTaskIds` lists the latter when there are few (the usual case),
 * so the scope is an indexed `IN` on the task's own columns; `undefined` means too many to list, and the scope then
 * asks the participants table row by row (correct, but a scan at 10⁵ tasks).
 */
export type TScope = { all: true } | { all: false; unitIds: string[]; leaderId?: string; crossTaskIds?: string[] };

/** Beyond this many cross-unit participations a scope keeps the participants subquery instead of an id list. */
export const CROSS_TASK_IDS_MAX = 2_000;

export async function scopeOf(db: Db, actor: TApiActor): Promise<TScope> {
  const units = await scopeUnitsOf(db, actor);
  return unitScope(db, units, units.leaderId);
}

/** The units whose tasks the caller sees (and the leader whose tasks they see), before any task is looked at. */
async function scopeUnitsOf(
  db: Db,
  actor: TApiActor,
): Promise<{ ids: string[]; everyUnit: boolean; leaderId?: string }> {
  switch (actor.role) {
    case 'admin':
      return { ids: [], everyUnit: true };
    case 'supervisor':
      return jurisdictionUnits(db, actor.unitId);
    case 'office': {
      const tree = await unitTree(db);
      return subtreesIn(tree, [tree.parentOf.get(actor.unitId) ?? actor.unitId]);
    }
    case 'leader':
      return { ...(await subtreesOf(db, [actor.unitId])), leaderId: actor.userId };
    default:
      return { ids: [actor.unitId], everyUnit: false };
  }
}

/**
 * The scope of a set of units. Units that are the whole directory see every task (each task is led by a unit of the
 * directory), which spares the province's office and leaders a predicate over 10⁵ rows.
 */
async function unitScope(db: Db, units: { ids: string[]; everyUnit: boolean }, leaderId?: string): Promise<TScope> {
  if (units.everyUnit) return { all: true };
  const base = { all: false as const, unitIds: units.ids, ...(leaderId ? { leaderId } : {}) };
  if (units.ids.length === 0) return { ...base, crossTaskIds: [] };
  const cross = await db.taskParticipant.findMany({
    where: { unitId: { in: units.ids }, task: { leadUnitId: { notIn: units.ids } } },
    select: { taskId: true },
    take: CROSS_TASK_IDS_MAX + 1,
  });
  if (cross.length > CROSS_TASK_IDS_MAX) return base;
  return { ...base, crossTaskIds: [...new Set(cross.map((c) => c.taskId))] };
}

/**
 * The units a discipline unit supervises: every unit its SupervisedUnit rows list, with all their descendants. A
 * discipline unit without rows supervises nothing (its supervisors see no task), never everything.
 */
export async function jurisdictionOf(db: Db, disciplineUnitId: string): Promise<string[]> {
  return (await jurisdictionUnits(db, disciplineUnitId)).ids;
}

async function jurisdictionUnits(db: Db, disciplineUnitId: string): Promise<{ ids: string[]; everyUnit: boolean }> {
  const rows = await db.supervisedUnit.findMany({ where: { disciplineUnitId }, select: { unitId: true } });
  const listed = rows.map((r) => r.unitId);
  return listed.length === 0 ? { ids: [], everyUnit: false } : subtreesOf(db, listed);
}

/** A unit and all its descendants. Organisations have tens to hundreds of units: one query, walked in memory. */
export async function subtree(db: Db, rootId: string): Promise<string[]> {
  return (await subtreesOf(db, [rootId])).ids;
}

/** Several units and all their descendants, each once. */
export async function subtrees(db: Db, rootIds: string[]): Promise<string[]> {
  return (await subtreesOf(db, rootIds)).ids;
}

/** Several units and all their descendants, each once, and whether they are every unit of the directory. */
async function subtreesOf(db: Db, rootIds: string[]): Promise<{ ids: string[]; everyUnit: boolean }> {
  return subtreesIn(await unitTree(db), rootIds);
}

function subtreesIn(tree: TUnitTree, rootIds: string[]): { ids: string[]; everyUnit: boolean } {
  const out: string[] = [];
  const queue = [...rootIds];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
    queue.push(...(tree.children.get(id) ?? []));
  }
  const known = out.filter((id) => tree.parentOf.has(id)).length;
  return { ids: out, everyUnit: tree.parentOf.size > 0 && known === tree.parentOf.size };
}

/** Every unit's parent (null for a root), and every unit's children. */
interface TUnitTree {
  parentOf: Map<string, string | null>;
  children: Map<string, string[]>;
}

/**
 * The directory's tree, read once per version of the units (`directoryVersion`) per process. Every request asks for a
 * scope, and a province's directory holds thousands of units: reading them all per request grew with the directory.
 * A unit moved, added or removed moves the version, so the next scope is computed from the new tree. A read that
 * fails is forgotten; reads of one version in flight are shared.
 */
const trees = new WeakMap<Db, { version: string; tree: Promise<TUnitTree> }>();

async function unitTree(db: Db): Promise<TUnitTree> {
  const version = await directoryVersion(db);
  const hit = trees.get(db);
  if (version !== null && hit?.version === version) return hit.tree;
  const tree = db.unit.findMany({ select: { id: true, parentId: true } }).then((units): TUnitTree => {
    const parentOf = new Map<string, string | null>();
    const children = new Map<string, string[]>();
    for (const u of units) {
      parentOf.set(u.id, u.parentId);
      if (!u.parentId) continue;
      const list = children.get(u.parentId) ?? [];
      list.push(u.id);
      children.set(u.parentId, list);
    }
    return { parentOf, children };
  });
  if (version === null) return tree;
  const entry = { version, tree };
  trees.set(db, entry);
  tree.catch(() => {
    if (trees.get(db) === entry) trees.delete(db);
  });
  return tree;
}

/** A Prisma `where` for the tasks in scope. */
export function taskScopeWhere(scope: TScope) {
  if (scope.all) return {};
  return {
    OR: [
      { leadUnitId: { in: scope.unitIds } },
      // No clause at all when there are none: an empty `IN ()` becomes `OR 1=0`, which keeps SQLite off the index.
      ...(scope.crossTaskIds === undefined
        ? [{ participants: { some: { unitId: { in: scope.unitIds } } } }]
        : scope.crossTaskIds.length > 0
          ? [{ id: { in: scope.crossTaskIds } }]
          : []),
      ...(scope.leaderId ? [{ leaderId: scope.leaderId }] : []),
    ],
  };
}

export function unitInScope(scope: TScope, unitId: string): boolean {
  return scope.all || scope.unitIds.includes(unitId);
}

/**
 * Whether the task's projected state names this user as a deputy under a delegation in force on `now`'s Shanghai date
 * (a delegation reaches beyond read scope, but only while it runs: not before its first day, not after its last, and
 * not once revoked, since a revocation removes it from the state).
 */
export function isDeputyOn(stateJson: unknown, userId: string, now: Date): boolean {
  const delegations = (stateJson as { delegations?: unknown } | null)?.delegations;
  if (!Array.isArray(delegations)) return false;
  const today = dateOf(now.toISOString());
  return delegations.some((d: unknown) => {
    const { toUserId, from, to } = (d ?? {}) as { toUserId?: unknown; from?: unknown; to?: unknown };
    return toUserId === userId && typeof from === 'string' && typeof to === 'string' && from <= today && today <= to;
  });
}

/**
 * Loads a task the caller may see: 404 when it does not exist, 403 when it exists outside the caller's scope
 * (an internal system: saying "not yours" helps more than pretending it is not there). A deputy under a delegation
 * of the task in force today (`now`: the API's clock) may see it too, or they could not sign for their principal.
 */
export async function requireVisibleTask(db: Db, actor: TApiActor, taskId: string, now: Date): Promise<{ id: string }> {
  // Every decision and task page asks this. For one task the scope is a predicate on that row (its lead unit, its
  // leader, its participants by their index): one statement, without listing the scope's cross-unit tasks and without
  // reading (and parsing) the task's state, which only a deputy's visit needs.
  const units = await scopeUnitsOf(db, actor);
  if (!units.everyUnit) {
    const clauses = [
      ...(units.ids.length > 0
        ? [{ leadUnitId: { in: units.ids } }, { participants: { some: { unitId: { in: units.ids } } } }]
        : []),
      ...(units.leaderId ? [{ leaderId: units.leaderId }] : []),
    ];
    const visible =
      clauses.length > 0 ? await db.task.findFirst({ where: { id: taskId, OR: clauses }, select: { id: true } }) : null;
    if (visible) return { id: visible.id };
  }
  const task = await db.task.findUnique({
    where: { id: taskId },
    select: { id: true, ...(units.everyUnit ? {} : { stateJson: true }) },
  });
  if (!task) throw AppError.notFound(`Task ${taskId} not found`);
  if (units.everyUnit || isDeputyOn((task as { stateJson?: unknown }).stateJson, actor.userId, now)) {
    return { id: task.id };
  }
  throw AppError.forbidden(`Task ${taskId} is outside your scope`);
}
