/**
 * A decision that gets no answer within the decision deadline answers 503 with a request id (issue 11), instead of
 * holding the caller's connection for as long as the workflow takes. Here the app starts its workflows on a task
 * queue no worker polls, so no update is ever answered; the real dev server and database otherwise.
 */
import request from 'supertest';
import { createApp } from '../../api/app';
import { as, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

jest.setTimeout(120_000);

let stack: TApiStack;

beforeAll(async () => {
  stack = await startApiStack();
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

it('When no worker answers a decision within the deadline, then 503 names a request id and says to look before retrying', async () => {
  const cast = demoCast(stack.users);
  const app = createApp({
    db: stack.db,
    client: stack.testEnv.client,
    taskQueue: 'no-worker-polls-this-queue',
    limits: { decisionTimeoutMs: 1_000 },
  });
  const campaignId = await openCampaign(app, cast.office, cast.leader.unitId);
  const created = await as(app, cast.office).post(
    `/api/campaigns/${campaignId}/tasks`,
    taskBody(cast.medicalStaff.unitId, cast.leader.userId),
  );
  expect(created.status).toBe(201);
  const taskId = (created.body as { tasks: { id: string }[] }).tasks[0]!.id;

  const started = Date.now();
  const res = await as(app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`).send({});
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(res.status).toBe(503);
  const body = res.body as { error: { code: string; message: string; requestId: string } };
  expect(body.error.code).toBe('UNAVAILABLE');
  expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(body.error.message).toContain(body.error.requestId);
  expect(body.error.message).toMatch(/刷新/);
  expect(res.headers['x-request-id']).toBe(body.error.requestId);
  expect(res.headers['retry-after']).toBeDefined();
  // Reads still answer meanwhile.
  expect((await request(app).get('/health')).status).toBeLessThan(500);
});
