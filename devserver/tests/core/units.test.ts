/** Unit tests of the dev server's pure parts: command-line forms, visibility queries, the virtual clock. */
import { parseArgs } from '../../src/cli';
import { VirtualClock } from '../../src/clock';
import { useSynchronousDecompression } from '../../src/decompress';
import { collectGarbage } from '../../src/gc';
import { traceSubject } from '../../src/server';
import { matchesQuery, parseQuery } from '../../src/visibility';

describe('command line', () => {
  it('When given the Temporal CLI form, then it takes port, namespace, ip and db file and ignores the rest', () => {
    const opts = parseArgs([
      'server',
      'start-dev',
      '--port',
      '7455',
      '--namespace',
      'ns1',
      '--ip',
      '127.0.0.1',
      '--log-format',
      'pretty',
      '--log-level',
      'warn',
      '--dynamic-config-value',
      'frontend.enableUpdateWorkflowExecution=true',
      '--db-filename',
      '/tmp/x.db',
      '--headless',
    ]);
    expect(opts).toMatchObject({
      port: 7455,
      namespace: 'ns1',
      host: '127.0.0.1',
      dbFile: '/tmp/x.db',
      timeSkipping: false,
    });
  });

  it('When given a bare port (test-server form), then it serves time skipping on that port', () => {
    expect(parseArgs(['7456'])).toMatchObject({ port: 7456, timeSkipping: true });
  });

  it('When given the npm script form, then --db-file and --time-skipping apply', () => {
    expect(parseArgs(['--port', '0', '--db-file', 'data/t.db', '--time-skipping'])).toMatchObject({
      port: 0,
      dbFile: 'data/t.db',
      timeSkipping: true,
    });
    expect(() => parseArgs(['--port', 'abc'])).toThrow(/port/);
  });
});

describe('visibility queries', () => {
  const rec = {
    WorkflowType: 'report',
    WorkflowId: 'wf-1',
    ExecutionStatus: 'Running',
    StartTime: Date.parse('2026-01-15T00:00:00Z'),
    CustomKeywordField: ['a', 'b'],
  };
  const q = (text: string): boolean => {
    const node = parseQuery(text);
    return node ? matchesQuery(node, rec) : true;
  };

  it('When fields are compared, then =, !=, IN, STARTS_WITH and time ranges evaluate like the server', () => {
    expect(q(`WorkflowType = 'report' AND ExecutionStatus = 'Running'`)).toBe(true);
    expect(q(`WorkflowType != 'report'`)).toBe(false);
    expect(q(`WorkflowId IN ('wf-0', 'wf-1')`)).toBe(true);
    expect(q(`WorkflowId STARTS_WITH 'wf-'`)).toBe(true);
    expect(q(`StartTime > '2026-01-01T00:00:00Z' AND StartTime < "2026-02-01T00:00:00Z"`)).toBe(true);
    expect(q(`StartTime BETWEEN '2026-02-01T00:00:00Z' AND '2026-03-01T00:00:00Z'`)).toBe(false);
    expect(q(`(WorkflowType = 'x' OR CustomKeywordField = 'b') AND NOT ExecutionStatus = 'Completed'`)).toBe(true);
    expect(q(`CloseTime IS NULL ORDER BY StartTime DESC`)).toBe(true);
  });

  it('When the query is malformed, then parsing fails with a reason', () => {
    expect(() => parseQuery(`WorkflowType = `)).toThrow(/value expected/);
    expect(() => parseQuery(`WorkflowType 'x'`)).toThrow(/operator expected/);
    expect(() => parseQuery(`(WorkflowType = 'x'`)).toThrow(/missing \)/);
  });
});

