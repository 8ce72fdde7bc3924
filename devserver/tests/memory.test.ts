/**
 * Memory of a persistent server: a closed run keeps no history in memory (only its state, event count and close
 * event); its history is read back from the db file when asked for, identical, before and after a restart. Without
 * this the server's memory grew with every run that closed (a soak of continue-as-new workflows failed its goal).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { VirtualClock } from '../src/clock';
import { Engine } from '../src/engine';
import { collectGarbage } from '../src/gc';
import { startGrpcServer } from '../src/server';
import { Store } from '../src/store';
import { ActivityRecorder } from './helpers/activities';
import { bundleFor, eventually, quietRuntime, replayHandles, uid } from './helpers/env';
import { addItemSignal, collectWorkflow, finishSignal, itemsQuery } from './workflows/basics';
import { runActivityWorkflow } from './workflows/activities';
import { addSignal, addUpdate, chainWorkflow, counterWorkflow, doneSignal } from './workflows/updates';

type THistory = temporal.api.history.v1.IHistory;
const EventType = temporal.api.enums.v1.EventType;
const RUNNING = temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;

const COLLECTS = 80;
const ACTIVITIES = 80;
const CHAINS = 40;
const CHAIN_VALUES = 4;
const CONCURRENCY = 16;

let tmp: string;
let bundle: WorkflowBundleWithSourceMap;
const recorder = new ActivityRecorder();

beforeAll(async () => {
  quietRuntime();
  tmp = mkdtempSync(join(tmpdir(), 'devserver-memory-'));
  bundle = await bundleFor(require.resolve('./workflows/index'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** What is up at a given moment, closed after a failure too (a server left running keeps Jest from exiting). */
let live: { server?: TServer; connection?: Connection } = {};
afterEach(async () => {
  await live.connection?.close();
  await live.server?.stop();
  live = {};
});

interface TServer {
  engine: Engine;
  address: string;
  stop(): Promise<void>;
}

/** What startDevServer does, keeping the engine at hand to read its history counters. */
async function startPersistent(dbFile: string): Promise<TServer> {
  const clock = new VirtualClock(false);
  const store = new Store(dbFile);
  const engine = new Engine({ namespace: 'default', clock, store, log: () => undefined });
  engine.load();
  const { server, port } = await startGrpcServer({
    engine,
    host: '127.0.0.1',
    port: 0,
    timeSkipping: false,
    log: () => undefined,
  });
  return {
    engine,
    address: `127.0.0.1:${port}`,
    async stop() {
      engine.stop();
      clock.stop();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      store.close();
    },
  };
}

async function inBatches<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) await Promise.all(items.slice(i, i + CONCURRENCY).map(fn));
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** RSS after a full collection, so that the figure says what is held rather than what awaits collection. */
function settledRss(): number {
  collectGarbage();
  return process.memoryUsage().rss;
}

/** Every closed run has left its history to the store (compaction after close may wait out a long poll). */
async function expectNoClosedHistoryHeld(engine: Engine): Promise<void> {
  await eventually(async () => engine.historyMemory().closed.runs === 0, 10_000).catch(() => undefined);
  expect(engine.historyMemory().closed).toEqual({ runs: 0, events: 0, bytes: 0 });
}

/**
 * Byte arrays in closed runs' states that are views into a larger buffer: payloads sliced from a request pin the
 * whole request buffer (an 8 KB slab for a few bytes) for as long as the run is kept.
 */
function pinnedSlices(engine: Engine): number {
  let pinned = 0;
  const walk = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    if (ArrayBuffer.isView(value)) {
      if (value.byteLength > 0 && value.byteLength !== value.buffer.byteLength) pinned++;
      return;
    }
    for (const v of Object.values(value)) walk(v);
  };
  for (const run of engine.runs.values()) if (run.s.status !== RUNNING) walk(run.s);
  return pinned;
}

interface TRun {
  workflowId: string;
  runId: string;
  kind: 'collect' | 'activity' | 'chain';
  result: unknown;
}

