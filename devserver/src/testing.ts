import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startDevServer, type DevServer } from './index';

type CreateFn = (opts: {
  server: { type: 'existing' };
  address: string;
  namespace?: string;
  supportsTimeSkipping: boolean;
}) => Promise<TestWorkflowEnvironment>;

/**
 * Starts an in-memory time-skipping dev server on a random port and binds a time-skipping
 * TestWorkflowEnvironment to it (its sleep(), currentTimeMs and client result() skip time).
 */
export async function createTestEnvironment(opts: { namespace?: string; log?: (msg: string) => void } = {}): Promise<{
  testEnv: TestWorkflowEnvironment;
  server: DevServer;
  teardown(): Promise<void>;
}> {
  const server = await startDevServer({ port: 0, timeSkipping: true, namespace: opts.namespace, log: opts.log });
  // The SDK's generic factory is private in its typings but is the only way to get a time-skipping environment
  // on an existing address (createFromExistingServer always disables time skipping).
  const create = (TestWorkflowEnvironment as unknown as { create: CreateFn }).create.bind(TestWorkflowEnvironment);
  let testEnv: TestWorkflowEnvironment;
  try {
    testEnv = await create({
      server: { type: 'existing' },
      address: server.address,
      namespace: server.namespace,
      supportsTimeSkipping: true,
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    testEnv,
    server,
    async teardown() {
      await testEnv.teardown();
      await server.stop();
    },
  };
}
