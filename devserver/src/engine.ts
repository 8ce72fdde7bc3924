import { status } from '@grpc/grpc-js';
import { RpcError, notFound } from './errors';
import { enums, msFromDur, msFromTs, tsFromMs, type Obj } from './proto';
import type { ActivityState } from './types';
import { type Run, type WfTask, type ActTask, type CallContext, isEmptyPayloads, requireString } from './engine/shared';
import { EngineCore, type EngineOptions } from './engine/core';
import { Starts } from './engine/start';
import { WorkflowTasks } from './engine/workflowTasks';
import { Commands } from './engine/commands';
import { Activities } from './engine/activities';
import { Children } from './engine/children';
import { Signals } from './engine/signals';
import { Describe } from './engine/describe';
import { Queries } from './engine/queries';
import { Updates } from './engine/updates';

export { eventAttributes, type CallContext, type Run } from './engine/shared';
export type { EngineOptions } from './engine/core';

/**
 * The dev server's workflow engine: the facade the gRPC handlers, the standalone activities and tests use. Its state
 * and shared operations are in engine/core.ts; each section of the service (start, workflow tasks, commands,
 * activities, children, signals, describe, queries, updates) lives in its own module under engine/, and the small
 * ones (system, workers, test service, search attributes) stay here. The operations between the modules at the end
 * are public only so that the modules can reach each other through EngineCore; they are not part of the service.
 */
export class Engine extends EngineCore {
  private readonly starts = new Starts(this);
  private readonly workflowTasks = new WorkflowTasks(this);
  private readonly commands = new Commands(this);
  private readonly activities = new Activities(this);
  private readonly children = new Children(this);
  private readonly signals = new Signals(this);
  private readonly describe = new Describe(this);
  private readonly queryTasks = new Queries(this);
  private readonly updates = new Updates(this);

  constructor(opts: EngineOptions) {
    super(opts);
    this.registerNamespace(opts.namespace);
    if (opts.namespace !== 'default') this.registerNamespace('default');
    // The custom attributes the Temporal CLI dev server declares out of the box.
    for (const [name, type] of Object.entries({
      CustomKeywordField: 'Keyword',
      CustomStringField: 'Text',
      CustomTextField: 'Text',
      CustomIntField: 'Int',
      CustomDatetimeField: 'Datetime',
      CustomDoubleField: 'Double',
      CustomBoolField: 'Bool',
    })) {
      this.declareSearchAttribute(name, type);
    }
  }

  // ---------------------------------------------------------------- service methods, each handed to its module

  // start (engine/start.ts)

  startWorkflowExecution(req: Obj): Obj {
    return this.starts.startWorkflowExecution(req);
  }

  // workflow tasks (engine/workflowTasks.ts)

  pollWorkflowTaskQueue(req: Obj, ctx: CallContext): Promise<Obj> {
    return this.workflowTasks.pollWorkflowTaskQueue(req, ctx);
  }

  pollActivityTaskQueue(req: Obj, ctx: CallContext): Promise<Obj> {
    return this.workflowTasks.pollActivityTaskQueue(req, ctx);
  }

  respondWorkflowTaskCompleted(req: Obj): Obj {
    return this.workflowTasks.respondWorkflowTaskCompleted(req);
  }

  respondWorkflowTaskFailed(req: Obj): Obj {
    return this.workflowTasks.respondWorkflowTaskFailed(req);
  }

  // activities (engine/activities.ts)

  respondActivityTaskCompleted(req: Obj, byId = false): Obj {
    return this.activities.respondActivityTaskCompleted(req, byId);
  }

  respondActivityTaskFailed(req: Obj, byId = false): Obj {
    return this.activities.respondActivityTaskFailed(req, byId);
  }

  respondActivityTaskCanceled(req: Obj, byId = false): Obj {
    return this.activities.respondActivityTaskCanceled(req, byId);
  }

  recordActivityTaskHeartbeat(req: Obj, byId = false): Obj {
    return this.activities.recordActivityTaskHeartbeat(req, byId);
  }

  // signals, cancel, terminate (engine/signals.ts)

  signalWorkflowExecution(req: Obj): Obj {
    return this.signals.signalWorkflowExecution(req);
  }

  signalWithStartWorkflowExecution(req: Obj): Obj {
    return this.signals.signalWithStartWorkflowExecution(req);
  }

  requestCancelWorkflowExecution(req: Obj): Obj {
    return this.signals.requestCancelWorkflowExecution(req);
  }

  terminateWorkflowExecution(req: Obj): Obj {
    return this.signals.terminateWorkflowExecution(req);
  }

