import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { pendingForCached } from '../inbox/pending';
import { newestUnread, notificationsPage } from '../inbox/notifications';
import { supervisionWaitingOn } from '../inbox/supervision';

export type { TInboxItem } from '../inbox/pending';

const ZNotificationParams = z.object({ id: z.string().min(1) });
const ZNotificationsQuery = z.object({
  unread: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

/**
 * What the caller must act on now, from the projected pending actions, the 督办 notices waiting on the caller's unit
 * (签收 / 反馈), plus their unread notifications.
 */
export function inboxRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.get('/inbox', async (_req, res) => {
    const actor = actorOf(res);
    const now = deps.now();
    const [pending, supervision, notifications] = await Promise.all([
      pendingForCached(db, actor, now),
      supervisionWaitingOn(db, actor, now),
      newestUnread(db, actor.userId),
    ]);
    res.json({
      ...pending,
      supervision: supervision.items,
      ...(supervision.truncated ? { truncated: true } : {}),
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
    const [total, unread, rows] = await notificationsPage(db, actor.userId, query);
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
