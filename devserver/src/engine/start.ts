import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { RpcError, invalid } from '../errors';
import { ET, WS, durFromMs, enums, msFromDur, tsFromMs, type Obj } from '../proto';
import type { RunState } from '../types';
import {
  DEFAULT_WFT_TIMEOUT_MS,
  MAX_WFT_TIMEOUT_MS,
  EMPTY_TASK_QUEUE_KIND,
  type Run,
  requireString,
  normalizeRetryPolicy,
} from './shared';
import type { EngineCore } from './core';

/** Starting runs: StartWorkflowExecution, the ID conflict and reuse policies, run creation and run timeouts. */
export class Starts {
  constructor(private readonly e: EngineCore) {}

  startWorkflowExecution(req: Obj): Obj {
    return this.e.tx(() => {
      const eager = !!req.requestEagerExecution && msFromDur(req.workflowStartDelay) === 0;
      // Eager start: keep the first task out of the queue so it can be handed back in this response.
      this.e.holdWftOf = eager ? `pending-start:${String(req.workflowId)}` : undefined;
      let result: { run: Run; started: boolean };
      try {
        result = this.startInternal(req, undefined);
      } finally {
        this.e.holdWftOf = undefined;
      }
      const { run, started } = result;
      const response: Obj = { runId: run.s.runId, started };
      if (this.e.heldWft) {
        this.e.heldWft = false;
        if (this.e.isOpen(run) && run.s.wft.state === 'scheduled') {
          response.eagerWorkflowTask = this.e.startWft(run, req.identity ?? '');
        }
      }
      return response;
    });
  }

  validateStart(req: Obj): void {
    requireString(req.workflowId, 'WorkflowId');
    if (!req.workflowType?.name) throw invalid('WorkflowType is not set on request.');
    if (!req.taskQueue?.name) throw invalid('TaskQueue is not set on request.');
    if (req.workflowId.length > 1000) throw invalid('WorkflowId exceeds length limit.');
    for (const [k, d] of [
      ['WorkflowExecutionTimeout', req.workflowExecutionTimeout],
      ['WorkflowRunTimeout', req.workflowRunTimeout],
      ['WorkflowTaskTimeout', req.workflowTaskTimeout],
    ] as const) {
      if (d && msFromDur(d) < 0) throw invalid(`Invalid ${k}.`);
    }
  }

  alreadyStarted(existing: Run, requestId: string): RpcError {
    return new RpcError(
      status.ALREADY_EXISTS,
      `Workflow execution is already running. WorkflowId: ${existing.s.workflowId}, RunId: ${existing.s.runId}.`,
      {
        typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
        value: { startRequestId: requestId, runId: existing.s.runId },
      },
    );
  }

