/**
 * The relay against a real SQLite database and real receivers on loopback: the fan-out notify writes, email through
 * an SMTP server (parsed with mailparser), the DingTalk / WeCom robots and the signed webhook through an HTTP server,
 * retries with backoff into the dead-letter state, abandoned claims, and the daily digest.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { ParsedMail } from 'mailparser';
import { notifyActivity, type TNotifyInput } from '../../activities/notify';
import type { Db } from '../../db/client';
import type { TChannelAdapter } from '../../delivery/channels';
import { deliveryConfigFromEnv } from '../../delivery/config';
import { emailChannel } from '../../delivery/email';
import { dingtalkChannel } from '../../delivery/robots';
import { webhookChannel, webhookSignature } from '../../delivery/webhook';
import { backoffMs, OutboxRelay, type TRelayOptions } from '../../delivery/relay';
import { createChannels } from '../../worker/relay';
import { createTestDb } from '../helpers/db';
import { createOrg, type TOrg } from '../helpers/fixtures';
import { startHttpServer, startSmtpServer, type THttpTestServer, type TSmtpTestServer } from './servers';

let db: Db;
let cleanup: () => Promise<void>;
let org: TOrg;
let smtp: TSmtpTestServer;
let robot: THttpTestServer;
const savedEnv = { ...process.env };
let clock = new Date('2026-12-01T02:00:00.000Z');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const DELIVERY_ENV = [
  'SMTP_URL',
  'DEFAULT_CHANNELS',
  'DINGTALK_WEBHOOK_URL',
  'DINGTALK_SECRET',
  'WECOM_WEBHOOK_URL',
  'WEBHOOK_URL',
  'WEBHOOK_SECRET',
  'PUBLIC_URL',
  'DIGEST_HOUR',
];

beforeAll(async () => {
  ({ db, cleanup } = await createTestDb());
  org = await createOrg(db);
  smtp = await startSmtpServer();
  robot = await startHttpServer();
  for (const k of DELIVERY_ENV) delete process.env[k];
  Object.assign(process.env, {
    SMTP_URL: smtp.url,
    DINGTALK_WEBHOOK_URL: `${robot.url}/dingtalk/robot/send?access_token=tok`,
    DINGTALK_SECRET: 'SECtest-secret',
    WECOM_WEBHOOK_URL: `${robot.url}/wecom/webhook/send?key=k1`,
    WEBHOOK_URL: `${robot.url}/hook`,
    WEBHOOK_SECRET: 'hook-secret',
    PUBLIC_URL: 'https://zhenggai.example.cn/',
  });
  for (const [i, a] of [org.staffA, org.headA, org.staffB, org.headB, org.office, org.leader].entries()) {
    await db.user.update({
      where: { id: a.userId },
      data: { email: `u${i}@zhenggai.example.cn`, phone: `1380000000${i}` },
    });
  }
});

afterAll(async () => {
  process.env = savedEnv;
  await smtp?.close();
  await robot?.close();
  await cleanup?.();
});

beforeEach(async () => {
  await db.outboxMessage.deleteMany({});
  await db.notification.deleteMany({});
  await db.userChannelPreference.deleteMany({});
  smtp.received.length = 0;
  robot.requests.length = 0;
  robot.respond = () => ({ status: 200, body: { errcode: 0, errmsg: 'ok' } });
  clock = new Date('2026-12-01T02:00:00.000Z');
});

function relay(options: Partial<TRelayOptions> = {}, channels?: TChannelAdapter[]): OutboxRelay {
  const config = deliveryConfigFromEnv(process.env);
  return new OutboxRelay({
    db,
    channels: channels ?? createChannels(config, { log: () => undefined }),
    publicUrl: config.PUBLIC_URL,
    now: () => clock,
    random: () => 0.5,
    log: quiet,
    ...options,
  });
}

const taskId = '0b7c6a52-0f7e-4b59-9a55-6b1a7d1d0001';

function urge(key: string, recipients: TNotifyInput['recipients'], at = clock.toISOString()): TNotifyInput {
  return {
    idempotencyKey: key,
    taskId,
    kind: 'urge',
    title: '【催办】省卫健委“整改责任落实不到位”',
    body: `省整改办催办省卫健委负责的“整改责任落实不到位”：请加快整改进度。查看：/tasks/${taskId}`,
    link: `/tasks/${taskId}`,
    recipients,
    at,
  };
}

/** The mail's recipient as `name <address>`. */
function toOf(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
  const first = to?.value[0];
  return `${first?.name ?? ''} <${first?.address ?? ''}>`;
}

