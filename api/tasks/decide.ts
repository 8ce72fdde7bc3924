import type { UpdateDefinition } from '@temporalio/client';
import { taskWorkflowId } from '../../workflows/shared';
import type { TActor, TDecisionResult } from '../../workflows/messages';
import type { TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { requireVisibleTask } from '../scope';

/**
 * Sends one decision to a task's workflow as the caller: the API checks only that the caller may see the task; the
 * workflow's validator decides whether the decision is allowed and refuses it (changing nothing) when it is not.
 * Resolves after the workflow projected the change to the database.
 */
export async function executeDecision<A extends { actor: TActor }>(
  deps: TAppDeps,
  actor: TApiActor,
  taskId: string,
  update: UpdateDefinition<TDecisionResult, [A]>,
  args: Omit<A, 'actor'>,
): Promise<TDecisionResult> {
  await requireVisibleTask(deps.db, actor, taskId, deps.now());
  return deps.client.workflow
    .getHandle(taskWorkflowId(taskId))
    .executeUpdate(update, { args: [{ ...args, actor } as A] });
}
