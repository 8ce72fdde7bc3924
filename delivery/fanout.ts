/**
 * Fan-out of one notification to the external channels its recipient prefers: one outbox row per recipient per
 * channel, written in the notification's transaction. The inbox (in_app) is the Notification row itself.
 */
import type { Db } from '../db/client';
import { EXTERNAL_CHANNELS, type TDeliveryConfig, type TExternalChannel } from './config';
import { nextDigestAt } from './digest';
import type { TOutboxPayload } from './render';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export interface TUserChannels {
  channels: TExternalChannel[];
  digest: boolean;
}

/** A stored preference's channels (JSON) as the external channel names it lists, unknown names dropped. */
export function externalChannelsOf(stored: unknown): TExternalChannel[] {
  if (!Array.isArray(stored)) return [];
  return EXTERNAL_CHANNELS.filter((c) => stored.includes(c));
}

/** The key of a recipient's row on one channel: the notification's key (intent + recipient) and the channel. */
export function channelKey(notificationKey: string, channel: TExternalChannel): string {
  return `${notificationKey}:${channel}`;
}

/**
 * A fan-out writer for one transaction: it looks each user's preference and addresses up once. Only channels the
 * configuration can deliver are written, and only those the person can be reached on (email needs an address, SMS a
 * number); a deactivated person gets nothing outside the inbox.
 */
export function createFanOut(tx: Tx, config: TDeliveryConfig) {
  const users = new Map<string, TUserChannels>();

  async function channelsOf(userId: string): Promise<TUserChannels> {
    const known = users.get(userId);
    if (known) return known;
    // The preference first (a primary-key read): most people, with no channel chosen and no default, stop here.
    const pref = await tx.userChannelPreference.findUnique({ where: { userId } });
    const wanted = (pref ? externalChannelsOf(pref.channels) : config.defaultChannels).filter((c) =>
      config.enabledChannels.includes(c),
    );
    const user =
      wanted.length === 0
        ? null
        : await tx.user.findUnique({ where: { id: userId }, select: { email: true, phone: true, active: true } });
    const channels = !user?.active
      ? []
      : wanted.filter((c) => (c !== 'email' || !!user.email) && (c !== 'sms' || !!user.phone));
    const result = { channels, digest: pref?.digest ?? false };
    users.set(userId, result);
    return result;
  }

  return async function fanOut(notificationKey: string, payload: TOutboxPayload, at: Date): Promise<number> {
    if (config.enabledChannels.length === 0) return 0;
    const { channels, digest } = await channelsOf(payload.userId);
    for (const channel of channels) {
      await tx.outboxMessage.create({
        data: {
          idempotencyKey: channelKey(notificationKey, channel),
          channel,
          payload: { ...payload, digest },
          status: 'pending',
          // Null: due now. A digest waits for the next digest hour, when the relay gathers the day's rows into one.
          nextAttemptAt: digest ? nextDigestAt(at, config.DIGEST_HOUR) : null,
          createdAt: at,
        },
      });
    }
    return channels.length;
  };
}
