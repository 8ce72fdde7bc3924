/**
 * Delivery on the full stack (tests/api/harness.ts: the real worker on the dev server with time skipping, a fresh
 * SQLite database with the demo organisation, the Express app) with SMTP_URL set to a real SMTP server on loopback
 * and the relay polling the stack's database as `npm start` runs it. Acceptance of issue 13: a 催办 and an overdue
 * report each deliver one email per recipient, in Chinese, with a link to the task. Then the routes: preferences and
 * the admin's dead letters.
 */
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import type { OutboxRelay } from '../../delivery/relay';
import { startRelay } from '../../worker/relay';
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from '../api/harness';
import { startSmtpServer, type TSmtpTestServer } from './servers';

jest.setTimeout(180_000);

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let smtp: TSmtpTestServer;
let relay: OutboxRelay;
let campaignId: string;
const savedEnv = { ...process.env };
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  smtp = await startSmtpServer();
  for (const k of ['DEFAULT_CHANNELS', 'DINGTALK_WEBHOOK_URL', 'WECOM_WEBHOOK_URL', 'WEBHOOK_URL'])
    delete process.env[k];
  // Set before the stack: the worker's notify reads it when it fans out.
  Object.assign(process.env, { SMTP_URL: smtp.url, PUBLIC_URL: 'http://localhost:3000', SMS_PROVIDER: 'off' });
  stack = await startApiStack();
  cast = demoCast(stack.users);
  relay = startRelay({ db: stack.db, env: { ...process.env, RELAY_INTERVAL_MS: '200' }, log: quiet });
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
});

afterAll(async () => {
  await relay?.stop();
  await stack?.teardown();
  await smtp?.close();
  process.env = savedEnv;
});

function put(user: { token: string }, url: string, body: object) {
  return request(stack.app).put(url).set('Authorization', `Bearer ${user.token}`).send(body);
}

function addressOf(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
  return to?.value[0]?.address ?? '';
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until every notification of this kind on the task has its email, then checks: exactly one mail per
 * recipient, to their address, subject = the notice's title, the body in Chinese with the task's full link.
 */
async function expectOneMailPerRecipient(taskId: string, kind: string): Promise<string[]> {
  const notes = await until(
    `${kind} notifications`,
    () => stack.db.notification.findMany({ where: { taskId, kind } }),
    (n) => n.length > 0,
  );
  const users = await stack.db.user.findMany({ where: { id: { in: notes.map((n) => n.userId!) } } });
  const addresses = users.map((u) => u.email!);
  const title = notes[0]!.title;
  const mails = await until(
    `${notes.length} mails titled ${title}`,
    async () => smtp.received.filter((m) => m.subject === title),
    (m) => m.length >= notes.length,
  );
  // A moment more: a duplicate would arrive now.
  await new Promise((r) => setTimeout(r, 800));
  const final = smtp.received.filter((m) => m.subject === title);
  expect(final.map(addressOf).sort()).toEqual(addresses.sort());
  expect(mails.length).toBe(notes.length);
  for (const mail of final) {
    expect(mail.subject).toMatch(/[\u4e00-\u9fa5]/);
    expect(mail.text).toContain(`查看任务：http://localhost:3000/tasks/${taskId}`);
    expect(mail.html).toContain(`href="http://localhost:3000/tasks/${taskId}"`);
  }
  const rows = await stack.db.outboxMessage.findMany({
    where: { channel: 'email', idempotencyKey: { in: notes.map((n) => `${n.idempotencyKey}:email`) } },
  });
  expect(rows.map((r) => r.status)).toEqual(notes.map(() => 'sent'));
  return final.map(addressOf);
}

describe('acceptance: email with SMTP_URL set', () => {
  let taskId: string;

  it('When the office urges a unit (催办), then each of its people gets one Chinese email linking to the task', async () => {
    const created = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId),
    );
    expect(created.status).toBe(201);
    taskId = created.body.tasks[0].id as string;
    await assigned(stack.app, cast.office, taskId);
    expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`)).status).toBe(200);
    const urged = await as(stack.app, cast.office).post(`/api/tasks/${taskId}/urge`, { message: '请加快整改进度' });
    expect(urged.status).toBe(202);
    const to = await expectOneMailPerRecipient(taskId, 'urge');
    // The lead unit's people: its staff member and its head (demo addresses <username>@zhenggai.example.cn).
    expect(to.sort()).toEqual(['medical_head@zhenggai.example.cn', 'medical_staff@zhenggai.example.cn']);
    const mail = smtp.received.find((m) => m.subject?.startsWith('【催办】'))!;
    expect(mail.text).toContain('请加快整改进度');
  });

  it('When a monthly report is overdue, then the office and the unit each get one email of the notice', async () => {
    // Past the first report's due day (the 25th): the workflow's timer raises the overdue notice.
    await stack.testEnv.sleep('40 days');
    const to = await expectOneMailPerRecipient(taskId, 'supervision_notice');
    expect(to).toEqual(expect.arrayContaining(['medical_staff@zhenggai.example.cn', 'office@zhenggai.example.cn']));
    const notice = smtp.received.find(
      (m) => addressOf(m) === 'office@zhenggai.example.cn' && /逾期/.test(m.subject ?? ''),
    );
    expect(notice?.text).toContain(`http://localhost:3000/tasks/${taskId}`);
  });
});

