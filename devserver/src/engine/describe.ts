import { invalid } from '../errors';
import { durFromMs, enums, num, tsFromMs, type Obj } from '../proto';
import { matchesQuery, parseQuery, type QueryNode } from '../visibility';
import { WAIT_POLL_MS, EMPTY_TASK_QUEUE_KIND, type Run, type CallContext, statusName } from './shared';
import type { EngineCore } from './core';

/** Reading runs: history (with long polls), describe, list and count. */
export class Describe {
  constructor(private readonly e: EngineCore) {}

  // ---------------------------------------------------------------- history

  async getWorkflowExecutionHistory(req: Obj, ctx: CallContext): Promise<Obj> {
    const ns = this.e.checkNamespace(req.namespace);
    let run = this.e.findRun(ns, req.execution);
    const closeOnly = req.historyEventFilterType === enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
    const pageSize = req.maximumPageSize > 0 ? req.maximumPageSize : 1000;
    let from = 0;
    if (req.nextPageToken && req.nextPageToken.length > 0) {
      try {
        const t = JSON.parse(Buffer.from(req.nextPageToken).toString('utf8')) as { r: string; n: number };
        const r = this.e.runs.get(t.r);
        if (r) run = r;
        from = t.n;
      } catch {
        throw invalid('Invalid NextPageToken.');
      }
    }
    const deadline = Date.now() + WAIT_POLL_MS;
    for (;;) {
      const r = this.e.runs.get(run.s.runId) ?? run;
      const closed = !this.e.isOpen(r);
      if (closeOnly) {
        if (closed) {
          const last = r.lastEvent();
          return { history: { events: last ? [last] : [] }, archived: false };
        }
      } else if (r.size() > from || !req.waitNewEvent || closed) {
        const events = r.slice(from, from + pageSize);
        const next = from + events.length;
        const more = next < r.size() || (req.waitNewEvent && !closed);
        return {
          history: { events },
          nextPageToken: more ? Buffer.from(JSON.stringify({ r: r.s.runId, n: next })) : undefined,
          archived: false,
        };
      }
      if (!req.waitNewEvent) return { history: { events: [] } };
      const remaining = deadline - Date.now();
      if (remaining <= 0 || ctx.cancelled() || this.e.stopped) {
        return {
          history: { events: [] },
          nextPageToken: Buffer.from(JSON.stringify({ r: r.s.runId, n: from })),
        };
      }
      await this.e.waitFor(remaining, ctx, (wake) => {
        // A caller waiting for the close event (the client's `result()`) is not woken by every event before it.
        const waiter = closeOnly ? () => !this.e.isOpen(r) && wake() : wake;
        r.historyWaiters.add(waiter);
        return () => r.historyWaiters.delete(waiter);
      });
    }
  }

  getWorkflowExecutionHistoryReverse(req: Obj): Obj {
    const ns = this.e.checkNamespace(req.namespace);
    const run = this.e.findRun(ns, req.execution);
    const pageSize = req.maximumPageSize > 0 ? req.maximumPageSize : 1000;
    let end = run.size();
    if (req.nextPageToken && req.nextPageToken.length > 0) end = Number(Buffer.from(req.nextPageToken).toString());
    const start = Math.max(0, end - pageSize);
    const events = run.slice(start, end).reverse();
    return { history: { events }, nextPageToken: start > 0 ? Buffer.from(String(start)) : undefined };
  }

  // ---------------------------------------------------------------- describe / list

  private executionInfo(run: Run): Obj {
    const s = run.s;
    return {
      execution: this.e.execOf(run),
      type: { name: s.workflowType },
      startTime: tsFromMs(s.startMs),
      closeTime: s.closeMs ? tsFromMs(s.closeMs) : undefined,
      status: s.status,
      historyLength: run.size(),
      parentNamespaceId: s.parent ? this.e.namespaces.get(s.parent.namespace)?.namespaceInfo.id : undefined,
      parentExecution: s.parent ? { workflowId: s.parent.workflowId, runId: s.parent.runId } : undefined,
      executionTime: tsFromMs(s.executionMs),
      memo: s.memo ?? { fields: {} },
      searchAttributes: s.searchAttributes ?? { indexedFields: {} },
      taskQueue: s.taskQueue,
      stateTransitionCount: s.stateTransitions,
      historySizeBytes: 0,
      rootExecution: this.e.execOf(this.e.rootOf(run)),
      firstRunId: s.firstRunId,
      executionDuration: s.closeMs ? durFromMs(s.closeMs - s.executionMs) : undefined,
    };
  }

