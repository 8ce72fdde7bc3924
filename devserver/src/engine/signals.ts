import { notFound } from '../errors';
import { ET, WS, enums, type Obj } from '../proto';
import { type Run, requireString } from './shared';
import type { EngineCore } from './core';

/** Signals, cancellation requests, termination and deletion of runs. */
export class Signals {
  constructor(private readonly e: EngineCore) {}

  signalRun(run: Run, sig: Obj): void {
    this.e.appendOrBuffer(run, {
      events: [
        {
          type: ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
          attrs: {
            signalName: sig.signalName,
            input: sig.input,
            identity: sig.identity,
            header: sig.header,
            externalWorkflowExecution: sig.externalWorkflowExecution,
          },
        },
      ],
    });
  }

  /** Request IDs dedup client retries; only recent ones matter, so the list is bounded (the start's stays first). */
  private rememberRequestId(run: Run, requestId: string): void {
    const ids = run.s.requestIds;
    ids.push(requestId);
    if (ids.length > 100) ids.splice(1, ids.length - 100);
  }

  signalWorkflowExecution(req: Obj): Obj {
    return this.e.tx(() => {
      const ns = this.e.checkNamespace(req.namespace);
      requireString(req.signalName, 'SignalName');
      const run = this.e.findOpenRun(ns, req.workflowExecution);
      if (req.requestId) {
        if (run.s.requestIds.includes(req.requestId)) return {};
        this.rememberRequestId(run, req.requestId);
      }
      this.signalRun(run, req);
      return {};
    });
  }

  signalWithStartWorkflowExecution(req: Obj): Obj {
    return this.e.tx(() => {
      const ns = this.e.checkNamespace(req.namespace);
      requireString(req.signalName, 'SignalName');
      this.e.validateStart(req);
      const signal = { signalName: req.signalName, input: req.signalInput, identity: req.identity, header: req.header };
      const existing = this.e.currentRun(ns, req.workflowId);
      const P = enums.WorkflowIdConflictPolicy;
      if (
        existing &&
        this.e.isOpen(existing) &&
        req.workflowIdConflictPolicy !== P.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
      ) {
        if (req.workflowIdConflictPolicy === P.WORKFLOW_ID_CONFLICT_POLICY_FAIL) {
          throw this.e.alreadyStarted(existing, req.requestId ?? '');
        }
        if (req.requestId && existing.s.requestIds.includes(req.requestId))
          return { runId: existing.s.runId, started: false };
        if (req.requestId) this.rememberRequestId(existing, req.requestId);
        this.signalRun(existing, signal);
        return { runId: existing.s.runId, started: false };
      }
      const { run, started } = this.e.startInternal(
        {
          ...req,
          workflowIdConflictPolicy: req.workflowIdConflictPolicy || P.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
        },
        signal,
      );
      return { runId: run.s.runId, started };
    });
  }

  requestCancelRun(
    run: Run,
    reason: string,
    identity: string,
    external: { run: Run; initiatedEventId: number } | undefined,
  ): void {
    if (run.s.cancelRequested) return;
    run.s.cancelRequested = true;
    this.e.appendOrBuffer(run, {
      events: [
        {
          type: ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
          attrs: {
            cause: reason,
            identity,
            externalInitiatedEventId: external?.initiatedEventId,
            externalWorkflowExecution: external ? this.e.execOf(external.run) : undefined,
          },
        },
      ],
    });
  }

  requestCancelWorkflowExecution(req: Obj): Obj {
    return this.e.tx(() => {
      const ns = this.e.checkNamespace(req.namespace);
      const run = this.e.findOpenRun(ns, req.workflowExecution);
      if (req.firstExecutionRunId && run.s.firstRunId !== req.firstExecutionRunId) {
        throw notFound('workflow execution not found for the given first execution run ID');
      }
      this.requestCancelRun(run, req.reason ?? '', req.identity ?? '', undefined);
      return {};
    });
  }

  terminateRun(run: Run, reason: string, details: Obj | undefined, identity: string): void {
    this.e.clearTimer(run, 'wft-timeout');
    this.e.flushBuffered(run);
    this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, { reason, details, identity });
    this.e.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_TERMINATED, undefined);
  }

  terminateWorkflowExecution(req: Obj): Obj {
    return this.e.tx(() => {
      const ns = this.e.checkNamespace(req.namespace);
      const run = this.e.findOpenRun(ns, req.workflowExecution);
      if (req.firstExecutionRunId && run.s.firstRunId !== req.firstExecutionRunId) {
        throw notFound('workflow execution not found for the given first execution run ID');
      }
      this.terminateRun(run, req.reason ?? '', req.details, req.identity ?? '');
      return {};
    });
  }

  deleteWorkflowExecution(req: Obj): Obj {
    return this.e.tx(() => {
      const ns = this.e.checkNamespace(req.namespace);
      const run = this.e.findRun(ns, req.workflowExecution);
      if (this.e.isOpen(run)) this.terminateRun(run, 'deleted', undefined, '');
      this.e.runs.delete(run.s.runId);
      const key = `${ns}\u0000${run.s.workflowId}`;
      if (this.e.current.get(key) === run.s.runId) this.e.current.delete(key);
      this.e.store?.deleteRun(run.s.runId, ns, run.s.workflowId);
      return {};
    });
  }
}
