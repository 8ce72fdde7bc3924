/**
 * Workflows for cancel / terminate / child workflow / external signal conformance tests.
 */
import {
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import {
  addItemSignal,
  brokenUntilFinishedWorkflow,
  collectWorkflow,
  echoWorkflow,
  failingWorkflow,
  taskFailsOnceWorkflow,
} from './basics';

export { brokenUntilFinishedWorkflow, collectWorkflow, echoWorkflow, failingWorkflow, taskFailsOnceWorkflow };

/** Runs a child to completion and returns its result. */
export async function childResultWorkflow(value: string): Promise<string> {
  return `parent got ${await executeChild(echoWorkflow, { args: [value], workflowId: `${workflowInfo().workflowId}-child` })}`;
}

/** Runs a failing child and reports the failure it received. */
export async function childFailureWorkflow(): Promise<string> {
  try {
    await executeChild(failingWorkflow, { args: ['child broke'], workflowId: `${workflowInfo().workflowId}-child` });
    return 'no failure';
  } catch (err) {
    if (err instanceof ChildWorkflowFailure) return `child failed: ${err.cause?.message ?? '?'}`;
    throw err;
  }
}

/** Starts a blocking child, then cancels it through a cancellation scope. */
export async function childCancelWorkflow(): Promise<string> {
  const scope = new CancellationScope();
  const child = await scope.run(() =>
    startChild(collectWorkflow, { workflowId: `${workflowInfo().workflowId}-child` }),
  );
  scope.cancel();
  try {
    await child.result();
    return 'child completed';
  } catch (err) {
    return isCancellation(err) || err instanceof ChildWorkflowFailure ? 'child cancelled' : `other: ${String(err)}`;
  }
}

/** Starts three blocking children with different parent-close policies, then completes without waiting for them. */
export async function parentClosePolicyWorkflow(): Promise<string[]> {
  const id = workflowInfo().workflowId;
  const policies: Array<[string, ParentClosePolicy]> = [
    ['terminate', ParentClosePolicy.TERMINATE],
    ['abandon', ParentClosePolicy.ABANDON],
    ['cancel', ParentClosePolicy.REQUEST_CANCEL],
  ];
  const started: string[] = [];
  for (const [suffix, parentClosePolicy] of policies) {
    const child = await startChild(collectWorkflow, { workflowId: `${id}-${suffix}`, parentClosePolicy });
    started.push(child.workflowId);
  }
  return started;
}

/** Signals another workflow by id. */
export async function signalExternalWorkflow(targetId: string, item: string): Promise<string> {
  await getExternalWorkflowHandle(targetId).signal(addItemSignal, item);
  return 'sent';
}
