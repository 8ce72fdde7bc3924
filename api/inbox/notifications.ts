/**
 * A person's notifications: the newest unread for the inbox, and the notifications page (newest first, a page at a
 * time, read, unread or both). Both are ordered so that an index gives the rows in order and the database stops at the
 * page: `tests/db/postgres.test.ts` holds PostgreSQL's plans to that (no sort), `tests/reads/queryPlans.test.ts`
 * SQLite's (no table read whole).
 */
import type { Db } from '../../db/client';

/** The inbox is a to-do list, not an archive: the newest hundred unread are enough to act on. */
export const INBOX_NOTIFICATIONS = 100;

export function newestUnread(db: Db, userId: string) {
  return db.notification.findMany({
    where: { userId, readAt: null },
    // The index (userId, readAt, createdAt)'s own columns, walked backwards: PostgreSQL does not take `readAt IS NULL`
    // as fixing the column, so `ORDER BY createdAt` alone sorted every unread row (16,501 for an office at 10⁵ tasks:
    // 32 ms against 0.8).
    orderBy: [{ userId: 'desc' }, { readAt: 'desc' }, { createdAt: 'desc' }],
    take: INBOX_NOTIFICATIONS,
  });
}

/** One page of the notifications page, with its counts; on the index (userId, createdAt, id), whatever the filter. */
export function notificationsPage(db: Db, userId: string, query: { unread?: boolean; page: number; pageSize: number }) {
  const mine = { userId };
  const where = query.unread === undefined ? mine : { ...mine, readAt: query.unread ? null : { not: null } };
  return Promise.all([
    db.notification.count({ where }),
    db.notification.count({ where: { ...mine, readAt: null } }),
    db.notification.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
    }),
  ]);
}
