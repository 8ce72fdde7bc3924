/**
 * The worker's own GET /health (ROLE=worker): up only while the worker runs and the database answers.
 */
import type { AddressInfo } from 'node:net';
import type { State } from '@temporalio/worker';
import { createWorkerHealthServer } from '../../worker/health';
import { createTestDb, type TTestDb } from '../helpers/db';

let t: TTestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.cleanup();
});

async function get(state: State, db: Parameters<typeof createWorkerHealthServer>[0]['db'], path = '/health') {
  const server = createWorkerHealthServer({ db, workerState: () => state });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

it('When the worker runs and the database answers, then /health is 200', async () => {
  expect(await get('RUNNING', t.db)).toEqual({ status: 200, body: { status: 'ok', db: 'up', worker: 'RUNNING' } });
});

it('When the worker has stopped or failed, then /health is 503 with its state', async () => {
  expect(await get('FAILED', t.db)).toEqual({ status: 503, body: { status: 'degraded', db: 'up', worker: 'FAILED' } });
  expect((await get('STOPPED', t.db)).status).toBe(503);
});

it('When the database does not answer, then /health is 503', async () => {
  const down = { $queryRaw: () => Promise.reject(new Error('connection refused')) } as never;
  expect(await get('RUNNING', down)).toEqual({
    status: 503,
    body: { status: 'degraded', db: 'down', worker: 'RUNNING' },
  });
});

it('When another path is asked, then the answer is 404', async () => {
  expect((await get('RUNNING', t.db, '/api/tasks')).status).toBe(404);
});
