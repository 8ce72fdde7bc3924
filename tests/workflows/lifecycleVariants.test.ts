/**
 * The whole lifecycle beyond the monthly cycle: deadline kinds, overdue escalation, long-term reporting, look-back,
 * extensions, reassignment, delegation, cascade to cities, and a five-year task across continue-as-new. Real worker,
 * embedded dev server with time skipping, projection checked in a real database.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { addDaysToDate, addMonthsToDate, addMonthsToPeriod, dateOf } from '../../domain/calendar';
import type { TDeadline } from '../../domain/deadline';
import { nextReportDue, type Actor, type TaskState } from '../../domain/task';
import {
  acknowledgeUpdate,
  decideExtensionUpdate,
  delegateUpdate,
  endLongTermUpdate,
  lookBackVerdictUpdate,
  reassignUpdate,
  requestClosureUpdate,
  requestExtensionUpdate,
  reviewReportUpdate,
  signOffUpdate,
  splitTaskUpdate,
  submitReportUpdate,
  taskStateQuery,
  urgeSignal,
} from '../../workflows/messages';
import { taskWorkflowId } from '../../workflows/shared';
import { taskLifecycle, type TTaskLifecycleInput } from '../../workflows/taskLifecycle';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';
import { recordHistories } from '../helpers/histories';
import { startWorkflowStack, type TWorkflowStack } from '../helpers/stack';
import { eventually, refusal, sleepUntil, withState } from '../helpers/temporal';

jest.setTimeout(180_000);

let stack: TWorkflowStack;
let org: TOrg;

beforeAll(async () => {
  stack = await startWorkflowStack();
  org = await createOrg(stack.db, 3);
});

afterAll(async () => {
  await stack?.teardown();
});

type Handle = WorkflowHandle<typeof taskLifecycle>;

async function newTask(
  deadline: (today: string) => TDeadline,
  leadUnitId?: string,
): Promise<[Handle, TTaskLifecycleInput]> {
  const assignedAt = await stack.now();
  const input = await createTaskRow(stack.db, org, { deadline: deadline(dateOf(assignedAt)), assignedAt, leadUnitId });
  const handle = await stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(input.taskId),
    args: [input],
  });
  return [handle, input];
}

/** Applies for close-out as `applicant` and has each signer approve in order; returns the final state. */
async function closeOut(handle: Handle, applicant: Actor, signers: Actor[]): Promise<TaskState> {
  let state = await withState(handle).executeUpdate(requestClosureUpdate, {
    args: [{ actor: applicant, applicationId: randomUUID(), summary: '整改完成' }],
  });
  for (const signer of signers) {
    state = await withState(handle).executeUpdate(signOffUpdate, { args: [{ actor: signer, decision: 'approve' }] });
  }
  return state;
}

describe('deadline kinds', () => {
  it.each([
    ['date', 'CLOSED', (t: string): TDeadline => ({ kind: 'date', date: addDaysToDate(t, 90) })],
    ['immediate', 'CLOSED', (t: string): TDeadline => ({ kind: 'immediate', date: addDaysToDate(t, 15) })],
    ['long_term', 'LONG_TERM', (): TDeadline => ({ kind: 'long_term' })],
    [
      'date_then_long_term',
      'LONG_TERM',
      (t: string): TDeadline => ({ kind: 'date_then_long_term', date: addDaysToDate(t, 60) }),
    ],
    [
      'immediate_then_long_term',
      'LONG_TERM',
      (t: string): TDeadline => ({ kind: 'immediate_then_long_term', date: addDaysToDate(t, 15) }),
    ],
  ] as const)('When a %s task passes every sign-off level, then it ends %s', async (kind, expected, deadline) => {
    const [handle, input] = await newTask(deadline);
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    const state = await closeOut(handle, org.staffA, [org.headA, org.office, org.leader]);
    expect(state.status).toBe(expected);
    expect(state.deadline.kind).toBe(kind);
    const row = await stack.db.task.findUniqueOrThrow({ where: { id: input.taskId } });
    expect(row.status).toBe(expected);
    expect(row.deadlineKind).toBe(kind);
  });
});

