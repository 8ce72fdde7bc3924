/**
 * The real stack for workflow tests: the embedded dev server with time skipping, a fresh migrated database, and the
 * product's worker on a private task queue. One per test file.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Db } from '../../db/client';
import { createTestEnvironment } from '../../devserver/src/testing';
import { createTaskWorker } from '../../worker';
import { createTestDb } from './db';

export interface TWorkflowStack {
  testEnv: TestWorkflowEnvironment;
  db: Db;
  taskQueue: string;
  /** The workflow's clock (the dev server's virtual time), as an ISO instant. */
  now(): Promise<string>;
  teardown(): Promise<void>;
}

let runtimeInstalled = false;

/** Worker logs at WARN: test output shows failures, not every worker state change. Once per Jest worker process. */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
    });
  } catch {
    // Already installed by an earlier test file in this Jest worker: keep that one.
  }
}

export async function startWorkflowStack(): Promise<TWorkflowStack> {
  quietTemporalRuntime();
  const { testEnv, teardown: stopServer } = await createTestEnvironment();
  const { db, cleanup } = await createTestDb();
  const taskQueue = `wf-test-${randomUUID()}`;
  const worker = await createTaskWorker({ connection: testEnv.nativeConnection, taskQueue, deps: { db } });
  const running = worker.run();
  return {
    testEnv,
    db,
    taskQueue,
    now: async () => new Date(await testEnv.currentTimeMs()).toISOString(),
    teardown: async () => {
      worker.shutdown();
      await running;
      await cleanup();
      await stopServer();
    },
  };
}
