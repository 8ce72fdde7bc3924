/**
 * A worker in its own process, so a test can kill it with SIGKILL (no ShutdownWorker reaches the server).
 * argv: address namespace taskQueue bundlePath. Prints "ready" once polling.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

async function main(): Promise<void> {
  const [address, namespace, taskQueue, codePath] = process.argv.slice(2);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: { codePath },
    // Short, so the server falls back to the normal queue quickly once this worker is gone.
    stickyQueueScheduleToStartTimeout: '1s',
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

main().catch((err: unknown) => {
  process.stderr.write(`worker-child failed: ${String(err)}\n`);
  process.exit(1);
});
