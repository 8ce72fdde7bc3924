/**
 * Decisions only from the API (issue 11): with the payload codec, a decision or signal sent to the Temporal port
 * without the key changes nothing and the task stays usable; payloads are unreadable without the key; keys rotate by
 * adding one. Real worker and dev server; the "forger" is a plain Temporal client on the same port.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure, Payload } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import request from 'supertest';
import { createApp } from '../../api/app';
import { parseKeyList } from '../../codec/keys';
import { AesGcmPayloadCodec } from '../../codec/payloadCodec';
import type { Db } from '../../db/client';
import { addDaysToDate, dateOf } from '../../domain/calendar';
import { createTestEnvironment } from '../../devserver/src/testing';
import { seedDemo, type TDemoUser } from '../../scripts/seed-demo';
import { createTaskWorker } from '../../worker';
import { acknowledgeUpdate, taskStateQuery, urgeSignal } from '../../workflows/messages';
import { taskWorkflowId } from '../../workflows/shared';
import { taskLifecycle } from '../../workflows/taskLifecycle';
import { createTestDb } from '../helpers/db';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';
import { quietTemporalRuntime } from '../helpers/stack';

jest.setTimeout(120_000);

const key = (): string => randomBytes(32).toString('base64');
const k1 = key();
const k2 = key();
const codec = new AesGcmPayloadCodec(parseKeyList([{ id: 'k1', key: k1 }]));
const json = (value: unknown): Payload => ({
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode(JSON.stringify(value)),
});
const valueOf = (p: Payload): unknown => JSON.parse(new TextDecoder().decode(p.data!));

describe('the codec', () => {
  it('encrypts so that the plaintext is not in the payload, and decodes it back', async () => {
    const [encoded] = await codec.encode([json({ progress: '整改进展机密内容' })]);
    expect(Buffer.from(encoded!.data!).toString('utf8')).not.toContain('整改');
    expect(new TextDecoder().decode(encoded!.metadata!['encryption-key-id'])).toBe('k1');
    const [decoded] = await codec.decode([encoded!]);
    expect(valueOf(decoded!)).toEqual({ progress: '整改进展机密内容' });
  });

  it('decodes a tampered, foreign-key or plaintext payload to the forged marker, never throwing', async () => {
    const [encoded] = await codec.encode([json({ a: 1 })]);
    const tampered = { ...encoded!, data: Buffer.from(encoded!.data!).fill(7, 20, 21) };
    const foreign = (await new AesGcmPayloadCodec(parseKeyList([{ id: 'k1', key: k2 }])).encode([json({ a: 1 })]))[0]!;
    const decoded = await codec.decode([tampered, foreign, json({ a: 1 })]);
    for (const d of decoded) expect(valueOf(d)).toHaveProperty('zgForged');
    // Permissive (migration only) lets plaintext through.
    const permissive = new AesGcmPayloadCodec(parseKeyList([{ id: 'k1', key: k1 }]), 'permissive');
    expect(valueOf((await permissive.decode([json({ a: 1 })]))[0]!)).toEqual({ a: 1 });
  });

  it('rotates by adding a key: the new key encrypts, the old one still decrypts', async () => {
    const [old] = await codec.encode([json({ v: 'old' })]);
    const rotated = new AesGcmPayloadCodec(
      parseKeyList([
        { id: 'k2', key: k2 },
        { id: 'k1', key: k1 },
      ]),
    );
    expect(valueOf((await rotated.decode([old!]))[0]!)).toEqual({ v: 'old' });
    const [fresh] = await rotated.encode([json({ v: 'new' })]);
    expect(new TextDecoder().decode(fresh!.metadata!['encryption-key-id'])).toBe('k2');
  });
});

describe('forged decisions through the Temporal port', () => {
  let testEnv: TestWorkflowEnvironment;
  let stopServer: () => Promise<void>;
  let db: Db;
  let cleanup: () => Promise<void>;
  let org: TOrg;
  let apiClient: Client;
  let forger: Client;
  const taskQueue = `codec-${randomUUID()}`;
  let running: Promise<void>;
  let shutdown: () => void;

  beforeAll(async () => {
    quietTemporalRuntime();
    ({ testEnv, teardown: stopServer } = await createTestEnvironment());
    ({ db, cleanup } = await createTestDb());
    org = await createOrg(db, 0);
    const worker = await createTaskWorker({
      connection: testEnv.nativeConnection,
      taskQueue,
      deps: { db },
      payloadCodec: codec,
    });
    running = worker.run();
    shutdown = () => worker.shutdown();
    apiClient = new Client({ connection: testEnv.connection, dataConverter: { payloadCodecs: [codec] } });
    forger = new Client({ connection: testEnv.connection });
  });

  afterAll(async () => {
    shutdown?.();
    await running;
    await cleanup?.();
    await stopServer?.();
  });

  async function startTask() {
    const assignedAt = new Date(await testEnv.currentTimeMs()).toISOString();
    const input = await createTaskRow(db, org, {
      deadline: { kind: 'date', date: addDaysToDate(dateOf(assignedAt), 90) },
      assignedAt,
    });
    const handle = await apiClient.workflow.start(taskLifecycle, {
      taskQueue,
      workflowId: taskWorkflowId(input.taskId),
      args: [input],
    });
    return { input, handle };
  }

  it('When an update is sent without the key, then it is refused, nothing changes, and the next real decision works', async () => {
    const { input, handle } = await startTask();
    const forged = forger.workflow.getHandle(handle.workflowId);
    const refused = await forged
      .executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] })
      .then(() => null)
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('NotAuthorized');
    // A forged signal is ignored too: no urge reaches anyone.
    await forged.signal(urgeSignal, { actor: org.office, urgeId: 'forged', message: '伪造的催办' });

    expect((await handle.query(taskStateQuery)).status).toBe('ASSIGNED');
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    expect((await handle.query(taskStateQuery)).status).toBe('IN_PROGRESS');
    const urges = await db.notification.count({ where: { taskId: input.taskId, kind: 'urge' } });
    expect(urges).toBe(0);
    // The recorded history holds no plaintext of the task: its title is encrypted.
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toContain(Buffer.from(input.title).toString('base64'));
  });

  it('When a workflow is started without the key, then it ends at once instead of retrying forever', async () => {
    const { input } = await startTask();
    const junk = await forger.workflow.start(taskLifecycle, {
      taskQueue,
      workflowId: `task-forged-${randomUUID()}`,
      args: [{ ...input, taskId: randomUUID() }],
    });
    await expect(junk.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  });

  it('When an admin posts to the codec endpoint, then payloads are decoded; others are refused', async () => {
    // A database of its own: the demo organisation is seeded only into an empty one.
    const fresh = await createTestDb();
    const users: TDemoUser[] = await seedDemo(fresh.db);
    const app = createApp({ db: fresh.db, client: apiClient, taskQueue, payloadCodec: codec });
    const admin = users.find((u) => u.role === 'admin')!;
    const office = users.find((u) => u.role === 'office')!;
    const [encoded] = await codec.encode([json({ secret: '整改' })]);
    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(encoded!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(encoded!.data!).toString('base64'),
        },
      ],
    };
    const ok = await request(app).post('/api/codec/decode').set('Authorization', `Bearer ${admin.token}`).send(body);
    expect(ok.status).toBe(200);
    const decoded = (ok.body as { payloads: { data: string }[] }).payloads[0]!;
    expect(JSON.parse(Buffer.from(decoded.data, 'base64').toString('utf8'))).toEqual({ secret: '整改' });
    const no = await request(app).post('/api/codec/decode').set('Authorization', `Bearer ${office.token}`).send(body);
    expect(no.status).toBe(403);
    await fresh.cleanup();
  });
});