it('keeps no history of closed runs in memory and reads it back from the store, also after a restart', async () => {
  const dbFile = join(tmp, 'memory.db');
  const taskQueue = uid('memory');
  const rssStart = settledRss();
  let server = await startPersistent(dbFile);
  live.server = server;
  let connection = await Connection.connect({ address: server.address });
  live.connection = connection;
  let client = new Client({ connection });
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: bundle,
    activities: recorder.createActivities(),
  });
  const running = worker.run();

  const runs: TRun[] = [];
  /** Histories fetched while their runs were open (decoded in memory then): the closed history must extend them. */
  const openHistories = new Map<string, THistory>();
  const rssBeforeWork = settledRss();
  try {
    await inBatches([...Array(COLLECTS).keys()], async (i) => {
      const handle = await client.workflow.start(collectWorkflow, { taskQueue, workflowId: uid(`mem-collect-${i}`) });
      for (const item of ['a', 'b', 'c']) await handle.signal(addItemSignal, item);
      openHistories.set(handle.workflowId, await handle.fetchHistory());
      await handle.signal(finishSignal);
      const result = await handle.result();
      expect(result).toEqual(['a', 'b', 'c']);
      // A query of a closed run replays its whole history, read back from the store.
      expect(await handle.query(itemsQuery)).toEqual(['a', 'b', 'c']);
      runs.push({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, kind: 'collect', result });
    });
    await inBatches([...Array(ACTIVITIES).keys()], async (i) => {
      const label = uid(`mem-act-${i}`);
      const handle = await client.workflow.start(runActivityWorkflow, {
        taskQueue,
        workflowId: label,
        args: ['record', [label], { startToCloseTimeout: '10s' }],
      });
      const result = await handle.result();
      expect(result).toEqual({ ok: true, result: label });
      runs.push({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, kind: 'activity', result });
    });
    await inBatches([...Array(CHAINS).keys()], async (i) => {
      const handle = await client.workflow.start(chainWorkflow, {
        taskQueue,
        workflowId: uid(`mem-chain-${i}`),
        args: [{ total: 0, seen: 0, expected: CHAIN_VALUES, perRun: 2, runs: 1, minRuns: 2 }],
      });
      for (let n = 1; n <= CHAIN_VALUES; n++) await handle.signal(addSignal, n);
      const result = await handle.result();
      expect(result.total).toBe(10);
      const last = (await handle.describe()).runId;
      // Every run of the chain: the continued-as-new ones are closed runs too.
      const seen = new Set<string>();
      for (let runId: string | undefined = handle.firstExecutionRunId; runId && !seen.has(runId);) {
        seen.add(runId);
        runs.push({ workflowId: handle.workflowId, runId, kind: 'chain', result: runId === last ? result : undefined });
        const history: THistory = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
        const close = history.events?.[history.events.length - 1];
        runId = close?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      }
    });
  } finally {
    worker.shutdown();
    await running;
    await native.close();
  }
  const rssAfterWork = settledRss();
  expect(runs.length).toBeGreaterThanOrEqual(COLLECTS + ACTIVITIES + 2 * CHAINS);

  const { engine } = server;
  await expectNoClosedHistoryHeld(engine);
  expect(engine.historyMemory().open.runs).toBe(0);
  expect(pinnedSlices(engine)).toBe(0);
  const readsBefore = engine.historyMemory().storeReads;

  /** Every closed run: full history from the store, close event, describe and result as a client sees them. */
  async function checkAll(): Promise<Map<string, THistory>> {
    const histories = new Map<string, THistory>();
    await inBatches(runs, async (run) => {
      const handle = client.workflow.getHandle(run.workflowId, run.runId);
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_e, i) => i + 1));
      const description = await handle.describe();
      expect(description.historyLength).toBe(events.length);
      const close = events[events.length - 1];
      if (run.result !== undefined) {
        expect(close.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
        expect(description.status.name).toBe('COMPLETED');
        // result() of a closed run asks only for the close event.
        expect(await client.workflow.getHandle(run.workflowId, run.runId, { followRuns: false }).result()).toEqual(
          run.result,
        );
      } else {
        expect(close.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
        expect(description.status.name).toBe('CONTINUED_AS_NEW');
      }
      const open = openHistories.get(run.workflowId);
      if (open) {
        // What was decoded in memory while the run was open is what the store gives back once it closed.
        expect(events.slice(0, open.events?.length ?? 0)).toEqual(open.events);
        expect(events.length).toBeGreaterThan(open.events?.length ?? 0);
      }
      histories.set(run.runId, history);
    });
    return histories;
  }

  const before = await checkAll();
  expect(engine.historyMemory().storeReads).toBeGreaterThan(readsBefore);
  // Read for the answer, dropped after it.
  await new Promise((resolve) => setImmediate(resolve));
  await expectNoClosedHistoryHeld(engine);
  const replayed = runs.filter((r) => r.kind !== 'activity').slice(0, 20);
  expect(
    await replayHandles(
      bundle,
      replayed.map((r) => client.workflow.getHandle(r.workflowId, r.runId) as WorkflowHandle),
    ),
  ).toEqual([]);
  const rssAfterReads = settledRss();

  await connection.close();
  await server.stop();
  live = {};
  const rssStopped = settledRss();
  server = await startPersistent(dbFile);
  live.server = server;
  connection = await Connection.connect({ address: server.address });
  live.connection = connection;
  client = new Client({ connection });
  // Loaded from the file: the closed runs' histories stay there.
  expect(server.engine.historyMemory().closed).toEqual({ runs: 0, events: 0, bytes: 0 });
  expect(server.engine.historyMemory().storeReads).toBe(0);
  const rssRestarted = settledRss();
  const after = await checkAll();
  for (const [runId, history] of before) expect(after.get(runId)).toEqual(history);
  await new Promise((resolve) => setImmediate(resolve));
  await expectNoClosedHistoryHeld(server.engine);
  const rssEnd = settledRss();
  const events = [...before.values()].reduce((sum, h) => sum + (h.events?.length ?? 0), 0);
  console.log(
    [
      `${runs.length} closed runs, ${events} events (in-process server, worker and client; RSS after a full GC)`,
      `RSS at start ${mb(rssStart)}, server up ${mb(rssBeforeWork)}, after the runs ${mb(rssAfterWork)}`,
      `after reading every history back ${mb(rssAfterReads)}, server stopped ${mb(rssStopped)}`,
      `restarted ${mb(rssRestarted)}, after reading every history again ${mb(rssEnd)}`,
      `heap used ${mb(process.memoryUsage().heapUsed)}`,
    ].join('\n'),
  );
}, 300_000);

