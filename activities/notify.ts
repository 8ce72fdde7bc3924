import type { Db } from '../db/client';
import type { ActivityDeps, TRecipient } from './types';

export interface TNotifyInput {
  /** Unique per notification intent: a retried activity (or a replayed timer) notifies nobody twice. */
  idempotencyKey: string;
  taskId?: string;
  kind: string;
  title: string;
  body: string;
  recipients: TRecipient[];
  /** Who caused it, when a person did (kept in the outbox payload). */
  actorId?: string;
  /** Workflow time of the notification (ISO): under time skipping it differs from the wall clock. */
  at: string;
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/**
 * Writes in-app notifications (the inbox) and their outbox messages (for delivery by another channel) in the caller's
 * transaction. A recipient given by unit (and optionally role) is expanded to the unit's users, so the inbox of each
 * person shows it.
 */
export async function writeNotifications(tx: Tx, input: TNotifyInput, at: Date): Promise<number> {
  let written = 0;
  for (const [index, recipient] of input.recipients.entries()) {
    const userIds = await resolveRecipient(tx, recipient);
    for (const userId of userIds) {
      const key = `${input.idempotencyKey}:${index}:${userId}`;
      const existing = await tx.notification.findUnique({ where: { idempotencyKey: key } });
      if (existing) continue;
      await tx.notification.create({
        data: {
          idempotencyKey: key,
          userId,
          unitId: recipient.unitId ?? null,
          taskId: input.taskId ?? null,
          kind: input.kind,
          title: input.title,
          body: input.body,
          createdAt: at,
        },
      });
      await tx.outboxMessage.create({
        data: {
          idempotencyKey: key,
          channel: 'in_app',
          payload: {
            userId,
            taskId: input.taskId ?? null,
            kind: input.kind,
            title: input.title,
            body: input.body,
            actorId: input.actorId ?? null,
          },
          createdAt: at,
        },
      });
      written++;
    }
  }
  return written;
}

async function resolveRecipient(tx: Tx, recipient: TRecipient): Promise<string[]> {
  if (recipient.userId) return [recipient.userId];
  if (!recipient.unitId && !recipient.role) return [];
  const users = await tx.user.findMany({
    where: {
      ...(recipient.unitId ? { unitId: recipient.unitId } : {}),
      ...(recipient.role ? { role: recipient.role } : {}),
    },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  return users.map((u) => u.id);
}

export function notifyActivity({ db }: ActivityDeps) {
  return async function notify(input: TNotifyInput): Promise<{ notified: number }> {
    const notified = await db.$transaction((tx) => writeNotifications(tx, input, new Date(input.at)));
    return { notified };
  };
}
