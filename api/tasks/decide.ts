import { randomUUID } from 'node:crypto';
import {
  isGrpcDeadlineError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type UpdateDefinition,
} from '@temporalio/client';
import { taskWorkflowId } from '../../workflows/shared';
import type { TActor, TDecisionResult } from '../../workflows/messages';
import type { TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { DEFAULT_API_LIMITS } from '../limits';
import { requireVisibleTask } from '../scope';

/**
 * Sends one decision to a task's workflow as the caller: the API checks only that the caller may see the task; the
 * workflow's validator decides whether the decision is allowed and refuses it (changing nothing) when it is not.
 * Resolves after the workflow projected the change to the database.
 *
 * A decision that gets no answer within the decision deadline (a worker down, a task stuck) answers 503 with a request
 * id, and says what is true: the decision may still take effect later, so the caller should look before retrying.
 */
export async function executeDecision<A extends { actor: TActor }>(
  deps: TAppDeps,
  actor: TApiActor,
  taskId: string,
  update: UpdateDefinition<TDecisionResult, [A]>,
  args: Omit<A, 'actor'>,
  requestId: string = randomUUID(),
  /** `visibilityChecked`: the route has just called `requireVisibleTask` itself (before resolving evidence). */
  options: { visibilityChecked?: boolean } = {},
): Promise<TDecisionResult> {
  if (!options.visibilityChecked) await requireVisibleTask(deps.db, actor, taskId, deps.now());
  const timeoutMs = deps.decisionTimeoutMs ?? DEFAULT_API_LIMITS.decisionTimeoutMs;
  try {
    return await deps.client.withDeadline(Date.now() + timeoutMs, () =>
      deps.client.workflow.getHandle(taskWorkflowId(taskId)).executeUpdate(update, { args: [{ ...args, actor } as A] }),
    );
  } catch (err) {
    if (isGrpcDeadlineError(err) || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw new AppError(
        'UNAVAILABLE',
        `系统未能在 ${Math.round(timeoutMs / 1000)} 秒内确认此操作的结果（请求编号 ${requestId}）。` +
          '操作可能稍后仍会生效：请过一会儿刷新任务查看，确认未生效再重新提交。',
        undefined,
        requestId,
      );
    }
    throw err;
  }
}
