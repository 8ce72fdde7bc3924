import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { RpcError, invalid, notFound } from '../errors';
import { WS, enums, type Obj } from '../proto';
import {
  EMPTY_TASK_QUEUE_KIND,
  type Run,
  type PendingQuery,
  type CallContext,
  encodeToken,
  decodeToken,
} from './shared';
import type { EngineCore } from './core';

/** Workflow queries: legacy query tasks and queries riding on workflow tasks. */
export class Queries {
  constructor(private readonly e: EngineCore) {}

  async queryWorkflow(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.e.checkNamespace(req.namespace);
    const run = this.e.findRun(ns, req.execution);
    if (!req.query?.queryType) throw invalid('QueryType is not set on request.');
    const R = enums.QueryRejectCondition;
    const cond: number = req.queryRejectCondition ?? 0;
    if (
      (cond === R.QUERY_REJECT_CONDITION_NOT_OPEN && !this.e.isOpen(run)) ||
      (cond === R.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY &&
        !this.e.isOpen(run) &&
        run.s.status !== WS.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    ) {
      return { queryRejected: { status: run.s.status } };
    }
    return new Promise<Obj>((resolve, reject) => {
      const id = randomUUID();
      const q: PendingQuery = { id, runId: run.s.runId, query: req.query, state: 'waiting', resolve, reject };
      this.e.queries.set(id, q);
      run.queryIds.push(id);
      ctx.onCancel(() => this.dropQuery(id));
      this.dispatchWaitingQueries(run);
    });
  }

  private dropQuery(id: string): void {
    const q = this.e.queries.get(id);
    if (!q) return;
    this.e.queries.delete(id);
    const run = this.e.runs.get(q.runId);
    if (run) run.queryIds = run.queryIds.filter((x) => x !== id);
  }

  /** Hands waiting queries out as standalone query tasks when no workflow task is in flight. */
  dispatchWaitingQueries(run: Run): void {
    if (run.queryIds.length === 0) return;
    const s = run.s;
    const open = this.e.isOpen(run);
    // Queries wait for the first workflow task to complete (the worker cannot answer earlier) and for any task in
    // flight, whose completion they must observe.
    if (open && (!s.firstWftCompleted || s.wft.state === 'started')) return;
    if (open && s.wft.state === 'scheduled') return; // attached to that task when it is dispatched
    if (!open && !s.firstWftCompleted) {
      for (const id of [...run.queryIds]) {
        this.e.queries
          .get(id)
          ?.reject(new RpcError(status.FAILED_PRECONDITION, 'Workflow closed before a worker started it.'));
        this.dropQuery(id);
      }
      return;
    }
    for (const id of run.queryIds) {
      const q = this.e.queries.get(id);
      if (!q || q.state !== 'waiting') continue;
      q.state = 'dispatched';
      const sticky = open ? s.sticky : undefined;
      if (sticky) {
        // A sticky worker that died without ShutdownWorker never polls again: fall back to the normal queue.
        const timer = setTimeout(() => {
          this.e.waitTimers.delete(timer);
          const cur = this.e.queries.get(id);
          if (cur && cur.state === 'dispatched') {
            this.e.wfQueue(s.namespace, s.taskQueue).add({ kind: 'query', id, queue: s.taskQueue });
          }
        }, sticky.timeoutMs);
        this.e.waitTimers.add(timer);
      }
      const queue = sticky ? sticky.queue : s.taskQueue;
      this.e.wfQueue(s.namespace, queue).add({ kind: 'query', id, queue });
    }
  }

  dispatchLegacyQuery(id: string, queueName: string): Obj | undefined {
    const q = this.e.queries.get(id);
    if (!q || q.state !== 'dispatched') return undefined;
    const run = this.e.runs.get(q.runId);
    if (!run) return undefined;
    q.state = 'picked';
    const s = run.s;
    // Partial history only for the sticky worker that holds the run in its cache.
    const sticky = this.e.isOpen(run) && !!s.sticky && queueName === s.sticky.queue;
    return {
      taskToken: encodeToken({ k: 'q', q: id }),
      workflowExecution: this.e.execOf(run),
      workflowType: { name: s.workflowType },
      previousStartedEventId: s.lastCompletedStartedEventId,
      startedEventId: s.lastCompletedStartedEventId,
      history: { events: run.slice(sticky ? s.lastCompletedStartedEventId : 0) },
      query: q.query,
      workflowExecutionTaskQueue: { name: s.taskQueue, kind: EMPTY_TASK_QUEUE_KIND },
      attempt: 1,
    };
  }

  respondQueryTaskCompleted(req: Obj): Obj {
    const token = decodeToken(req.taskToken);
    if (token.k !== 'q' || !token.q) throw invalid('Task token is not a query task token.');
    const q = this.e.queries.get(token.q);
    if (!q) throw notFound('Query not found (it may have timed out).');
    this.dropQuery(q.id);
    if (req.completedType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED)
      q.resolve({ queryResult: req.queryResult });
    else q.reject(invalid(req.errorMessage || 'query failed'));
    return {};
  }

  answerQueries(run: Run, results: Obj): void {
    for (const [id, r] of Object.entries(results)) {
      const q = this.e.queries.get(id);
      if (!q) continue;
      this.dropQuery(id);
      const res = r as Obj;
      if (res.resultType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED) q.resolve({ queryResult: res.answer });
      else q.reject(invalid(res.errorMessage || 'query failed'));
    }
    // Attached but unanswered queries wait for the next opportunity.
    for (const id of run.queryIds) {
      const q = this.e.queries.get(id);
      if (q && q.state === 'attached') q.state = 'waiting';
    }
  }
}
