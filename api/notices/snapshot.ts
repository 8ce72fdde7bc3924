/**
 * A progress notice's snapshot (通报): the campaign's figures as of a date within the issuing office's scope — totals,
 * per category, per lead unit, per leader, and the overdue and red measures with their units — computed exactly as
 * the statistics compute them (api/stats) and frozen in `Notice.snapshot`, so the notice reads the same however the
 * tasks change afterwards.
 */
import { z } from 'zod';
import type { Db, Prisma } from '../../db/client';
import { STATS_DEFINITIONS, type TFigures, type TGroupFigures } from '../../domain/stats/figures';
import { deadlineWording, lightWord, statusWord } from '../../domain/stats/words';
import type { TScope } from '../scope';
import { measureRowsAsOf } from '../stats/campaignStats';
import { figuresBy, problemCategories, unitNames } from '../stats/groups';
import { measuresAsOf, measureWhere, type TRawMeasureRow } from '../stats/measures';

/** Overdue and red measures listed in a notice at most: a notice is read by people, the ledger has the rest. */
export const NOTICE_TASK_LIMIT = 500;

export interface TNoticeTask {
  taskId: string;
  category: string;
  problem: string;
  measure: string;
  unitName: string;
  deadline: string;
  status: string;
  overdue: boolean;
  light: string;
  lightWord: string;
}

export interface TNoticeSnapshot {
  version: 1;
  campaignId: string;
  campaignName: string;
  /** The inspecting body (巡视组…) whose feedback the campaign rectifies. */
  inspectingBody: string;
  asOf: string;
  /** 'current': today's read model; 'audit': rebuilt from the audit trail for a past date. */
  source: 'current' | 'audit';
  generatedAt: string;
  definitions: typeof STATS_DEFINITIONS;
  totals: TFigures;
  byCategory: TGroupFigures[];
  byUnit: TGroupFigures[];
  byLeader: TGroupFigures[];
  /** Overdue or red measures (each once), by unit then deadline. */
  flaggedTasks: TNoticeTask[];
  /** How many overdue or red measures there were in all (the list stops at NOTICE_TASK_LIMIT). */
  flaggedTotal: number;
}

/** The stored snapshot as read back (a row written by this version; anything else is refused as corrupt). */
export const ZNoticeSnapshot = z.looseObject({
  version: z.literal(1),
  campaignName: z.string(),
  asOf: z.string(),
  totals: z.looseObject({ problems: z.number(), measures: z.number(), completionRate: z.number() }),
});

export async function buildNoticeSnapshot(
  db: Db,
  input: {
    campaign: { id: string; name: string; inspectingBody: string };
    scope: TScope;
    asOf: { asOf: string; today: boolean };
    now: Date;
  },
): Promise<TNoticeSnapshot> {
  const { campaign, scope, asOf, now } = input;
  let rows: TRawMeasureRow[];
  let source: 'current' | 'audit';
  let flagged: { id: string; status: string; overdue: boolean; light: string }[];
  if (asOf.today) {
    ({ rows, source } = await measureRowsAsOf(db, campaign.id, scope, asOf, now));
    const where: Prisma.TaskWhereInput = {
      AND: [measureWhere(campaign.id, scope), { OR: [{ overdue: true }, { trafficLight: 'red' }] }],
    };
    flagged = (
      await db.task.findMany({
        where,
        select: { id: true, status: true, overdue: true, trafficLight: true },
      })
    ).map((t) => ({ id: t.id, status: t.status, overdue: t.overdue, light: t.trafficLight }));
  } else {
    const measures = await measuresAsOf(db, campaign.id, scope, asOf.asOf);
    rows = measures;
    source = 'audit';
    flagged = measures.filter((m) => m.overdue || m.light === 'red');
  }
  const [category, unit, leader] = await Promise.all([
    figuresBy(db, campaign.id, rows, 'category'),
    figuresBy(db, campaign.id, rows, 'unit'),
    figuresBy(db, campaign.id, rows, 'leader'),
  ]);
  return {
    version: 1,
    campaignId: campaign.id,
    campaignName: campaign.name,
    inspectingBody: campaign.inspectingBody,
    asOf: asOf.asOf,
    source,
    generatedAt: now.toISOString(),
    definitions: STATS_DEFINITIONS,
    totals: category.totals,
    byCategory: category.groups,
    byUnit: unit.groups,
    byLeader: leader.groups,
    flaggedTasks: await flaggedTasks(db, campaign.id, flagged),
    flaggedTotal: flagged.length,
  };
}

async function flaggedTasks(
  db: Db,
  campaignId: string,
  flagged: readonly { id: string; status: string; overdue: boolean; light: string }[],
): Promise<TNoticeTask[]> {
  const ids = flagged.map((f) => f.id);
  const tasks = new Map<string, Awaited<ReturnType<typeof loadTasks>>[number]>();
  // Bounded batches: SQLite's limit on bound variables.
  for (let i = 0; i < ids.length; i += 900) {
    for (const t of await loadTasks(db, ids.slice(i, i + 900))) tasks.set(t.id, t);
  }
  const [problems, units] = await Promise.all([
    problemCategories(db, campaignId),
    unitNames(
      db,
      [...tasks.values()].map((t) => t.leadUnitId),
    ),
  ]);
  return flagged
    .flatMap((f) => {
      const t = tasks.get(f.id);
      if (!t) return [];
      const problem = problems.get(t.problemId);
      return [
        {
          taskId: t.id,
          category: problem?.category ?? '',
          problem: problem?.title ?? '',
          measure: t.measure,
          unitName: units.get(t.leadUnitId) ?? '',
          deadline: deadlineWording(t),
          deadlineDate: t.deadlineDate ?? '9999-12-31',
          status: statusWord(f.status),
          overdue: f.overdue,
          light: f.light,
          lightWord: lightWord(f.light),
        },
      ];
    })
    .sort(
      (a, b) =>
        a.unitName.localeCompare(b.unitName, 'zh-CN') ||
        a.deadlineDate.localeCompare(b.deadlineDate) ||
        a.taskId.localeCompare(b.taskId),
    )
    .slice(0, NOTICE_TASK_LIMIT)
    .map(({ deadlineDate: _sortOnly, ...task }) => task);
}

function loadTasks(db: Db, ids: string[]) {
  return db.task.findMany({
    where: { id: { in: ids } },
    select: {
      id: true,
      problemId: true,
      measure: true,
      leadUnitId: true,
      deadlineKind: true,
      deadlineDate: true,
      deadlineText: true,
    },
  });
}
