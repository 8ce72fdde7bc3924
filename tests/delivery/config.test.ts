/**
 * The delivery configuration (one Zod schema, errors naming the variable), the digest hour in Asia/Shanghai, the
 * rendering limits, and start-up refusing a wrong variable.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deliveryConfigFromEnv } from '../../delivery/config';
import { nextDigestAt } from '../../delivery/digest';
import { smtpUrlOptions } from '../../delivery/email';
import { itemOf, renderEmail, renderSms, truncateBytes } from '../../delivery/render';

describe('configuration', () => {
  it('When nothing is set, then no external channel is a default and only the logging SMS sender is on', () => {
    const c = deliveryConfigFromEnv({});
    expect(c).toMatchObject({ defaultChannels: [], enabledChannels: ['sms'], DIGEST_HOUR: 8 });
    expect(c.PUBLIC_URL).toBe('http://localhost:3000');
  });

  it('When SMTP_URL is set, then email is enabled and the default channel', () => {
    const c = deliveryConfigFromEnv({
      SMTP_URL: 'smtp://127.0.0.1:2525',
      SMS_PROVIDER: 'off',
      PUBLIC_URL: 'https://a.cn/',
    });
    expect(c).toMatchObject({ defaultChannels: ['email'], enabledChannels: ['email'], PUBLIC_URL: 'https://a.cn' });
    expect(deliveryConfigFromEnv({ SMTP_URL: 'smtp://h:25', DEFAULT_CHANNELS: '' }).defaultChannels).toEqual(['email']);
    expect(deliveryConfigFromEnv({ SMTP_URL: 'smtp://h:25', DEFAULT_CHANNELS: 'sms, email' }).defaultChannels).toEqual([
      'sms',
      'email',
    ]);
  });

  it.each([
    [{ SMTP_URL: 'http://mail.example.cn' }, 'SMTP_URL'],
    [{ DIGEST_HOUR: '24' }, 'DIGEST_HOUR'],
    [{ DINGTALK_WEBHOOK_URL: 'oapi.dingtalk.com/robot/send' }, 'DINGTALK_WEBHOOK_URL'],
    [{ DEFAULT_CHANNELS: 'email,fax' }, 'DEFAULT_CHANNELS'],
    [{ RELAY_MAX_ATTEMPTS: '0' }, 'RELAY_MAX_ATTEMPTS'],
    [{ WEBHOOK_URL: 'https://hook.example.cn/in' }, 'WEBHOOK_SECRET'],
  ])('When %j, then the error names %s', (env, name) => {
    expect(() => deliveryConfigFromEnv(env)).toThrow(name);
  });

  it('When npm start is given a wrong delivery variable, then it stops at once naming it (exit 2)', () => {
    const root = path.resolve(__dirname, '../..');
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'start.ts')], {
      cwd: root,
      env: { ...process.env, ROLE: 'relay', SMTP_URL: 'mail.example.cn', DATA_DIR: '/nonexistent/never-created' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('SMTP_URL');
    expect(run.stderr).toContain('投递配置有误');
  });
});

describe('SMTP_URL', () => {
  it('When it carries credentials and TLS, then nodemailer gets host, port, secure and the decoded login', () => {
    expect(smtpUrlOptions('smtp://127.0.0.1:2525')).toEqual({ host: '127.0.0.1', port: 2525, secure: false });
    expect(smtpUrlOptions('smtps://zg%40gov.cn:p%40ss%3Aw@mail.gov.cn')).toEqual({
      host: 'mail.gov.cn',
      port: 465,
      secure: true,
      auth: { user: 'zg@gov.cn', pass: 'p@ss:w' },
    });
    expect(smtpUrlOptions('smtp://mail.gov.cn').port).toBe(587);
  });
});

describe('ROLE=relay', () => {
  it('When npm start runs with ROLE=relay, then it migrates, relays without Temporal or the API, and stops on SIGTERM', async () => {
    const root = path.resolve(__dirname, '../..');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-relay-role-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'start.ts')], {
        cwd: root,
        // A port nothing listens on: with ROLE=relay no dev server may start (it would take this port).
        env: {
          ...process.env,
          ROLE: 'relay',
          DATA_DIR: dataDir,
          DEVSERVER_PORT: '1',
          PORT: '1',
          RELAY_INTERVAL_MS: '200',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const end = Date.now() + 60_000;
      while (!out.includes('relaying the outbox') && Date.now() < end && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out).toContain('relaying the outbox every 200 ms');
      expect(out).not.toContain('dev server');
      expect(out).not.toContain('API listening');
      expect(fs.existsSync(path.join(dataDir, 'zhenggai.db'))).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('digest hour (Asia/Shanghai, UTC+8)', () => {
  it.each([
    ['2026-12-01T23:59:00.000Z', 8, '2026-12-02T00:00:00.000Z'], // 07:59 Shanghai → 08:00 the same day
    ['2026-12-02T00:00:00.000Z', 8, '2026-12-03T00:00:00.000Z'], // 08:00 exactly → tomorrow's
    ['2026-12-01T15:30:00.000Z', 8, '2026-12-02T00:00:00.000Z'], // 23:30 → tomorrow 08:00
    ['2026-12-31T17:00:00.000Z', 0, '2027-01-01T16:00:00.000Z'], // 01:00 on 1 January → midnight of the 2nd
    ['2026-12-01T10:00:00.000Z', 18, '2026-12-02T10:00:00.000Z'], // 18:00 exactly → the next day's
  ] as [string, number, string][])('%s at hour %i → %s', (at, hour, expected) => {
    expect(nextDigestAt(new Date(at), hour).toISOString()).toBe(expected);
  });
});

describe('rendering', () => {
  const payload = {
    userId: 'u1',
    taskId: 't1',
    kind: 'urge',
    title: '【催办】<测试>',
    body: '请尽快报送。查看：/tasks/t1',
    link: '/tasks/t1',
  };

  it('When a text ends with its link path, then channels show the full link instead, and HTML is escaped', () => {
    const item = itemOf(payload, 'https://zg.example.cn');
    expect(item).toEqual({ title: '【催办】<测试>', text: '请尽快报送。', url: 'https://zg.example.cn/tasks/t1' });
    const mail = renderEmail({
      idempotencyKey: 'k',
      outboxIds: ['o'],
      recipient: { userId: 'u1', name: '张三', email: 'a@b.cn', phone: null },
      title: payload.title,
      items: [item],
      digest: false,
    });
    expect(mail.subject).toBe('【催办】<测试>');
    expect(mail.html).toContain('<title>【催办】&lt;测试&gt;</title>');
    expect(mail.text).toBe(
      '张三：\n\n请尽快报送。\n查看任务：https://zg.example.cn/tasks/t1\n\n此邮件由整改系统自动发送，请勿直接回复。',
    );
  });

  it('When a robot message is too long, then it is cut below 4000 bytes of UTF-8 at a character', () => {
    const long = '整改'.repeat(3000);
    const cut = truncateBytes(long);
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(4000);
    expect(cut.endsWith('（内容过长，请登录系统查看）')).toBe(true);
    expect(cut).not.toContain('\uFFFD');
    expect(truncateBytes('短')).toBe('短');
  });

  it('When an SMS is rendered, then it is one short line with the link; a digest only counts', () => {
    const base = {
      idempotencyKey: 'k',
      outboxIds: ['o'],
      recipient: { userId: 'u1', name: '张三', email: null, phone: '13800000000' },
      title: 't',
    };
    const item = itemOf(payload, 'https://zg.example.cn');
    expect(renderSms({ ...base, items: [item], digest: false })).toBe(
      '【整改系统】【催办】<测试> https://zg.example.cn/tasks/t1',
    );
    expect(renderSms({ ...base, items: [item, item], digest: true })).toBe(
      '【整改系统】您今日有2条整改通知，请登录系统查看。',
    );
  });
});
