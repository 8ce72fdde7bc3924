/** Standalone activities (no workflow): start, result through PollActivityExecution, retries, describe. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../src/index';

let server: DevServer;
let connection: Connection;
let nativeConnection: NativeConnection;
const attempts = new Map<string, number>();

beforeAll(async () => {
  server = await startDevServer({ port: 0 });
  connection = await Connection.connect({ address: server.address });
  nativeConnection = await NativeConnection.connect({ address: server.address });
});
afterAll(async () => {
  await connection?.close();
  await nativeConnection?.close();
  await server?.stop();
});

test('When a standalone activity fails once, then it is retried and its result reaches the client', async () => {
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: 'standalone',
    activities: {
      greet: async (name: string) => {
        const n = (attempts.get(name) ?? 0) + 1;
        attempts.set(name, n);
        if (n === 1) throw new Error('first attempt fails');
        return `hello ${name}`;
      },
    },
  });
  const client = new Client({ connection });
  await worker.runUntil(async () => {
    const handle = await client.activity.start('greet', {
      id: 'greet-1',
      taskQueue: 'standalone',
      args: ['ada'],
      startToCloseTimeout: '10s',
      retry: { initialInterval: '50ms' },
    });
    expect(await handle.result()).toBe('hello ada');
    const description = await handle.describe();
    expect(description.activityId).toBe('greet-1');
  });
  expect(attempts.get('ada')).toBe(2);
});