/**
 * A long-lived open run (a task that sees a decision every day for years) must not grow the server with every
 * decision: between its workflow tasks it holds only what its sticky worker's next task needs (the rest is in the
 * store), and its state keeps only where each completed update's outcome is, not the request and outcome themselves.
 * A retried update ID is still answered from the store, a worker without the run in its cache still gets the whole
 * history, and the history read back replays.
 */
it("keeps an open run's history and state bounded however many updates it completes", async () => {
  const dbFile = join(tmp, 'open.db');
  const taskQueue = uid('open');
  const server = await startPersistent(dbFile);
  live.server = server;
  const connection = await Connection.connect({ address: server.address });
  live.connection = connection;
  const client = new Client({ connection });
  const { engine } = server;
  const native = await NativeConnection.connect({ address: server.address });
  const handle = await client.workflow.start(counterWorkflow, {
    taskQueue,
    workflowId: uid('open-counter'),
    args: [0],
  });
  const run = (): NonNullable<ReturnType<typeof engine.runs.get>> => {
    const r = engine.runs.get(handle.firstExecutionRunId);
    if (!r) throw new Error('run not found');
    return r;
  };
  const stateBytes = (): number => JSON.stringify(run().s).length;
  const UPDATES = 150;
  let stateAt20 = 0;
  let maxHeld = 0;
  const cached = await Worker.create({ connection: native, taskQueue, workflowBundle: bundle });
  await cached.runUntil(async () => {
    for (let i = 1; i <= UPDATES; i++) {
      expect(await handle.executeUpdate(addUpdate, { args: [1], updateId: `add-${i}` })).toBe(i);
      maxHeld = Math.max(maxHeld, run().heldHistory().events);
      if (i === 20) stateAt20 = stateBytes();
    }
    // A validator's refusal, then the same ID again: the same answer, from memory.
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await handle.executeUpdate(addUpdate, { args: [-1], updateId: 'negative' }).catch((e: unknown) => e);
      expect((err as Error).cause).toMatchObject({ message: 'negative numbers are rejected' });
    }
  });
  const size = run().size();
  expect(size).toBeGreaterThan(UPDATES * 5);
  // Between tasks: the events since the last completed workflow task, whatever the history's length.
  expect(maxHeld).toBeLessThanOrEqual(12);
  // Per completed update the state keeps its ID and two event ids (~100 bytes), not its request and outcome.
  expect((stateBytes() - stateAt20) / (UPDATES - 20)).toBeLessThan(120);
  expect(run().s.updates['add-7']).toEqual({
    updateId: 'add-7',
    state: 'completed',
    acceptedEventId: expect.any(Number),
    completedEventId: expect.any(Number),
  });

  // The same update ID again: answered with its first outcome, read from the store, and nothing new is written.
  const reads = engine.historyMemory().storeReads;
  expect(await handle.executeUpdate(addUpdate, { args: [100], updateId: 'add-7' })).toBe(7);
  expect(engine.historyMemory().storeReads).toBeGreaterThan(reads);
  expect(run().size()).toBe(size);

  // A worker without a cache gets the whole history, read back from the store, for every task.
  const uncached = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: bundle,
    maxCachedWorkflows: 0,
  });
  await uncached.runUntil(async () => {
    for (let i = UPDATES + 1; i <= UPDATES + 5; i++) {
      expect(await handle.executeUpdate(addUpdate, { args: [1], updateId: `add-${i}` })).toBe(i);
    }
    await handle.signal(doneSignal);
    expect(await handle.result()).toBe(UPDATES + 5);
  });
  await native.close();
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_e, i) => i + 1));
  expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)).toHaveLength(
    UPDATES + 5,
  );
  expect(await replayHandles(bundle, [handle as WorkflowHandle])).toEqual([]);
  // Closed, the run keeps neither its input nor its completed updates (both are in its history), and a retried
  // update ID is still answered with its outcome, looked up in the history.
  expect(run().s.input).toBeUndefined();
  expect(run().s.updates).toEqual({});
  expect(await handle.executeUpdate(addUpdate, { args: [100], updateId: 'add-9' })).toBe(9);
  await new Promise((resolve) => setImmediate(resolve));
  await expectNoClosedHistoryHeld(engine);
}, 300_000);
