/**
 * Relay wiring: the channel adapters the delivery configuration enables, and the outbox relay polling with them.
 * `npm start` runs it in the worker process (ROLE=all or worker) or alone (ROLE=relay); run as a program
 * (`tsx worker/relay.ts`, DATABASE_URL set) it relays until SIGTERM/SIGINT.
 */
import { createDb, DEFAULT_DATABASE_URL, type Db } from '../db/client';
import type { TChannelAdapter } from '../delivery/channels';
import { deliveryConfigFromEnv, type TDeliveryConfig } from '../delivery/config';
import { emailChannel } from '../delivery/email';
import { OutboxRelay, type TRelayLogger } from '../delivery/relay';
import { dingtalkChannel, wecomChannel } from '../delivery/robots';
import { logSmsSender, smsChannel, type TSmsSender } from '../delivery/sms';
import { webhookChannel } from '../delivery/webhook';

export function createChannels(
  config: TDeliveryConfig,
  options: { sms?: TSmsSender; log?: (line: string) => void } = {},
): TChannelAdapter[] {
  const log = options.log ?? ((line: string) => console.log(line));
  const channels: TChannelAdapter[] = [];
  if (config.SMTP_URL) channels.push(emailChannel({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM }));
  if (config.SMS_PROVIDER !== 'off') channels.push(smsChannel(options.sms ?? logSmsSender(log)));
  if (config.DINGTALK_WEBHOOK_URL) {
    channels.push(dingtalkChannel({ webhookUrl: config.DINGTALK_WEBHOOK_URL, secret: config.DINGTALK_SECRET }));
  }
  if (config.WECOM_WEBHOOK_URL) channels.push(wecomChannel({ webhookUrl: config.WECOM_WEBHOOK_URL }));
  if (config.WEBHOOK_URL && config.WEBHOOK_SECRET) {
    channels.push(webhookChannel({ url: config.WEBHOOK_URL, secret: config.WEBHOOK_SECRET }));
  }
  return channels;
}

export interface TStartRelayOptions {
  db: Db;
  env?: NodeJS.ProcessEnv;
  log?: TRelayLogger;
}

/** Starts the relay on the environment's configuration (throws naming a wrong variable); returns it for stop(). */
export function startRelay(options: TStartRelayOptions): OutboxRelay {
  const config = deliveryConfigFromEnv(options.env ?? process.env);
  const relay = new OutboxRelay({
    db: options.db,
    channels: createChannels(config, { log: options.log ? (line) => options.log!.info(line) : undefined }),
    publicUrl: config.PUBLIC_URL,
    batchSize: config.RELAY_BATCH_SIZE,
    maxAttempts: config.RELAY_MAX_ATTEMPTS,
    leaseMs: config.RELAY_LEASE_MS,
    log: options.log,
  });
  relay.start(config.RELAY_INTERVAL_MS);
  const channels = config.enabledChannels.length > 0 ? config.enabledChannels.join(', ') : 'none (inbox only)';
  (options.log?.info ?? ((line: string) => console.log(`[relay] ${line}`)))(
    `relaying the outbox every ${config.RELAY_INTERVAL_MS} ms; channels: ${channels}`,
  );
  return relay;
}

/** Relays until SIGTERM or SIGINT, then finishes the batch in hand, disconnects and exits (ROLE=relay, or this file run). */
export function relayUntilSignal(db: Db, env: NodeJS.ProcessEnv = process.env): OutboxRelay {
  const relay = startRelay({ db, env });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`[relay] ${signal}: finishing the batch in hand`);
    void relay
      .stop()
      .then(() => db.$disconnect())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  return relay;
}

async function main(): Promise<void> {
  relayUntilSignal(createDb(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('[relay] failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
