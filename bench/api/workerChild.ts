/**
 * The product's worker in a process of its own for `npm run bench:api -- --worker-process`: the shape production runs
 * (`ROLE=worker` beside `ROLE=api`, docker-compose.yml), where workflow tasks and projections do not share the API's
 * event loop. Started by bench/api/workerProcess.ts with DATABASE_URL and TEMPORAL_ADDRESS; stops on 'stop'.
 */
import { NativeConnection } from '@temporalio/worker';
import { createDb } from '../../db/client';
import { createTaskWorker } from '../../worker';

async function main(): Promise<void> {
  const db = createDb(process.env.DATABASE_URL!);
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await createTaskWorker({ connection, deps: { db } });
  const running = worker.run();
  process.on('message', (m: unknown) => {
    if (m === 'stop' && worker.getState() === 'RUNNING') worker.shutdown();
  });
  process.send?.('ready');
  await running;
  await connection.close();
  await db.$disconnect();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error('[bench:api worker]', err);
  process.exit(1);
});
