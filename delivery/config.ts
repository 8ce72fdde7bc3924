/**
 * Delivery configuration: every variable of the relay and its channels, parsed once by one Zod schema so a wrong value
 * stops the process with a message naming the variable (not a failed send hours later).
 */
import { z } from 'zod';

/** Channels a person may choose. 'in_app' is the inbox itself (the Notification row); the others go through the relay. */
export const CHANNEL_NAMES = ['in_app', 'email', 'sms', 'dingtalk', 'wecom', 'webhook'] as const;
export type TChannelName = (typeof CHANNEL_NAMES)[number];
/** The channels the relay delivers (everything but the inbox). */
export const EXTERNAL_CHANNELS = ['email', 'sms', 'dingtalk', 'wecom', 'webhook'] as const;
export type TExternalChannel = (typeof EXTERNAL_CHANNELS)[number];

const ZHttpUrl = z.url({ protocol: /^https?$/, error: '须为 http:// 或 https:// 开头的地址' });
const ZOptionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const ZChannelList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  .pipe(z.array(z.enum(EXTERNAL_CHANNELS, { error: `渠道须为 ${EXTERNAL_CHANNELS.join('、')} 之一` })));

export const ZDeliveryEnv = z.object({
  /** `smtp://host:port` or `smtps://user:pass@host:465`; unset: no email. */
  SMTP_URL: optional(z.url({ protocol: /^smtps?$/, error: '须为 smtp:// 或 smtps:// 开头的地址' })),
  MAIL_FROM: z.string().min(3).default('整改系统 <noreply@zhenggai.example.cn>'),
  /** Where the application is reached from a mail or a chat message: links are `${PUBLIC_URL}/tasks/<id>`. */
  PUBLIC_URL: ZHttpUrl.default('http://localhost:3000').transform((v) => v.replace(/\/+$/, '')),
  DINGTALK_WEBHOOK_URL: optional(ZHttpUrl),
  /** The robot's 加签 secret (SEC…); unset: the robot is called unsigned (keyword or IP security). */
  DINGTALK_SECRET: ZOptionalText,
  WECOM_WEBHOOK_URL: optional(ZHttpUrl),
  WEBHOOK_URL: optional(ZHttpUrl),
  /** HMAC key of `X-Zhenggai-Signature`; required with WEBHOOK_URL (an unsigned webhook could be forged). */
  WEBHOOK_SECRET: ZOptionalText,
  /** SMS: 'log' (default: the text goes to the log, for a gateway to be wired later) or 'off'. */
  SMS_PROVIDER: z.enum(['log', 'off']).default('log'),
  /** Channels of a person who never chose any; unset: 'email' when SMTP_URL is set, else none. */
  DEFAULT_CHANNELS: optional(ZChannelList),
  /** The Shanghai hour (0–23) at which a person with the digest on gets the day's messages in one. */
  DIGEST_HOUR: z.coerce.number().int().min(0).max(23).default(8),
  RELAY_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  RELAY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  RELAY_LEASE_MS: z.coerce.number().int().min(1000).default(600_000),
});

export type TDeliveryEnv = z.infer<typeof ZDeliveryEnv>;

export interface TDeliveryConfig extends TDeliveryEnv {
  defaultChannels: TExternalChannel[];
  /** The external channels this configuration can deliver (their variables are set). */
  enabledChannels: TExternalChannel[];
}

export class DeliveryConfigError extends Error {
  override name = 'DeliveryConfigError';
}

/** Parses the delivery variables; throws a DeliveryConfigError naming each wrong variable. */
export function deliveryConfigFromEnv(env: NodeJS.ProcessEnv): TDeliveryConfig {
  const parsed = ZDeliveryEnv.safeParse(env);
  if (!parsed.success) {
    throw new DeliveryConfigError(`投递配置有误（环境变量）：\n${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  if (e.WEBHOOK_URL && !e.WEBHOOK_SECRET) {
    throw new DeliveryConfigError(
      '投递配置有误（环境变量）：设置 WEBHOOK_URL 时必须同时设置 WEBHOOK_SECRET（用于签名）',
    );
  }
  const enabledChannels = EXTERNAL_CHANNELS.filter((c) => {
    switch (c) {
      case 'email':
        return e.SMTP_URL !== undefined;
      case 'sms':
        return e.SMS_PROVIDER !== 'off';
      case 'dingtalk':
        return e.DINGTALK_WEBHOOK_URL !== undefined;
      case 'wecom':
        return e.WECOM_WEBHOOK_URL !== undefined;
      case 'webhook':
        return e.WEBHOOK_URL !== undefined;
    }
  });
  const defaultChannels = e.DEFAULT_CHANNELS ?? (e.SMTP_URL ? ['email' as const] : []);
  return { ...e, defaultChannels, enabledChannels };
}

let cached: { key: string; config: TDeliveryConfig } | undefined;

/** The configuration of this process's environment, parsed again only when a delivery variable changed. */
export function currentDeliveryConfig(env: NodeJS.ProcessEnv = process.env): TDeliveryConfig {
  const key = JSON.stringify(Object.keys(ZDeliveryEnv.shape).map((k) => env[k] ?? null));
  if (cached?.key !== key) cached = { key, config: deliveryConfigFromEnv(env) };
  return cached.config;
}
