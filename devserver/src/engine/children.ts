import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { RpcError } from '../errors';
import { ET, RS, WS, enums, type Obj } from '../proto';
import { EMPTY_TASK_QUEUE_KIND, eventAttributes, type Run } from './shared';
import type { EngineCore } from './core';

/** Child workflows and the commands that signal or cancel external workflows. */
export class Children {
  constructor(private readonly e: EngineCore) {}

  startChildCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void {
    const s = run.s;
    const ns: string = a.namespace || s.namespace;
    const taskQueue = a.taskQueue?.name ? a.taskQueue : { name: s.taskQueue };
    const ev = this.e.append(run, ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      namespace: ns,
      workflowId: a.workflowId,
      workflowType: a.workflowType,
      taskQueue: { name: taskQueue.name, kind: EMPTY_TASK_QUEUE_KIND },
      input: a.input,
      workflowExecutionTimeout: a.workflowExecutionTimeout,
      workflowRunTimeout: a.workflowRunTimeout,
      workflowTaskTimeout: a.workflowTaskTimeout,
      parentClosePolicy: a.parentClosePolicy,
      control: a.control,
      workflowTaskCompletedEventId: completedId,
      workflowIdReusePolicy: a.workflowIdReusePolicy,
      retryPolicy: a.retryPolicy,
      cronSchedule: a.cronSchedule,
      header: a.header,
      memo: a.memo,
      searchAttributes: a.searchAttributes,
      priority: a.priority,
    });
    const initiatedEventId: number = ev.eventId;
    post.push(() => {
      if (!this.e.isOpen(run)) return;
      try {
        const { run: child, started } = this.e.startInternal(
          {
            namespace: ns,
            workflowId: a.workflowId,
            workflowType: a.workflowType,
            taskQueue,
            input: a.input,
            workflowExecutionTimeout: a.workflowExecutionTimeout,
            workflowRunTimeout: a.workflowRunTimeout,
            workflowTaskTimeout: a.workflowTaskTimeout,
            identity: s.identity,
            requestId: randomUUID(),
            workflowIdReusePolicy: a.workflowIdReusePolicy,
            retryPolicy: a.retryPolicy,
            memo: a.memo,
            searchAttributes: a.searchAttributes,
            header: a.header,
          },
          undefined,
          { run, initiatedEventId },
        );
        if (!started) throw new Error('not started');
        s.children[String(initiatedEventId)] = {
          initiatedEventId,
          startedEventId: 0,
          namespace: ns,
          workflowId: child.s.workflowId,
          runId: child.s.runId,
          workflowType: child.s.workflowType,
          parentClosePolicy: a.parentClosePolicy ?? 0,
        };
        this.e.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
              attrs: {
                namespace: ns,
                initiatedEventId,
                workflowExecution: this.e.execOf(child),
                workflowType: a.workflowType,
                header: a.header,
              },
            },
          ],
        });
        this.markChildStarted(run, initiatedEventId);
      } catch (err) {
        if (err instanceof RpcError && err.code !== status.ALREADY_EXISTS)
          this.e.log(`child start failed: ${err.message}`);
        this.e.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
              attrs: {
                namespace: ns,
                workflowId: a.workflowId,
                workflowType: a.workflowType,
                cause:
                  enums.StartChildWorkflowExecutionFailedCause
                    .START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
                control: a.control,
                initiatedEventId,
              },
            },
          ],
        });
      }
    });
  }

  /** The started event id is only known once written (it may have been buffered); look it up lazily. */
  private markChildStarted(run: Run, initiatedEventId: number): void {
    const child = run.s.children[String(initiatedEventId)];
    if (!child) return;
    const ev = run
      .slice(initiatedEventId)
      .find(
        (e) =>
          e.eventType === ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED &&
          eventAttributes(e).initiatedEventId === initiatedEventId,
      );
    if (ev) child.startedEventId = ev.eventId;
  }

  notifyParent(run: Run, st: number, result?: Obj): void {
    const p = run.s.parent;
    if (!p) return;
    const parent = this.e.runs.get(p.runId);
    if (!parent || !this.e.isOpen(parent)) return;
    const child = parent.s.children[String(p.initiatedEventId)];
    if (!child) return;
    this.markChildStarted(parent, p.initiatedEventId);
    delete parent.s.children[String(p.initiatedEventId)];
    const base = {
      namespace: run.s.namespace,
      workflowExecution: { workflowId: run.s.workflowId, runId: run.s.runId },
      workflowType: { name: run.s.workflowType },
      initiatedEventId: p.initiatedEventId,
      // -1: resolved when written, since the started event may still be buffered in the parent.
      startedEventId: child.startedEventId || -1,
    };
    let type: number;
    let attrs: Obj;
    switch (st) {
      case WS.WORKFLOW_EXECUTION_STATUS_COMPLETED:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED;
        attrs = { ...base, result: result?.result };
        break;
      case WS.WORKFLOW_EXECUTION_STATUS_FAILED:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED;
        attrs = { ...base, failure: result?.failure, retryState: RS.RETRY_STATE_NON_RETRYABLE_FAILURE };
        break;
      case WS.WORKFLOW_EXECUTION_STATUS_CANCELED:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED;
        attrs = { ...base, details: result?.details };
        break;
      case WS.WORKFLOW_EXECUTION_STATUS_TERMINATED:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED;
        attrs = base;
        break;
      default:
        type = ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT;
        attrs = { ...base, retryState: RS.RETRY_STATE_TIMEOUT };
    }
    this.e.appendOrBuffer(parent, { events: [{ type, attrs }] });
  }

  applyParentClosePolicy(child: {
    workflowId: string;
    runId: string;
    namespace: string;
    parentClosePolicy: number;
  }): void {
    const P = enums.ParentClosePolicy;
    const policy = child.parentClosePolicy || P.PARENT_CLOSE_POLICY_TERMINATE;
    if (policy === P.PARENT_CLOSE_POLICY_ABANDON) return;
    const target = this.e.currentRun(child.namespace, child.workflowId);
    if (!target || !this.e.isOpen(target) || target.s.firstRunId !== this.e.runs.get(child.runId)?.s.firstRunId) return;
    if (policy === P.PARENT_CLOSE_POLICY_TERMINATE) {
      this.e.terminateRun(target, 'by parent close policy', undefined, '');
    } else {
      this.e.requestCancelRun(target, 'by parent close policy', '', undefined);
    }
  }

  signalExternalCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void {
    const ns: string = a.namespace || run.s.namespace;
    const ev = this.e.append(run, ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      namespace: ns,
      workflowExecution: a.execution,
      signalName: a.signalName,
      input: a.input,
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      header: a.header,
      workflowTaskCompletedEventId: completedId,
    });
    const initiatedEventId: number = ev.eventId;
    post.push(() => {
      let target: Run | undefined;
      try {
        target = this.e.findOpenRun(ns, a.execution);
      } catch {
        target = undefined;
      }
      if (target) {
        this.e.signalRun(target, {
          signalName: a.signalName,
          input: a.input,
          header: a.header,
          identity: '',
          externalWorkflowExecution: this.e.execOf(run),
        });
        this.e.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
              attrs: {
                initiatedEventId,
                namespace: ns,
                workflowExecution: this.e.execOf(target),
                control: a.control,
              },
            },
          ],
        });
      } else {
        this.e.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
              attrs: {
                cause:
                  enums.SignalExternalWorkflowExecutionFailedCause
                    .SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
                workflowTaskCompletedEventId: completedId,
                namespace: ns,
                workflowExecution: a.execution,
                initiatedEventId,
                control: a.control,
              },
            },
          ],
        });
      }
    });
  }

  cancelExternalCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void {
    const ns: string = a.namespace || run.s.namespace;
    const execution = { workflowId: a.workflowId, runId: a.runId };
    const ev = this.e.append(run, ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      namespace: ns,
      workflowExecution: execution,
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      reason: a.reason,
      workflowTaskCompletedEventId: completedId,
    });
    const initiatedEventId: number = ev.eventId;
    post.push(() => {
      let target: Run | undefined;
      try {
        target = this.e.findOpenRun(ns, execution);
      } catch {
        target = undefined;
      }
      if (target) {
        this.e.requestCancelRun(target, a.reason ?? '', '', { run, initiatedEventId });
        this.e.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
              attrs: { initiatedEventId, namespace: ns, workflowExecution: this.e.execOf(target) },
            },
          ],
        });
      } else {
        this.e.appendOrBuffer(run, {
          events: [
            {
              type: ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
              attrs: {
                cause:
                  enums.CancelExternalWorkflowExecutionFailedCause
                    .CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
                workflowTaskCompletedEventId: completedId,
                namespace: ns,
                workflowExecution: execution,
                initiatedEventId,
                control: a.control,
              },
            },
          ],
        });
      }
    });
  }
}
