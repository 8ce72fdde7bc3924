/**
 * Conformance: the executable works with both of the SDK's `existing-path` launchers (the Temporal CLI form for
 * createLocal, the test-server form for createTimeSkipping), and errors follow gRPC conventions: UNIMPLEMENTED naming
 * an unsupported RPC, INVALID_ARGUMENT for bad requests, never a crash.
 */
import * as http2 from 'node:http2';
import { deflateSync, gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ActivityRecorder } from './helpers/activities';
import { bundleFor, quietRuntime, uid } from './helpers/env';
import { BIN } from './helpers/process';
import { echoWorkflow } from './workflows/basics';
import { monthlyWorkflow, sleepWorkflow } from './workflows/activities';

const DAY = 24 * 60 * 60 * 1000;
const executable = { type: 'existing-path' as const, path: BIN };
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  quietRuntime();
  bundle = await bundleFor(require.resolve('./workflows/index'));
});

async function withWorker<T>(
  env: TestWorkflowEnvironment,
  fn: (taskQueue: string) => Promise<T>,
  activities?: object,
): Promise<T> {
  const taskQueue = uid('launch');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  return worker.runUntil(fn(taskQueue));
}

/** One unary gRPC call over plain HTTP/2, so the request's compression flag and encoding are the test's to choose. */
async function rawCall(
  address: string,
  path: string,
  frame: Buffer,
  encoding: string,
): Promise<{ grpcStatus: string | undefined; body: Buffer }> {
  const session = http2.connect(`http://${address}`);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-encoding': encoding,
      });
      const chunks: Buffer[] = [];
      let grpcStatus: string | undefined;
      stream.on('response', (headers) => {
        if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
      });
      stream.on('trailers', (trailers) => {
        grpcStatus = String(trailers['grpc-status']);
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ grpcStatus, body: Buffer.concat(chunks) }));
      stream.on('error', reject);
      stream.end(frame);
    });
  } finally {
    session.close();
  }
}

function grpcFrame(compressed: boolean, payload: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed ? 1 : 0, 0);
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
}

describe('createLocal with an existing-path executable (server start-dev form)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({ server: { executable } });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow', async () => {
    expect(env.supportsTimeSkipping).toBe(false);
    const result = await withWorker(env, (taskQueue) =>
      env.client.workflow.execute(echoWorkflow, { taskQueue, workflowId: uid('local'), args: ['local ok'] }),
    );
    expect(result).toBe('local ok');
  });

  it('answers UNIMPLEMENTED, naming the RPC, for an unsupported RPC', async () => {
    const err = await env.client.workflowService
      .listBatchOperations({ namespace: 'default' })
      .catch((e: unknown) => e as grpc.ServiceError);
    expect(err).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    expect((err as grpc.ServiceError).details).toMatch(/ListBatchOperations/);
  });

  it('answers INVALID_ARGUMENT with a reason for bad requests, and keeps serving', async () => {
    const service = env.client.workflowService;
    const noId = await service
      .startWorkflowExecution({
        namespace: 'default',
        workflowId: '',
        workflowType: { name: 'echoWorkflow' },
        taskQueue: { name: 'q' },
        requestId: uid('req'),
      })
      .catch((e: unknown) => e as grpc.ServiceError);
    expect(noId).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect((noId as grpc.ServiceError).details.length).toBeGreaterThan(5);

    const noType = await service
      .startWorkflowExecution({
        namespace: 'default',
        workflowId: uid('bad'),
        taskQueue: { name: 'q' },
        requestId: uid('req'),
      })
      .catch((e: unknown) => e as grpc.ServiceError);
    expect(noType).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });

    const noExecution = await service
      .signalWorkflowExecution({ namespace: 'default', signalName: 's' })
      .catch((e: unknown) => e as grpc.ServiceError);
    expect(noExecution).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });

    // Bytes that are not a protobuf message at all, sent with a raw grpc-js client.
    const raw = new grpc.Client(env.address, grpc.credentials.createInsecure());
    const malformed = await new Promise<grpc.ServiceError | null>((resolve) => {
      raw.makeUnaryRequest(
        '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a]),
        (e) => resolve(e),
      );
    });
    raw.close();
    expect(malformed).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });

    const info = await service.getSystemInfo({});
    expect(info.capabilities).toBeTruthy();
  });

  // The SDK's core gzips every request; the server must inflate them (and refuse a corrupt one) like grpc-js does.
  it('decodes gzip and deflate messages, answers INTERNAL for a corrupt one, and keeps serving', async () => {
    const { temporal } = await import('@temporalio/proto');
    const request = Buffer.from(
      temporal.api.workflowservice.v1.DescribeNamespaceRequest.encode({ namespace: 'default' }).finish(),
    );
    const path = '/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace';
    for (const [encoding, body] of [
      ['gzip', gzipSync(request)],
      ['deflate', deflateSync(request)],
    ] as const) {
      const answer = await rawCall(env.address, path, grpcFrame(true, body), encoding);
      expect(answer.grpcStatus).toBe('0');
      const decoded = temporal.api.workflowservice.v1.DescribeNamespaceResponse.decode(answer.body.subarray(5));
      expect(decoded.namespaceInfo?.name).toBe('default');
    }
    const corrupt = await rawCall(env.address, path, grpcFrame(true, Buffer.from('not gzip at all')), 'gzip');
    expect(corrupt.grpcStatus).toBe(String(grpc.status.INTERNAL));
    expect((await env.client.workflowService.getSystemInfo({})).capabilities).toBeTruthy();
  });
});

describe('createTimeSkipping with an existing-path executable (test-server form)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('skips time while result() waits on a 30-day timer', async () => {
    expect(env.supportsTimeSkipping).toBe(true);
    const before = await env.currentTimeMs();
    const wallStart = Date.now();
    const result = await withWorker(env, (taskQueue) =>
      env.client.workflow.execute(sleepWorkflow, { taskQueue, workflowId: uid('ts'), args: [30 * DAY] }),
    );
    expect(result).toBe(30 * DAY);
    expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(30 * DAY);
    expect(Date.now() - wallStart).toBeLessThan(15_000);
  });

  it('testEnv.sleep skips time and lets due timers fire in order', async () => {
    const recorder = new ActivityRecorder();
    await withWorker(
      env,
      async (taskQueue) => {
        const handle = await env.client.workflow.start(monthlyWorkflow, {
          taskQueue,
          workflowId: uid('ts-monthly'),
          args: [2],
        });
        await env.sleep(31 * DAY);
        expect(recorder.events).toEqual(['month-1']);
        expect(await handle.result()).toBe(2);
        expect(recorder.events).toEqual(['month-1', 'month-2']);
      },
      recorder.createActivities(),
    );
  });
});
