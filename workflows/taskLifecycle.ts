/**
 * One workflow per task lifecycle (ID `task-<taskId>`), from assignment to verification after look-back.
 *
 * The workflow only orchestrates: the task's state is kept by the pure state machine in domain/task (decide/evolve);
 * every decision is a Temporal update whose validator runs the same `decide` the handler runs, so a refused decision
 * is an error to the caller and changes nothing; every accepted change is projected to the database (row change +
 * audit, one transaction, idempotent) by an activity before the update returns. Timers drive the monthly cycle
 * (reminder, overdue report), the task deadline and its escalation ladder, and the look-back. The workflow
 * continues-as-new yearly or when Temporal suggests it, carrying its state, so a task that lives for years keeps a
 * small history.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  condition,
  continueAsNew,
  allHandlersFinished,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { createActivities } from '../activities';
import { addDaysToDate, dateOf } from '../domain/calendar';
import { computeTrafficLight, nextLightChange } from '../domain/trafficLight';
import type { TWorkdayTable } from '../domain/workdays';
import {
  decide,
  evolve,
  initialState,
  type DecideContext,
  type TaskCommand,
  type TaskEvent,
  type TaskState,
} from '../domain/task';
import {
  acknowledgeUpdate,
  childStatusSignal,
  clearFlagUpdate,
  decideExtensionUpdate,
  delegateUpdate,
  endLongTermUpdate,
  issueSupervisionUpdate,
  lookBackVerdictUpdate,
  reassignUpdate,
  requestClosureUpdate,
  requestExtensionUpdate,
  reviewReportUpdate,
  revokeDelegationUpdate,
  signOffUpdate,
  splitTaskUpdate,
  submitReportUpdate,
  taskFlagQuery,
  taskStateQuery,
  urgeSignal,
  type TActor,
  type TDecisionResult,
  type TSplitTaskArgs,
} from './messages';
import { quietCondition, runAllBy, shieldedRunner } from './scopes';
import { nextTimedStep, type TTimedStepPlan } from './timedSteps';
import { taskWorkflowId } from './shared';
import {
  ASSIGN_BEFORE_HANDLERS_PATCH,
  ESCALATION_STEP_REACHED_PATCH,
  FIRST_SIGNER_NOT_APPLICANT_PATCH,
  FOUR_EYES_PATCH,
  LOCAL_PROJECTION_PATCH,
  MOVED_DUE_DAY_PATCH,
  RELEASED_SCOPES_PATCH,
  SHORTER_RUNS_PATCH,
  STORED_LIGHT_PATCH,
  TIMER_NOT_EARLY_PATCH,
  WORKDAY_CALENDAR_PATCH,
  ruleErrorMessage,
  stateInput,
  type TCarriedState,
  type TTaskLifecycleInput,
} from './lifecycleInput';

export {
  ASSIGN_BEFORE_HANDLERS_PATCH,
  ESCALATION_STEP_REACHED_PATCH,
  FIRST_SIGNER_NOT_APPLICANT_PATCH,
  FOUR_EYES_PATCH,
  LOCAL_PROJECTION_PATCH,
  MOVED_DUE_DAY_PATCH,
  RELEASED_SCOPES_PATCH,
  SHORTER_RUNS_PATCH,
  STORED_LIGHT_PATCH,
  TIMER_NOT_EARLY_PATCH,
  WORKDAY_CALENDAR_PATCH,
  type TCarriedState,
  type TTaskLifecycleInput,
};

import { isForgedPayload } from '../codec/forged';

type Activities = ReturnType<typeof createActivities>;

const remote = proxyActivities<Activities>({
  // Database writes are short; a hung connection should fail fast and be retried rather than block the task.
  startToCloseTimeout: '30 seconds',
  // Projections are idempotent (keyed by workflow ID + event sequence), so they are retried until they land: a task
  // whose state moved must never be missing from the database. Backoff caps at a minute to spare a struggling DB.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// The same two activities run as local activities (patch 'local-projection'): a decision's projection then runs in
// the worker within the update's own workflow task, so an update costs one workflow task instead of two plus an
// activity task, and the caller gets its answer sooner. Same timeout; the same retry-until-it-lands policy, with
// retries in the worker for up to a minute before each backoff is taken as a durable timer.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  localRetryThreshold: '1 minute',
});

const { createChildTasks } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // Creating child rows is idempotent by parent task + request key; a validation failure there will not heal itself.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['ValidationError'],
  },
});

/** A run continues-as-new after this long in workflow time, so that a multi-year task keeps small histories. */
const RUN_LENGTH_MS = 365 * 24 * 3600 * 1000;
/** Also continue early when the history grows past this, well under the 2,000 events per run the product allows. */
const MAX_HISTORY_EVENTS = 1500;
/**
 * The same bound for runs started after patch 'shorter-runs'. What a cached run holds in the worker (the SDK core's
 * state machines for every timer, update and local activity of the run, with their arguments) grows with its events
 * until the run continues as new, so this bounds a cached task's memory; and a run evicted from the cache replays
 * at most this many events before its next decision. A task with a monthly report makes ~20 events a month, so only
 * unusually busy tasks ever reach it (the yearly continue-as-new comes first).
 */
