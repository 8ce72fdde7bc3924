/**
 * At most once across a crash: the relay runs in a child process (node --import tsx worker/relay.ts) against a real SQLite file and
 * a real SMTP server on loopback. It is SIGKILLed while the server holds the first message of its batch open, then a
 * new relay process starts: every message arrives exactly once — the held one is not resent (it is 'uncertain' for
 * the admin), the rest of the killed batch is delivered by the new run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { notifyActivity } from '../../activities/notify';
import type { Db } from '../../db/client';
import { createTestDb } from '../helpers/db';
import { createOrg, type TOrg } from '../helpers/fixtures';
import { startSmtpServer, type TSmtpTestServer } from './servers';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');

let db: Db;
let url: string;
let cleanup: () => Promise<void>;
let org: TOrg;
let smtp: TSmtpTestServer;
const savedEnv = { ...process.env };
const children: ChildProcess[] = [];

beforeAll(async () => {
  ({ db, url, cleanup } = await createTestDb());
  org = await createOrg(db);
  smtp = await startSmtpServer();
  process.env.SMTP_URL = smtp.url;
  delete process.env.DEFAULT_CHANNELS;
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  process.env = savedEnv;
  await smtp?.close();
  await cleanup?.();
});

function startRelayProcess(): { child: ChildProcess; output: () => string; exited: Promise<void> } {
  // Node itself with tsx's loader (not the tsx CLI, which would run the relay in a grandchild the kill would miss).
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker', 'relay.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url,
      SMTP_URL: smtp.url,
      PUBLIC_URL: 'http://localhost:3000',
      // Polls often so the test is quick; the whole batch is claimed at once.
      RELAY_INTERVAL_MS: '200',
      RELAY_BATCH_SIZE: '10',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => out, exited };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function addressOf(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
  return to?.value[0]?.address ?? '';
}

it('When the relay is killed mid-batch and restarted, then nothing is lost and nothing is sent twice', async () => {
  const people = [org.staffA, org.headA, org.staffB, org.headB, org.office];
  for (const [i, p] of people.entries()) {
    await db.user.update({ where: { id: p.userId }, data: { email: `p${i}@zhenggai.example.cn` } });
  }
  const taskId = '5f0c2d7e-6a7b-4c1d-8e9f-000000000001';
  await notifyActivity({ db })({
    idempotencyKey: 'urge:crash',
    taskId,
    kind: 'urge',
    title: '【催办】请加快整改进度',
    body: `请加快整改进度。查看：/tasks/${taskId}`,
    link: `/tasks/${taskId}`,
    recipients: people.map((p) => ({ userId: p.userId })),
    at: new Date().toISOString(),
  });
  expect(await db.outboxMessage.count({ where: { channel: 'email', status: 'pending' } })).toBe(5);

  // The server takes the first message's body and holds its answer: the relay is mid-send when it is killed.
  let release!: () => void;
  smtp.hold = new Promise<void>((resolve) => (release = resolve));
  const first = startRelayProcess();
  await until('the first message to reach the server', () => smtp.bodiesSeen >= 1);
  const duringSend = await db.outboxMessage.findMany({ where: { channel: 'email' } });
  // The whole batch was claimed before sending; only the first was handed over.
  expect(duringSend.map((r) => r.status)).toEqual(['sending', 'sending', 'sending', 'sending', 'sending']);
  expect(duringSend.filter((r) => r.sentAt !== null)).toHaveLength(1);
  const held = duringSend.find((r) => r.sentAt !== null)!;
  first.child.kill('SIGKILL');
  await first.exited;
  // The server accepts what it had received (as a real one may, though the client never heard the answer).
  smtp.hold = null;
  release();
  await until('the held message to be stored', () => smtp.received.length === 1);

  const second = startRelayProcess();
  await until('the other four messages', () => smtp.received.length >= 5);
  // A little longer: a resend of the held one would arrive now.
  await new Promise((r) => setTimeout(r, 1500));
  second.child.kill('SIGTERM');
  await second.exited;
  expect(second.output()).toContain('1 uncertain');

  const addresses = smtp.received.map(addressOf).sort();
  expect(addresses).toEqual(people.map((_, i) => `p${i}@zhenggai.example.cn`).sort());
  const rows = await db.outboxMessage.findMany({ where: { channel: 'email' } });
  expect(rows.filter((r) => r.status === 'sent')).toHaveLength(4);
  const uncertain = rows.filter((r) => r.status === 'uncertain');
  expect(uncertain.map((r) => r.id)).toEqual([held.id]);
  expect(uncertain[0]!.lastError).toContain('无法确定是否已送达');
  expect(rows.every((r) => r.claimedBy !== held.claimedBy || r.id === held.id)).toBe(true);
});