describe('overdue, escalation and extensions', () => {
  it('When an immediate task is not closed by its date, then it turns OVERDUE, climbs the escalation ladder, and an approved extension moves the deadline while a refused one does not', async () => {
    const [handle, input] = await newTask((t) => ({ kind: 'immediate', date: addDaysToDate(t, 15) }));
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    const deadlineDate = (input.deadline as { date: string }).date;

    await sleepUntil(stack, `${addDaysToDate(deadlineDate, 32)}T00:00:00+08:00`);
    await eventually(async () => {
      const row = await stack.db.task.findUniqueOrThrow({ where: { id: input.taskId } });
      expect(row.status).toBe('OVERDUE');
      expect(row.overdue).toBe(true);
      const steps = (
        await stack.db.supervisionNotice.findMany({ where: { taskId: input.taskId, kind: 'escalation' } })
      ).map((n) => n.step);
      expect(steps).toEqual(expect.arrayContaining(['supervision_notice', 'interview']));
      expect(steps).not.toContain('listed_supervision');
      const leaderTold = await stack.db.notification.count({
        where: { taskId: input.taskId, userId: org.leader.userId, kind: 'escalation_supervision_notice' },
      });
      expect(leaderTold).toBe(1);
    });

    // Refused: the office says no; nothing moves.
    const newDate = addDaysToDate(dateOf(await stack.now()), 60);
    await handle.executeUpdate(requestExtensionUpdate, {
      args: [{ actor: org.staffA, newDate, reason: '需协调多部门' }],
    });
    const refused = await withState(handle).executeUpdate(decideExtensionUpdate, {
      args: [{ actor: org.office, decision: 'refuse', reason: '理由不充分' }],
    });
    expect(refused.status).toBe('OVERDUE');
    expect((refused.deadline as { date: string }).date).toBe(deadlineDate);

    // Approved by the office, then the lead leader: the deadline moves and the task is back on track.
    await handle.executeUpdate(requestExtensionUpdate, {
      args: [{ actor: org.staffA, newDate, reason: '需协调多部门' }],
    });
    expect(
      await refusal(
        handle.executeUpdate(decideExtensionUpdate, { args: [{ actor: org.leader, decision: 'approve' }] }),
      ),
    ).toBe('NotAuthorized');
    await handle.executeUpdate(decideExtensionUpdate, { args: [{ actor: org.office, decision: 'approve' }] });
    const extended = await withState(handle).executeUpdate(decideExtensionUpdate, {
      args: [{ actor: org.leader, decision: 'approve' }],
    });
    expect(extended.status).toBe('IN_PROGRESS');
    expect((extended.deadline as { date: string }).date).toBe(newDate);

    const requests = await stack.db.extensionRequest.findMany({
      where: { taskId: input.taskId },
      orderBy: { requestedAt: 'asc' },
    });
    expect(requests.map((r) => r.status)).toEqual(['refused', 'approved']);
    const audit = await stack.db.auditEvent.findFirstOrThrow({
      where: { taskId: input.taskId, action: 'DeadlineExtended' },
    });
    expect(audit.detail).toEqual(expect.objectContaining({ fromDate: deadlineDate, toDate: newDate }));
    const row = await stack.db.task.findUniqueOrThrow({ where: { id: input.taskId } });
    expect([row.status, row.deadlineDate, row.overdue]).toEqual(['IN_PROGRESS', newDate, false]);
    await recordHistories(stack.testEnv.client, handle.workflowId, 'overdue-extension');
  });
});

