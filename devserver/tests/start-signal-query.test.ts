/**
 * Conformance: start (ID conflict and reuse policies, request-ID dedup), signals, signal-with-start, queries,
 * describe, memo, history pagination, list and count — real client and worker against the dev server.
 */
import { randomUUID } from 'node:crypto';
import {
  Client,
  QueryNotRegisteredError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type WorkflowHandle,
} from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { replayHandles, startSuite, uid, type TSuite } from './helpers/env';
import {
  addItemSignal,
  collectWorkflow,
  echoWorkflow,
  failingWorkflow,
  finishSignal,
  itemsQuery,
  manyTimersWorkflow,
} from './workflows/basics';

const EventType = temporal.api.enums.v1.EventType;
const keywordKey = defineSearchAttributeKey('CustomKeywordField', SearchAttributeType.KEYWORD);

let suite: TSuite;
const toReplay: WorkflowHandle[] = [];

beforeAll(async () => {
  suite = await startSuite({ workflowsPath: require.resolve('./workflows/basics') });
});
afterAll(async () => {
  await suite?.teardown();
});

function start<T extends typeof collectWorkflow | typeof echoWorkflow | typeof failingWorkflow>(
  wf: T,
  args: Parameters<T>,
  extra: Record<string, unknown> = {},
) {
  return suite.client.workflow.start(wf as typeof echoWorkflow, {
    taskQueue: suite.taskQueue,
    workflowId: uid(wf.name),
    args: args as [string],
    ...extra,
  });
}

