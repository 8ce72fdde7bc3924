import type * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { CallContext, Engine } from './engine';
import { useSynchronousDecompression } from './decompress';
import { RpcError } from './errors';
import { decodeToken } from './engine/shared';
import { decodeMessage, encodeMessage, lookupService, type Obj } from './proto';

export type Handler = (req: Obj, ctx: CallContext) => Obj | Promise<Obj>;

const DECODE_ERROR = Symbol('decodeError');
/**
 * TEMPORAL_DEVSERVER_TRACE=1 logs one line per RPC as it answers (for diagnosing latency): when it arrived on the wall
 * clock in epoch ms, so that the lines line up with timestamps taken in the worker's and the client's processes; the
 * method; the workflow and run it concerns; and how long it took to answer (a long poll's wait included).
 */
const trace = process.env.TEMPORAL_DEVSERVER_TRACE === '1';

/**
 * `workflowId/runId` of an RPC for the trace (`-` for a part it does not name): from the request, else its task token
 * (completions name only the run), else the answer (a poll names its workflow only when it hands over a task).
 */
export function traceSubject(req: Obj, res: Obj | undefined): string {
  const exec: Obj | undefined =
    req.workflowExecution ?? req.execution ?? req.updateRef?.workflowExecution ?? res?.workflowExecution;
  const workflowId: string | undefined = exec?.workflowId || req.workflowId || undefined;
  let runId: string | undefined = exec?.runId || res?.runId || undefined;
  if (!runId && req.taskToken?.length) {
    try {
      runId = decodeToken(req.taskToken).r;
    } catch {
      // Not one of this server's tokens: the handler answers that; the trace names no run.
    }
  }
  return `${workflowId ?? '-'}/${runId ?? '-'}`;
}

function buildService(
  serviceName: string,
  handlers: Record<string, Handler>,
  log: (msg: string) => void,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const service = lookupService(serviceName);
  const definition: Record<string, grpc.MethodDefinition<Obj, Obj>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  const shortName = serviceName.slice(serviceName.lastIndexOf('.') + 1);
  for (const method of Object.values(service.methods)) {
    method.resolve();
    const reqType = method.resolvedRequestType;
    const resType = method.resolvedResponseType;
    if (!reqType || !resType) continue;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: Obj) => encodeMessage(reqType, v),
      requestDeserialize: (buf: Buffer) => {
        try {
          return decodeMessage(reqType, buf);
        } catch (err) {
          return { [DECODE_ERROR]: (err as Error).message };
        }
      },
      responseSerialize: (v: Obj) => encodeMessage(resType, v),
      responseDeserialize: (buf: Buffer) => decodeMessage(resType, buf),
    };
    const handler = handlers[method.name];
    implementation[method.name] = (call: grpc.ServerUnaryCall<Obj, Obj>, respond: grpc.sendUnaryData<Obj>): void => {
      const t0 = trace ? performance.now() : 0;
      const callback: grpc.sendUnaryData<Obj> = trace
        ? (err, value) => {
            const subject = traceSubject((call.request ?? {}) as Obj, value ?? undefined);
            const outcome = err ? ` error ${err.code ?? ''}` : '';
            log(
              `[trace] ${(performance.timeOrigin + t0).toFixed(3)} ${method.name} ${subject} ` +
                `${(performance.now() - t0).toFixed(2)}ms${outcome}`,
            );
            respond(err, value);
          }
        : respond;
      const fail = (err: unknown): void => {
        if (err instanceof RpcError) {
          const metadata = new grpc.Metadata();
          const details = err.statusDetails();
          if (details) metadata.set('grpc-status-details-bin', details);
          callback({ code: err.code, details: err.message, metadata });
          return;
        }
        log(`${shortName}/${method.name} failed: ${(err as Error)?.stack ?? String(err)}`);
        callback({ code: grpc.status.INTERNAL, details: `${method.name}: ${(err as Error)?.message ?? String(err)}` });
      };
      if (!handler) {
        callback({
          code: grpc.status.UNIMPLEMENTED,
          details: `${shortName}/${method.name} is not supported by the Temporal dev server.`,
        });
        return;
      }
      const req = call.request;
      if (req && (req as Record<symbol, unknown>)[DECODE_ERROR]) {
        callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: `${method.name}: malformed request: ${String((req as Record<symbol, unknown>)[DECODE_ERROR])}`,
        });
        return;
      }
      const ctx: CallContext = {
        cancelled: () => call.cancelled,
        onCancel: (fn) => {
          call.once('cancelled', fn);
          return () => call.removeListener('cancelled', fn);
        },
      };
      try {
        const result = handler(req ?? {}, ctx);
        if (result instanceof Promise) {
          result.then((r) => callback(null, r), fail);
        } else {
          callback(null, result);
        }
      } catch (err) {
        fail(err);
      }
    };
  }
  return { definition, implementation };
}