  deleteWorkflowExecution(req: Obj): Obj {
    return this.signals.deleteWorkflowExecution(req);
  }

  // history, describe, list (engine/describe.ts)

  getWorkflowExecutionHistory(req: Obj, ctx: CallContext): Promise<Obj> {
    return this.describe.getWorkflowExecutionHistory(req, ctx);
  }

  getWorkflowExecutionHistoryReverse(req: Obj): Obj {
    return this.describe.getWorkflowExecutionHistoryReverse(req);
  }

  describeWorkflowExecution(req: Obj): Obj {
    return this.describe.describeWorkflowExecution(req);
  }

  listWorkflowExecutions(req: Obj): Obj {
    return this.describe.listWorkflowExecutions(req);
  }

  listOpenOrClosed(req: Obj, open: boolean): Obj {
    return this.describe.listOpenOrClosed(req, open);
  }

  countWorkflowExecutions(req: Obj): Obj {
    return this.describe.countWorkflowExecutions(req);
  }

  // queries (engine/queries.ts)

  queryWorkflow(req: Obj, ctx: CallContext): Promise<Obj> {
    return this.queryTasks.queryWorkflow(req, ctx);
  }

  respondQueryTaskCompleted(req: Obj): Obj {
    return this.queryTasks.respondQueryTaskCompleted(req);
  }

  // updates (engine/updates.ts)

  updateWorkflowExecution(req: Obj, ctx: CallContext): Promise<Obj> {
    return this.updates.updateWorkflowExecution(req, ctx);
  }

  executeMultiOperation(req: Obj, ctx: CallContext): Promise<Obj> {
    return this.updates.executeMultiOperation(req, ctx);
  }

  pollWorkflowExecutionUpdate(req: Obj, ctx: CallContext): Promise<Obj> {
    return this.updates.pollWorkflowExecutionUpdate(req, ctx);
  }

  // ---------------------------------------------------------------- system