  /**
   * Starts a run (from StartWorkflowExecution, SignalWithStart or a child command), applying the ID conflict and
   * reuse policies. `signal` is written right after the started event for signal-with-start.
   */
  startInternal(
    req: Obj,
    signal: Obj | undefined,
    parent?: { run: Run; initiatedEventId: number },
  ): { run: Run; started: boolean } {
    const ns = this.e.checkNamespace(req.namespace);
    this.validateStart(req);
    const workflowId: string = req.workflowId;
    const requestId: string = req.requestId || randomUUID();
    const existing = this.e.currentRun(ns, workflowId);
    if (existing) {
      if (req.requestId && existing.s.requestIds.includes(req.requestId)) {
        return { run: existing, started: true };
      }
      const P = enums.WorkflowIdConflictPolicy;
      const R = enums.WorkflowIdReusePolicy;
      if (this.e.isOpen(existing)) {
        let conflict: number = req.workflowIdConflictPolicy ?? P.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED;
        if (req.workflowIdReusePolicy === R.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
          conflict = P.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
        }
        if (conflict === P.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
          if (signal) this.e.signalRun(existing, signal);
          return { run: existing, started: false };
        }
        if (conflict === P.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
          this.e.terminateRun(existing, 'terminated by new start (conflict policy TERMINATE_EXISTING)', undefined, '');
        } else {
          throw this.alreadyStarted(existing, requestId);
        }
      } else {
        const reuse: number = req.workflowIdReusePolicy ?? R.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED;
        if (reuse === R.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
          throw new RpcError(
            status.ALREADY_EXISTS,
            `Workflow execution already finished and the ID reuse policy rejects duplicates. WorkflowId: ${workflowId}.`,
            {
              typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
              value: { startRequestId: requestId, runId: existing.s.runId },
            },
          );
        }
        if (
          reuse === R.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
          (existing.s.status === WS.WORKFLOW_EXECUTION_STATUS_COMPLETED ||
            existing.s.status === WS.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
        ) {
          throw new RpcError(
            status.ALREADY_EXISTS,
            `Workflow execution already completed successfully and the ID reuse policy allows only failed ones. WorkflowId: ${workflowId}.`,
            {
              typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
              value: { startRequestId: requestId, runId: existing.s.runId },
            },
          );
        }
      }
    }
    const run = this.createRun({
      ns,
      req,
      requestId,
      parent,
      attempt: 1,
      firstRunId: undefined,
      continuedFrom: undefined,
      backoffMs: msFromDur(req.workflowStartDelay),
      executionExpiresMs: 0,
    });
    if (signal) {
      this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        signalName: signal.signalName,
        input: signal.input,
        identity: signal.identity,
        header: signal.header,
      });
    }
    this.scheduleFirstWft(run);
    return { run, started: true };
  }

  createRun(o: {
    ns: string;
    req: Obj;
    requestId: string;
    parent?: { run: Run; initiatedEventId: number };
    attempt: number;
    firstRunId: string | undefined;
    continuedFrom: { runId: string; initiator: number; failure?: Obj; lastResult?: Obj } | undefined;
    backoffMs: number;
    executionExpiresMs: number;
  }): Run {
    const { req } = o;
    const now = this.e.now();
    const runId = randomUUID();
    const execTimeout = msFromDur(req.workflowExecutionTimeout);
    const runTimeout = msFromDur(req.workflowRunTimeout) || execTimeout;
    const taskTimeout = Math.min(msFromDur(req.workflowTaskTimeout) || DEFAULT_WFT_TIMEOUT_MS, MAX_WFT_TIMEOUT_MS);
    const executionExpiresMs = o.executionExpiresMs || (execTimeout > 0 ? now + execTimeout : 0);
    const s: RunState = {
      namespace: o.ns,
      workflowId: req.workflowId,
      runId,
      firstRunId: o.firstRunId ?? runId,
      workflowType: req.workflowType.name,
      taskQueue: req.taskQueue.name,
      status: WS.WORKFLOW_EXECUTION_STATUS_RUNNING,
      startMs: now,
      executionMs: now + o.backoffMs,
      closeMs: 0,
      runTimeoutMs: runTimeout,
      executionTimeoutMs: execTimeout,
      executionExpiresMs,
      taskTimeoutMs: taskTimeout,
      retryPolicy: req.retryPolicy ? normalizeRetryPolicy(req.retryPolicy, false) : undefined,
      attempt: o.attempt,
      memo: req.memo?.fields ? req.memo : undefined,
      searchAttributes: req.searchAttributes?.indexedFields ? req.searchAttributes : undefined,
      parent: o.parent
        ? {
            namespace: o.parent.run.s.namespace,
            workflowId: o.parent.run.s.workflowId,
            runId: o.parent.run.s.runId,
            initiatedEventId: o.parent.initiatedEventId,
          }
        : undefined,
      requestIds: [o.requestId],
      wft: {
        state: 'none',
        scheduledEventId: 0,
        startedEventId: 0,
        attempt: 1,
        sticky: false,
        scheduledMs: 0,
        startedMs: 0,
      },
      lastCompletedStartedEventId: 0,
      firstWftCompleted: false,
      buffered: [],
      activities: {},
      timers: {},
      children: {},
      updates: {},
      cancelRequested: false,
      firstWftDueMs: o.backoffMs > 0 ? now + o.backoffMs : 0,
      header: req.header,
      input: req.input,
      identity: req.identity,
      stateTransitions: 0,
    };
    const run = this.e.newRun(s);
    this.e.runs.set(runId, run);
    this.e.current.set(`${o.ns}\u0000${s.workflowId}`, runId);
    const parentRun = o.parent?.run;
    this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      workflowType: { name: s.workflowType },
      parentWorkflowNamespace: parentRun?.s.namespace,
      parentWorkflowExecution: parentRun ? this.e.execOf(parentRun) : undefined,
      parentInitiatedEventId: o.parent?.initiatedEventId,
      taskQueue: { name: s.taskQueue, kind: EMPTY_TASK_QUEUE_KIND },
      input: req.input,
      workflowExecutionTimeout: execTimeout ? durFromMs(execTimeout) : undefined,
      workflowRunTimeout: runTimeout ? durFromMs(runTimeout) : undefined,
      workflowTaskTimeout: durFromMs(taskTimeout),
      continuedExecutionRunId: o.continuedFrom?.runId,
      initiator: o.continuedFrom?.initiator,
      continuedFailure: o.continuedFrom?.failure,
      lastCompletionResult: o.continuedFrom?.lastResult,
      originalExecutionRunId: runId,
      identity: req.identity,
      firstExecutionRunId: s.firstRunId,
      retryPolicy: s.retryPolicy,
      attempt: o.attempt,
      workflowExecutionExpirationTime: executionExpiresMs ? tsFromMs(executionExpiresMs) : undefined,
      firstWorkflowTaskBackoff: o.backoffMs > 0 ? durFromMs(o.backoffMs) : undefined,
      memo: s.memo,
      searchAttributes: s.searchAttributes,
      header: req.header,
      workflowId: s.workflowId,
      rootWorkflowExecution: this.e.execOf(parentRun ? this.rootOf(parentRun) : run),
      priority: req.priority,
    });
    this.armRunTimeouts(run);
    return run;
  }

  rootOf(run: Run): Run {
    let r = run;
    for (let i = 0; i < 1000 && r.s.parent; i++) {
      const p = this.e.runs.get(r.s.parent.runId);
      if (!p) break;
      r = p;
    }
    return r;
  }

  armRunTimeouts(run: Run): void {
    const s = run.s;
    let due = 0;
    if (s.runTimeoutMs > 0) due = s.startMs + s.runTimeoutMs;
    if (s.executionExpiresMs > 0 && (due === 0 || s.executionExpiresMs < due)) due = s.executionExpiresMs;
    if (due > 0) this.e.setTimer(run, 'run-timeout', due, () => this.timeoutRun(run));
  }

  private timeoutRun(run: Run): void {
    if (!this.e.isOpen(run)) return;
    this.e.flushBuffered(run);
    const retry = this.e.workflowRetry(run, undefined, true);
    this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, {
      retryState: retry.retryState,
      newExecutionRunId: retry.newRun?.s.runId,
    });
    this.e.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, retry.newRun);
  }

  scheduleFirstWft(run: Run): void {
    if (run.s.firstWftDueMs > this.e.now()) this.armFirstWft(run);
    else {
      run.s.firstWftDueMs = 0;
      this.e.ensureWft(run);
    }
  }

  armFirstWft(run: Run): void {
    this.e.setTimer(run, 'first-wft', run.s.firstWftDueMs, () => {
      run.s.firstWftDueMs = 0;
      this.e.ensureWft(run);
      this.e.markDirty(run);
    });
  }
}
