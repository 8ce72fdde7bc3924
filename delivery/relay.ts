/**
 * The outbox relay: delivers outbox rows through their channel adapters, AT MOST ONCE per message across crashes.
 *
 * 1. Claim: in one transaction, due rows ('pending', or 'failed' whose nextAttemptAt has come) become 'sending' with
 *    claimedBy = this run and claimedAt. A claim is conditional on the row's status, so two relays never both claim a
 *    row.
 * 2. Before each send the row's sentAt is stamped (the instant it was handed to the channel) and attempts counted;
 *    after the send it becomes 'sent', or 'failed' with the next attempt's time, or 'dead'.
 * 3. A row found 'sending' whose claimer is gone (its process is dead, or its lease ran out) was being relayed when
 *    that relay died. With no sentAt its send never started: it goes back to 'pending'. With sentAt the message may
 *    have been delivered, so it is NOT resent but marked 'uncertain' for the admin (who may retry it by hand) — unless
 *    the channel is resend-safe (the webhook, whose receiver deduplicates on X-Idempotency-Key): then it is retried.
 *
 * Digest rows (payload.digest) of one person and channel that fall due together are sent as one message.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Db } from '../db/client';
import { DeliveryError, type TChannelAdapter, type TFailureKind } from './channels';
import { EXTERNAL_CHANNELS, type TExternalChannel } from './config';
import { digestTitle, itemOf, type TDeliveryMessage, type TOutboxPayload, type TRecipientAddress } from './render';

export type TOutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'dead' | 'uncertain';

export interface TRelayLogger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string, err?: unknown): void;
}

export interface TRelayOptions {
  db: Db;
  channels: TChannelAdapter[];
  publicUrl: string;
  /** Rows claimed per transaction. */
  batchSize?: number;
  /** A row failing this many times becomes 'dead'. */
  maxAttempts?: number;
  /** A 'sending' row older than this whose claimer cannot be seen to be alive counts as abandoned. */
  leaseMs?: number;
  now?: () => Date;
  /** For the backoff's jitter; tests pass a constant. */
  random?: () => number;
  log?: TRelayLogger;
}

export interface TRelayRunResult {
  claimed: number;
  sent: number;
  failed: number;
  dead: number;
  uncertain: number;
  /** Abandoned 'sending' rows found this run: released to 'pending', retried, or marked 'uncertain'. */
  recovered: { released: number; retried: number; uncertain: number };
}

/**
 * Eight attempts: the first at once, then after about 30 s, 1, 2, 4, 8, 16 and 32 minutes (±20 %). The first
 * retries come quickly because most failures are blips (a mail server restarting, a robot's 20-a-minute limit); the
 * doubling stops a down receiver from being hammered; the last attempt falls about an hour after the first, the
 * point where a 催办 or an overdue notice has lost its urgency and a person (the admin, who sees the dead letter)
 * should look rather than the relay.
 */
export const DEFAULT_MAX_ATTEMPTS = 8;
export const BACKOFF_BASE_MS = 30_000;
/** No wait beyond an hour: longer and the receiver's recovery would go unnoticed for most of a working morning. */
export const BACKOFF_CAP_MS = 3600_000;
/** ±20 %: relays (and rows failed together) spread their retries instead of hitting a recovering server at once. */
const BACKOFF_JITTER = 0.2;
/**
 * Longer than a whole batch can take (20 rows × the slowest adapter's 60 s socket timeout): a 'sending' row older
 * than that is abandoned even when its claimer's process cannot be checked (another host).
 */
export const DEFAULT_LEASE_MS = 600_000;
export const DEFAULT_BATCH_SIZE = 20;
/** A digest gathers at most this many rows of one person (a larger backlog is summarised over several digests). */
const DIGEST_MAX_ROWS = 500;

export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_CAP_MS);
  return Math.round(base * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random()));
}

/** Relay runs alive in this process: a claimer on this host and process not listed here is gone. */
const liveRuns = new Set<string>();

interface TClaimer {
  host: string;
  pid: number;
  run: string;
}

function parseClaimer(claimedBy: string): TClaimer | null {
  const m = /^(.+)\/(\d+)\/([\w-]+)$/.exec(claimedBy);
  return m ? { host: m[1]!, pid: Number(m[2]), run: claimedBy } : null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as { code?: string }).code === 'EPERM';
  }
}

type TClaimedRow = { id: string; idempotencyKey: string; channel: string; payload: unknown; attempts: number };

const ERROR_MAX_CHARS = 1000;

/** An outbox row's payload as notify wrote it (JSON in the database). */
function payloadOf(row: { payload: unknown }): TOutboxPayload {
  return (row.payload ?? {}) as TOutboxPayload;
}