export function workflowServiceHandlers(e: Engine): Record<string, Handler> {
  return {
    GetSystemInfo: () => e.getSystemInfo(),
    GetClusterInfo: () => ({
      supportedClients: {},
      serverVersion: '1.24.0-devserver',
      clusterId: 'devserver',
      clusterName: 'devserver',
      historyShardCount: 1,
      persistenceStore: 'devserver',
      visibilityStore: 'devserver',
    }),
    DescribeNamespace: (r) => e.describeNamespace(r),
    ListNamespaces: () => e.listNamespaces(),
    RegisterNamespace: (r) => e.registerNamespaceRpc(r),
    StartWorkflowExecution: (r) => e.startWorkflowExecution(r),
    ExecuteMultiOperation: (r, c) => e.executeMultiOperation(r, c),
    SignalWithStartWorkflowExecution: (r) => e.signalWithStartWorkflowExecution(r),
    SignalWorkflowExecution: (r) => e.signalWorkflowExecution(r),
    GetWorkflowExecutionHistory: (r, c) => e.getWorkflowExecutionHistory(r, c),
    GetWorkflowExecutionHistoryReverse: (r) => e.getWorkflowExecutionHistoryReverse(r),
    PollWorkflowTaskQueue: (r, c) => e.pollWorkflowTaskQueue(r, c),
    RespondWorkflowTaskCompleted: (r) => e.respondWorkflowTaskCompleted(r),
    RespondWorkflowTaskFailed: (r) => e.respondWorkflowTaskFailed(r),
    PollActivityTaskQueue: (r, c) => e.pollActivityTaskQueue(r, c),
    RecordActivityTaskHeartbeat: (r) => e.recordActivityTaskHeartbeat(r),
    RecordActivityTaskHeartbeatById: (r) => e.recordActivityTaskHeartbeat(r, true),
    RespondActivityTaskCompleted: (r) => e.respondActivityTaskCompleted(r),
    RespondActivityTaskCompletedById: (r) => e.respondActivityTaskCompleted(r, true),
    RespondActivityTaskFailed: (r) => e.respondActivityTaskFailed(r),
    RespondActivityTaskFailedById: (r) => e.respondActivityTaskFailed(r, true),
    RespondActivityTaskCanceled: (r) => e.respondActivityTaskCanceled(r),
    RespondActivityTaskCanceledById: (r) => e.respondActivityTaskCanceled(r, true),
    RequestCancelWorkflowExecution: (r) => e.requestCancelWorkflowExecution(r),
    TerminateWorkflowExecution: (r) => e.terminateWorkflowExecution(r),
    DeleteWorkflowExecution: (r) => e.deleteWorkflowExecution(r),
    ListWorkflowExecutions: (r) => e.listWorkflowExecutions(r),
    ScanWorkflowExecutions: (r) => e.listWorkflowExecutions(r),
    ListOpenWorkflowExecutions: (r) => e.listOpenOrClosed(r, true),
    ListClosedWorkflowExecutions: (r) => e.listOpenOrClosed(r, false),
    CountWorkflowExecutions: (r) => e.countWorkflowExecutions(r),
    GetSearchAttributes: () => {
      const l = e.listSearchAttributes();
      return { keys: { ...l.systemAttributes, ...l.customAttributes } };
    },
    QueryWorkflow: (r, c) => e.queryWorkflow(r, c),
    RespondQueryTaskCompleted: (r) => e.respondQueryTaskCompleted(r),
    DescribeWorkflowExecution: (r) => e.describeWorkflowExecution(r),
    DescribeTaskQueue: (r) => e.describeTaskQueue(r),
    ShutdownWorker: (r) => e.shutdownWorker(r),
    ResetStickyTaskQueue: (r) => e.resetStickyTaskQueue(r),
    UpdateWorkflowExecution: (r, c) => e.updateWorkflowExecution(r, c),
    PollWorkflowExecutionUpdate: (r, c) => e.pollWorkflowExecutionUpdate(r, c),
    RecordWorkerHeartbeat: () => ({}),
    StartActivityExecution: (r) => e.standalone.start({ ...r, namespace: e.checkNamespace(r.namespace) }),
    PollActivityExecution: (r, c) => e.standalone.poll({ ...r, namespace: e.checkNamespace(r.namespace) }, c.cancelled),
    DescribeActivityExecution: (r) => e.standalone.describe({ ...r, namespace: e.checkNamespace(r.namespace) }),
    RequestCancelActivityExecution: (r) =>
      e.standalone.requestCancel({ ...r, namespace: e.checkNamespace(r.namespace) }),
    TerminateActivityExecution: (r) => e.standalone.terminate({ ...r, namespace: e.checkNamespace(r.namespace) }),
  };
}

