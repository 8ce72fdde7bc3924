/**
 * A stand-in server that does no work, for the floor of the time-skipping figure: it serves the SDK worker one
 * `monthlyWakeWorkflow` run whose every workflow task was encoded before the first one is handed out, and answers each
 * RespondWorkflowTaskCompleted with the next of them without decoding the request. What a wake-up then costs is the
 * SDK worker plus gRPC on loopback: no server, however fast, can make the chain cheaper.
 *
 * Run as its own process (like the dev server in the bench): floorServer.ts PORT WAKE_UPS RUNS. It prints `ready` once
 * bound and `done <ms>` per run (first task handed out → workflow completed); it exits when stdin closes.
 */
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import { encodeMessage, ET, lookupType, type Obj } from '../../devserver/src/proto';

const PACKAGE = 'temporal.api.workflowservice.v1';
const DAY_S = 24 * 3600;
const WFT_TIMEOUT = { seconds: 10 };

const pollType = lookupType(`${PACKAGE}.PollWorkflowTaskQueueResponse`);
const completedType = lookupType(`${PACKAGE}.RespondWorkflowTaskCompletedResponse`);

/** Every workflow task of one run, encoded: [first task (poll answer), task after wake-up 1, …, after wake-up N]. */
function encodeRun(runIndex: number, taskQueue: string, stickyQueue: string, wakeUps: number): Buffer[] {
  const workflowId = `floor-${runIndex}`;
  const runId = `00000000-0000-4000-8000-${String(runIndex).padStart(12, '0')}`;
  const t0 = 1_800_000_000 + runIndex * wakeUps * 31 * DAY_S;
  const time = (s: number): Obj => ({ seconds: s, nanos: 0 });
  const event = (eventId: number, eventType: number, s: number, attrs: Obj): Obj => ({
    eventId,
    eventTime: time(s),
    eventType,
    taskId: eventId,
    ...attrs,
  });
  const wftPair = (scheduledId: number, s: number, queue: Obj): Obj[] => [
    event(scheduledId, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, s, {
      workflowTaskScheduledEventAttributes: { taskQueue: queue, startToCloseTimeout: WFT_TIMEOUT, attempt: 1 },
    }),
    event(scheduledId + 1, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, s, {
      workflowTaskStartedEventAttributes: {
        scheduledEventId: scheduledId,
        identity: 'floor',
        requestId: `r${scheduledId}`,
      },
    }),
  ];
  const task = (events: Obj[], previousStartedEventId: number, startedEventId: number, s: number): Obj => ({
    taskToken: Buffer.from(`${runIndex}:${startedEventId}`),
    workflowExecution: { workflowId, runId },
    workflowType: { name: 'monthlyWakeWorkflow' },
    previousStartedEventId,
    startedEventId,
    attempt: 1,
    history: { events },
    workflowExecutionTaskQueue: { name: taskQueue, kind: 1 },
    scheduledTime: time(s),
    startedTime: time(s),
  });
  const input = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(String(wakeUps)) };
  const first = [
    event(1, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, t0, {
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: 'monthlyWakeWorkflow' },
        taskQueue: { name: taskQueue, kind: 1 },
        input: { payloads: [input] },
        workflowTaskTimeout: WFT_TIMEOUT,
        originalExecutionRunId: runId,
        firstExecutionRunId: runId,
        attempt: 1,
      },
    }),
    ...wftPair(2, t0, { name: taskQueue, kind: 1 }),
  ];
  const out = [encodeMessage(pollType, task(first, 0, 3, t0))];
  const sticky = { name: stickyQueue, kind: 2, normalName: taskQueue };
  for (let k = 1; k <= wakeUps; k++) {
    const base = 3 + 5 * (k - 1); // started event id of the task that started timer k
    const startedS = t0 + (k - 1) * 30 * DAY_S;
    const firedS = startedS + 30 * DAY_S;
    const events = [
      event(base + 1, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, startedS, {
        workflowTaskCompletedEventAttributes: { scheduledEventId: base - 1, startedEventId: base, identity: 'floor' },
      }),
      event(base + 2, ET.EVENT_TYPE_TIMER_STARTED, startedS, {
        timerStartedEventAttributes: {
          timerId: String(k),
          startToFireTimeout: { seconds: 30 * DAY_S },
          workflowTaskCompletedEventId: base + 1,
        },
      }),
      event(base + 3, ET.EVENT_TYPE_TIMER_FIRED, firedS, {
        timerFiredEventAttributes: { timerId: String(k), startedEventId: base + 2 },
      }),
      ...wftPair(base + 4, firedS, sticky),
    ];
    out.push(encodeMessage(completedType, { workflowTask: task(events, base, base + 5, firedS) }));
  }
  return out;
}