async function statuses(): Promise<Record<string, string>> {
  const rows = await db.outboxMessage.findMany({ where: { channel: { not: 'in_app' } } });
  return Object.fromEntries(rows.map((r) => [r.idempotencyKey, r.status]));
}

describe('fan-out and email', () => {
  it('When a unit is urged with SMTP set, then each of its users gets one Chinese email with the task link, once', async () => {
    const notify = notifyActivity({ db });
    expect(await notify(urge('urge:1', [{ unitId: org.deptA }]))).toEqual({ notified: 2 });
    // A retried activity writes nothing again.
    expect(await notify(urge('urge:1', [{ unitId: org.deptA }]))).toEqual({ notified: 0 });
    const rows = await db.outboxMessage.findMany({ orderBy: { idempotencyKey: 'asc' } });
    // The inbox's own row is written already delivered; one email row per person (DEFAULT_CHANNELS: email with SMTP).
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ['in_app', 'sent'],
      ['email', 'pending'],
      ['in_app', 'sent'],
      ['email', 'pending'],
    ]);
    const r = relay();
    expect(await r.runOnce()).toMatchObject({ claimed: 2, sent: 2, failed: 0 });
    const mails = await smtp.waitFor(2);
    expect(mails.map((m) => toOf(m)).sort()).toEqual([
      '张经办 <u0@zhenggai.example.cn>',
      '李主任 <u1@zhenggai.example.cn>',
    ]);
    for (const mail of mails) {
      expect(mail.subject).toBe('【催办】省卫健委“整改责任落实不到位”');
      expect(mail.text).toContain('省整改办催办省卫健委负责的“整改责任落实不到位”：请加快整改进度。');
      expect(mail.text).toContain(`查看任务：https://zhenggai.example.cn/tasks/${taskId}`);
      expect(mail.text).not.toContain(`查看：/tasks/`);
      expect(mail.html).toContain(`<a href="https://zhenggai.example.cn/tasks/${taskId}">查看任务</a>`);
      expect(mail.from?.text).toContain('noreply@zhenggai.example.cn');
    }
    expect(Object.values(await statuses())).toEqual(['sent', 'sent']);
    expect(await r.runOnce()).toMatchObject({ claimed: 0 });
    expect(smtp.received).toHaveLength(2);
  });

  it('When a person chose no channel, or has no address, or is deactivated, then only the inbox gets it', async () => {
    await db.userChannelPreference.create({ data: { userId: org.staffA.userId, channels: ['in_app'] } });
    const noMail = await db.user.create({ data: { name: '无邮箱', role: 'unit_staff', unitId: org.deptA } });
    const gone = await db.user.create({
      data: { name: '已停用', role: 'unit_staff', unitId: org.deptA, email: 'gone@x.cn', active: false },
    });
    await notifyActivity({ db })(urge('urge:2', [{ unitId: org.deptA }]));
    expect(await db.notification.count()).toBe(4);
    const external = await db.outboxMessage.findMany({ where: { channel: { not: 'in_app' } } });
    expect(external.map((r) => (r.payload as { userId: string }).userId)).toEqual([org.headA.userId]);
    await db.outboxMessage.deleteMany({});
    await db.notification.deleteMany({});
    await db.user.deleteMany({ where: { id: { in: [noMail.id, gone.id] } } });
  });
});