describe('long-term tasks and look-back', () => {
  it('When a long-term task is signed off, then it reports every six months for two years until the office ends it', async () => {
    const [handle, input] = await newTask(() => ({ kind: 'long_term' }));
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    let state = await closeOut(handle, org.staffA, [org.headA, org.office, org.leader]);
    expect(state.status).toBe('LONG_TERM');

    const periods: string[] = [];
    for (let i = 0; i < 4; i++) {
      const due = nextReportDue(state, input.policy, await stack.now())!;
      periods.push(due.period);
      await sleepUntil(stack, due.reminderAt);
      await handle.executeUpdate(submitReportUpdate, {
        args: [{ actor: org.staffA, period: due.period, progress: `长期坚持第${i + 1}次`, reportId: `lt-${i}` }],
      });
      state = await withState(handle).executeUpdate(reviewReportUpdate, {
        args: [{ actor: org.office, period: due.period, decision: 'accept' }],
      });
    }
    for (let i = 1; i < periods.length; i++) expect(periods[i]).toBe(addMonthsToPeriod(periods[i - 1]!, 6));
    expect(await stack.db.supervisionNotice.count({ where: { taskId: input.taskId } })).toBe(0);

    state = await withState(handle).executeUpdate(endLongTermUpdate, {
      args: [{ actor: org.office, reason: '机制已建立' }],
    });
    expect(state.status).toBe('CLOSED');
    expect(await stack.db.report.count({ where: { taskId: input.taskId, status: 'accepted' } })).toBe(4);
    await recordHistories(stack.testEnv.client, handle.workflowId, 'long-term-half-yearly');
  });

  it('When the look-back finds a rebound, then the task reopens for a new round and is closed and verified again', async () => {
    const [handle, input] = await newTask((t) => ({ kind: 'date', date: addDaysToDate(t, 120) }));
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    const closed = await closeOut(handle, org.staffA, [org.headA, org.office, org.leader]);
    expect(closed.status).toBe('CLOSED');

    await sleepUntil(stack, `${addMonthsToDate(dateOf(closed.closedAt!), 6)}T23:59:59+08:00`);
    await eventually(async () => {
      expect(
        await stack.db.notification.count({
          where: { taskId: input.taskId, userId: org.office.userId, kind: 'look_back_due' },
        }),
      ).toBe(1);
    });
    const reopened = await withState(handle).executeUpdate(lookBackVerdictUpdate, {
      args: [
        {
          actor: org.office,
          verdict: 'rebound',
          reason: '问题反弹',
          newDeadlineDate: addDaysToDate(dateOf(await stack.now()), 60),
        },
      ],
    });
    expect([reopened.status, reopened.round, reopened.reopenCount]).toEqual(['IN_PROGRESS', 2, 1]);

    const again = await closeOut(handle, org.staffA, [org.headA, org.office, org.leader]);
    expect(again.status).toBe('CLOSED');
    const verified = await withState(handle).executeUpdate(lookBackVerdictUpdate, {
      args: [{ actor: org.office, verdict: 'consolidated' }],
    });
    expect(verified.status).toBe('VERIFIED');
    const final = await handle.result();
    expect(final.status).toBe('VERIFIED');

    const row = await stack.db.task.findUniqueOrThrow({ where: { id: input.taskId }, include: { applications: true } });
    expect([row.status, row.round, row.reopenCount]).toEqual(['VERIFIED', 2, 1]);
    expect(row.applications.map((a) => a.round).sort()).toEqual([1, 2]);
    await recordHistories(stack.testEnv.client, handle.workflowId, 'look-back-rebound');
  });
});

