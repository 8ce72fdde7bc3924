import type { Db } from '../db/client';
import { currentDeliveryConfig } from '../delivery/config';
import { createFanOut } from '../delivery/fanout';
import type { TOutboxPayload } from '../delivery/render';
import { renderRequested, type TTextRequest, type TTextSubject } from './texts';
import type { ActivityDeps, TRecipient } from './types';

export interface TNotifyInput {
  /** Unique per notification intent: a retried activity (or a replayed timer) notifies nobody twice. */
  idempotencyKey: string;
  taskId?: string;
  kind: string;
  title: string;
  body: string;
  /** The task's page (`/tasks/<id>`), also in the outbox payload. */
  link?: string;
  /**
   * A text to render here with the task's names (the workflow, which has no database, asks for it by kind); when
   * the task is found it replaces `title` and `body`, which stay as the fallback.
   */
  text?: TTextRequest;
  recipients: TRecipient[];
  /** Who caused it, when a person did (kept in the outbox payload). */
  actorId?: string;
  /** Workflow time of the notification (ISO): under time skipping it differs from the wall clock. */
  at: string;
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/**
 * Writes in-app notifications (the inbox) and their outbox messages in the caller's transaction. A recipient given by
 * unit (and optionally role) is expanded to the unit's users, so the inbox of each person shows it.
 *
 * Outbox: one row per recipient per external channel the person prefers (delivery/fanout.ts; the relay in
 * delivery/relay.ts sends them), keyed `<notification key>:<channel>`. The 'in_app' row under the notification's own
 * key is kept as the record of what the inbox got, written already 'sent' (the Notification row is its delivery):
 * nothing relays it.
 */
export async function writeNotifications(tx: Tx, input: TNotifyInput, at: Date): Promise<number> {
  if (input.text && input.taskId) {
    const subject = await textSubject(tx, input.taskId);
    if (subject) input = { ...input, ...renderRequested(subject, input.text) };
  }
  const fanOut = createFanOut(tx, currentDeliveryConfig());
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
      const payload: TOutboxPayload = {
        userId,
        taskId: input.taskId ?? null,
        kind: input.kind,
        title: input.title,
        body: input.body,
        link: input.link ?? null,
        actorId: input.actorId ?? null,
      };
      await tx.outboxMessage.create({
        data: {
          idempotencyKey: key,
          channel: 'in_app',
          payload: { ...payload },
          status: 'sent',
          sentAt: at,
          createdAt: at,
        },
      });
      await fanOut(key, payload, at);
      written++;
    }
  }
  return written;
}

/**
 * What a text names about a task: its problem title (or its measure) and its lead unit's name; null when the task
 * row is missing. `leadUnitId` overrides the row's (a batch being projected may have just reassigned the task).
 */
export async function textSubject(tx: Tx, taskId: string, leadUnitId?: string): Promise<TTextSubject | null> {
  const task = await tx.task.findUnique({
    where: { id: taskId },
    select: { measure: true, leadUnitId: true, problem: { select: { title: true } } },
  });
  if (!task) return null;
  const unit = await tx.unit.findUnique({ where: { id: leadUnitId ?? task.leadUnitId }, select: { name: true } });
  return { taskId, title: task.problem?.title || task.measure, unitName: unit?.name ?? '责任单位' };
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
