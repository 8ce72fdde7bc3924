/**
 * Worker wiring only: connects the task-lifecycle workflows and the activities (built from their dependencies) to a
 * Temporal task queue. No business logic lives here.
 */
import path from 'node:path';
import {
  type NativeConnection,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities';
import { TASK_QUEUE } from '../workflows/shared';

export const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');

let cachedBundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling the workflow code takes seconds; do it once per process and share it between workers (tests start many). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  cachedBundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return cachedBundle;
}

const noop = (): void => undefined;
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: noop,
};

export interface TCreateTaskWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  /** Workflows kept in the worker's sticky cache; default WORKER_MAX_CACHED_WORKFLOWS or 500. */
  maxCachedWorkflows?: number;
  /** Encrypts and authenticates every payload (codec/payloadCodec.ts); the API's client must use the same keys. */
  payloadCodec?: PayloadCodec;
}

/**
 * The SDK's default cache size is derived from the machine's memory (~2,300 workflows here), and each cached task
 * workflow holds its own V8 context in the workflow thread: issue 10 measured ~1.3 MB each (~3 GB at the default).
 * 500 keeps the workflow heap well under 1 GB while every task touched in a burst of decisions stays cached; a
 * workflow evicted from the cache is only replayed from its history on its next workflow task (slower, not wrong).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 500;

/** WORKER_MAX_CACHED_WORKFLOWS (a non-negative integer; 0 turns the cache off), else the default. */
export function maxCachedWorkflowsFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.WORKER_MAX_CACHED_WORKFLOWS;
  if (raw === undefined || raw === '') return DEFAULT_MAX_CACHED_WORKFLOWS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`WORKER_MAX_CACHED_WORKFLOWS must be a non-negative integer, not ${JSON.stringify(raw)}`);
  }
  return n;
}

export async function createTaskWorker(options: TCreateTaskWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities(options.deps),
    maxCachedWorkflows: options.maxCachedWorkflows ?? maxCachedWorkflowsFromEnv(process.env),
    ...(options.payloadCodec ? { dataConverter: { payloadCodecs: [options.payloadCodec] } } : {}),
  });
}
