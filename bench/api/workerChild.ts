/**
 * The product's worker in a process of its own for `npm run bench:api -- --worker-process`: the shape production runs
 * (`ROLE=worker` beside `ROLE=api`, docker-compose.yml), where workflow tasks and projections do not share the API's
 * event loop. Started by bench/api/workerProcess.ts with DATABASE_URL and TEMPORAL_ADDRESS; stops on 'stop'.
 */
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import { NativeConnection } from '@temporalio/worker';
import { createDb } from '../../db/client';
import { createTaskWorker } from '../../worker';

async function main(): Promise<void> {
  const db = createDb(process.env.DATABASE_URL!);
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await createTaskWorker({ connection, deps: { db } });
  const running = worker.run();
  // With `--profile DIR`, the bench asks for a CPU profile of this process's main thread per measure too.
  let session: inspector.Session | null = null;
  process.on('message', (m: unknown) => {
    if (m === 'stop' && worker.getState() === 'RUNNING') worker.shutdown();
    const profile = m as { profileStart?: true; profileStop?: string };
    if (profile.profileStart) {
      session = new inspector.Session();
      session.connect();
      void (async () => {
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 500 });
        await session.post('Profiler.start');
        process.send?.('profiling');
      })();
    }
    if (profile.profileStop && session) {
      const file = profile.profileStop;
      const open = session;
      session = null;
      void (async () => {
        const { profile: taken } = await open.post('Profiler.stop');
        fs.writeFileSync(file, JSON.stringify(taken));
        open.disconnect();
        process.send?.('profiled');
      })();
    }
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