async function main(): Promise<void> {
  const [port, wakeUps, runs] = process.argv.slice(2).map(Number);
  const taskQueue = 'bench-floor';
  // The worker names its sticky queue itself; the floor does not need the name to match (tasks ride on responses).
  const encoded = Array.from({ length: runs }, (_, r) => encodeRun(r, taskQueue, 'floor-sticky', wakeUps));
  const emptyCompleted = encodeMessage(completedType, {});
  let run = 0;
  let step = 0;
  let startedAt = 0;
  // Polls with nothing to hand out wait here until shutdown (activity polls apart: they never get a task).
  const parked: Array<(b: Buffer) => void> = [];
  const parkedActivityPolls: Array<() => void> = [];
  const handOut = (reply: (b: Buffer) => void): void => {
    startedAt = performance.now();
    step = 1;
    reply(encoded[run][0]);
  };
  const answers: Record<string, (reply: (b: Buffer) => void) => void> = {
    GetSystemInfo: (reply) =>
      reply(encodeMessage(lookupType(`${PACKAGE}.GetSystemInfoResponse`), { serverVersion: 'floor' })),
    DescribeNamespace: (reply) =>
      reply(
        encodeMessage(lookupType(`${PACKAGE}.DescribeNamespaceResponse`), {
          namespaceInfo: { name: 'default', state: 1 },
        }),
      ),
    PollWorkflowTaskQueue: (reply) => {
      // Hands out the first task of the next run once the previous run is complete; other polls wait for shutdown.
      if (run < runs && step === 0) handOut(reply);
      else parked.push(reply);
    },
    PollActivityTaskQueue: (reply) => parkedActivityPolls.push(() => reply(Buffer.alloc(0))),
    RespondWorkflowTaskCompleted: (reply) => {
      if (step <= wakeUps) {
        reply(encoded[run][step++]);
        return;
      }
      // The completion after the last wake-up completes the workflow.
      process.stdout.write(`done ${(performance.now() - startedAt).toFixed(1)}\n`);
      run += 1;
      step = 0;
      reply(emptyCompleted);
      // The next run's first task goes to a waiting poll.
      const waiting = parked.shift();
      if (run < runs && waiting) handOut(waiting);
    },
    ShutdownWorker: (reply) => {
      reply(Buffer.alloc(0));
      for (const p of parked.splice(0)) p(Buffer.alloc(0));
      for (const p of parkedActivityPolls.splice(0)) p();
    },
  };
  // node:http2 directly, not @grpc/grpc-js: the gRPC framing of a unary call is a 5-byte prefix and a trailer, and
  // grpc-js's own bookkeeping per call would count against the floor.
  const server = http2.createServer();
  server.on('connection', (socket: net.Socket) => socket.setNoDelay(true)); // as in the dev server: no Nagle delay
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    const answer = answers[path.slice(path.lastIndexOf('/') + 1)];
    stream.on('data', () => undefined);
    stream.on('error', () => undefined);
    stream.on('end', () => {
      if (stream.destroyed || stream.closed) return;
      if (!answer) {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' },
          { endStream: true },
        );
        return;
      }
      answer((message) => {
        if (stream.destroyed || stream.closed) return;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(message.length, 1);
        stream.end(Buffer.concat([prefix, message]));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