const SHORT_RUN_EVENTS = 500;

/**
 * How long the workflow plans with the calendar it last read before reading it again (at its next wake-up, and
 * before acting on a step planned with an older one): an admin's override reaches every step taken a week after the
 * edit, and a task adds at most one history marker a week for it (a daily read grew a five-year history by 40%).
 */
const CALENDAR_REFRESH_MS = 7 * 24 * 3600 * 1000;
/** The calendar read covers the month behind (a report just overdue) and 13 months ahead (due days, letters). */
const CALENDAR_DAYS_BACK = 40;
const CALENDAR_DAYS_AHEAD = 400;

const TERMINAL = new Set<TaskState['status']>(['VERIFIED']);

export async function taskLifecycle(input: TTaskLifecycleInput): Promise<TaskState> {
  // Started by someone without the payload key (codec/payloadCodec.ts): ends at once, acting on nothing.
  if (isForgedPayload(input))
    throw ApplicationFailure.nonRetryable('unauthenticated workflow input', 'Unauthenticated');
  const workflowId = workflowInfo().workflowId;
  // Decided once per run, first thing: a run recorded before the patch keeps its activity tasks to the end.
  const projectLocally = patched(LOCAL_PROJECTION_PATCH);
  // Likewise per run: a run recorded before the rule replays the applications it accepted then.
  const legacy: DecideContext['legacy'] = {
    ...(patched(FIRST_SIGNER_NOT_APPLICANT_PATCH) ? {} : { firstSignerMayApply: true }),
    ...(patched(FOUR_EYES_PATCH) ? {} : { oneSignerMaySignTwice: true }),
  };
  // Per run: a run recorded before it keeps its timers as they were (no wake-ups at light changes).
  const storedLight = patched(STORED_LIGHT_PATCH);
  // Per run as well: a run recorded before these plans its dates and its ladder as it did then.
  const onCalendar = patched(WORKDAY_CALENDAR_PATCH);
  const fromStepReached = patched(ESCALATION_STEP_REACHED_PATCH);
  // Per run: a run recorded before it calls its local activities and signals from the root scope, as it did then.
  const releaseScopes = patched(RELEASED_SCOPES_PATCH);
  const shielded = releaseScopes ? shieldedRunner() : <T>(op: () => Promise<T>): Promise<T> => op();
  const locally = releaseScopes ? runAllBy(local, shielded) : local;
  const waitWithin = releaseScopes ? quietCondition() : condition;
  // Per run too: a run recorded before it judged a report late against the plain due day.
  const movedDueDay = onCalendar && patched(MOVED_DUE_DAY_PATCH);
  const shorterRuns = patched(SHORTER_RUNS_PATCH);
  const maxHistoryEvents = shorterRuns ? SHORT_RUN_EVENTS : MAX_HISTORY_EVENTS;
  const { projectTaskEvents, notify } = projectLocally ? locally : remote;
  /** The working-day calendar as last read (recorded in the history), and when (workflow time). */
  let calendar: TWorkdayTable | null = null;
  let calendarReadMs = 0;
  let state: TaskState = input.carried?.state ?? initialState(stateInput(input));
  let seq = input.carried?.seq ?? 0;
  const done = new Set(input.carried?.done ?? []);
  const runStartedMs = Date.now();
  /** Bumped on every accepted change so the timer loop re-plans its next wake-up. */
  let version = 0;
  /** Projections run one at a time, in event order, whatever the concurrency of updates. */
  let projection: Promise<void> = Promise.resolve();
  // The parent records each child as ASSIGNED when it creates it, so only later changes are worth a signal.
  let lastNotifiedParentStatus: TaskState['status'] = input.carried ? state.status : 'ASSIGNED';

  const now = (): string => new Date().toISOString();
  const ctx = (): DecideContext => ({
    now: now(),
    policy: input.policy,
    ...(movedDueDay && calendar ? { calendar } : {}),
    ...(Object.keys(legacy).length > 0 ? { legacy } : {}),
  });

  /**
   * Why this task stopped acting on its own, or null. Set when a timed step met an error the rules could not handle
   * (say, a date the calendar cannot place): the task is flagged for the admin instead of failing its workflow task
   * forever, and every decision is refused (409) with this reason until the admin clears it.
   */
  let flagged: string | null = null;

  function decideOrThrow(command: TaskCommand): TaskEvent[] {
    if (flagged !== null) {
      throw ApplicationFailure.create({ type: 'TaskFlagged', message: flagged, nonRetryable: true });
    }
    const result = guarded(() => decide(state, command, ctx()));
    if (!result.ok) {
      throw ApplicationFailure.create({ type: result.error.type, message: result.error.message, nonRetryable: true });
    }
    return result.value;
  }

  /**
   * Runs pure rule code for a decision. An unexpected error there (a bug, or data the rules cannot place) refuses the
   * one decision with a domain failure rather than failing the workflow task, which Temporal would retry forever and
   * which would leave every later decision hanging.
   */
  function guarded<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      log.error('rule error', { error: String(err) });
      throw ApplicationFailure.create({
        type: 'RuleError',
        message: `规则计算出错，此操作未执行（${ruleErrorMessage(err)}）`,
        nonRetryable: true,
      });
    }
  }

  /** An update whose payload could not be authenticated (sent without the key) is refused before any history. */
  function refuseForged(arg: unknown): void {
    if (isForgedPayload(arg)) {
      throw ApplicationFailure.create({
        type: 'NotAuthorized',
        message: 'unauthenticated decision: not sent through the API',
        nonRetryable: true,
      });
    }
  }

  /** What a caller is told after an accepted decision: bounded, whatever the size of the state. */
  function result(): TDecisionResult {
    return { taskId: input.taskId, status: state.status, seq };
  }

  /** Applies accepted events to the state at once (so concurrent handlers see them), then projects them in order. */
  async function commit(events: TaskEvent[]): Promise<void> {
    if (events.length === 0) return;
    await apply(events);
    await tellParent();
  }

  /** Evolves the state synchronously and queues the events' projection; the promise settles once it has landed. */
  function apply(events: TaskEvent[]): Promise<void> {
    const firstSeq = seq;
    // Evolved into a new value first: if a rule throws half-way, the state and its sequence stay as they were.
    state = guarded(() => events.reduce(evolve, state));
    seq += events.length;
    version++;
    const snapshot = state;
    const run = projection.then(async () => {
      await projectTaskEvents({ taskId: input.taskId, workflowId, firstSeq, events, state: snapshot });
    });
    projection = run.catch(() => undefined);
    return run;
  }

  async function tellParent(): Promise<void> {
    if (!input.parentTaskId || state.status === lastNotifiedParentStatus) return;
    lastNotifiedParentStatus = state.status;
    try {
      const handle = getExternalWorkflowHandle(taskWorkflowId(input.parentTaskId));
      const signal = () => handle.signal(childStatusSignal, { childTaskId: input.taskId, status: state.status });
      await shielded(signal);
    } catch (err) {
      // The parent may have finished (verified) before a long-term child ended: its progress no longer matters there,
      // and failing here would fail the child's own decision.
      log.warn('parent not told of child status', { parentTaskId: input.parentTaskId, error: String(err) });
    }
  }

  /** Registers a decision as an update: the validator refuses what the state machine refuses, before any history. */
  function decision<A extends { actor: TActor }>(
    def: UpdateDefinition<TDecisionResult, [A]>,
    toCommand: (arg: A) => TaskCommand,
    after?: (arg: A, events: TaskEvent[]) => Promise<void>,
  ): void {
    setHandler(
      def,
      async (arg: A) => {
        // Decided again: another update may have changed the state between validation and this handler.
        const events = decideOrThrow(toCommand(arg));
        await commit(events);
        if (after) await after(arg, events);
        return result();
      },
      {
        validator: (arg: A) => {
          refuseForged(arg);
          decideOrThrow(toCommand(arg));
        },
      },
    );
  }

  // Assignment is the first event of a new task, applied before any handler is registered: an update that arrives
  // with the workflow's first task is delivered as soon as its handler is set, and must find the task assigned.
  // Patched: tasks started before this change assigned after registering their handlers.
  const assignFirst = !input.carried && patched(ASSIGN_BEFORE_HANDLERS_PATCH);
  const assigned = assignFirst ? apply(decideOrThrow({ type: 'assign' })) : undefined;

  decision(acknowledgeUpdate, (a) => ({ type: 'acknowledge', actor: a.actor }));
  decision(submitReportUpdate, (a) => ({
    type: 'submitReport',
    actor: a.actor,
    period: a.period,
    progress: a.progress,
    problems: a.problems,
    nextPlan: a.nextPlan,
    reportId: a.reportId,
    evidence: a.evidence,
  }));
  decision(reviewReportUpdate, (a) => ({
    type: 'reviewReport',
    actor: a.actor,
    period: a.period,
    decision: a.decision,
    reason: a.reason,
  }));
  decision(requestClosureUpdate, (a) => ({
    type: 'requestClosure',
    actor: a.actor,
    summary: a.summary,
    applicationId: a.applicationId,
    evidence: a.evidence,
  }));
  decision(signOffUpdate, (a) => ({ type: 'signOff', actor: a.actor, decision: a.decision, reason: a.reason }));
  decision(requestExtensionUpdate, (a) => ({
    type: 'requestExtension',
    actor: a.actor,
    newDate: a.newDate,
    reason: a.reason,
  }));
  decision(decideExtensionUpdate, (a) => ({
    type: 'decideExtension',
    actor: a.actor,
    decision: a.decision,
    reason: a.reason,
  }));
  decision(reassignUpdate, (a) => ({
    type: 'reassign',
    actor: a.actor,
    leadUnitId: a.leadUnitId,
    leaderId: a.leaderId,
    reason: a.reason,
  }));
  decision(delegateUpdate, (a) => ({
    type: 'delegate',
    actor: a.actor,
    toUserId: a.toUserId,
    ...(a.toRole !== undefined ? { toRole: a.toRole } : {}),
    ...(a.toUnitId !== undefined ? { toUnitId: a.toUnitId } : {}),
    from: a.from,
    to: a.to,
  }));
  // A handler no recorded history ever received: registering it changes nothing on replay, so it needs no patch.
  decision(revokeDelegationUpdate, (a) => ({
    type: 'revokeDelegation',
    actor: a.actor,
    delegationId: a.delegationId,
    fromUserId: a.fromUserId,
    toUserId: a.toUserId,
    from: a.from,
    to: a.to,
  }));
  decision(lookBackVerdictUpdate, (a) => ({
    type: 'lookBackVerdict',
    actor: a.actor,
    verdict: a.verdict,
    reason: a.reason,
    newDeadlineDate: a.newDeadlineDate,
  }));
  decision(endLongTermUpdate, (a) => ({ type: 'endLongTerm', actor: a.actor, reason: a.reason }));
  // 督办 issued by hand (a supervisor or the task's office): the domain's escalate with a person as actor. A handler no
  // recorded history ever received: registering it changes nothing on replay, so it needs no patch.
  decision(issueSupervisionUpdate, (a) => ({ type: 'escalate', actor: a.actor, step: a.step }));

  // Cascade: the office splits a task into one child task per lower-level unit, each its own workflow.
  const splitCommand = (arg: TSplitTaskArgs, childTaskIds: string[]): TaskCommand => ({
    type: 'childrenCreated',
    actor: arg.actor,
    childTaskIds,
  });
  const placeholderIds = (arg: TSplitTaskArgs): string[] => arg.children.map((_, i) => `${input.taskId}-pending-${i}`);
  setHandler(
    splitTaskUpdate,
    async (arg) => {
      decideOrThrow(splitCommand(arg, placeholderIds(arg)));
      const created = await createChildTasks({
        parentTaskId: input.taskId,
        requestKey: `${workflowId}:split:${seq}`,
        at: now(),
        children: arg.children,
      });
      // Recorded before the children start, so that their first status signals find them.
      await commit(
        decideOrThrow(
          splitCommand(
            arg,
            created.children.map((c) => c.taskId),
          ),
        ),
      );
      for (const child of created.children) {
        await startChild(taskLifecycle, {
          workflowId: child.workflowId,
          args: [child.input],
          // Children are tasks in their own right: they outlive a parent run that continues-as-new.
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      }
      return result();
    },
    {
      validator: (arg) => {
        refuseForged(arg);
        decideOrThrow(splitCommand(arg, placeholderIds(arg)));
      },
    },
  );

  setHandler(childStatusSignal, async (arg) => {
    if (isForgedPayload(arg)) return log.warn('unauthenticated signal ignored', { signal: 'childStatus' });
    const { childTaskId, status } = arg;
    const result = decide(state, { type: 'childStatusChanged', childTaskId, status }, ctx());
    if (result.ok) await commit(result.value);
    else log.warn('child status ignored', { childTaskId, status, error: result.error.message });
  });

  setHandler(urgeSignal, async (arg) => {
    if (isForgedPayload(arg)) return log.warn('unauthenticated signal ignored', { signal: 'urge' });
    const { actor, urgeId, message } = arg;
    // Urging changes no state: it is a message to the lead unit, kept in its inbox (and the outbox).
    await notify({
      idempotencyKey: `${workflowId}:urge:${urgeId}`,
      taskId: input.taskId,
      kind: 'urge',
      // The notify activity renders the text with the task's names; these are its fallback.
      title: `【催办】${input.title}`,
      body: `${message}\n查看：/tasks/${input.taskId}`,
      link: `/tasks/${input.taskId}`,
      text: { kind: 'urge', message, byRole: actor.role },
      recipients: [{ unitId: state.leadUnitId }],
      at: now(),
      actorId: actor.userId,
    });
  });

  setHandler(taskStateQuery, () => state);
  setHandler(taskFlagQuery, () => flagged);

  // Only the admin clears a flag, and only a flagged task has one to clear: refused before any history otherwise.
  setHandler(
    clearFlagUpdate,
    async () => {
      flagged = null;
      version++;
      await locally.flagTask({ taskId: input.taskId, reason: null, at: now() });
      return result();
    },
    {
      validator: (arg) => {
        refuseForged(arg);
        if (arg.actor.role !== 'admin') {
          throw ApplicationFailure.create({
            type: 'NotAuthorized',
            message: 'only an administrator may clear a flagged task',
            nonRetryable: true,
          });
        }
        if (flagged === null) {
          throw ApplicationFailure.create({
            type: 'InvalidTransition',
            message: 'the task is not flagged',
            nonRetryable: true,
          });
        }
      },
    },
  );

  if (assigned) {
    await assigned;
  } else if (!input.carried) {
    await commit(decideOrThrow({ type: 'assign' }));
  }

  /** What the timed steps' planning reads of this run (workflows/timedSteps.ts). */
  const timedSteps: TTimedStepPlan = {
    input,
    workflowId,
    state: () => state,
    calendar: () => calendar,
    done,
    onCalendar,
    fromStepReached,
    storedLight,
    now,
    ctx,
    commit,
    notify,
    notifyQueued,
    projectLightNow,
  };

  // The timer loop: sleep until the next scheduled step or until a decision changes the state, then act.
  while (!TERMINAL.has(state.status)) {
    // A task kept busy by decisions wakes the loop early each time (`continue` below) and would never reach the check
    // at the end of this body: runs after 'shorter-runs' check here as well.
    if (shorterRuns && shouldContinueAsNew()) return continueAsNewNow();
    const seen = version;
    try {
      // Awaited only when a read is due: an await here that does nothing would still let other promises run first
      // and reorder the commands of runs recorded before the calendar.
      if (calendarReadDue()) await readCalendar();
      const step = nextTimedStep(timedSteps);
      if (step) {
        const delayMs = Date.parse(step.at) - Date.now();
        if (delayMs > 0) {
          const changed = await waitWithin(() => version !== seen, delayMs);
          if (changed) continue;
          // Planned with a calendar read a week or more ago: plan again with a fresh one before acting (an override
          // edited meanwhile may have moved this very step). Never true for runs recorded before the calendar. Not
          // for the light's wake-ups: they are planned from `now`, and a new plan would skip the one due now.
          if (!step.transient && calendarReadDue()) continue;
          // Woken before the step's instant: plan again, which waits out the rest (see TIMER_NOT_EARLY_PATCH).
          if (Date.now() < Date.parse(step.at) && patched(TIMER_NOT_EARLY_PATCH)) continue;
        }
        await step.run();
        if (!step.transient) done.add(step.key);
      } else {
        await condition(() => version !== seen || shouldContinueAsNew());
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      // A timed step the rules cannot carry out: flag the task for the admin and wait for the flag to be cleared,
      // instead of throwing, which would fail this workflow task again at every retry, forever.
      flagged = `任务自动处理出错，已暂停，请系统管理员处理：${ruleErrorMessage(err)}`;
      log.error('task flagged', { error: String(err) });
      await locally.flagTask({ taskId: input.taskId, reason: flagged, at: now() });
      await condition(() => flagged === null);
      continue;
    }
    if (shouldContinueAsNew()) {
      // Inline, as recorded runs did it (no extra await before the command).
      await settleHandlers();
      const carried: TCarriedState = { state, seq, done: [...done], runs: (input.carried?.runs ?? 0) + 1 };
      return continueAsNew<typeof taskLifecycle>({ ...input, carried });
    }
  }
  await settleHandlers();
  return state;

  /** Hands the state, the event sequence and the steps taken to a new run, once every handler has finished. */
  async function continueAsNewNow(): Promise<never> {
    await settleHandlers();
    const carried: TCarriedState = { state, seq, done: [...done], runs: (input.carried?.runs ?? 0) + 1 };
    return continueAsNew<typeof taskLifecycle>({ ...input, carried });
  }

  /**
   * Waits until no update or signal handler is running and every projection has landed, so that nothing accepted is
   * lost when this run ends. Checked again after the last await: a signal delivered in the same activation starts a
   * handler, which must finish too (the server rejects a completion that ignores events that arrived meanwhile).
   */
  async function settleHandlers(): Promise<void> {
    do {
      await condition(allHandlersFinished);
      await projection;
    } while (!allHandlersFinished());
  }

  function shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested || info.historyLength > maxHistoryEvents || Date.now() - runStartedMs > RUN_LENGTH_MS
    );
  }

  /**
   * Reads the working-day calendar when the run has none, or the one it has is a day old or no longer reaches far
   * enough ahead. A local activity: the answer is recorded, so replay plans the same dates whatever was edited since.
   */
  function calendarReadDue(): boolean {
    if (!onCalendar) return false;
    return (
      !calendar ||
      Date.now() - calendarReadMs >= CALENDAR_REFRESH_MS ||
      calendar.to < addDaysToDate(dateOf(now()), CALENDAR_DAYS_AHEAD - 30)
    );
  }

  async function readCalendar(): Promise<void> {
    const today = dateOf(now());
    const range = { from: addDaysToDate(today, -CALENDAR_DAYS_BACK), to: addDaysToDate(today, CALENDAR_DAYS_AHEAD) };
    // Queued in the projection chain, like every other local activity of the loop: run beside a decision's
    // projection, its completion could order differently against the update's on replay (a nondeterminism error).
    const read = projection.then(() => locally.workdayTable(range));
    projection = read.then(
      () => undefined,
      () => undefined,
    );
    calendar = await read;
    calendarReadMs = Date.now();
  }

  /**
   * The calendar's notices, queued in the projection chain: a notice sent beside a decision's projection (a letter
   * due at once after the decision moved the deadline) could complete in another order on replay.
   */
  function notifyQueued(arg: Parameters<typeof notify>[0]): Promise<void> {
    const run = projection.then(async () => {
      await notify(arg);
    });
    projection = run.catch(() => undefined);
    return run;
  }

  /**
   * Projects the light as the rules give it now, queued behind every projection already accepted so that the row
   * never goes back to an older light. The next wake-up is always later than now, so nothing is remembered in `done`.
   */
  function projectLightNow(): Promise<void> {
    const at = now();
    const lightChangesAt = nextLightChange(state, input.policy, at);
    const trafficLight = computeTrafficLight(state, { now: at, policy: input.policy });
    const run = projection.then(async () => {
      await locally.projectLight({ taskId: input.taskId, trafficLight, lightChangesAt, at });
    });
    projection = run.catch(() => undefined);
    return run;
  }
}