describe('group robots and the webhook', () => {
  it('When a person prefers DingTalk, WeCom and the webhook, then each gets a correct, signed body', async () => {
    await db.userChannelPreference.create({
      data: { userId: org.staffA.userId, channels: ['in_app', 'dingtalk', 'wecom', 'webhook'] },
    });
    await notifyActivity({ db })(urge('urge:3', [{ userId: org.staffA.userId }]));
    const r = relay();
    const before = Date.now();
    expect(await r.runOnce()).toMatchObject({ claimed: 3, sent: 3 });
    const byPath = (p: string) => robot.requests.find((q) => q.url.pathname.startsWith(p))!;

    const ding = byPath('/dingtalk');
    expect(ding.url.searchParams.get('access_token')).toBe('tok');
    const ts = ding.url.searchParams.get('timestamp')!;
    expect(Number(ts)).toBeGreaterThanOrEqual(before);
    const expectedSign = crypto.createHmac('sha256', 'SECtest-secret').update(`${ts}\nSECtest-secret`).digest('base64');
    expect(ding.url.searchParams.get('sign')).toBe(expectedSign);
    // URL-encoded on the wire (base64 has + / =).
    expect(ding.path).toContain(`sign=${encodeURIComponent(expectedSign)}`);
    expect(ding.json).toMatchObject({
      msgtype: 'markdown',
      markdown: { title: '【催办】省卫健委“整改责任落实不到位”' },
      at: { atMobiles: ['13800000000'], isAtAll: false },
    });
    const dingText = (ding.json as { markdown: { text: string } }).markdown.text;
    expect(dingText).toContain('@13800000000');
    expect(dingText).toContain(`[查看任务](https://zhenggai.example.cn/tasks/${taskId})`);

    const wecom = byPath('/wecom');
    expect(wecom.url.searchParams.get('key')).toBe('k1');
    expect(wecom.json).toEqual({
      msgtype: 'markdown',
      markdown: { content: expect.stringContaining('请加快整改进度') },
    });
    expect((wecom.json as { markdown: { content: string } }).markdown.content).toContain('致：张经办');

    const hook = byPath('/hook');
    const stamp = hook.headers['x-zhenggai-timestamp'] as string;
    expect(hook.headers['x-zhenggai-signature']).toBe(webhookSignature('hook-secret', stamp, hook.body));
    expect(hook.headers['x-zhenggai-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(hook.headers['x-idempotency-key']).toBe(`urge:3:0:${org.staffA.userId}:webhook`);
    expect(hook.json).toMatchObject({
      recipient: { userId: org.staffA.userId, name: '张经办' },
      title: '【催办】省卫健委“整改责任落实不到位”',
      items: [{ url: `https://zhenggai.example.cn/tasks/${taskId}` }],
    });
  });

  it('When a robot answers errcode ≠ 0, then the row is retried; a security failure (310000) is dead at once', async () => {
    await db.userChannelPreference.create({ data: { userId: org.staffA.userId, channels: ['dingtalk'] } });
    robot.respond = () => ({ status: 200, body: { errcode: 130101, errmsg: 'send too fast' } });
    await notifyActivity({ db })(urge('urge:4', [{ userId: org.staffA.userId }]));
    expect(await relay().runOnce()).toMatchObject({ failed: 1 });
    const row = await db.outboxMessage.findFirstOrThrow({ where: { channel: 'dingtalk' } });
    expect(row).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('130101') });
    robot.respond = () => ({ status: 200, body: { errcode: 310000, errmsg: 'sign not match' } });
    clock = new Date(clock.getTime() + 60_000);
    expect(await relay().runOnce()).toMatchObject({ dead: 1 });
    expect(await db.outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      status: 'dead',
      attempts: 2,
    });
  });
});

