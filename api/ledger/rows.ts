/**
 * The ledger's rows (整改台账): one per measure in the caller's scope (the statistics' measures: a split parent is one
 * row, its children rolled into its progress), ordered by category, problem and creation, with names and wordings
 * resolved. Read in batches by columns (never stateJson): the tasks, then per batch the latest accepted report, the
 * evidence counts, the participating units and the children's progress.
 */
import type { Db } from '../../db/client';
import { dateOf } from '../../domain/calendar';
import { classifyStatus } from '../../domain/stats/figures';
import { chineseDate, deadlineWording, lightWord, statusWord } from '../../domain/stats/words';
import type { TScope } from '../scope';
import { problemCategories, unitNames, userNames } from '../stats/groups';
import { measureWhere } from '../stats/measures';
import { refreshStaleLights } from '../tasks/light';
import { taskScopeWhere } from '../scope';

export interface TLedgerRow {
  no: number;
  taskId: string;
  categoryId: string;
  category: string;
  problemId: string;
  problem: string;
  measure: string;
  leader: string;
  leadUnit: string;
  participants: string;
  deadline: string;
  progress: string;
  completion: string;
  light: 'red' | 'yellow' | 'green';
  lightWord: string;
  evidence: number;
  closedOn: string;
}

/** Task ids per query of the per-batch reads: well under SQLite's bound on bound variables. */
const BATCH = 900;

export async function ledgerRows(db: Db, campaignId: string, scope: TScope, now: Date): Promise<TLedgerRow[]> {
  await refreshStaleLights(db, { campaignId, ...taskScopeWhere(scope) }, now);
  const tasks = await db.task.findMany({
    where: measureWhere(campaignId, scope),
    select: {
      id: true,
      problemId: true,
      measure: true,
      leadUnitId: true,
      leaderId: true,
      leaderText: true,
      deadlineKind: true,
      deadlineDate: true,
      deadlineText: true,
      status: true,
      trafficLight: true,
      closedAt: true,
      createdAt: true,
      importKey: true,
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  const [problems, leaders] = await Promise.all([
    problemCategories(db, campaignId),
    userNames(
      db,
      tasks.filter((t) => !t.leaderText).map((t) => t.leaderId),
    ),
  ]);

  const progress = new Map<string, string>();
  const evidence = new Map<string, number>();
  const participantIds = new Map<string, string[]>();
  const children = new Map<string, { total: number; done: number }>();
  for (let i = 0; i < tasks.length; i += BATCH) {
    const ids = tasks.slice(i, i + BATCH).map((t) => t.id);
    const [reports, files, participants, kids] = await Promise.all([
      db.report.findMany({
        where: { taskId: { in: ids }, status: 'accepted' },
        select: { taskId: true, progress: true },
        orderBy: [{ period: 'desc' }, { round: 'desc' }, { version: 'desc' }],
      }),
      db.evidence.groupBy({ by: ['taskId'], where: { taskId: { in: ids } }, _count: { _all: true } }),
      db.taskParticipant.findMany({ where: { taskId: { in: ids } }, select: { taskId: true, unitId: true } }),
      db.task.groupBy({ by: ['parentTaskId', 'status'], where: { parentTaskId: { in: ids } }, _count: { _all: true } }),
    ]);
    // Newest first: the first accepted report met per task is its latest.
    for (const r of reports) if (!progress.has(r.taskId)) progress.set(r.taskId, r.progress);
    for (const f of files) evidence.set(f.taskId, f._count._all);
    for (const p of participants) participantIds.set(p.taskId, [...(participantIds.get(p.taskId) ?? []), p.unitId]);
    for (const k of kids) {
      const c = children.get(k.parentTaskId!) ?? { total: 0, done: 0 };
      c.total += k._count._all;
      if (classifyStatus(k.status) !== 'inProgress') c.done += k._count._all;
      children.set(k.parentTaskId!, c);
    }
  }
  const units = await unitNames(db, [...tasks.map((t) => t.leadUnitId), ...[...participantIds.values()].flat()]);

  // Tasks created by one request share their instant: an imported one keeps its sheet row ('<importId>:<row>').
  const sheetRow = (t: { importKey: string | null }) => Number(/:(\d+)$/.exec(t.importKey ?? '')?.[1] ?? 0);
  tasks.sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || sheetRow(a) - sheetRow(b) || a.id.localeCompare(b.id),
  );
  // Categories in the order their first measure was created; problems likewise within their category.
  const categoryOrder = new Map<string, number>();
  const problemOrder = new Map<string, number>();
  for (const t of tasks) {
    const categoryId = problems.get(t.problemId)?.categoryId ?? '';
    if (!categoryOrder.has(categoryId)) categoryOrder.set(categoryId, categoryOrder.size);
    if (!problemOrder.has(t.problemId)) problemOrder.set(t.problemId, problemOrder.size);
  }
  const ordered = tasks
    .map((t, index) => ({ t, index, categoryId: problems.get(t.problemId)?.categoryId ?? '' }))
    .sort(
      (a, b) =>
        categoryOrder.get(a.categoryId)! - categoryOrder.get(b.categoryId)! ||
        problemOrder.get(a.t.problemId)! - problemOrder.get(b.t.problemId)! ||
        a.index - b.index,
    );
  return ordered.map(({ t, categoryId }, i) => {
    const problem = problems.get(t.problemId);
    const kids = children.get(t.id);
    const split = kids ? `已分解至${kids.total}个单位，已完成${kids.done}个` : '';
    const latest = progress.get(t.id) ?? '';
    const light = t.trafficLight === 'red' || t.trafficLight === 'yellow' ? t.trafficLight : 'green';
    return {
      no: i + 1,
      taskId: t.id,
      categoryId,
      category: problem?.category ?? '',
      problemId: t.problemId,
      problem: problem?.title ?? '',
      measure: t.measure,
      leader: t.leaderText ?? leaders.get(t.leaderId) ?? '',
      leadUnit: units.get(t.leadUnitId) ?? '',
      participants: (participantIds.get(t.id) ?? [])
        .filter((u) => u !== t.leadUnitId)
        .map((u) => units.get(u) ?? '')
        .filter((n) => n !== '')
        .join('、'),
      deadline: deadlineWording(t),
      progress: [split, latest].filter((s) => s !== '').join('；'),
      completion: statusWord(t.status),
      light,
      lightWord: lightWord(light),
      evidence: evidence.get(t.id) ?? 0,
      closedOn: t.closedAt ? chineseDate(dateOf(t.closedAt.toISOString())) : '',
    };
  });
}
