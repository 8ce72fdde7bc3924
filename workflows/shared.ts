/**
 * Names shared by the worker, the API and the workflows: defined once so that no task-queue string or workflow ID
 * format is duplicated across files. Pure (no I/O): safe to import from workflow code.
 */
export const TASK_QUEUE = 'zhenggai-tasks';

/** Workflow IDs derive from business keys: one workflow per task lifecycle. */
export function taskWorkflowId(taskId: string): string {
  return `task-${taskId}`;
}

export function taskIdFromWorkflowId(workflowId: string): string | null {
  return workflowId.startsWith('task-') ? workflowId.slice('task-'.length) : null;
}