export class OutboxRelay {
  readonly runId: string;
  private readonly db: Db;
  private readonly adapters: Map<string, TChannelAdapter>;
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly leaseMs: number;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly log: TRelayLogger;
  private readonly publicUrl: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(options: TRelayOptions) {
    this.db = options.db;
    this.adapters = new Map(options.channels.map((c) => [c.name, c]));
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.publicUrl = options.publicUrl;
    this.log = options.log ?? {
      info: (line) => console.log(`[relay] ${line}`),
      warn: (line) => console.warn(`[relay] ${line}`),
      error: (line, err) => console.error(`[relay] ${line}`, err ?? ''),
    };
    this.runId = `${os.hostname()}/${process.pid}/${crypto.randomUUID()}`;
    liveRuns.add(this.runId);
  }

  /** Polls every `intervalMs` (at once again when a batch came back full) until stop(). */
  start(intervalMs: number): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .then((r) => (r.claimed >= this.batchSize ? 0 : intervalMs))
        .catch((err: unknown) => {
          this.log.error('run failed', err);
          return intervalMs;
        })
        .then((delay) => {
          if (!this.stopped) this.timer = setTimeout(tick, delay);
        });
    };
    tick();
  }

  /** Stops polling and waits for the batch in hand to finish (its rows end 'sent' or 'failed', never 'sending'). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    liveRuns.delete(this.runId);
    await Promise.all([...this.adapters.values()].map((a) => a.close?.()));
  }

  async runOnce(): Promise<TRelayRunResult> {
    const recovered = await this.recoverAbandoned();
    const rows = await this.claim();
    const result: TRelayRunResult = { claimed: rows.length, sent: 0, failed: 0, dead: 0, uncertain: 0, recovered };
    for (const group of this.groups(rows)) {
      const outcome = await this.deliver(group);
      result[outcome] += group.length;
    }
    return result;
  }

  /** Whether the relay run that claimed a row is gone: not alive in this process, or dead on this host, or expired. */
  private claimerGone(claimedBy: string | null, claimedAt: Date | null, now: Date): boolean {
    if (!claimedBy || claimedBy === this.runId) return false;
    if (!claimedAt || now.getTime() - claimedAt.getTime() > this.leaseMs) return true;
    const claimer = parseClaimer(claimedBy);
    if (!claimer || claimer.host !== os.hostname()) return false;
    if (claimer.pid === process.pid) return !liveRuns.has(claimer.run);
    return !processAlive(claimer.pid);
  }

  private async recoverAbandoned(): Promise<TRelayRunResult['recovered']> {
    const recovered = { released: 0, retried: 0, uncertain: 0 };
    const now = this.now();
    const sending = await this.db.outboxMessage.findMany({
      where: { status: 'sending', NOT: { claimedBy: this.runId } },
      select: { id: true, channel: true, claimedBy: true, claimedAt: true, sentAt: true },
    });
    for (const row of sending) {
      if (!this.claimerGone(row.claimedBy, row.claimedAt, now)) continue;
      const where = { id: row.id, status: 'sending', claimedBy: row.claimedBy };
      if (!row.sentAt) {
        // Claimed, never handed to the channel: nothing was sent.
        const n = await this.db.outboxMessage.updateMany({ where, data: { status: 'pending', claimedBy: null } });
        recovered.released += n.count;
      } else if (this.adapters.get(row.channel)?.resendSafe) {
        const n = await this.db.outboxMessage.updateMany({
          where,
          data: {
            status: 'failed',
            nextAttemptAt: now,
            lastError: '投递进程中断；接收方按幂等键去重，重新发送',
          },
        });
        recovered.retried += n.count;
      } else {
        const n = await this.db.outboxMessage.updateMany({
          where,
          data: {
            status: 'uncertain',
            lastError: `投递进程（${row.claimedBy}）在发送过程中中断，无法确定是否已送达，未自动重发；请核实后由管理员手动重试`,
          },
        });
        recovered.uncertain += n.count;
      }
    }
    if (recovered.released + recovered.retried + recovered.uncertain > 0) {
      this.log.warn(
        `abandoned rows of a relay that died: ${recovered.released} released, ${recovered.retried} to resend (idempotent channel), ${recovered.uncertain} uncertain`,
      );
    }
    return recovered;
  }

  private async claim(): Promise<TClaimedRow[]> {
    const now = this.now();
    const due = {
      status: { in: ['pending', 'failed'] },
      channel: { in: [...EXTERNAL_CHANNELS] as string[] },
      OR: [{ nextAttemptAt: null }, { nextAttemptAt: { lte: now } }],
    };
    const select = { id: true, idempotencyKey: true, channel: true, payload: true, attempts: true } as const;
    return this.db.$transaction(async (tx) => {
      const rows = await tx.outboxMessage.findMany({
        where: due,
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: this.batchSize,
        select,
      });
      // A digest is one message: every due row of that person and channel joins the batch (the key ends with both).
      const ids = new Set(rows.map((r) => r.id));
      const digests = new Set(
        rows.filter((r) => payloadOf(r).digest).map((r) => `:${payloadOf(r).userId}:${r.channel}`),
      );
      for (const suffix of digests) {
        const more = await tx.outboxMessage.findMany({
          where: { ...due, idempotencyKey: { endsWith: suffix } },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          take: DIGEST_MAX_ROWS,
          select: { id: true },
        });
        for (const m of more) ids.add(m.id);
      }
      if (ids.size === 0) return [];
      await tx.outboxMessage.updateMany({
        where: { id: { in: [...ids] }, status: { in: ['pending', 'failed'] } },
        data: { status: 'sending', claimedBy: this.runId, claimedAt: now, sentAt: null },
      });
      return tx.outboxMessage.findMany({
        where: { id: { in: [...ids] }, status: 'sending', claimedBy: this.runId },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        select,
      });
    });
  }

  /** Rows to send as one message: a digest's rows together, every other row alone. */
  private groups(rows: TClaimedRow[]): TClaimedRow[][] {
    const digests = new Map<string, TClaimedRow[]>();
    const out: TClaimedRow[][] = [];
    for (const row of rows) {
      const payload = payloadOf(row);
      if (!payload.digest) {
        out.push([row]);
        continue;
      }
      const key = `${payload.userId}:${row.channel}`;
      const group = digests.get(key);
      if (group) group.push(row);
      else {
        const created = [row];
        digests.set(key, created);
        out.push(created);
      }
    }
    return out;
  }

  private async recipientOf(userId: string): Promise<TRecipientAddress | null> {
    const user = await this.db.user.findUnique({
      where: { id: userId },
      select: { id: true, name: true, email: true, phone: true, active: true },
    });
    if (!user || !user.active) return null;
    return { userId: user.id, name: user.name, email: user.email, phone: user.phone };
  }

  private async deliver(group: TClaimedRow[]): Promise<'sent' | 'failed' | 'dead' | 'uncertain'> {
    const first = group[0]!;
    const ids = group.map((r) => r.id);
    const mine = { id: { in: ids }, claimedBy: this.runId };
    const attempts = Math.max(...group.map((r) => r.attempts)) + 1;
    try {
      const adapter = this.adapters.get(first.channel);
      if (!adapter) {
        throw new DeliveryError('permanent', `渠道 ${first.channel} 未配置（投递进程缺少该渠道的环境变量）`);
      }
      const payload = payloadOf(first);
      if (typeof payload.userId !== 'string') throw new DeliveryError('permanent', '消息内容缺少收件人');
      const recipient = await this.recipientOf(payload.userId);
      if (!recipient) throw new DeliveryError('permanent', '收件人不存在或已停用');
      const digest = group.length > 1 || payload.digest === true;
      const message: TDeliveryMessage = {
        idempotencyKey: digest ? `${first.idempotencyKey}:digest` : first.idempotencyKey,
        outboxIds: ids,
        recipient,
        title: digest ? digestTitle(group.length, this.now()) : payload.title,
        items: group.map((r) => itemOf(r.payload as TOutboxPayload, this.publicUrl)),
        digest,
      };
      // Stamped before the hand-over: a crash from here on leaves a row that may have been sent (→ 'uncertain').
      await this.db.outboxMessage.updateMany({
        where: { ...mine, status: 'sending' },
        data: { sentAt: this.now(), attempts },
      });
      await adapter.send(message);
    } catch (err) {
      return this.failed(group, attempts, err);
    }
    // Conditional on the claim only: a row another relay marked 'uncertain' meanwhile was in fact sent.
    await this.db.outboxMessage.updateMany({
      where: mine,
      data: { status: 'sent', sentAt: this.now(), lastError: null, nextAttemptAt: null },
    });
    return 'sent';
  }

  private async failed(group: TClaimedRow[], attempts: number, err: unknown): Promise<'failed' | 'dead' | 'uncertain'> {
    const ids = group.map((r) => r.id);
    const channel = group[0]!.channel as TExternalChannel;
    const kind: TFailureKind = err instanceof DeliveryError ? err.kind : 'retry';
    const message = (err instanceof Error ? err.message : String(err)).slice(0, ERROR_MAX_CHARS);
    const resendSafe = this.adapters.get(channel)?.resendSafe === true;
    const where = { id: { in: ids }, claimedBy: this.runId, status: 'sending' };
    const now = this.now();
    let status: 'failed' | 'dead' | 'uncertain';
    if (kind === 'permanent' || attempts >= this.maxAttempts) status = 'dead';
    else if (kind === 'uncertain' && !resendSafe) status = 'uncertain';
    else status = 'failed';
    await this.db.outboxMessage.updateMany({
      where,
      data: {
        status,
        attempts,
        lastError: message,
        nextAttemptAt: status === 'failed' ? new Date(now.getTime() + backoffMs(attempts, this.random)) : null,
        // Kept for an uncertain row (when it may have arrived); cleared for a row that certainly was not sent.
        ...(status === 'uncertain' ? {} : { sentAt: null }),
      },
    });
    const line = `${channel} ${group[0]!.idempotencyKey}${group.length > 1 ? ` (+${group.length - 1})` : ''}: attempt ${attempts} → ${status}: ${message}`;
    if (status === 'failed') this.log.warn(line);
    else this.log.error(line);
    return status;
  }
}