describe('routes', () => {
  it('When a person reads and sets their preferences, then they are kept; bad input names the field', async () => {
    const me = as(stack.app, cast.financeStaff);
    const putPrefs = (body: object) => put(cast.financeStaff, '/api/me/notification-preferences', body);
    const initial = await me.get('/api/me/notification-preferences');
    expect(initial.status).toBe(200);
    // Nothing chosen yet: the default (email, since SMTP_URL is set) besides the inbox.
    expect(initial.body).toMatchObject({
      channels: ['in_app', 'email'],
      digest: false,
      isDefault: true,
      digestHour: 8,
    });
    expect(initial.body.available).toEqual(['in_app', 'email']);
    const saved = await putPrefs({ channels: ['email', 'dingtalk'], digest: true });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ channels: ['in_app', 'email', 'dingtalk'], digest: true, isDefault: false });
    expect((await me.get('/api/me/notification-preferences')).body).toMatchObject({
      channels: ['in_app', 'email', 'dingtalk'],
      digest: true,
    });
    const stored = await stack.db.userChannelPreference.findUniqueOrThrow({
      where: { userId: cast.financeStaff.userId },
    });
    expect(stored).toMatchObject({ channels: ['in_app', 'email', 'dingtalk'], digest: true });
    const bad = await putPrefs({ channels: ['email', 'pigeon'], digest: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toEqual(['channels', 1]);
    const noDigest = await putPrefs({ channels: [] });
    expect(noDigest.status).toBe(400);
    expect(noDigest.body.error.issues[0].path).toEqual(['digest']);
  });

  it('When a mail is refused for good, then the admin sees the dead letter, retries it and it is delivered', async () => {
    const created = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.financeStaff.unitId, cast.leader.userId),
    );
    const taskId = created.body.tasks[0].id as string;
    await assigned(stack.app, cast.office, taskId);
    // The head's mailbox does not exist: the server refuses it with 550 at RCPT TO, so that mail is dead at once.
    const head = await stack.db.user.findUniqueOrThrow({ where: { id: cast.financeHead.userId } });
    smtp.refuse.add(head.email!);
    expect(
      (await as(stack.app, cast.office).post(`/api/tasks/${taskId}/urge`, { message: '请于本周内报送' })).status,
    ).toBe(202);
    const admin = as(stack.app, cast.admin);
    const isUrge = (i: { taskId: string; title: string }) => i.taskId === taskId && i.title.startsWith('【催办】');
    const dead = await until(
      'a dead letter',
      async () =>
        (await admin.get('/api/admin/outbox?status=dead')).body as {
          items: { id: string; taskId: string; title: string }[];
        },
      (b) => b.items.some(isUrge),
    );
    // The head's mail of the urge (the task's report reminder to the head may be dead too).
    expect(dead.items.filter(isUrge)).toHaveLength(1);
    const letter = dead.items.find(isUrge)! as unknown as Record<string, unknown>;
    expect(letter).toMatchObject({
      channel: 'email',
      status: 'dead',
      attempts: 1,
      title: expect.stringMatching(/^【催办】/),
      recipient: expect.stringMatching(/财务处/),
      lastError: expect.stringContaining('550'),
    });
    // Without a status: what needs a person (dead and uncertain).
    expect((await admin.get('/api/admin/outbox')).body.items.map((i: { id: string }) => i.id)).toContain(letter.id);
    expect(
      (await admin.get('/api/admin/outbox?status=sent')).body.items.map((i: { id: string }) => i.id),
    ).not.toContain(letter.id);
    // Only the admin.
    expect((await as(stack.app, cast.office).get('/api/admin/outbox?status=dead')).status).toBe(403);
    expect((await as(stack.app, cast.office).post(`/api/admin/outbox/${letter.id as string}/retry`)).status).toBe(403);
    const bad = await admin.get('/api/admin/outbox?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toEqual(['status']);
    expect((await admin.post('/api/admin/outbox/no-such-id/retry')).status).toBe(404);

    // The mailbox is fixed; the admin puts the message back.
    smtp.refuse.clear();
    const before = smtp.received.filter((m) => m.subject === letter.title).length;
    const retried = await admin.post(`/api/admin/outbox/${letter.id as string}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: letter.id, attempts: 0 });
    const audit = await stack.db.auditEvent.findMany({
      where: { action: 'OutboxRetried', actorId: cast.admin.userId },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toMatchObject({ outboxId: letter.id, previousStatus: 'dead', channel: 'email', taskId });
    await until(
      'the retried mail',
      async () => smtp.received.filter((m) => m.subject === letter.title).length,
      (n) => n === before + 1,
    );
    const sent = await until(
      'the row to be sent',
      () => stack.db.outboxMessage.findUniqueOrThrow({ where: { id: letter.id as string } }),
      (r) => r.status === 'sent',
    );
    expect(sent).toMatchObject({ attempts: 1, lastError: null });
    // Delivered: nothing to retry.
    const again = await admin.post(`/api/admin/outbox/${letter.id as string}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('已送达') });
  });
});