  describeWorkflowExecution(req: Obj): Obj {
    const ns = this.e.checkNamespace(req.namespace);
    const run = this.e.findRun(ns, req.execution);
    const s = run.s;
    const A = enums.PendingActivityState;
    return {
      executionConfig: {
        taskQueue: { name: s.taskQueue, kind: EMPTY_TASK_QUEUE_KIND },
        workflowExecutionTimeout: durFromMs(s.executionTimeoutMs),
        workflowRunTimeout: durFromMs(s.runTimeoutMs),
        defaultWorkflowTaskTimeout: durFromMs(s.taskTimeoutMs),
      },
      workflowExecutionInfo: this.executionInfo(run),
      pendingActivities: Object.values(s.activities).map((a) => ({
        activityId: a.activityId,
        activityType: { name: a.activityType },
        state: a.cancelRequested
          ? A.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
          : a.state === 'started'
            ? A.PENDING_ACTIVITY_STATE_STARTED
            : A.PENDING_ACTIVITY_STATE_SCHEDULED,
        heartbeatDetails: a.heartbeatDetails,
        lastHeartbeatTime: a.lastHeartbeatMs ? tsFromMs(a.lastHeartbeatMs) : undefined,
        lastStartedTime: a.startedMs ? tsFromMs(a.startedMs) : undefined,
        attempt: a.attempt,
        maximumAttempts: num(a.retryPolicy.maximumAttempts),
        scheduledTime: tsFromMs(a.attemptScheduledMs),
        expirationTime: a.scheduleToCloseMs ? tsFromMs(a.scheduledMs + a.scheduleToCloseMs) : undefined,
        lastFailure: a.lastFailure,
        lastWorkerIdentity: a.lastWorkerIdentity,
      })),
      pendingChildren: Object.values(s.children).map((c) => ({
        workflowId: c.workflowId,
        runId: c.runId,
        workflowTypeName: c.workflowType,
        initiatedId: c.initiatedEventId,
        parentClosePolicy: c.parentClosePolicy,
      })),
      pendingWorkflowTask:
        s.wft.state !== 'none'
          ? {
              state:
                s.wft.state === 'started'
                  ? enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
                  : enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
              scheduledTime: tsFromMs(s.wft.scheduledMs),
              startedTime: s.wft.startedMs ? tsFromMs(s.wft.startedMs) : undefined,
              attempt: s.wft.attempt,
            }
          : undefined,
    };
  }

  private visibilityRecord(run: Run): Record<string, unknown> {
    const s = run.s;
    const rec: Record<string, unknown> = {
      WorkflowType: s.workflowType,
      WorkflowId: s.workflowId,
      RunId: s.runId,
      ExecutionStatus: statusName(s.status),
      StartTime: s.startMs,
      ExecutionTime: s.executionMs,
      CloseTime: s.closeMs || undefined,
      TaskQueue: s.taskQueue,
      HistoryLength: run.size(),
    };
    for (const [k, p] of Object.entries(s.searchAttributes?.indexedFields ?? {})) {
      try {
        rec[k] = JSON.parse(Buffer.from((p as Obj).data ?? []).toString('utf8'));
      } catch {
        rec[k] = undefined;
      }
    }
    return rec;
  }

  private matching(ns: string, query: string): Run[] {
    let node: QueryNode | undefined;
    try {
      node = parseQuery(query);
    } catch (err) {
      throw invalid(`invalid query: ${(err as Error).message}`);
    }
    const out: Run[] = [];
    for (const run of this.e.runs.values()) {
      if (run.s.namespace !== ns) continue;
      if (!node || matchesQuery(node, this.visibilityRecord(run))) out.push(run);
    }
    out.sort((a, b) => b.s.startMs - a.s.startMs);
    return out;
  }

  listWorkflowExecutions(req: Obj): Obj {
    const ns = this.e.checkNamespace(req.namespace);
    const all = this.matching(ns, req.query ?? '');
    const pageSize = req.pageSize > 0 ? req.pageSize : 1000;
    const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString()) : 0;
    const page = all.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return {
      executions: page.map((r) => this.executionInfo(r)),
      nextPageToken: next < all.length ? Buffer.from(String(next)) : undefined,
    };
  }

  listOpenOrClosed(req: Obj, open: boolean): Obj {
    const ns = this.e.checkNamespace(req.namespace);
    const runs = this.matching(ns, '').filter((r) => this.e.isOpen(r) === open);
    return { executions: runs.map((r) => this.executionInfo(r)) };
  }

  countWorkflowExecutions(req: Obj): Obj {
    const ns = this.e.checkNamespace(req.namespace);
    let query: string = req.query ?? '';
    const groupBy = /\s*group\s+by\s+ExecutionStatus\s*$/i;
    if (groupBy.test(query)) {
      query = query.replace(groupBy, '');
      const runs = this.matching(ns, query);
      const groups = new Map<string, number>();
      for (const r of runs) groups.set(statusName(r.s.status), (groups.get(statusName(r.s.status)) ?? 0) + 1);
      return {
        count: runs.length,
        groups: [...groups.entries()].map(([k, v]) => ({
          groupValues: [
            {
              metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
              data: Buffer.from(JSON.stringify(k)),
            },
          ],
          count: v,
        })),
      };
    }
    return { count: this.matching(ns, query).length };
  }
}