describe('start: workflow-ID conflict and reuse policies, request-ID dedup', () => {
  it('rejects a second start of a running workflow ID by default', async () => {
    const first = await start(collectWorkflow, []);
    await expect(start(collectWorkflow, [], { workflowId: first.workflowId })).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );
    await first.signal(finishSignal);
    await first.result();
  });

  it('USE_EXISTING returns the running run; TERMINATE_EXISTING replaces it', async () => {
    const first = await start(collectWorkflow, []);
    const same = await start(collectWorkflow, [], {
      workflowId: first.workflowId,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    expect(same.firstExecutionRunId).toBe(first.firstExecutionRunId);

    const replaced = await start(collectWorkflow, [], {
      workflowId: first.workflowId,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
    });
    expect(replaced.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
    const old = suite.client.workflow.getHandle(first.workflowId, first.firstExecutionRunId);
    expect((await old.describe()).status.name).toBe('TERMINATED');
    await replaced.signal(finishSignal);
    await replaced.result();
  });

  it('applies reuse policies to closed workflow IDs', async () => {
    const done = await start(echoWorkflow, ['a']);
    await done.result();
    // Default ALLOW_DUPLICATE: a new run under the same ID.
    const again = await start(echoWorkflow, ['b'], { workflowId: done.workflowId });
    expect(await again.result()).toBe('b');
    await expect(
      start(echoWorkflow, ['c'], {
        workflowId: done.workflowId,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await expect(
      start(echoWorkflow, ['d'], {
        workflowId: done.workflowId,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);

    const failed = await start(failingWorkflow, ['x']);
    await expect(failed.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const retried = await start(echoWorkflow, ['after failure'], {
      workflowId: failed.workflowId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
    expect(await retried.result()).toBe('after failure');
  });

  it('deduplicates a start retried with the same request ID', async () => {
    const service = suite.client.workflowService;
    const request = {
      namespace: suite.client.options.namespace,
      workflowId: uid('dedup'),
      workflowType: { name: 'collectWorkflow' },
      taskQueue: { name: suite.taskQueue },
      requestId: randomUUID(),
      identity: 'conformance-test',
    };
    const a = await service.startWorkflowExecution(request);
    const b = await service.startWorkflowExecution(request);
    expect(b.runId).toBe(a.runId);
    // A different request ID for the same running ID is a real conflict.
    await expect(service.startWorkflowExecution({ ...request, requestId: randomUUID() })).rejects.toThrow();
    const handle = suite.client.workflow.getHandle(request.workflowId);
    await handle.signal(finishSignal);
    await handle.result();
  });
});

describe('eager workflow start', () => {
  it('hands the first workflow task back in the start response to a worker sharing the connection', async () => {
    // Eager start needs the client and the worker on the same native connection and task queue.
    const client = new Client({
      connection: suite.testEnv.nativeConnection,
      namespace: suite.client.options.namespace,
    });
    const handle = await client.workflow.start(echoWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: uid('eager'),
      args: ['eager'],
      requestEagerStart: true,
    });
    expect(handle.eagerlyStarted).toBe(true);
    expect(await handle.result()).toBe('eager');
  });
});

describe('signals and queries', () => {
  it('delivers signals in order and answers queries while open and once closed', async () => {
    const handle = await start(collectWorkflow, []);
    // Queried at once: the server must hold the query until the first workflow task has completed.
    expect(await handle.query(itemsQuery)).toEqual([]);
    for (const item of ['one', 'two', 'three']) await handle.signal(addItemSignal, item);
    expect(await handle.query(itemsQuery)).toEqual(['one', 'two', 'three']);
    await handle.signal(finishSignal);
    expect(await handle.result()).toEqual(['one', 'two', 'three']);
    expect(await handle.query(itemsQuery)).toEqual(['one', 'two', 'three']);
    toReplay.push(handle);
  });

  it('rejects an unknown query and signals to unknown or closed workflows', async () => {
    const handle = await start(collectWorkflow, []);
    await expect(handle.query('noSuchQuery')).rejects.toBeInstanceOf(QueryNotRegisteredError);
    await handle.signal(finishSignal);
    await handle.result();
    await expect(handle.signal(addItemSignal, 'late')).rejects.toThrow();
    await expect(suite.client.workflow.getHandle(uid('missing')).signal(finishSignal)).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });

  it('signal-with-start starts a workflow with the signal first, then only signals the running one', async () => {
    const workflowId = uid('sws');
    const options = { taskQueue: suite.taskQueue, workflowId, signal: addItemSignal };
    const first = await suite.client.workflow.signalWithStart(collectWorkflow, { ...options, signalArgs: ['a'] });
    const second = await suite.client.workflow.signalWithStart(collectWorkflow, { ...options, signalArgs: ['b'] });
    expect(second.signaledRunId).toBe(first.signaledRunId);
    await first.signal(finishSignal);
    expect(await first.result()).toEqual(['a', 'b']);
    toReplay.push(first);
  });
});

describe('describe, memo, history', () => {
  it('describes a workflow with its memo, search attributes and status', async () => {
    const handle = await start(collectWorkflow, [], {
      memo: { owner: 'alice', nested: { level: 2 } },
      typedSearchAttributes: [{ key: keywordKey, value: 'describe-me' }],
    });
    const open = await handle.describe();
    expect(open.type).toBe('collectWorkflow');
    expect(open.taskQueue).toBe(suite.taskQueue);
    expect(open.status.name).toBe('RUNNING');
    expect(open.memo).toEqual({ owner: 'alice', nested: { level: 2 } });
    expect(open.typedSearchAttributes.get(keywordKey)).toBe('describe-me');
    expect(open.closeTime).toBeUndefined();
    await handle.signal(finishSignal);
    await handle.result();
    const closed = await handle.describe();
    expect(closed.status.name).toBe('COMPLETED');
    expect(closed.closeTime).toBeInstanceOf(Date);
    expect(closed.historyLength).toBeGreaterThan(5);
  });

  it('answers a request for the close event of a run closed while nobody waited (its history kept encoded)', async () => {
    const handle = await start(echoWorkflow, ['kept']);
    const closedQuery = `WorkflowId = '${handle.workflowId}' AND ExecutionStatus = 'Completed'`;
    for (let i = 0; i < 200 && (await suite.client.workflow.count(closedQuery)).count === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const closeOnly = await suite.client.workflowService.getWorkflowExecutionHistory({
      namespace: suite.client.options.namespace,
      execution: { workflowId: handle.workflowId },
      historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      waitNewEvent: true,
    });
    expect(await handle.result()).toBe('kept');
    const full = await handle.fetchHistory();
    expect(closeOnly.history?.events).toHaveLength(1);
    expect(temporal.api.history.v1.HistoryEvent.toObject(closeOnly.history!.events![0] as never)).toEqual(
      temporal.api.history.v1.HistoryEvent.toObject(full.events!.at(-1) as never),
    );
  });

  it('pages through a long history with consecutive event IDs', async () => {
    const handle = await suite.client.workflow.start(manyTimersWorkflow, {
      taskQueue: suite.taskQueue,
      workflowId: uid('pages'),
      args: [12],
    });
    expect(await handle.result()).toBe(12);
    const full = await handle.fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    let pages = 0;
    do {
      const page = await suite.client.workflowService.getWorkflowExecutionHistory({
        namespace: suite.client.options.namespace,
        execution: { workflowId: handle.workflowId },
        maximumPageSize: 10,
        nextPageToken,
      });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      pages += 1;
    } while (nextPageToken && pages < 100);
    expect(pages).toBeGreaterThan(3);
    expect(events.length).toBe(full.events?.length);
    expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED)).toHaveLength(12);
    expect(events.at(-1)?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    toReplay.push(handle);
  });
});

describe('list and count', () => {
  it('filters by WorkflowType, WorkflowId, ExecutionStatus, StartTime and a keyword search attribute', async () => {
    const batch = uid('batch');
    const completed = await Promise.all(
      ['x', 'y', 'z'].map((v) =>
        start(echoWorkflow, [v], { typedSearchAttributes: [{ key: keywordKey, value: batch }] }),
      ),
    );
    await Promise.all(completed.map((h) => h.result()));
    const running = await start(collectWorkflow, [], {
      typedSearchAttributes: [{ key: keywordKey, value: batch }],
      memo: { role: 'listed' },
    });
    const firstStart = (await completed[0].describe()).startTime;

    const count = async (query: string) => (await suite.client.workflow.count(query)).count;
    const list = async (query: string) => {
      const found = [];
      for await (const wf of suite.client.workflow.list({ query })) found.push(wf);
      return found;
    };

    expect(await count(`CustomKeywordField = '${batch}'`)).toBe(4);
    expect(await count(`CustomKeywordField = '${batch}' AND WorkflowType = 'echoWorkflow'`)).toBe(3);
    expect(await count(`CustomKeywordField = '${batch}' AND ExecutionStatus = 'Running'`)).toBe(1);
    expect(await count(`CustomKeywordField = '${batch}' AND ExecutionStatus = 'Completed'`)).toBe(3);
    expect(await count(`WorkflowId = '${running.workflowId}'`)).toBe(1);
    expect(
      await count(`CustomKeywordField = '${batch}' AND StartTime >= '${firstStart.toISOString()}'`),
    ).toBeGreaterThanOrEqual(1);
    expect(await count(`CustomKeywordField = '${batch}' AND StartTime > '2999-01-01T00:00:00Z'`)).toBe(0);

    const listed = await list(`CustomKeywordField = '${batch}' AND WorkflowType = 'collectWorkflow'`);
    expect(listed.map((wf) => wf.workflowId)).toEqual([running.workflowId]);
    expect(listed[0].memo).toEqual({ role: 'listed' });
    expect(listed[0].status.name).toBe('RUNNING');
    await running.signal(finishSignal);
    await running.result();
    expect(await count(`CustomKeywordField = '${batch}' AND ExecutionStatus = 'Running'`)).toBe(0);
  });
});

describe('replay', () => {
  it('replays the histories written by this file', async () => {
    expect(toReplay.length).toBeGreaterThan(0);
    expect(await replayHandles(suite.bundle, toReplay)).toEqual([]);
  });
});
