/**
 * Delivery: each person's channel preferences (`/me/notification-preferences`), and for the admin the messages that
 * need a person — dead letters and uncertain sends — with a hand retry (`/admin/outbox`).
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { appendAudit } from '../../activities/audit';
import { CHANNEL_NAMES, currentDeliveryConfig, EXTERNAL_CHANNELS } from '../../delivery/config';
import { externalChannelsOf } from '../../delivery/fanout';
import type { TOutboxPayload } from '../../delivery/render';
import { actorOf, requireRole } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';

export const ZNotificationPreferences = z.strictObject({
  channels: z
    .array(z.enum(CHANNEL_NAMES, { error: `渠道须为 ${CHANNEL_NAMES.join('、')} 之一` }), {
      error: 'channels 须为渠道名称的数组',
    })
    .max(CHANNEL_NAMES.length),
  digest: z.boolean({ error: 'digest 须为 true 或 false' }),
});
export type TNotificationPreferences = z.infer<typeof ZNotificationPreferences>;

const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed', 'dead', 'uncertain'] as const;
/** What an admin has to look at; listed when no status is asked for. */
const NEEDS_A_PERSON = ['dead', 'uncertain'];
const STATUS_TEXT: Record<string, string> = {
  pending: '待投递',
  sending: '投递中',
  sent: '已送达',
  failed: '投递失败（等待重试）',
  dead: '已放弃',
  uncertain: '不确定是否送达',
};
/** A hand retry makes sense only for a message that is neither delivered nor on its way. */
const RETRYABLE = ['dead', 'uncertain', 'failed'];

export const ZOutboxQuery = z.object({
  status: z.enum(OUTBOX_STATUSES, { error: `status 须为 ${OUTBOX_STATUSES.join('、')} 之一` }).optional(),
  channel: z.enum(EXTERNAL_CHANNELS, { error: `channel 须为 ${EXTERNAL_CHANNELS.join('、')} 之一` }).optional(),
  limit: z.coerce.number({ error: 'limit 须为 1–500 的整数' }).int().min(1).max(500).default(100),
});
const ZOutboxParams = z.object({ id: z.string().min(1).max(100) });

type TOutboxRow = {
  id: string;
  idempotencyKey: string;
  channel: string;
  status: string;
  attempts: number;
  payload: unknown;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date | null;
  claimedBy: string | null;
  claimedAt: Date | null;
  sentAt: Date | null;
};

export function deliveryRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  async function preferencesOf(userId: string) {
    const config = currentDeliveryConfig();
    const pref = await db.userChannelPreference.findUnique({ where: { userId } });
    const external = pref ? externalChannelsOf(pref.channels) : config.defaultChannels;
    return {
      // The inbox always has every notice.
      channels: ['in_app', ...external],
      digest: pref?.digest ?? false,
      /** Whether these are the defaults (nothing chosen yet). */
      isDefault: !pref,
      /** The channels this installation can deliver now; a chosen channel outside them waits for its configuration. */
      available: ['in_app', ...config.enabledChannels],
      digestHour: config.DIGEST_HOUR,
    };
  }

  router.get('/me/notification-preferences', async (_req, res) => {
    res.json(await preferencesOf(actorOf(res).userId));
  });

  router.put('/me/notification-preferences', async (req, res) => {
    const actor = actorOf(res);
    const body = ZNotificationPreferences.parse(req.body);
    const channels = [...new Set(['in_app', ...body.channels])];
    await db.userChannelPreference.upsert({
      where: { userId: actor.userId },
      create: { userId: actor.userId, channels, digest: body.digest, updatedAt: deps.now() },
      update: { channels, digest: body.digest, updatedAt: deps.now() },
    });
    res.json(await preferencesOf(actor.userId));
  });

  router.get('/admin/outbox', async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    const query = ZOutboxQuery.parse(req.query);
    const where = {
      status: query.status ? query.status : { in: NEEDS_A_PERSON },
      channel: query.channel ? query.channel : { not: 'in_app' },
    };
    const [total, rows] = await Promise.all([
      db.outboxMessage.count({ where }),
      db.outboxMessage.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: query.limit }),
    ]);
    res.json({ items: await views(rows), total });
  });

  router.post('/admin/outbox/:id/retry', async (req, res) => {
    const actor = actorOf(res);
    requireRole(actor, ['admin']);
    const { id } = ZOutboxParams.parse(req.params);
    const row = await db.outboxMessage.findUnique({ where: { id } });
    if (!row || row.channel === 'in_app') throw AppError.notFound('没有这条待投递消息');
    // Conditional: a relay that claims it meanwhile wins, and the admin is told (409) rather than both acting. The
    // hand retry is an admin's decision (for an uncertain row, that it did not arrive): audited with the change.
    const updated = await db.$transaction(async (tx) => {
      const n = await tx.outboxMessage.updateMany({
        where: { id, status: { in: RETRYABLE } },
        data: { status: 'pending', attempts: 0, nextAttemptAt: null, claimedBy: null, claimedAt: null, sentAt: null },
      });
      if (n.count === 0) return 0;
      await appendAudit(tx, {
        idempotencyKey: `api:outbox-retried:${id}:${randomUUID()}`,
        actorId: actor.userId,
        actorRole: actor.role,
        action: 'OutboxRetried',
        detail: {
          outboxId: id,
          channel: row.channel,
          previousStatus: row.status,
          attempts: row.attempts,
          lastError: row.lastError,
          taskId: (row.payload as Partial<TOutboxPayload> | null)?.taskId ?? null,
        },
        at: deps.now(),
      });
      return n.count;
    });
    if (updated === 0) {
      throw AppError.conflict(
        `该消息当前状态为“${STATUS_TEXT[row.status] ?? row.status}”，只有投递失败、已放弃或不确定是否送达的消息可以重新投递`,
      );
    }
    const [view] = await views([await db.outboxMessage.findUniqueOrThrow({ where: { id } })]);
    res.json(view);
  });

  /** Rows as the admin screen shows them: the recipient's name and the title beside the raw fields. */
  async function views(rows: TOutboxRow[]) {
    const userIds = [...new Set(rows.map((r) => (r.payload as TOutboxPayload | null)?.userId).filter(Boolean))];
    const users = await db.user.findMany({
      where: { id: { in: userIds as string[] } },
      select: { id: true, name: true },
    });
    const names = new Map(users.map((u) => [u.id, u.name]));
    return rows.map((r) => {
      const payload = (r.payload ?? {}) as Partial<TOutboxPayload>;
      return {
        id: r.id,
        idempotencyKey: r.idempotencyKey,
        channel: r.channel,
        status: r.status,
        attempts: r.attempts,
        lastError: r.lastError,
        createdAt: r.createdAt.toISOString(),
        nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null,
        claimedBy: r.claimedBy,
        claimedAt: r.claimedAt?.toISOString() ?? null,
        sentAt: r.sentAt?.toISOString() ?? null,
        recipientUserId: payload.userId ?? null,
        recipient: payload.userId ? (names.get(payload.userId) ?? null) : null,
        title: payload.title ?? null,
        taskId: payload.taskId ?? null,
        digest: payload.digest === true,
      };
    });
  }

  return router;
}