describe('retries, backoff and dead letters', () => {
  it('When the mail server refuses three times, then the relay waits 30 s, 1 min, 2 min and delivers the fourth time', async () => {
    await notifyActivity({ db })(urge('urge:5', [{ userId: org.staffA.userId }]));
    smtp.failNext(3);
    const r = relay();
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await r.runOnce()).toMatchObject({ failed: 1 });
      const row = await db.outboxMessage.findFirstOrThrow({ where: { channel: 'email' } });
      expect(row).toMatchObject({ status: 'failed', attempts: attempt, sentAt: null });
      expect(row.lastError).toContain('暂时无法投递');
      waits.push(row.nextAttemptAt!.getTime() - clock.getTime());
      // Not due a moment before its time.
      clock = new Date(row.nextAttemptAt!.getTime() - 1);
      expect(await r.runOnce()).toMatchObject({ claimed: 0 });
      clock = row.nextAttemptAt!;
    }
    expect(waits).toEqual([30_000, 60_000, 120_000]);
    expect(await r.runOnce()).toMatchObject({ sent: 1 });
    expect(await smtp.waitFor(1)).toHaveLength(1);
    expect(await db.outboxMessage.findFirstOrThrow({ where: { channel: 'email' } })).toMatchObject({
      status: 'sent',
      attempts: 4,
      lastError: null,
    });
  });

  it('When a receiver keeps failing, then after 8 attempts the message is dead (backoff doubling up to 32 min)', async () => {
    await db.userChannelPreference.create({ data: { userId: org.staffA.userId, channels: ['webhook'] } });
    robot.respond = () => ({ status: 503, body: { error: 'down' } });
    await notifyActivity({ db })(urge('urge:6', [{ userId: org.staffA.userId }]));
    const r = relay();
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      await r.runOnce();
      const row = await db.outboxMessage.findFirstOrThrow({ where: { channel: 'webhook' } });
      expect(row.attempts).toBe(attempt);
      if (attempt < 8) {
        expect(row.status).toBe('failed');
        waits.push(row.nextAttemptAt!.getTime() - clock.getTime());
        clock = row.nextAttemptAt!;
      } else {
        expect(row).toMatchObject({ status: 'dead', nextAttemptAt: null, lastError: expect.stringContaining('503') });
      }
    }
    expect(waits.map((w) => w / 1000)).toEqual([30, 60, 120, 240, 480, 960, 1920]);
    expect(robot.requests).toHaveLength(8);
    clock = new Date(clock.getTime() + 24 * 3600_000);
    expect(await r.runOnce()).toMatchObject({ claimed: 0 });
    // Jitter spreads retries by ±20 % and the wait never exceeds an hour (plus jitter).
    expect(backoffMs(1, () => 0)).toBe(24_000);
    expect(backoffMs(1, () => 1)).toBe(36_000);
    expect(backoffMs(20, () => 0.5)).toBe(3600_000);
  });

  it('When the mail server refuses for good (550), then the message is dead after one attempt', async () => {
    await notifyActivity({ db })(urge('urge:7', [{ userId: org.staffA.userId }]));
    smtp.failNext(1, 550);
    expect(await relay().runOnce()).toMatchObject({ dead: 1 });
    expect(await db.outboxMessage.findFirstOrThrow({ where: { channel: 'email' } })).toMatchObject({
      status: 'dead',
      attempts: 1,
    });
  });
});