  getSystemInfo(): Obj {
    return {
      serverVersion: '1.24.0-devserver',
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        supportsSchedules: false,
        encodedFailureAttributes: true,
        upsertMemo: true,
        eagerWorkflowStart: true,
        sdkMetadata: true,
        countGroupByExecutionStatus: true,
        buildIdBasedVersioning: false,
        nexus: false,
      },
    };
  }

  describeNamespace(req: Obj): Obj {
    const name: string = req.namespace || '';
    if (!name && req.id) {
      for (const ns of this.namespaces.values()) if (ns.namespaceInfo.id === req.id) return ns;
    }
    const ns = this.namespaces.get(name);
    if (!ns) throw notFound(`Namespace ${name} is not found.`);
    return ns;
  }

  listNamespaces(): Obj {
    return { namespaces: [...this.namespaces.values()] };
  }

  registerNamespaceRpc(req: Obj): Obj {
    const name = requireString(req.namespace, 'Namespace');
    if (this.namespaces.has(name)) {
      throw new RpcError(status.ALREADY_EXISTS, 'Namespace already exists.', {
        typeName: 'temporal.api.errordetails.v1.NamespaceAlreadyExistsFailure',
        value: {},
      });
    }
    this.registerNamespace(name);
    return {};
  }

  // ---------------------------------------------------------------- workers

  shutdownWorker(req: Obj): Obj {
    return this.tx(() => {
      const ns = this.checkNamespace(req.namespace);
      const sticky: string | undefined = req.stickyTaskQueue || undefined;
      if (!sticky) return {};
      // Runs cached by this worker: their next tasks go to the normal queue with full history.
      for (const run of this.runs.values()) {
        const s = run.s;
        if (s.namespace !== ns || !s.sticky || s.sticky.queue !== sticky || !this.isOpen(run)) continue;
        s.sticky = undefined;
        this.markDirty(run);
        if (s.wft.state === 'scheduled' && s.wft.sticky) {
          s.wft.sticky = false;
          this.clearTimer(run, 'sticky-timeout');
          this.enqueueWft(run);
        }
      }
      this.wfQueue(ns, sticky).releaseAll({});
      this.wfQueues.delete(`${ns}\u0000${sticky}`);
      return {};
    });
  }

  resetStickyTaskQueue(req: Obj): Obj {
    return this.tx(() => {
      const ns = this.checkNamespace(req.namespace);
      const run = this.findOpenRun(ns, req.execution);
      run.s.sticky = undefined;
      this.markDirty(run);
      return {};
    });
  }

  describeTaskQueue(req: Obj): Obj {
    const ns = this.checkNamespace(req.namespace);
    const name = requireString(req.taskQueue?.name, 'TaskQueue');
    const isActivity = req.taskQueueType === enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;
    const q = isActivity ? this.actQueues.get(`${ns}\u0000${name}`) : this.wfQueues.get(`${ns}\u0000${name}`);
    return {
      pollers: q
        ? [...q.pollerIdentities.entries()].map(([identity, t]) => ({
            identity,
            lastAccessTime: tsFromMs(t),
            ratePerSecond: 100000,
          }))
        : [],
    };
  }

  // ---------------------------------------------------------------- test service (time skipping)

  getCurrentTime(): Obj {
    return { time: tsFromMs(this.now()) };
  }

  lockTimeSkipping(): Obj {
    this.clock.lock();
    return {};
  }

  /** Concurrent result() calls unlock more often than they lock, so the counter may dip below zero here. */
  unlockTimeSkipping(): Obj {
    this.clock.unlock();
    return {};
  }

  /** Returns once the virtual clock has advanced by the duration; time skips only while nothing is outstanding. */
  unlockTimeSkippingWithSleep(req: Obj): Promise<Obj> {
    const ms = msFromDur(req.duration);
    return new Promise((resolve) => {
      this.clock.schedule(this.now() + ms, () => {
        this.clock.endSleep();
        resolve({});
      });
      this.clock.beginSleep();
    });
  }

  sleep(req: Obj): Promise<Obj> {
    const ms = msFromDur(req.duration);
    return new Promise((resolve) => {
      this.clock.schedule(this.now() + ms, () => resolve({}));
    });
  }

  sleepUntil(req: Obj): Promise<Obj> {
    const due = msFromTs(req.timestamp);
    return new Promise((resolve) => {
      this.clock.schedule(due, () => resolve({}));
    });
  }

  // ---------------------------------------------------------------- search attributes (operator service)

  listSearchAttributes(): Obj {
    const custom: Obj = {};
    for (const [k, v] of this.searchAttributeTypes) custom[k] = v;
    const I = enums.IndexedValueType;
    return {
      customAttributes: custom,
      systemAttributes: {
        WorkflowType: I.INDEXED_VALUE_TYPE_KEYWORD,
        WorkflowId: I.INDEXED_VALUE_TYPE_KEYWORD,
        RunId: I.INDEXED_VALUE_TYPE_KEYWORD,
        ExecutionStatus: I.INDEXED_VALUE_TYPE_KEYWORD,
        StartTime: I.INDEXED_VALUE_TYPE_DATETIME,
        CloseTime: I.INDEXED_VALUE_TYPE_DATETIME,
        ExecutionTime: I.INDEXED_VALUE_TYPE_DATETIME,
        TaskQueue: I.INDEXED_VALUE_TYPE_KEYWORD,
      },
    };
  }

  declareSearchAttribute(name: string, typeName: string): void {
    const I = enums.IndexedValueType as unknown as Record<string, number>;
    const key = `INDEXED_VALUE_TYPE_${typeName.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
    const value = I[key];
    if (value === undefined) throw new Error(`unknown search attribute type ${typeName}`);
    this.searchAttributeTypes.set(name, value);
  }

  addSearchAttributes(req: Obj): Obj {
    for (const [k, v] of Object.entries(req.searchAttributes ?? {})) this.searchAttributeTypes.set(k, v as number);
    return {};
  }

  /** Payload check used in tests of the store: how many events the engine holds for a run. */
  historyOf(runId: string): Obj[] {
    return this.runs.get(runId)?.slice(0) ?? [];
  }

  hasEmptyInput(run: Run): boolean {
    return isEmptyPayloads(run.s.input);
  }

  // ---------------------------------------------------------------- operations between the modules (EngineCore)

  // start (engine/start.ts)

  validateStart(req: Obj): void {
    this.starts.validateStart(req);
  }

  alreadyStarted(existing: Run, requestId: string): RpcError {
    return this.starts.alreadyStarted(existing, requestId);
  }

  startInternal(
    req: Obj,
    signal: Obj | undefined,
    parent?: { run: Run; initiatedEventId: number },
  ): { run: Run; started: boolean } {
    return this.starts.startInternal(req, signal, parent);
  }

  createRun(o: {
    ns: string;
    req: Obj;
    requestId: string;
    parent?: { run: Run; initiatedEventId: number };
    attempt: number;
    firstRunId: string | undefined;
    continuedFrom: { runId: string; initiator: number; failure?: Obj; lastResult?: Obj } | undefined;
    backoffMs: number;
    executionExpiresMs: number;
  }): Run {
    return this.starts.createRun(o);
  }

  rootOf(run: Run): Run {
    return this.starts.rootOf(run);
  }

  armRunTimeouts(run: Run): void {
    this.starts.armRunTimeouts(run);
  }

  scheduleFirstWft(run: Run): void {
    this.starts.scheduleFirstWft(run);
  }

  armFirstWft(run: Run): void {
    this.starts.armFirstWft(run);
  }

  // workflow tasks (engine/workflowTasks.ts)

  ensureWft(run: Run): void {
    this.workflowTasks.ensureWft(run);
  }

  enqueueWft(run: Run): void {
    this.workflowTasks.enqueueWft(run);
  }

  dispatchWfTask(task: WfTask, identity: string): Obj | undefined {
    return this.workflowTasks.dispatchWfTask(task, identity);
  }

  startWft(run: Run, identity: string): Obj {
    return this.workflowTasks.startWft(run, identity);
  }

  timeoutWft(run: Run, scheduledEventId: number, startedEventId: number): void {
    this.workflowTasks.timeoutWft(run, scheduledEventId, startedEventId);
  }

  // commands (engine/commands.ts)

  processCommand(
    run: Run,
    cmd: Obj,
    completedId: number,
    identity: string,
    messages: Map<string, Obj>,
    post: Array<() => void>,
  ): 'ok' | 'closed' | 'need-wft' {
    return this.commands.processCommand(run, cmd, completedId, identity, messages, post);
  }

  validateCommands(commands: Obj[]): { cause: number; message: string } | undefined {
    return this.commands.validateCommands(commands);
  }

  armUserTimer(run: Run, timerId: string, due: number): void {
    this.commands.armUserTimer(run, timerId, due);
  }

  workflowRetry(run: Run, failure: Obj | undefined, timeout: boolean): { retryState: number; newRun?: Run } {
    return this.commands.workflowRetry(run, failure, timeout);
  }

  closeRun(run: Run, st: number, next: Run | undefined, result?: Obj): void {
    this.commands.closeRun(run, st, next, result);
  }

  // activities (engine/activities.ts)

  scheduleActivity(run: Run, a: Obj, completedId: number): void {
    this.activities.scheduleActivity(run, a, completedId);
  }

  resumeActivity(run: Run, act: ActivityState): void {
    this.activities.resumeActivity(run, act);
  }

  dispatchActivityTask(t: ActTask, identity: string): Obj | undefined {
    return this.activities.dispatchActivityTask(t, identity);
  }

  requestCancelActivity(run: Run, a: Obj, completedId: number): 'ok' | 'need-wft' {
    return this.activities.requestCancelActivity(run, a, completedId);
  }

  // children and external workflows (engine/children.ts)

  startChildCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void {
    this.children.startChildCommand(run, a, completedId, post);
  }

  notifyParent(run: Run, st: number, result?: Obj): void {
    this.children.notifyParent(run, st, result);
  }

  applyParentClosePolicy(child: {
    workflowId: string;
    runId: string;
    namespace: string;
    parentClosePolicy: number;
  }): void {
    this.children.applyParentClosePolicy(child);
  }

  signalExternalCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void {
    this.children.signalExternalCommand(run, a, completedId, post);
  }

  cancelExternalCommand(run: Run, a: Obj, completedId: number, post: Array<() => void>): void {
    this.children.cancelExternalCommand(run, a, completedId, post);
  }

  // signals, cancel, terminate (engine/signals.ts)

  signalRun(run: Run, sig: Obj): void {
    this.signals.signalRun(run, sig);
  }

  requestCancelRun(
    run: Run,
    reason: string,
    identity: string,
    external: { run: Run; initiatedEventId: number } | undefined,
  ): void {
    this.signals.requestCancelRun(run, reason, identity, external);
  }

  terminateRun(run: Run, reason: string, details: Obj | undefined, identity: string): void {
    this.signals.terminateRun(run, reason, details, identity);
  }

  // queries (engine/queries.ts)

  dispatchWaitingQueries(run: Run): void {
    this.queryTasks.dispatchWaitingQueries(run);
  }

  dispatchLegacyQuery(id: string, queueName: string): Obj | undefined {
    return this.queryTasks.dispatchLegacyQuery(id, queueName);
  }

  answerQueries(run: Run, results: Obj): void {
    this.queryTasks.answerQueries(run, results);
  }

  // updates (engine/updates.ts)

  processMessage(run: Run, m: Obj, completedId: number): void {
    this.updates.processMessage(run, m, completedId);
  }
}
