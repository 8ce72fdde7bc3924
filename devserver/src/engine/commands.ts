import { randomUUID } from 'node:crypto';
import { invalid } from '../errors';
import { CT, ET, RS, WS, durFromMs, enums, msFromDur, type Obj } from '../proto';
import { EMPTY_TASK_QUEUE_KIND, type Run, nextBackoff } from './shared';
import type { EngineCore } from './core';

/** The commands a workflow task completes with, continue-as-new, workflow retries and closing a run. */
export class Commands {
  constructor(private readonly e: EngineCore) {}

  processCommand(
    run: Run,
    cmd: Obj,
    completedId: number,
    identity: string,
    messages: Map<string, Obj>,
    post: Array<() => void>,
  ): 'ok' | 'closed' | 'need-wft' {
    const s = run.s;
    switch (cmd.commandType) {
      case CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        this.e.scheduleActivity(run, cmd.scheduleActivityTaskCommandAttributes ?? {}, completedId);
        return 'ok';
      case CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        return this.e.requestCancelActivity(run, cmd.requestCancelActivityTaskCommandAttributes ?? {}, completedId);
      case CT.COMMAND_TYPE_START_TIMER: {
        const a = cmd.startTimerCommandAttributes ?? {};
        const ev = this.e.append(run, ET.EVENT_TYPE_TIMER_STARTED, {
          timerId: a.timerId,
          startToFireTimeout: a.startToFireTimeout,
          workflowTaskCompletedEventId: completedId,
        });
        const due = this.e.now() + msFromDur(a.startToFireTimeout);
        s.timers[a.timerId] = { startedEventId: ev.eventId, due };
        this.armUserTimer(run, a.timerId, due);
        return 'ok';
      }
      case CT.COMMAND_TYPE_CANCEL_TIMER: {
        const a = cmd.cancelTimerCommandAttributes ?? {};
        const t = s.timers[a.timerId];
        // A timer that fired while this task ran has its TimerFired held in the buffer; the worker has not seen it
        // and cancels the timer, so (as Temporal does) the held event is dropped and the cancel is written instead.
        const startedEventId = t ? t.startedEventId : this.e.takeBufferedTimerFired(run, a.timerId);
        if (startedEventId !== undefined) {
          if (t) {
            delete s.timers[a.timerId];
            this.e.clearTimer(run, `timer:${a.timerId}`);
          }
          this.e.append(run, ET.EVENT_TYPE_TIMER_CANCELED, {
            timerId: a.timerId,
            startedEventId,
            workflowTaskCompletedEventId: completedId,
            identity,
          });
        }
        return 'ok';
      }
      case CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: {
        const a = cmd.completeWorkflowExecutionCommandAttributes ?? {};
        this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
          result: a.result,
          workflowTaskCompletedEventId: completedId,
        });
        this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_COMPLETED, undefined, { result: a.result });
        return 'closed';
      }
      case CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
        const a = cmd.failWorkflowExecutionCommandAttributes ?? {};
        const retry = this.workflowRetry(run, a.failure, false);
        this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
          failure: a.failure,
          retryState: retry.retryState,
          workflowTaskCompletedEventId: completedId,
          newExecutionRunId: retry.newRun?.s.runId,
        });
        this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_FAILED, retry.newRun, { failure: a.failure });
        return 'closed';
      }
      case CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: {
        const a = cmd.cancelWorkflowExecutionCommandAttributes ?? {};
        this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, {
          details: a.details,
          workflowTaskCompletedEventId: completedId,
        });
        this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_CANCELED, undefined, { details: a.details });
        return 'closed';
      }
      case CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        this.continueAsNew(run, cmd.continueAsNewWorkflowExecutionCommandAttributes ?? {}, completedId);
        return 'closed';
      }
      case CT.COMMAND_TYPE_RECORD_MARKER: {
        const a = cmd.recordMarkerCommandAttributes ?? {};
        this.e.append(run, ET.EVENT_TYPE_MARKER_RECORDED, {
          markerName: a.markerName,
          details: a.details,
          header: a.header,
          failure: a.failure,
          workflowTaskCompletedEventId: completedId,
        });
        return 'ok';
      }
      case CT.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const a = cmd.upsertWorkflowSearchAttributesCommandAttributes ?? {};
        const fields = a.searchAttributes?.indexedFields ?? {};
        const merged = { ...(s.searchAttributes?.indexedFields ?? {}) };
        for (const [k, v] of Object.entries(fields)) {
          const p = v as Obj;
          if (!p.data || p.data.length === 0 || Buffer.from(p.data).toString() === 'null') delete merged[k];
          else merged[k] = p;
        }
        s.searchAttributes = { indexedFields: merged };
        this.e.append(run, ET.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
          searchAttributes: a.searchAttributes,
          workflowTaskCompletedEventId: completedId,
        });
        return 'ok';
      }
      case CT.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
        const a = cmd.modifyWorkflowPropertiesCommandAttributes ?? {};
        const fields = a.upsertedMemo?.fields ?? {};
        const merged = { ...(s.memo?.fields ?? {}) };
        for (const [k, v] of Object.entries(fields)) {
          const p = v as Obj;
          if (!p.data || p.data.length === 0) delete merged[k];
          else merged[k] = p;
        }
        s.memo = { fields: merged };
        this.e.append(run, ET.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
          upsertedMemo: a.upsertedMemo,
          workflowTaskCompletedEventId: completedId,
        });
        return 'ok';
      }
      case CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
        this.e.startChildCommand(run, cmd.startChildWorkflowExecutionCommandAttributes ?? {}, completedId, post);
        return 'ok';
      case CT.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        this.e.signalExternalCommand(
          run,
          cmd.signalExternalWorkflowExecutionCommandAttributes ?? {},
          completedId,
          post,
        );
        return 'ok';
      case CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        this.e.cancelExternalCommand(
          run,
          cmd.requestCancelExternalWorkflowExecutionCommandAttributes ?? {},
          completedId,
          post,
        );
        return 'ok';
      case CT.COMMAND_TYPE_PROTOCOL_MESSAGE: {
        const id: string = cmd.protocolMessageCommandAttributes?.messageId;
        const m = messages.get(id);
        if (m) {
          messages.delete(id);
          this.e.processMessage(run, m, completedId);
        }
        return 'ok';
      }
      default:
        throw invalid(`Command type ${String(cmd.commandType)} is not supported by the dev server.`);
    }
  }

  /** Checks commands before any is applied, so a bad completion fails the task without partial effects. */
  validateCommands(commands: Obj[]): { cause: number; message: string } | undefined {
    const C = enums.WorkflowTaskFailedCause;
    for (const cmd of commands) {
      switch (cmd.commandType) {
        case CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
          const a = cmd.scheduleActivityTaskCommandAttributes ?? {};
          if (!a.activityId || !a.activityType?.name) {
            return {
              cause: C.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
              message: 'ActivityId and ActivityType are required on ScheduleActivityTaskCommand.',
            };
          }
          if (msFromDur(a.scheduleToCloseTimeout) === 0 && msFromDur(a.startToCloseTimeout) === 0) {
            return {
              cause: C.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
              message: 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.',
            };
          }
          break;
        }
        case CT.COMMAND_TYPE_START_TIMER:
          if (!cmd.startTimerCommandAttributes?.timerId) {
            return { cause: C.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, message: 'TimerId is not set.' };
          }
          break;
        case CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
          const a = cmd.startChildWorkflowExecutionCommandAttributes ?? {};
          if (!a.workflowId || !a.workflowType?.name) {
            return {
              cause: C.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
              message: 'WorkflowId and WorkflowType are required on StartChildWorkflowExecutionCommand.',
            };
          }
          break;
        }
        case CT.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION:
        case CT.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION:
          return {
            cause: C.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
            message: 'Nexus operations are not supported by the dev server.',
          };
        default:
          if (!(cmd.commandType in CT) || cmd.commandType === CT.COMMAND_TYPE_UNSPECIFIED) {
            return {
              cause: C.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
              message: `Unknown command type ${String(cmd.commandType)}.`,
            };
          }
      }
    }
    return undefined;
  }

  armUserTimer(run: Run, timerId: string, due: number): void {
    this.e.setTimer(run, `timer:${timerId}`, due, () => {
      const t = run.s.timers[timerId];
      if (!t || !this.e.isOpen(run)) return;
      delete run.s.timers[timerId];
      this.e.appendOrBuffer(run, {
        events: [{ type: ET.EVENT_TYPE_TIMER_FIRED, attrs: { timerId, startedEventId: t.startedEventId } }],
      });
    });
  }

  /** Applies the workflow's own retry policy on failure/timeout: returns the new run when one is started. */
  workflowRetry(run: Run, failure: Obj | undefined, timeout: boolean): { retryState: number; newRun?: Run } {
    const s = run.s;
    if (!s.retryPolicy) return { retryState: RS.RETRY_STATE_RETRY_POLICY_NOT_SET };
    const b = nextBackoff(s.retryPolicy, s.attempt, timeout ? undefined : failure);
    if (b.delayMs === undefined) return { retryState: b.retryState };
    if (s.executionExpiresMs > 0 && this.e.now() + b.delayMs >= s.executionExpiresMs) {
      return { retryState: RS.RETRY_STATE_TIMEOUT };
    }
    const newRun = this.e.createRun({
      ns: s.namespace,
      req: this.startRequestOf(run),
      requestId: randomUUID(),
      parent: this.parentRef(run),
      attempt: s.attempt + 1,
      firstRunId: s.firstRunId,
      continuedFrom: {
        runId: s.runId,
        initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
        failure,
      },
      backoffMs: b.delayMs,
      executionExpiresMs: s.executionExpiresMs,
    });
    newRun.s.parent = s.parent;
    this.e.scheduleFirstWft(newRun);
    return { retryState: RS.RETRY_STATE_IN_PROGRESS, newRun };
  }

  private parentRef(run: Run): { run: Run; initiatedEventId: number } | undefined {
    const p = run.s.parent;
    const pr = p ? this.e.runs.get(p.runId) : undefined;
    return p && pr ? { run: pr, initiatedEventId: p.initiatedEventId } : undefined;
  }

  private startRequestOf(run: Run): Obj {
    const s = run.s;
    return {
      namespace: s.namespace,
      workflowId: s.workflowId,
      workflowType: { name: s.workflowType },
      taskQueue: { name: s.taskQueue },
      input: s.input,
      workflowExecutionTimeout: s.executionTimeoutMs ? durFromMs(s.executionTimeoutMs) : undefined,
      workflowRunTimeout: s.runTimeoutMs ? durFromMs(s.runTimeoutMs) : undefined,
      workflowTaskTimeout: durFromMs(s.taskTimeoutMs),
      identity: s.identity,
      retryPolicy: s.retryPolicy,
      memo: s.memo,
      searchAttributes: s.searchAttributes,
      header: s.header,
    };
  }

  private continueAsNew(run: Run, a: Obj, completedId: number): void {
    const s = run.s;
    const req: Obj = {
      namespace: s.namespace,
      workflowId: s.workflowId,
      workflowType: a.workflowType?.name ? a.workflowType : { name: s.workflowType },
      taskQueue: a.taskQueue?.name ? a.taskQueue : { name: s.taskQueue },
      input: a.input,
      workflowExecutionTimeout: s.executionTimeoutMs ? durFromMs(s.executionTimeoutMs) : undefined,
      workflowRunTimeout: a.workflowRunTimeout ?? (s.runTimeoutMs ? durFromMs(s.runTimeoutMs) : undefined),
      workflowTaskTimeout: a.workflowTaskTimeout ?? durFromMs(s.taskTimeoutMs),
      identity: s.identity,
      retryPolicy: a.retryPolicy ?? s.retryPolicy,
      memo: a.memo ?? s.memo,
      searchAttributes: a.searchAttributes ?? s.searchAttributes,
      header: a.header,
    };
    const newRun = this.e.createRun({
      ns: s.namespace,
      req,
      requestId: randomUUID(),
      parent: this.parentRef(run),
      attempt: 1,
      firstRunId: s.firstRunId,
      continuedFrom: {
        runId: s.runId,
        initiator: a.initiator || enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
        failure: a.failure,
        lastResult: a.lastCompletionResult,
      },
      backoffMs: msFromDur(a.backoffStartInterval),
      executionExpiresMs: s.executionExpiresMs,
    });
    newRun.s.parent = s.parent;
    this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
      newExecutionRunId: newRun.s.runId,
      workflowType: req.workflowType,
      taskQueue: { name: req.taskQueue.name, kind: EMPTY_TASK_QUEUE_KIND },
      input: a.input,
      workflowRunTimeout: req.workflowRunTimeout,
      workflowTaskTimeout: req.workflowTaskTimeout,
      workflowTaskCompletedEventId: completedId,
      backoffStartInterval: a.backoffStartInterval,
      initiator: a.initiator,
      failure: a.failure,
      lastCompletionResult: a.lastCompletionResult,
      header: a.header,
      memo: req.memo,
      searchAttributes: req.searchAttributes,
    });
    this.closeRun(run, WS.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, newRun);
    this.e.scheduleFirstWft(newRun);
  }

  /**
   * Marks a run closed: stops its timers and tasks, answers waiters, notifies the parent and applies parent close
   * policies to children. `next` is the run that continues it (continue-as-new or retry), if any.
   */
  closeRun(run: Run, st: number, next: Run | undefined, result?: Obj): void {
    const s = run.s;
    s.status = st;
    s.closeMs = this.e.now();
    s.newRunId = next?.s.runId;
    for (const h of run.timers.values()) this.e.clock.cancel(h);
    run.timers.clear();
    this.e.clock.markIdle(`wft:${s.runId}`);
    for (const act of Object.values(s.activities)) this.e.clock.markIdle(`act:${s.runId}:${act.scheduledEventId}`);
    s.activities = {};
    s.timers = {};
    s.buffered = [];
    s.wft = { ...s.wft, state: 'none' };
    // Updates not yet completed: carried to the next run when there is one, failed otherwise.
    for (const u of Object.values(s.updates)) {
      if (u.state === 'completed') continue;
      if (next && u.state !== 'accepted') {
        next.s.updates[u.updateId] = { ...u, state: 'admitted' };
        delete s.updates[u.updateId];
      } else {
        u.state = 'completed';
        u.outcome = {
          failure: {
            message: 'Workflow Update failed because the Workflow completed before the Update completed.',
            source: 'Server',
            serverFailureInfo: { nonRetryable: true },
          },
        };
      }
    }
    for (const w of [...run.updateWaiters]) w();
    for (const w of [...run.historyWaiters]) w();
    this.e.markDirty(run);
    if (next) {
      this.e.markDirty(next);
      this.e.dispatchWaitingQueries(run);
      return;
    }
    this.e.notifyParent(run, st, result);
    for (const child of Object.values(s.children)) this.e.applyParentClosePolicy(child);
    this.e.dispatchWaitingQueries(run);
  }
}