describe('abandoned claims', () => {
  it('When a dead relay left rows "sending", then unsent ones are released, handed-over ones uncertain, webhook ones resent', async () => {
    await db.userChannelPreference.create({ data: { userId: org.staffA.userId, channels: ['email', 'webhook'] } });
    await db.userChannelPreference.create({ data: { userId: org.headA.userId, channels: ['email'] } });
    await notifyActivity({ db })(urge('urge:8', [{ unitId: org.deptA }]));
    // A process that no longer exists (a pid beyond the kernel's maximum) on this host.
    const gone = `${os.hostname()}/4194305/dead-run`;
    const headMail = `urge:8:0:${org.headA.userId}:email`;
    const staffMail = `urge:8:0:${org.staffA.userId}:email`;
    const staffHook = `urge:8:0:${org.staffA.userId}:webhook`;
    await db.outboxMessage.updateMany({
      where: { channel: { not: 'in_app' } },
      data: { status: 'sending', claimedBy: gone, claimedAt: clock },
    });
    // Two of them had been handed to their channel.
    await db.outboxMessage.updateMany({
      where: { idempotencyKey: { in: [staffMail, staffHook] } },
      data: { sentAt: clock, attempts: 1 },
    });
    const result = await relay().runOnce();
    expect(result.recovered).toEqual({ released: 1, retried: 1, uncertain: 1 });
    expect(result.sent).toBe(2);
    expect(await statuses()).toEqual({ [headMail]: 'sent', [staffMail]: 'uncertain', [staffHook]: 'sent' });
    // The uncertain email was not sent again: only the head's arrived.
    const mails = await smtp.waitFor(1);
    expect(mails.map((m) => toOf(m))).toEqual(['李主任 <u1@zhenggai.example.cn>']);
    expect(robot.requests.map((q) => q.headers['x-idempotency-key'])).toEqual([staffHook]);
    const uncertain = await db.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: staffMail } });
    expect(uncertain.lastError).toContain('无法确定是否已送达');
  });

  it('When the claimer may still be alive (another live run, lease not over), then its rows are left alone', async () => {
    await notifyActivity({ db })(urge('urge:9', [{ userId: org.staffA.userId }]));
    const other = relay();
    await db.outboxMessage.updateMany({
      where: { channel: 'email' },
      data: { status: 'sending', claimedBy: other.runId, claimedAt: clock, sentAt: clock },
    });
    expect((await relay({ leaseMs: 60_000 }).runOnce()).recovered).toEqual({ released: 0, retried: 0, uncertain: 0 });
    clock = new Date(clock.getTime() + 61_000);
    expect((await relay({ leaseMs: 60_000 }).runOnce()).recovered).toEqual({ released: 0, retried: 0, uncertain: 1 });
    await other.stop();
  });
});

describe('daily digest', () => {
  it('When a leader with the digest on gets 18 notices in a day, then one email at 08:00 Shanghai gathers them', async () => {
    await db.userChannelPreference.create({ data: { userId: org.leader.userId, channels: ['email'], digest: true } });
    const notify = notifyActivity({ db });
    // From 08:30 on 1 December to 07:30 on 2 December, Shanghai time.
    const start = new Date('2026-12-01T00:30:00.000Z').getTime();
    for (let i = 0; i < 18; i++) {
      const at = new Date(start + i * 82 * 60_000).toISOString();
      await notify({
        ...urge(`urge:d${i}`, [{ userId: org.leader.userId }, { userId: org.staffA.userId }], at),
        title: `【催办】第${i + 1}件`,
      });
    }
    const held = await db.outboxMessage.findMany({ where: { channel: 'email', payload: { not: undefined } } });
    const leaderRows = held.filter((r) => (r.payload as { userId: string }).userId === org.leader.userId);
    expect(leaderRows).toHaveLength(18);
    expect(new Set(leaderRows.map((r) => r.nextAttemptAt!.toISOString()))).toEqual(
      new Set(['2026-12-02T00:00:00.000Z']),
    );
    const r = relay({ batchSize: 5 });
    clock = new Date('2026-12-01T23:59:59.000Z');
    // The staff member without the digest gets each at once; the leader nothing yet.
    for (let i = 0; i < 4; i++) await r.runOnce();
    expect(smtp.received).toHaveLength(18);
    expect(smtp.received.every((m) => toOf(m).includes('张经办'))).toBe(true);
    smtp.received.length = 0;
    clock = new Date('2026-12-02T00:00:00.000Z');
    expect(await r.runOnce()).toMatchObject({ claimed: 18, sent: 18 });
    const [digest] = await smtp.waitFor(1);
    expect(smtp.received).toHaveLength(1);
    expect(digest!.subject).toBe('【整改通知汇总】2026年12月2日共18条');
    expect(toOf(digest!)).toContain('孙领导');
    for (let i = 1; i <= 18; i++) expect(digest!.text).toContain(`【催办】第${i}件`);
    expect(digest!.text).toContain(`查看任务：https://zhenggai.example.cn/tasks/${taskId}`);
    expect(Object.values(await statuses()).every((s) => s === 'sent')).toBe(true);
    expect(await r.runOnce()).toMatchObject({ claimed: 0 });
  });
});

