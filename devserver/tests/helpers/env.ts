/**
 * One dev server (in memory, time skipping) and one worker per test file: the suite stays fast on two cores.
 */
import { randomUUID } from 'node:crypto';
import { type Client, type WorkflowHandle } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  makeTelemetryFilterString,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createTestEnvironment } from '../../src/testing';

export interface TSuite {
  testEnv: TestWorkflowEnvironment;
  client: Client;
  worker: Worker;
  bundle: WorkflowBundleWithSourceMap;
  taskQueue: string;
  teardown(): Promise<void>;
}

export function uid(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Bundles once per path per process: bundling costs seconds. */
const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
export function bundleFor(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

const noop = (): void => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

let runtimeInstalled = false;
/** Keeps test output readable: only errors from the SDK (failures under test are logged as warnings). */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
    });
  } catch {
    // Already installed by an earlier test file in this Jest worker: keep that one.
  }
}

export async function startSuite(opts: {
  workflowsPath: string;
  activities?: object;
  taskQueue?: string;
}): Promise<TSuite> {
  quietRuntime();
  const [bundle, env] = await Promise.all([bundleFor(opts.workflowsPath), createTestEnvironment()]);
  const taskQueue = opts.taskQueue ?? uid('tq');
  const worker = await Worker.create({
    connection: env.testEnv.nativeConnection,
    namespace: env.testEnv.namespace ?? 'default',
    taskQueue,
    workflowBundle: bundle,
    activities: opts.activities,
    // Activities that outlive their timeout are abandoned quickly at teardown rather than awaited.
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  return {
    testEnv: env.testEnv,
    client: env.testEnv.client,
    worker,
    bundle,
    taskQueue,
    async teardown() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** Replays the closed workflows' histories with the same bundle; returns the errors (empty when all replay). */
export async function replayHandles(
  bundle: WorkflowBundleWithSourceMap,
  handles: Array<WorkflowHandle>,
): Promise<string[]> {
  const histories = await Promise.all(
    handles.map(async (h) => ({ workflowId: h.workflowId, history: await h.fetchHistory() })),
  );
  const errors: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    if (result.error) errors.push(`${result.workflowId}: ${String(result.error)}`);
  }
  return errors;
}

/** Polls `check` until it returns true or the deadline passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
