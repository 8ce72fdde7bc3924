import { defaultPolicy, type TCampaignPolicy } from '../../domain/policy';
import type { TDeadline } from '../../domain/deadline';
import {
  applyCommand,
  initialState,
  type Actor,
  type DecideContext,
  type TaskCommand,
  type TaskEvent,
  type TaskState,
} from '../../domain/task';

export const OFFICE_UNIT = 'unit-office';
export const LEAD_UNIT = 'unit-a';
export const OTHER_UNIT = 'unit-b';

export const staff: Actor = { userId: 'staff-a', role: 'unit_staff', unitId: LEAD_UNIT };
export const head: Actor = { userId: 'head-a', role: 'unit_head', unitId: LEAD_UNIT };
export const staffB: Actor = { userId: 'staff-b', role: 'unit_staff', unitId: OTHER_UNIT };
export const headB: Actor = { userId: 'head-b', role: 'unit_head', unitId: OTHER_UNIT };
export const officer: Actor = { userId: 'officer-1', role: 'office', unitId: OFFICE_UNIT };
export const otherOfficer: Actor = { userId: 'officer-x', role: 'office', unitId: 'unit-other-office' };
export const leader: Actor = { userId: 'leader-1', role: 'leader', unitId: 'unit-leadership' };
export const otherLeader: Actor = { userId: 'leader-2', role: 'leader', unitId: 'unit-leadership' };
export const supervisor: Actor = { userId: 'sup-1', role: 'supervisor', unitId: 'unit-discipline' };
export const deputy: Actor = { userId: 'deputy-1', role: 'unit_staff', unitId: 'unit-leadership' };

export const policy: TCampaignPolicy = defaultPolicy();

/** Assigned on 2021-03-10 10:00 Shanghai, deadline 2021-06-30. */
export const ASSIGNED_AT = '2021-03-10T02:00:00.000Z';

export function newTask(
  overrides: { deadline?: TDeadline; taskId?: string; parentOfficeUnitId?: string } = {},
): TaskState {
  return initialState({
    taskId: overrides.taskId ?? 'task-1',
    campaignId: 'campaign-1',
    leadUnitId: LEAD_UNIT,
    leaderId: leader.userId,
    officeUnitId: OFFICE_UNIT,
    deadline: overrides.deadline ?? { kind: 'date', date: '2021-06-30' },
    signOffChain: policy.signOffLevels,
    assignedAt: ASSIGNED_AT,
    ...(overrides.parentOfficeUnitId ? { parentOfficeUnitId: overrides.parentOfficeUnitId } : {}),
  });
}

/** Shanghai wall-clock time to a UTC ISO instant: sh('2021-03-20 09:00'). */
export function sh(local: string): string {
  return new Date(`${local.replace(' ', 'T')}:00+08:00`).toISOString();
}

export class Run {
  events: TaskEvent[] = [];
  /** Rules switched off, as for a workflow run recorded before them. */
  legacy: DecideContext['legacy'];
  constructor(
    public state: TaskState,
    public now = sh('2021-03-11 09:00'),
    public readonly pol: TCampaignPolicy = policy,
  ) {}

  at(local: string): this {
    this.now = sh(local);
    return this;
  }

  /** Applies a command that must be accepted; returns its events. */
  do(command: TaskCommand): TaskEvent[] {
    const result = applyCommand(this.state, command, {
      now: this.now,
      policy: this.pol,
      ...(this.legacy ? { legacy: this.legacy } : {}),
    });
    if (!result.ok) throw new Error(`${command.type} refused: ${result.error.type}: ${result.error.message}`);
    this.state = result.value.state;
    this.events.push(...result.value.events);
    return result.value.events;
  }

  /** Applies a command that must be refused with `type`; asserts nothing changed. */
  refuse(command: TaskCommand, type: string, messagePart?: string): void {
    const before = JSON.stringify(this.state);
    const result = applyCommand(this.state, command, {
      now: this.now,
      policy: this.pol,
      ...(this.legacy ? { legacy: this.legacy } : {}),
    });
    if (result.ok) throw new Error(`${command.type} was accepted, expected ${type}`);
    expect(result.error.type).toBe(type);
    if (messagePart) expect(result.error.message).toContain(messagePart);
    expect(JSON.stringify(this.state)).toBe(before);
  }

  /** Acknowledge, one accepted report, close-out application. */
  toClosureRequested(applicationId = 'app-1'): this {
    this.do({ type: 'acknowledge', actor: staff });
    this.at('2021-03-20 10:00').do({
      type: 'submitReport',
      actor: staff,
      period: '2021-03',
      progress: 'done',
      reportId: 'r-1',
    });
    this.do({ type: 'reviewReport', actor: officer, period: '2021-03', decision: 'accept' });
    this.at('2021-04-02 10:00').do({ type: 'requestClosure', actor: staff, summary: 'fixed', applicationId });
    return this;
  }

  signAll(): this {
    this.do({ type: 'signOff', actor: head, decision: 'approve' });
    this.do({ type: 'signOff', actor: officer, decision: 'approve' });
    this.do({ type: 'signOff', actor: leader, decision: 'approve' });
    return this;
  }
}