describe('more than one relay, and channels not configured', () => {
  it('When two relays run at once on the same rows, then each message is claimed and sent by one of them only', async () => {
    const people = [org.staffA, org.headA, org.staffB, org.headB, org.office, org.leader];
    for (let i = 0; i < 3; i++) {
      await notifyActivity({ db })(
        urge(
          `urge:two${i}`,
          people.map((p) => ({ userId: p.userId })),
        ),
      );
    }
    const a = relay({ batchSize: 7 });
    const b = relay({ batchSize: 7 });
    const results = [];
    for (let round = 0; round < 3; round++) results.push(...(await Promise.all([a.runOnce(), b.runOnce()])));
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(18);
    await smtp.waitFor(18);
    await new Promise((r) => setTimeout(r, 300));
    const keys = smtp.received.map((m) => `${toOf(m)} ${m.messageId ?? ''}`);
    expect(smtp.received).toHaveLength(18);
    expect(new Set(keys).size).toBe(18);
    const rows = await db.outboxMessage.findMany({ where: { channel: 'email' } });
    expect(new Set(rows.map((r) => r.claimedBy))).toEqual(new Set([a.runId, b.runId]));
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('When a row names a channel this relay has no configuration for, then it is dead saying so', async () => {
    await db.userChannelPreference.create({ data: { userId: org.staffA.userId, channels: ['wecom'] } });
    await notifyActivity({ db })(urge('urge:nocfg', [{ userId: org.staffA.userId }]));
    // A relay started without WECOM_WEBHOOK_URL (the worker that fanned out had it).
    const withoutWecom = createChannels(deliveryConfigFromEnv({ ...process.env, WECOM_WEBHOOK_URL: '' }), {
      log: () => undefined,
    });
    expect(await relay({}, withoutWecom).runOnce()).toMatchObject({ dead: 1 });
    const row = await db.outboxMessage.findFirstOrThrow({ where: { channel: 'wecom' } });
    expect(row.lastError).toContain('未配置');
  });

  it('When a person chose SMS, then the default sender writes the text (number masked) to the log', async () => {
    await db.userChannelPreference.create({ data: { userId: org.staffA.userId, channels: ['sms'] } });
    await notifyActivity({ db })(urge('urge:sms', [{ userId: org.staffA.userId }]));
    const lines: string[] = [];
    const channels = createChannels(deliveryConfigFromEnv(process.env), { log: (l) => lines.push(l) });
    expect(await relay({}, channels).runOnce()).toMatchObject({ sent: 1 });
    expect(lines).toEqual([
      `[sms] to 138****0000 (urge:sms:0:${org.staffA.userId}:sms): 【整改系统】【催办】省卫健委“整改责任落实不到位” https://zhenggai.example.cn/tasks/${taskId}`,
    ]);
  });
});

describe('failures of the mail conversation itself', () => {
  it('When the mail server never answers the message (socket timeout), then it is uncertain and not resent', async () => {
    await notifyActivity({ db })(urge('urge:timeout', [{ userId: org.staffA.userId }]));
    let release!: () => void;
    smtp.hold = new Promise<void>((resolve) => (release = resolve));
    const impatient = emailChannel({ smtpUrl: smtp.url, from: 'a@b.cn', socketTimeoutMs: 1000 });
    try {
      expect(await relay({}, [impatient]).runOnce()).toMatchObject({ uncertain: 1 });
    } finally {
      smtp.hold = null;
      release();
    }
    // The server did get it (it answers late, to a closed connection).
    await smtp.waitFor(1);
    const row = await db.outboxMessage.findFirstOrThrow({ where: { channel: 'email' } });
    expect(row).toMatchObject({ status: 'uncertain', attempts: 1, nextAttemptAt: null });
    expect(row.sentAt).not.toBeNull();
    clock = new Date(clock.getTime() + 24 * 3600_000);
    expect(await relay().runOnce()).toMatchObject({ claimed: 0 });
    expect(smtp.received).toHaveLength(1);
  });

  it('When nothing listens at SMTP_URL, then the mail certainly did not leave and is retried later', async () => {
    await notifyActivity({ db })(urge('urge:refused', [{ userId: org.staffA.userId }]));
    const closed = await startSmtpServer();
    await closed.close();
    const nowhere = emailChannel({ smtpUrl: closed.url, from: 'a@b.cn' });
    expect(await relay({}, [nowhere]).runOnce()).toMatchObject({ failed: 1 });
    const row = await db.outboxMessage.findFirstOrThrow({ where: { channel: 'email' } });
    expect(row).toMatchObject({ status: 'failed', attempts: 1, sentAt: null });
    expect(row.lastError).toContain('ECONNREFUSED');
    clock = row.nextAttemptAt!;
    expect(await relay().runOnce()).toMatchObject({ sent: 1 });
    expect(await smtp.waitFor(1)).toHaveLength(1);
  });
});

describe('failures of the HTTP channels', () => {
  it('When a robot takes the request but never answers, then DingTalk is uncertain; the webhook is resent with its key', async () => {
    await db.userChannelPreference.create({ data: { userId: org.staffA.userId, channels: ['dingtalk', 'webhook'] } });
    await notifyActivity({ db })(urge('urge:http', [{ userId: org.staffA.userId }]));
    robot.respond = () => ({ status: 0, body: null });
    const patient = { timeoutMs: 500 };
    const channels = [
      dingtalkChannel({ webhookUrl: `${robot.url}/dingtalk`, secret: 'SECx', ...patient }),
      webhookChannel({ url: `${robot.url}/hook`, secret: 'hook-secret', ...patient }),
    ];
    expect(await relay({}, channels).runOnce()).toMatchObject({ uncertain: 1, failed: 1 });
    expect(await statuses()).toEqual({
      [`urge:http:0:${org.staffA.userId}:dingtalk`]: 'uncertain',
      [`urge:http:0:${org.staffA.userId}:webhook`]: 'failed',
    });
    robot.respond = () => ({ status: 204, body: null });
    clock = new Date(clock.getTime() + 3600_000);
    expect(await relay({}, channels).runOnce()).toMatchObject({ claimed: 1, sent: 1 });
    const hooks = robot.requests.filter((q) => q.url.pathname === '/hook');
    // The same message twice, under the same key: the receiver keeps one.
    expect(hooks).toHaveLength(2);
    expect(new Set(hooks.map((q) => q.headers['x-idempotency-key']))).toEqual(
      new Set([`urge:http:0:${org.staffA.userId}:webhook`]),
    );
    expect(robot.requests.filter((q) => q.url.pathname === '/dingtalk')).toHaveLength(1);
  });

  it('When nothing listens at the robot URL, then the message certainly did not leave and is retried', async () => {
    await db.userChannelPreference.create({ data: { userId: org.staffA.userId, channels: ['dingtalk'] } });
    await notifyActivity({ db })(urge('urge:nohost', [{ userId: org.staffA.userId }]));
    const closed = await startHttpServer();
    await closed.close();
    const channels = [dingtalkChannel({ webhookUrl: `${closed.url}/dingtalk` })];
    await relay({}, channels).runOnce();
    const row = await db.outboxMessage.findFirstOrThrow({ where: { channel: 'dingtalk' } });
    expect(row).toMatchObject({ status: 'failed', sentAt: null });
    expect(row.lastError).toContain('ECONNREFUSED');
  });
});