describe('responsibility', () => {
  it('When the office reassigns a task mid-month, then the new unit owes the pending report and signs level 1', async () => {
    const [handle, input] = await newTask((t) => ({ kind: 'date', date: addDaysToDate(t, 200) }));
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    const due = nextReportDue(await handle.query(taskStateQuery), input.policy, await stack.now())!;
    await sleepUntil(stack, due.reminderAt);

    expect(
      await refusal(handle.executeUpdate(reassignUpdate, { args: [{ actor: org.staffA, leadUnitId: org.deptB }] })),
    ).toBe('NotAuthorized');
    const moved = await withState(handle).executeUpdate(reassignUpdate, {
      args: [{ actor: org.office, leadUnitId: org.deptB, reason: '职能调整' }],
    });
    expect(moved.leadUnitId).toBe(org.deptB);
    expect(
      await refusal(
        handle.executeUpdate(submitReportUpdate, {
          args: [{ actor: org.staffA, period: due.period, progress: 'x', reportId: 'ra' }],
        }),
      ),
    ).toBe('NotAuthorized');
    await handle.executeUpdate(submitReportUpdate, {
      args: [{ actor: org.staffB, period: due.period, progress: '已接手', reportId: 'rb' }],
    });
    await handle.executeUpdate(reviewReportUpdate, {
      args: [{ actor: org.office, period: due.period, decision: 'accept' }],
    });

    await handle.executeUpdate(requestClosureUpdate, {
      args: [{ actor: org.staffB, applicationId: 'reassigned-app', summary: '完成' }],
    });
    expect(
      await refusal(handle.executeUpdate(signOffUpdate, { args: [{ actor: org.headA, decision: 'approve' }] })),
    ).toBe('NotAuthorized');
    await handle.executeUpdate(signOffUpdate, { args: [{ actor: org.headB, decision: 'approve' }] });

    const row = await stack.db.task.findUniqueOrThrow({ where: { id: input.taskId } });
    expect(row.leadUnitId).toBe(org.deptB);
    const audit = await stack.db.auditEvent.findFirstOrThrow({
      where: { taskId: input.taskId, action: 'TaskReassigned' },
    });
    expect(audit.actorId).toBe(org.office.userId);
    expect(audit.detail).toEqual(expect.objectContaining({ from: expect.objectContaining({ leadUnitId: org.deptA }) }));
    await recordHistories(stack.testEnv.client, handle.workflowId, 'reassigned');
  });

  it('When the lead leader delegates sign-off to a deputy, then the deputy signs on their behalf and the audit records both', async () => {
    const [handle, input] = await newTask((t) => ({ kind: 'date', date: addDaysToDate(t, 100) }));
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    const from = dateOf(await stack.now());
    await handle.executeUpdate(delegateUpdate, {
      args: [
        {
          actor: org.leader,
          toUserId: org.deputyLeader.userId,
          toRole: org.deputyLeader.role,
          toUnitId: org.deputyLeader.unitId,
          from,
          to: addDaysToDate(from, 30),
        },
      ],
    });
    await handle.executeUpdate(requestClosureUpdate, {
      args: [{ actor: org.staffA, applicationId: 'deleg-app', summary: '完成' }],
    });
    await handle.executeUpdate(signOffUpdate, { args: [{ actor: org.headA, decision: 'approve' }] });
    await handle.executeUpdate(signOffUpdate, { args: [{ actor: org.office, decision: 'approve' }] });
    const closed = await withState(handle).executeUpdate(signOffUpdate, {
      args: [{ actor: org.deputyLeader, decision: 'approve' }],
    });
    expect(closed.status).toBe('CLOSED');

    const decision = await stack.db.signOffDecision.findFirstOrThrow({
      where: { applicationId: 'deleg-app', level: 3 },
    });
    expect([decision.signerId, decision.onBehalfOfId]).toEqual([org.deputyLeader.userId, org.leader.userId]);
    const audit = await stack.db.auditEvent.findFirstOrThrow({
      where: { taskId: input.taskId, action: 'SignOffApproved', actorId: org.deputyLeader.userId },
    });
    expect(audit.onBehalfOfId).toBe(org.leader.userId);
    await recordHistories(stack.testEnv.client, handle.workflowId, 'delegated-sign-off');
  });
});