describe('virtual clock', () => {
  it('When time skipping is unlocked and nothing is busy, then the clock jumps to the next timer', async () => {
    const clock = new VirtualClock(true);
    const start = clock.now();
    const fired = new Promise<number>((resolve) => clock.schedule(start + 30 * 86_400_000, () => resolve(clock.now())));
    clock.unlock();
    const at = await fired;
    expect(at - start).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(Date.now() + 1000).toBeLessThan(start + 30 * 86_400_000);
    clock.stop();
  });

  it('When work is outstanding, then time does not skip until it is done', async () => {
    const clock = new VirtualClock(true);
    clock.unlock();
    clock.markBusy('wft:1');
    let fired = false;
    clock.schedule(clock.now() + 86_400_000, () => {
      fired = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toBe(false);
    clock.markIdle('wft:1');
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toBe(true);
    clock.stop();
  });

  it('When time skipping is off, then timers fire in real time only', async () => {
    const clock = new VirtualClock(false);
    let fired = false;
    clock.schedule(clock.now() + 60_000, () => {
      fired = true;
    });
    clock.unlock();
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toBe(false);
    clock.stop();
  });

  it('When far timers are re-planned over and over, then the cancelled ones leave the queue and the rest still fire in order', async () => {
    const clock = new VirtualClock(true);
    const start = clock.now();
    const fired: number[] = [];
    // A workflow re-planning its deadline timer at every decision: each new timer cancels the one before.
    let current = clock.schedule(start + 90 * 86_400_000, () => fired.push(-1));
    for (let i = 0; i < 10_000; i++) {
      clock.cancel(current);
      current = clock.schedule(start + 90 * 86_400_000 + i, () => fired.push(-1));
    }
    clock.cancel(current);
    expect(clock.pendingTimers()).toBe(0);
    expect((clock as unknown as { heap: unknown[] }).heap.length).toBeLessThan(200);
    for (const d of [3, 1, 2]) clock.schedule(start + d * 86_400_000, () => fired.push(d));
    clock.cancel(clock.schedule(start + 86_400_000, () => fired.push(-1)));
    clock.unlock();
    await new Promise((r) => setTimeout(r, 100));
    expect(fired).toEqual([1, 2, 3]);
    clock.stop();
  });
});

describe('idle garbage collection', () => {
  it('collects an object nothing refers to any more', async () => {
    const ref = (() => new WeakRef({ payload: 'x'.repeat(1000) }))();
    // A WeakRef's target survives until the end of the job that created it.
    await new Promise((r) => setImmediate(r));
    expect(collectGarbage()).toBe(true);
    expect(ref.deref()).toBeUndefined();
  });
});

describe('request decompression', () => {
  it('replaces grpc-js per-message zlib streams with synchronous inflation on the pinned grpc-js', () => {
    // Fails when a grpc-js upgrade moves the method: the server then logs that it runs on the slow path.
    expect(useSynchronousDecompression()).toBe(true);
  });
});

describe('RPC trace', () => {
  const token = (t: object): Buffer => Buffer.from(JSON.stringify(t));

  it('names the workflow and run from the request, the update reference, the task token or the answer', () => {
    expect(traceSubject({ workflowExecution: { workflowId: 'w1', runId: 'r1' } }, {})).toBe('w1/r1');
    expect(traceSubject({ updateRef: { workflowExecution: { workflowId: 'w2' } } }, undefined)).toBe('w2/-');
    expect(traceSubject({ workflowId: 'w3' }, { runId: 'r3' })).toBe('w3/r3');
    // A completion names only its run, in its task token.
    expect(traceSubject({ taskToken: token({ k: 'w', r: 'r4', s: 5, t: 6 }) }, {})).toBe('-/r4');
    // A poll names its workflow only in the task it hands over.
    expect(traceSubject({ taskQueue: { name: 'q' } }, { workflowExecution: { workflowId: 'w5', runId: 'r5' } })).toBe(
      'w5/r5',
    );
    expect(traceSubject({ taskQueue: { name: 'q' } }, {})).toBe('-/-');
  });

  it('names no run for a token the server did not issue, without throwing', () => {
    expect(traceSubject({ taskToken: Buffer.from('not json') }, undefined)).toBe('-/-');
  });
});
