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
}

export async function createTaskWorker(options: TCreateTaskWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities(options.deps),
  });
}