describe('cascade', () => {
  it('When a province task is split into three city tasks, then the parent can close only after the last city closes', async () => {
    const [parent, input] = await newTask((t) => ({ kind: 'date', date: addDaysToDate(t, 180) }));
    await parent.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    const split = await withState(parent).executeUpdate(splitTaskUpdate, {
      args: [
        { actor: org.office, children: org.cities.map((c) => ({ leadUnitId: c.deptId, leaderId: org.leader.userId })) },
      ],
    });
    const childIds = Object.keys(split.children);
    expect(childIds).toHaveLength(3);

    for (const [i, city] of org.cities.entries()) {
      const child = stack.testEnv.client.workflow.getHandle<typeof taskLifecycle>(taskWorkflowId(childIds[i]!));
      const childRow = await stack.db.task.findUniqueOrThrow({ where: { id: childIds[i]! } });
      expect(childRow.parentTaskId).toBe(input.taskId);
      await child.executeUpdate(acknowledgeUpdate, { args: [{ actor: city.staff }] });
      // Level 2 is the city's own office; the province office signs last (the higher level).
      const state = await closeOut(child, city.staff, [city.head, city.office, org.leader, org.office]);
      expect(state.status).toBe('CLOSED');
      if (i < org.cities.length - 1) {
        await eventually(async () => {
          expect((await parent.query(taskStateQuery)).children[childIds[i]!]).toBe('CLOSED');
        });
        expect(
          await refusal(
            parent.executeUpdate(requestClosureUpdate, {
              args: [{ actor: org.staffA, applicationId: `p-${i}`, summary: '完成' }],
            }),
          ),
        ).toBe('InvalidTransition');
      }
    }
    await eventually(async () => {
      expect(Object.values((await parent.query(taskStateQuery)).children)).toEqual(['CLOSED', 'CLOSED', 'CLOSED']);
    });
    const closed = await closeOut(parent, org.staffA, [org.headA, org.office, org.leader]);
    expect(closed.status).toBe('CLOSED');
    await recordHistories(stack.testEnv.client, parent.workflowId, 'cascade-parent');
  });
});

describe('long life', () => {
  it('When a task runs five years, then it continues-as-new with small runs and loses no signal sent during a switch', async () => {
    const [handle, input] = await newTask((t) => ({ kind: 'date', date: addMonthsToDate(t, 60) }));
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });

    // Sleep to just before the first yearly switch, then urge the unit repeatedly while the clock crosses it.
    const startedAt = Date.parse(input.assignedAt);
    await sleepUntil(stack, new Date(startedAt + 365 * 24 * 3600 * 1000 - 2 * 24 * 3600 * 1000).toISOString(), 0);
    const urgeIds = Array.from({ length: 12 }, (_, i) => `urge-${i}`);
    const crossing = stack.testEnv.sleep('5 days');
    for (const urgeId of urgeIds) {
      await handle.signal(urgeSignal, { actor: org.office, urgeId, message: '请加快进度' });
    }
    await crossing;

    for (let year = 1; year < 5; year++) await stack.testEnv.sleep('365 days');
    const state = await handle.query(taskStateQuery);
    expect(state.taskId).toBe(input.taskId);
    expect(state.overdueReports.length).toBeGreaterThanOrEqual(55);

    await eventually(async () => {
      const urges = await stack.db.notification.findMany({
        where: { taskId: input.taskId, kind: 'urge', userId: org.staffA.userId },
      });
      expect(urges).toHaveLength(urgeIds.length);
    });

    const runs: { runId: string; events: number }[] = [];
    for await (const execution of stack.testEnv.client.workflow.list({
      query: `WorkflowId = '${taskWorkflowId(input.taskId)}'`,
    })) {
      const history = await stack.testEnv.client.workflow
        .getHandle(execution.workflowId, execution.runId)
        .fetchHistory();
      runs.push({ runId: execution.runId, events: history.events?.length ?? 0 });
    }
    expect(runs.length).toBeGreaterThanOrEqual(5);
    for (const run of runs) expect(run.events).toBeLessThan(2000);
    await recordHistories(stack.testEnv.client, handle.workflowId, 'five-year-continue-as-new');
  });
});
