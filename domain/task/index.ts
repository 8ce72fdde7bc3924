/**
 * The task state machine (decide/evolve). The workflow drives a task's state only through these functions:
 * `decide` refuses or returns events, `evolve` applies them; `applyCommand` does both.
 */
import { DEFAULT_SIGN_OFF_LEVELS } from '../policy';
import type { Result } from '../result';
import { decide } from './decide';
import { evolveAll } from './evolve';
import { normaliseChain } from './signOff';
import type { DecideContext, InitialStateInput, TaskCommand, TaskEvent, TaskState } from './types';

export * from './types';
export { decide, mayStandIn, MAX_DELEGATION_DAYS, reportDueInstant } from './decide';
export { evolve, evolveAll } from './evolve';
export * from './signOff';
export * from './schedule';

/** The state of a task just assigned: ASSIGNED, round 1, with its sign-off chain resolved. */
export function initialState(input: InitialStateInput): TaskState {
  const parties = {
    leadUnitId: input.leadUnitId,
    officeUnitId: input.officeUnitId,
    leaderId: input.leaderId,
    ...(input.parentOfficeUnitId ? { parentOfficeUnitId: input.parentOfficeUnitId } : {}),
  };
  const state: TaskState = {
    taskId: input.taskId,
    campaignId: input.campaignId,
    status: 'ASSIGNED',
    round: 1,
    reopenCount: 0,
    deadline: input.deadline,
    leadUnitId: input.leadUnitId,
    leaderId: input.leaderId,
    officeUnitId: input.officeUnitId,
    assignedAt: input.assignedAt,
    roundStartedAt: input.assignedAt,
    signOffChain: normaliseChain(input.signOffChain ?? DEFAULT_SIGN_OFF_LEVELS, parties),
    reports: [],
    overdueReports: [],
    closureHistory: [],
    extensionHistory: [],
    delegations: [],
    children: {},
    overdue: false,
    escalations: [],
    eventCount: 0,
  };
  if (input.parentTaskId) state.parentTaskId = input.parentTaskId;
  if (input.parentOfficeUnitId) state.parentOfficeUnitId = input.parentOfficeUnitId;
  return state;
}

/** decide + evolve: the events of an accepted command and the state after them; a refusal changes nothing. */
export function applyCommand(
  state: TaskState,
  command: TaskCommand,
  ctx: DecideContext,
): Result<{ state: TaskState; events: TaskEvent[] }> {
  const decided = decide(state, command, ctx);
  if (!decided.ok) return decided;
  return { ok: true, value: { state: evolveAll(state, decided.value), events: decided.value } };
}
export * from './allowed';
