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
  // Every recipient's rows in a few statements whatever their number (one lookup of the keys already written, one
  // insert per table), not three per person: a unit's notice reaches each of its members.
  const intended: { key: string; userId: string; unitId: string | null }[] = [];
  for (const [index, recipient] of input.recipients.entries()) {
    for (const userId of await resolveRecipient(tx, recipient)) {
      intended.push({ key: `${input.idempotencyKey}:${index}:${userId}`, userId, unitId: recipient.unitId ?? null });
    }
  }
  if (intended.length === 0) return 0;
  const existing = new Set<string>();
  // Keys are bound parameters: chunks keep a statement far below SQLite's limit however large a unit is.
  for (let i = 0; i < intended.length; i += 500) {
    const rows = await tx.notification.findMany({
      where: { idempotencyKey: { in: intended.slice(i, i + 500).map((n) => n.key) } },
      select: { idempotencyKey: true },
    });
    for (const row of rows) existing.add(row.idempotencyKey);
  }
  const fresh = intended.filter((n) => !existing.has(n.key));
  const payloadOf = (userId: string): TOutboxPayload => ({
    userId,
    taskId: input.taskId ?? null,
    kind: input.kind,
    title: input.title,
    body: input.body,
    link: input.link ?? null,
    actorId: input.actorId ?? null,
  });
  for (let i = 0; i < fresh.length; i += 500) {
    const chunk = fresh.slice(i, i + 500);
    await tx.notification.createMany({
      data: chunk.map((n) => ({
        idempotencyKey: n.key,
        userId: n.userId,
        unitId: n.unitId,
        taskId: input.taskId ?? null,
        kind: input.kind,
        title: input.title,
        body: input.body,
        createdAt: at,
      })),
    });
    await tx.outboxMessage.createMany({
      data: chunk.map((n) => ({
        idempotencyKey: n.key,
        channel: 'in_app',
        payload: { ...payloadOf(n.userId) },
        status: 'sent',
        sentAt: at,
        createdAt: at,
      })),
    });
  }
  for (const n of fresh) await fanOut(n.key, payloadOf(n.userId), at);
  return fresh.length;
}

/**
 * What a text names about a task: its problem title (or its measure) and its lead unit's name; null when the task
 * row is missing. `leadUnitId` overrides the row's (a batch being projected may have just reassigned the task).
 */
export async function textSubject(tx: Tx, taskId: string, leadUnitId?: string): Promise<TTextSubject | null> {
  // One statement, not three (the task, its problem, the unit): every notifying event of a projection asks this.
  type TRow = { measure: string; title: string | null; unitName: string | null };
  const rows =
    leadUnitId === undefined
      ? await tx.$queryRaw<TRow[]>`
          SELECT t."measure" AS "measure", p."title" AS "title", u."name" AS "unitName"
          FROM "Task" t
          LEFT JOIN "Problem" p ON p."id" = t."problemId"
          LEFT JOIN "Unit" u ON u."id" = t."leadUnitId"
          WHERE t."id" = ${taskId}`
      : await tx.$queryRaw<TRow[]>`
          SELECT t."measure" AS "measure", p."title" AS "title", u."name" AS "unitName"
          FROM "Task" t
          LEFT JOIN "Problem" p ON p."id" = t."problemId"
          LEFT JOIN "Unit" u ON u."id" = ${leadUnitId}
          WHERE t."id" = ${taskId}`;
  const task = rows[0];
  if (!task) return null;
  return { taskId, title: task.title || task.measure, unitName: task.unitName ?? '责任单位' };
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