export function testServiceHandlers(e: Engine): Record<string, Handler> {
  return {
    LockTimeSkipping: () => e.lockTimeSkipping(),
    UnlockTimeSkipping: () => e.unlockTimeSkipping(),
    UnlockTimeSkippingWithSleep: (r) => e.unlockTimeSkippingWithSleep(r),
    Sleep: (r) => e.sleep(r),
    SleepUntil: (r) => e.sleepUntil(r),
    GetCurrentTime: () => e.getCurrentTime(),
  };
}

export function operatorServiceHandlers(e: Engine): Record<string, Handler> {
  return {
    ListSearchAttributes: () => e.listSearchAttributes(),
    AddSearchAttributes: (r) => e.addSearchAttributes(r),
  };
}

export async function startGrpcServer(opts: {
  engine: Engine;
  host: string;
  port: number;
  timeSkipping: boolean;
  log: (msg: string) => void;
}): Promise<{ server: grpc.Server; port: number }> {
  if (!useSynchronousDecompression()) opts.log('grpc-js internals changed: requests are decompressed on its slow path');
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 128 * 1024 * 1024,
    'grpc.max_send_message_length': 128 * 1024 * 1024,
    // Channelz bookkeeping costs ~0.1 ms per call and nothing here reads it.
    'grpc.enable_channelz': 0,
  });
  const services: Array<[string, Record<string, Handler>]> = [
    ['temporal.api.workflowservice.v1.WorkflowService', workflowServiceHandlers(opts.engine)],
    ['temporal.api.operatorservice.v1.OperatorService', operatorServiceHandlers(opts.engine)],
    // Without time skipping every TestService RPC answers UNIMPLEMENTED, like a real dev server.
    ['temporal.api.testservice.v1.TestService', opts.timeSkipping ? testServiceHandlers(opts.engine) : {}],
  ];
  for (const [name, handlers] of services) {
    const { definition, implementation } = buildService(name, handlers, opts.log);
    server.addService(definition, implementation);
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  // grpc-js leaves Nagle's algorithm on, which adds 25-40 ms to every small request/response round trip.
  const internals = server as unknown as { http2Servers?: Map<net.Server, unknown> };
  for (const h of internals.http2Servers?.keys() ?? []) {
    h.on('connection', (socket: net.Socket) => socket.setNoDelay(true));
  }
  return { server, port };
}
