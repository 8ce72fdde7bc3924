import { invalid, notFound } from '../errors';
import { ET, num, unpackAny, type Obj } from '../proto';
import type { UpdateState } from '../types';
import { WAIT_POLL_MS, REJECTED_UPDATES_KEPT, LAST_STAGE, eventAttributes, type Run, type CallContext } from './shared';
import type { EngineCore } from './core';

/** Workflow updates: protocol messages, long polls for their outcome and remembered rejections. */
export class Updates {
  /**
   * Rejected updates are remembered in memory only, so a retried request with the same ID gets the same answer: the
   * most recent REJECTED_UPDATES_KEPT of them (a client retries within seconds; an unbounded map grew with every
   * refused decision).
   */
  private readonly rejectedUpdates = new Map<string, UpdateState>();

  constructor(private readonly e: EngineCore) {}

  processMessage(run: Run, m: Obj, completedId: number): void {
    const body = unpackAny(m.body);
    if (!body) return;
    const s = run.s;
    const updateId: string = m.protocolInstanceId;
    const u = s.updates[updateId];
    switch (body.typeName) {
      case 'temporal.api.update.v1.Acceptance': {
        if (!u) return;
        const ev = this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
          protocolInstanceId: updateId,
          acceptedRequestMessageId: body.value.acceptedRequestMessageId,
          acceptedRequestSequencingEventId: body.value.acceptedRequestSequencingEventId,
          acceptedRequest: u.request,
        });
        // The request is in the accepted event now; the run's state need not carry it (it is saved at every change).
        // A new record rather than `delete`: an object that lost a property is kept in V8's slow dictionary form
        // (~0.5 KB each; hundreds a minute in the soak).
        s.updates[updateId] = { updateId, state: 'accepted', acceptedEventId: ev.eventId };
        break;
      }
      case 'temporal.api.update.v1.Rejection': {
        if (!u) return;
        // Rejected updates leave no trace in history, like on the real server.
        delete s.updates[updateId];
        this.rememberRejected(`${s.runId}/${updateId}`, {
          updateId,
          state: 'completed',
          acceptedEventId: 0,
          outcome: { failure: body.value.failure },
        });
        break;
      }
      case 'temporal.api.update.v1.Response': {
        if (!u) return;
        const ev = this.e.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
          meta: body.value.meta ?? { updateId },
          acceptedEventId: u.acceptedEventId,
          outcome: body.value.outcome,
        });
        // What a completed update keeps is where its outcome is (as the real server's mutable state does): a retried
        // request with the same ID reads it from the event. Keeping outcomes and requests in the state made a
        // long-lived run's state (saved whole at every change) grow with every decision.
        s.updates[updateId] = {
          updateId,
          state: 'completed',
          acceptedEventId: u.acceptedEventId,
          completedEventId: ev.eventId,
        };
        break;
      }
      default:
        this.e.log(`ignoring protocol message of type ${body.typeName} (completion ${completedId})`);
    }
    this.e.markDirty(run);
    for (const w of [...run.updateWaiters]) w();
  }

  private rememberRejected(key: string, u: UpdateState): void {
    this.rejectedUpdates.delete(key);
    this.rejectedUpdates.set(key, u);
    while (this.rejectedUpdates.size > REJECTED_UPDATES_KEPT) {
      const oldest = this.rejectedUpdates.keys().next().value as string;
      this.rejectedUpdates.delete(oldest);
    }
  }

  /** A completed update's outcome: held while fresh (rejections, forced failures), else read from its event. */
  private outcomeOf(run: Run, u: UpdateState): Obj | undefined {
    if (u.state !== 'completed') return undefined;
    if (u.outcome) return u.outcome;
    if (!u.completedEventId) return undefined;
    const ev = run.slice(u.completedEventId - 1, u.completedEventId)[0];
    return ev ? eventAttributes(ev).outcome : undefined;
  }

  private findUpdate(run: Run, updateId: string): { run: Run; u: UpdateState } | undefined {
    const u = run.s.updates[updateId] ?? this.rejectedUpdates.get(`${run.s.runId}/${updateId}`);
    if (u) return { run, u };
    if (!run.s.updatesInHistory) return undefined;
    // A closed run's completed updates are in its history only (see slimClosed), as the real server reads them.
    const ev = run
      .slice(0)
      .find(
        (e) =>
          e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED &&
          eventAttributes(e).meta?.updateId === updateId,
      );
    if (!ev) return undefined;
    const acceptedEventId = num(eventAttributes(ev).acceptedEventId);
    return { run, u: { updateId, state: 'completed', acceptedEventId, completedEventId: num(ev.eventId) } };
  }

  private updateStage(u: UpdateState): number {
    if (u.state === 'completed') return LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
    if (u.state === 'accepted') return LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
    return LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
  }

  async updateWorkflowExecution(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.e.checkNamespace(req.namespace);
    const updateId: string | undefined = req.request?.meta?.updateId;
    if (!updateId) throw invalid('Update ID is not set on request.');
    if (!req.request?.input?.name) throw invalid('Update name is not set on request.');
    let run = this.e.findRun(ns, req.workflowExecution);
    if (req.firstExecutionRunId && run.s.firstRunId !== req.firstExecutionRunId) {
      throw notFound('workflow execution not found for the given first execution run ID');
    }
    let found = this.findUpdate(run, updateId);
    if (!found) {
      if (!this.e.isOpen(run)) throw notFound('workflow execution already completed');
      this.e.tx(() => {
        run.s.updates[updateId] = { updateId, request: req.request, state: 'admitted', acceptedEventId: 0 };
        this.e.markDirty(run);
        if (run.s.wft.state === 'none') this.e.ensureWft(run);
      });
      found = { run, u: run.s.updates[updateId] };
    }
    const wanted: number =
      req.waitPolicy?.lifecycleStage || LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
    const result = await this.waitUpdate(found.run, updateId, wanted, ctx);
    run = result.run;
    return {
      updateRef: { workflowExecution: this.e.execOf(run), updateId },
      outcome: result.u ? this.outcomeOf(run, result.u) : undefined,
      stage: result.u ? this.updateStage(result.u) : LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
    };
  }

  /** Update-with-start: a start (usually USE_EXISTING) followed by an update on the run it names. */
  async executeMultiOperation(req: Obj, ctx: CallContext): Promise<Obj> {
    const ops: Obj[] = req.operations ?? [];
    if (ops.length !== 2 || !ops[0].startWorkflow || !ops[1].updateWorkflow) {
      throw invalid('ExecuteMultiOperation supports exactly [startWorkflow, updateWorkflow].');
    }
    const startReq = { ...ops[0].startWorkflow, namespace: ops[0].startWorkflow.namespace || req.namespace };
    const started = this.e.startWorkflowExecution(startReq);
    const updateReq = {
      ...ops[1].updateWorkflow,
      namespace: ops[1].updateWorkflow.namespace || req.namespace,
      workflowExecution: { workflowId: startReq.workflowId, runId: started.runId },
    };
    const updated = await this.updateWorkflowExecution(updateReq, ctx);
    return { responses: [{ startWorkflow: started }, { updateWorkflow: updated }] };
  }

  private async waitUpdate(
    start: Run,
    updateId: string,
    wanted: number,
    ctx: CallContext,
  ): Promise<{ run: Run; u: UpdateState | undefined }> {
    const deadline = Date.now() + WAIT_POLL_MS;
    let run = start;
    for (;;) {
      let found = this.findUpdate(run, updateId);
      // An update not yet accepted when its run continued as new moves to the next run.
      while (!found && run.s.newRunId) {
        const next = this.e.runs.get(run.s.newRunId);
        if (!next) break;
        run = next;
        found = this.findUpdate(run, updateId);
      }
      const u = found?.u;
      if (!u) return { run, u: undefined };
      if (this.updateStage(u) >= wanted || u.state === 'completed') return { run, u };
      const remaining = deadline - Date.now();
      if (remaining <= 0 || ctx.cancelled() || this.e.stopped) return { run, u };
      const r = run;
      await this.e.waitFor(remaining, ctx, (wake) => {
        r.updateWaiters.add(wake);
        return () => r.updateWaiters.delete(wake);
      });
    }
  }

  async pollWorkflowExecutionUpdate(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.e.checkNamespace(req.namespace);
    const updateId: string | undefined = req.updateRef?.updateId;
    if (!updateId) throw invalid('Update ID is not set on request.');
    const run = this.e.findRun(ns, req.updateRef?.workflowExecution);
    if (!this.findUpdate(run, updateId) && !run.s.newRunId) throw notFound(`update ${updateId} not found`);
    const wanted: number =
      req.waitPolicy?.lifecycleStage || LAST_STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
    const result = await this.waitUpdate(run, updateId, wanted, ctx);
    if (!result.u) throw notFound(`update ${updateId} not found`);
    return {
      outcome: this.outcomeOf(result.run, result.u),
      stage: this.updateStage(result.u),
      updateRef: { workflowExecution: this.e.execOf(result.run), updateId },
    };
  }
}
