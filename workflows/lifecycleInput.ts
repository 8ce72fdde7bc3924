/**
 * The task workflow's input, what a run carries to the next, its patch IDs, and small pure helpers of the timer loop:
 * split from taskLifecycle.ts (which re-exports the public names) so that the workflow itself stays readable.
 * Deterministic code only, bundled with the workflow.
 */
import type { TCampaignPolicy } from '../domain/policy';
import type { TDeadline } from '../domain/deadline';
import type { SignOffLevelSpec, TaskState } from '../domain/task';

export interface TTaskLifecycleInput {
  taskId: string;
  campaignId: string;
  title: string;
  leadUnitId: string;
  leaderId: string;
  /** The rectification office that reviews this task's reports (the campaign's, or a city's for a child task). */
  officeUnitId: string;
  parentTaskId?: string;
  /** The higher level's office, for a child task (its close-out is signed there last). */
  parentOfficeUnitId?: string;
  deadline: TDeadline;
  policy: TCampaignPolicy;
  signOffChain: SignOffLevelSpec[];
  /** When the task was assigned (ISO instant). */
  assignedAt: string;
  /** Present on a continued run: what the previous run carried over. */
  carried?: TCarriedState;
}

export interface TCarriedState {
  state: TaskState;
  /** Sequence number of the next event: projection idempotency keys are `<workflowId>:<seq>`, stable across runs. */
  seq: number;
  /** Timer-driven steps already taken (reminders, overdue notices, escalation steps), so no run repeats one. */
  done: string[];
  runs: number;
}

/** Patch IDs: each gates a behaviour change so that tasks already running replay as they were recorded. */
export const ASSIGN_BEFORE_HANDLERS_PATCH = 'assign-before-handlers';
export const LOCAL_PROJECTION_PATCH = 'local-projection';
export const FIRST_SIGNER_NOT_APPLICANT_PATCH = 'first-signer-not-applicant';
/** No person signs two levels of one close-out or decides two steps of one extension; deputies hold the same role. */
export const FOUR_EYES_PATCH = 'four-eyes';
/** The timer loop also wakes when the traffic light may change with no event, and projects the light then. */
export const STORED_LIGHT_PATCH = 'stored-light';
/**
 * Dates on China's working-day calendar (read by the `workdayTable` local activity, so recorded in the history): a
 * report due on a rest day moves by the policy's `dueDayRule`; the 绿/黄/红 warning letters go out 20, 10 and 3
 * working days before the deadline; a signer is reminded after `signOffDaysPerLevel` working days; a lifecycle date
 * in a year without official data tells the office once.
 */
export const WORKDAY_CALENDAR_PATCH = 'workday-calendar';
/** A deadline long past when the task starts escalates once, at the step reached; earlier steps are skipped. */
export const ESCALATION_STEP_REACHED_PATCH = 'escalation-step-reached';
/**
 * Local activities and signals run in scopes of their own, cancelled once they have settled (`workflows/scopes.ts`),
 * so a cached run no longer keeps every projection's input in memory until it continues as new.
 */
export const RELEASED_SCOPES_PATCH = 'released-scopes';
/**
 * Decisions see the working-day calendar: a report filed on the moved due day (Monday for a Sunday) is on time, and
 * its overdue event names the moved due instant.
 */
export const MOVED_DUE_DAY_PATCH = 'moved-due-day';
/** A run continues as new past 500 history events instead of 1,500 (see `SHORT_RUN_EVENTS` in `taskLifecycle`). */
export const SHORTER_RUNS_PATCH = 'shorter-runs';
/**
 * A timer that fires before the instant its step was planned for (the workflow's clock ran a little ahead of the
 * server's when the timer was started) waits out the rest instead of acting early: an overdue notice run 1 ms before
 * the end of the due day was refused by the rules and then counted as taken, so the report was never marked overdue.
 * Asked only when a timer fires early, so it is recorded only in the runs where that happened.
 */
export const TIMER_NOT_EARLY_PATCH = 'timer-not-early';

export function laterOf(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/** A rule error's message for people, without a stack; bounded, since it is stored and shown. */
export function ruleErrorMessage(err: unknown): string {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return message.slice(0, 500);
}

export interface TimedStep {
  key: string;
  at: string;
  /** Not recorded in `done` (carried across runs): the light's wake-ups never repeat an instant. */
  transient?: boolean;
  run: () => Promise<void>;
}

export function stateInput(input: TTaskLifecycleInput) {
  return {
    taskId: input.taskId,
    campaignId: input.campaignId,
    leadUnitId: input.leadUnitId,
    leaderId: input.leaderId,
    officeUnitId: input.officeUnitId,
    parentTaskId: input.parentTaskId,
    parentOfficeUnitId: input.parentOfficeUnitId,
    deadline: input.deadline,
    signOffChain: input.signOffChain,
    assignedAt: input.assignedAt,
  };
}
