import { Router } from 'express';
import { z } from 'zod';
import { nextReportDue, signersFor, type PendingAction, type TaskStatus } from '../../domain/task';
import { actorOf, type TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { isDeputyOn, scopeOf, taskScopeWhere } from '../scope';
import { loadRowNames, taskRow, type TTaskRow } from '../tasks/rows';
import { policyOf, stateOf } from '../tasks/view';

export interface TInboxItem {
  taskId: string;
  measure: string;
  problemTitle: string | null;
  leadUnitName: string | null;
  deadline: TTaskRow['deadline'];
  trafficLight: TTaskRow['trafficLight'];
  status: TaskStatus;
  action: PendingAction['action'];
  period?: string;
  dueAt?: string;
  level?: number;
  levelName?: string;
}

/** Whether a pending action is the caller's: their role and unit or user, or as a deputy; never their own application. */
function isMine(action: PendingAction, actor: TApiActor): boolean {
  if (action.excludedUserId === actor.userId) return false;
  if (action.deputyUserIds?.includes(actor.userId)) return true;
  return (
    action.role === actor.role &&
    (action.unitId === undefined || action.unitId === actor.unitId) &&
    (action.userId === undefined || action.userId === actor.userId)
  );
}

const ZNotificationParams = z.object({ id: z.string().min(1) });
const ZNotificationsQuery = z.object({
  unread: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

/** What the caller must act on now, from the projected task states, plus their unread notifications. */
export function inboxRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.get('/inbox', async (_req, res) => {
    const actor = actorOf(res);
    const now = deps.now();
    const nowIso = now.toISOString();
    const scope = await scopeOf(db, actor);
    // A deputy may sign for their principal on tasks outside their own scope: for users someone delegated to, the
    // search also takes the tasks awaiting sign-off (the only action a delegation carries), wherever they are.
    const isDeputy = (await db.delegation.count({ where: { toUserId: actor.userId } })) > 0;
    const reach = isDeputy ? { OR: [taskScopeWhere(scope), { status: 'CLOSURE_REQUESTED' }] } : taskScopeWhere(scope);
    const candidates = await db.task.findMany({
      where: { AND: [reach, { status: { not: 'VERIFIED' } }] },
      include: { campaign: { select: { policy: true } } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    const inScope = isDeputy
      ? new Set(
          (
            await db.task.findMany({
              where: { AND: [taskScopeWhere(scope), { id: { in: candidates.map((c) => c.id) } }] },
              select: { id: true },
            })
          ).map((t) => t.id),
        )
      : null;
    const rows = inScope
      ? candidates.filter((row) => inScope.has(row.id) || isDeputyOn(row.stateJson, actor.userId))
      : candidates;
    const items: TInboxItem[] = [];
    const names = await loadRowNames(db, rows);
    for (const row of rows) {
      const state = stateOf(row);
      const policy = policyOf(row.campaign);
      const shown = taskRow(row, names, now);
      const base = {
        taskId: row.id,
        measure: row.measure,
        problemTitle: shown.problemTitle,
        leadUnitName: shown.leadUnitName,
        deadline: shown.deadline,
        trafficLight: shown.trafficLight,
        status: row.status as TaskStatus,
      };
      const actions = signersFor(state, nowIso, policy).filter((a) => isMine(a, actor));
      // The next report owed is always on the unit's list, with its due instant, once nothing else is pending for it.
      const due = nextReportDue(state, policy, nowIso);
      if (due && actor.role === 'unit_staff' && actor.unitId === state.leadUnitId) {
        const listed = actions.some(
          (a) => (a.action === 'submit_report' || a.action === 'resubmit_report') && a.period === due.period,
        );
        if (!listed)
          actions.push({ action: 'submit_report', role: 'unit_staff', unitId: actor.unitId, period: due.period });
      }
      for (const a of actions) {
        const item: TInboxItem = { ...base, action: a.action };
        if (a.period !== undefined) item.period = a.period;
        if (a.period !== undefined && due?.period === a.period) item.dueAt = due.dueAt;
        if (a.level !== undefined) item.level = a.level;
        if (a.levelName !== undefined) item.levelName = a.levelName;
        items.push(item);
      }
    }
    const notifications = await db.notification.findMany({
      where: { userId: actor.userId, readAt: null },
      orderBy: { createdAt: 'desc' },
      // The inbox is a to-do list, not an archive: the newest hundred unread are enough to act on.
      take: 100,
    });
    res.json({
      reportsDue: items.filter((i) => ['acknowledge', 'submit_report', 'resubmit_report'].includes(i.action)),
      reviews: items.filter((i) => i.action === 'review_report'),
      signOffs: items.filter((i) => i.action === 'sign_off'),
      other: items.filter((i) => ['decide_extension', 'look_back'].includes(i.action)),
      notifications: notifications.map((n) => ({
        id: n.id,
        taskId: n.taskId,
        kind: n.kind,
        title: n.title,
        body: n.body,
        createdAt: n.createdAt.toISOString(),
      })),
    });
  });

  router.get('/notifications', async (req, res) => {
    const actor = actorOf(res);
    const query = ZNotificationsQuery.parse(req.query);
    const mine = { userId: actor.userId };
    const where = query.unread === undefined ? mine : { ...mine, readAt: query.unread ? null : { not: null } };
    const [total, unread, rows] = await Promise.all([
      db.notification.count({ where }),
      db.notification.count({ where: { ...mine, readAt: null } }),
      db.notification.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip: (query.page - 1) * query.pageSize,
        take: query.pageSize,
      }),
    ]);
    res.json({
      items: rows.map((n) => ({
        id: n.id,
        taskId: n.taskId,
        kind: n.kind,
        title: n.title,
        body: n.body,
        createdAt: n.createdAt.toISOString(),
        readAt: n.readAt ? n.readAt.toISOString() : null,
      })),
      total,
      unread,
      page: query.page,
      pageSize: query.pageSize,
    });
  });

  router.post('/notifications/read-all', async (_req, res) => {
    const actor = actorOf(res);
    await db.notification.updateMany({ where: { userId: actor.userId, readAt: null }, data: { readAt: deps.now() } });
    res.status(204).end();
  });

  router.post('/inbox/notifications/:id/read', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZNotificationParams.parse(req.params);
    const result = await db.notification.updateMany({
      where: { id, userId: actor.userId, readAt: null },
      data: { readAt: deps.now() },
    });
    if (result.count === 0) {
      const exists = await db.notification.findFirst({ where: { id, userId: actor.userId }, select: { id: true } });
      if (!exists) throw AppError.notFound(`Notification ${id} not found`);
    }
    res.status(204).end();
  });

  return router;
}
