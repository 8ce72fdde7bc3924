/**
 * Figures per category, lead unit or leader from the measure rows (api/stats/measures.ts), with the groups' names
 * looked up in one query per kind.
 */
import type { Db } from '../../db/client';
import {
  groupFigures,
  totalsOf,
  type TGroupFigures,
  type TMeasureRow,
  type TFigures,
} from '../../domain/stats/figures';
import type { TRawMeasureRow, TStatsBy } from './measures';

/** A leader group's key: the plan's wording when the task kept one (imported), else the leader user. */
export function leaderKey(row: { leaderId: string; leaderText: string | null }): string {
  return row.leaderText ? `text:${row.leaderText}` : row.leaderId;
}

/** The problems of a campaign with their category (id and name). */
export async function problemCategories(
  db: Db,
  campaignId: string,
): Promise<Map<string, { categoryId: string; category: string; title: string }>> {
  const problems = await db.problem.findMany({
    where: { campaignId },
    select: { id: true, title: true, categoryId: true, category: { select: { name: true } } },
  });
  return new Map(problems.map((p) => [p.id, { categoryId: p.categoryId, category: p.category.name, title: p.title }]));
}

export async function unitNames(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  const units = await db.unit.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, name: true } });
  return new Map(units.map((u) => [u.id, u.name]));
}

export async function userNames(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  const users = await db.user.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, name: true } });
  return new Map(users.map((u) => [u.id, u.name]));
}

export interface TFiguresBy {
  totals: TFigures;
  groups: TGroupFigures[];
}

/** Totals and the groups under `by`. */
export async function figuresBy(
  db: Db,
  campaignId: string,
  rows: readonly TRawMeasureRow[],
  by: TStatsBy,
): Promise<TFiguresBy> {
  const totals = totalsOf(rows.map((r) => ({ ...r, key: '' })));
  if (by === 'category') {
    const categories = await problemCategories(db, campaignId);
    const names = new Map([...categories.values()].map((c) => [c.categoryId, c.category]));
    const keyed: TMeasureRow[] = rows.map((r) => ({ ...r, key: categories.get(r.problemId)?.categoryId ?? '' }));
    return { totals, groups: groupFigures(keyed, (k) => names.get(k) ?? (k === '' ? '（未分类）' : undefined)) };
  }
  if (by === 'unit') {
    const names = await unitNames(
      db,
      rows.map((r) => r.leadUnitId),
    );
    return {
      totals,
      groups: groupFigures(
        rows.map((r) => ({ ...r, key: r.leadUnitId })),
        (k) => names.get(k),
      ),
    };
  }
  const names = await userNames(
    db,
    rows.map((r) => r.leaderId),
  );
  const keyed = rows.map((r) => ({ ...r, key: leaderKey(r) }));
  return {
    totals,
    groups: groupFigures(keyed, (k) => (k.startsWith('text:') ? k.slice('text:'.length) : names.get(k))),
  };
}
