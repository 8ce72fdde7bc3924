/**
 * The generic webhook: one signed JSON POST per message, for a government messaging system or any integration.
 * Headers: `X-Zhenggai-Timestamp` (Unix seconds), `X-Zhenggai-Signature: sha256=<hex HMAC-SHA256(secret,
 * `${timestamp}.${body}`)>`, and `X-Idempotency-Key` (the outbox key), which the receiver must deduplicate on: that
 * is what lets the relay resend a message whose first send may have arrived.
 */
import crypto from 'node:crypto';
import { httpStatusFailure, postJson, type TChannelAdapter } from './channels';
import type { TDeliveryMessage } from './render';

export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function webhookBody(message: TDeliveryMessage): string {
  return JSON.stringify({
    idempotencyKey: message.idempotencyKey,
    digest: message.digest,
    recipient: {
      userId: message.recipient.userId,
      name: message.recipient.name,
      email: message.recipient.email,
      phone: message.recipient.phone,
    },
    title: message.title,
    items: message.items,
  });
}

export function webhookChannel(options: {
  url: string;
  secret: string;
  now?: () => Date;
  timeoutMs?: number;
}): TChannelAdapter {
  const now = options.now ?? (() => new Date());
  return {
    name: 'webhook',
    resendSafe: true,
    async send(message: TDeliveryMessage) {
      const body = webhookBody(message);
      const timestamp = String(Math.floor(now().getTime() / 1000));
      const res = await postJson(
        options.url,
        body,
        {
          'X-Zhenggai-Timestamp': timestamp,
          'X-Zhenggai-Signature': webhookSignature(options.secret, timestamp, body),
          'X-Idempotency-Key': message.idempotencyKey,
        },
        'Webhook',
        options.timeoutMs,
      );
      const failure = httpStatusFailure(res.status, 'Webhook', res.text);
      if (failure) throw failure;
    },
  };
}
