/**
 * The task lifecycle with the real worker on the embedded dev server, time skipping across months, and the
 * projection checked in a real database.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { createTaskWorker } from '../../worker';
import { addDaysToDate, dateOf } from '../../domain/calendar';
import { nextReportDue, type TaskState } from '../../domain/task';
import {
  acknowledgeUpdate,
  requestClosureUpdate,
  reviewReportUpdate,
  signOffUpdate,
  submitReportUpdate,
  taskStateQuery,
} from '../../workflows/messages';
import { taskWorkflowId } from '../../workflows/shared';
import { taskLifecycle, type TTaskLifecycleInput } from '../../workflows/taskLifecycle';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';
import { recordHistories } from '../helpers/histories';
import { startWorkflowStack, type TWorkflowStack } from '../helpers/stack';
import { eventually, refusal, sleepUntil, withState } from '../helpers/temporal';

jest.setTimeout(120_000);

let stack: TWorkflowStack;
let org: TOrg;

beforeAll(async () => {
  stack = await startWorkflowStack();
  org = await createOrg(stack.db);
});

afterAll(async () => {
  await stack?.teardown();
});

async function startTask(input: TTaskLifecycleInput): Promise<WorkflowHandle<typeof taskLifecycle>> {
  return stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(input.taskId),
    args: [input],
  });
}

describe('taskLifecycle', () => {
  it('When an acknowledgement arrives before the first workflow task, then the task is assigned first and acknowledged', async () => {
    const assignedAt = await stack.now();
    const input = await createTaskRow(stack.db, org, {
      deadline: { kind: 'date', date: addDaysToDate(dateOf(assignedAt), 90) },
      assignedAt,
    });
    // No worker polls this queue yet: the update is delivered together with the workflow's very first task.
    const taskQueue = `late-worker-${randomUUID()}`;
    const handle = await stack.testEnv.client.workflow.start(taskLifecycle, {
      taskQueue,
      workflowId: taskWorkflowId(input.taskId),
      args: [input],
    });
    const acknowledged = handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const worker = await createTaskWorker({
      connection: stack.testEnv.nativeConnection,
      taskQueue,
      deps: { db: stack.db },
    });
    const state = await worker.runUntil(acknowledged);
    expect(state.status).toBe('IN_PROGRESS');
    const audit = await stack.db.auditEvent.findMany({
      where: { taskId: input.taskId },
      orderBy: { idempotencyKey: 'asc' },
    });
    expect(audit.map((a) => a.action)).toEqual(['TaskAssigned', 'TaskAcknowledged']);
    // Nobody polls that queue any more: a timer of this task would hold time skipping for the other tests.
    await handle.terminate('test finished');
  });

  it('When a task crosses three months with a returned report, a missed report and a return at sign-off, then it closes only after every level approves', async () => {
    const assignedAt = await stack.now();
    const input = await createTaskRow(stack.db, org, {
      deadline: { kind: 'date', date: addDaysToDate(dateOf(assignedAt), 150) },
      assignedAt,
    });
    const handle = await startTask(input);
    const state0 = await handle.query(taskStateQuery);
    expect(state0.status).toBe('ASSIGNED');

    // Another unit may not acknowledge; the lead unit may, once.
    expect(await refusal(handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffB }] }))).toBe(
      'NotAuthorized',
    );
    const acknowledged = await withState(handle).executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
    expect(acknowledged.status).toBe('IN_PROGRESS');
    expect(await refusal(handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] }))).toBe(
      'InvalidTransition',
    );
    expect((await stack.db.task.findUniqueOrThrow({ where: { id: input.taskId } })).status).toBe('IN_PROGRESS');

    // Month 1: the reminder goes out before the due day; the report is returned once, then accepted.
    const due1 = nextReportDue(acknowledged, input.policy, await stack.now())!;
    await sleepUntil(stack, due1.reminderAt);
    await eventually(async () => {
      const reminders = await stack.db.notification.findMany({
        where: { taskId: input.taskId, kind: 'report_reminder' },
      });
      expect(reminders.map((n) => n.userId)).toEqual(expect.arrayContaining([org.staffA.userId, org.headA.userId]));
    });
    await handle.executeUpdate(submitReportUpdate, {
      args: [{ actor: org.staffA, period: due1.period, progress: '已建立台账', reportId: 'r1' }],
    });
    expect(
      await refusal(
        handle.executeUpdate(reviewReportUpdate, {
          args: [{ actor: org.office, period: due1.period, decision: 'return' }],
        }),
      ),
    ).toBe('ValidationError');
    expect(
      await refusal(
        handle.executeUpdate(reviewReportUpdate, {
          args: [{ actor: org.staffA, period: due1.period, decision: 'accept' }],
        }),
      ),
    ).toBe('NotAuthorized');
    await handle.executeUpdate(reviewReportUpdate, {
      args: [{ actor: org.office, period: due1.period, decision: 'return', reason: '缺少佐证材料' }],
    });
    await handle.executeUpdate(submitReportUpdate, {
      args: [{ actor: org.staffA, period: due1.period, progress: '已建立台账，附清单', reportId: 'r1' }],
    });
    await handle.executeUpdate(reviewReportUpdate, {
      args: [{ actor: org.office, period: due1.period, decision: 'accept' }],
    });

    // Month 2: no report by the due day raises a supervision notice to the office.
    const due2 = nextReportDue(await handle.query(taskStateQuery), input.policy, await stack.now())!;
    expect(due2.period > due1.period).toBe(true);
    await sleepUntil(stack, due2.dueAt);
    await eventually(async () => {
      const notices = await stack.db.supervisionNotice.findMany({ where: { taskId: input.taskId } });
      expect(notices).toEqual([expect.objectContaining({ kind: 'report_overdue', period: due2.period })]);
      const officeInbox = await stack.db.notification.findMany({
        where: { taskId: input.taskId, userId: org.office.userId, kind: 'supervision_notice' },
      });
      expect(officeInbox).toHaveLength(1);
    });

    // Month 3: on time and accepted.
    const due3 = nextReportDue(await handle.query(taskStateQuery), input.policy, await stack.now())!;
    expect(due3.period > due2.period).toBe(true);
    await sleepUntil(stack, due3.reminderAt);
    await handle.executeUpdate(submitReportUpdate, {
      args: [{ actor: org.staffA, period: due3.period, progress: '整改完成', reportId: 'r3' }],
    });
    await handle.executeUpdate(reviewReportUpdate, {
      args: [{ actor: org.office, period: due3.period, decision: 'accept' }],
    });

    // Close-out: the office returns it at level 2; the second application passes all three levels.
    const evidence = [{ fileName: '台账.pdf', sha256: 'a'.repeat(64), sizeBytes: 1024 }];
    await handle.executeUpdate(requestClosureUpdate, {
      args: [{ actor: org.staffA, applicationId: 'app-1', summary: '已完成整改', evidence }],
    });
    expect(
      await refusal(handle.executeUpdate(signOffUpdate, { args: [{ actor: org.office, decision: 'approve' }] })),
    ).toBe('NotAuthorized');
    await handle.executeUpdate(signOffUpdate, { args: [{ actor: org.headA, decision: 'approve' }] });
    const returned = await withState(handle).executeUpdate(signOffUpdate, {
      args: [{ actor: org.office, decision: 'return', reason: '整改不到位' }],
    });
    expect(returned.status).toBe('IN_PROGRESS');

    await handle.executeUpdate(requestClosureUpdate, {
      args: [{ actor: org.staffA, applicationId: 'app-2', summary: '已补充材料' }],
    });
    await handle.executeUpdate(signOffUpdate, { args: [{ actor: org.headA, decision: 'approve' }] });
    await handle.executeUpdate(signOffUpdate, { args: [{ actor: org.office, decision: 'approve' }] });
    const closed: TaskState = await withState(handle).executeUpdate(signOffUpdate, {
      args: [{ actor: org.leader, decision: 'approve' }],
    });
    expect(closed.status).toBe('CLOSED');

    // The projection: rows, sign-offs and an audit record for every change.
    const task = await stack.db.task.findUniqueOrThrow({
      where: { id: input.taskId },
      include: {
        reports: { orderBy: [{ period: 'asc' }, { version: 'asc' }] },
        applications: { include: { decisions: true } },
      },
    });
    expect(task.status).toBe('CLOSED');
    expect(task.closedAt).not.toBeNull();
    expect(task.reports.map((r) => [r.period, r.version, r.status])).toEqual([
      [due1.period, 1, 'returned'],
      [due1.period, 2, 'accepted'],
      [due3.period, 1, 'accepted'],
    ]);
    const decisions = task.applications
      .flatMap((a) => a.decisions.map((d) => `${a.id}:${d.level}:${d.decision}`))
      .sort();
    expect(decisions).toEqual([
      'app-1:1:approve',
      'app-1:2:return',
      'app-2:1:approve',
      'app-2:2:approve',
      'app-2:3:approve',
    ]);
    expect(await stack.db.evidence.count({ where: { taskId: input.taskId, applicationId: 'app-1' } })).toBe(1);
    const audit = await stack.db.auditEvent.findMany({ where: { taskId: input.taskId }, orderBy: { at: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'TaskAssigned',
        'TaskAcknowledged',
        'ReportReturned',
        'ReportOverdue',
        'SignOffReturned',
        'TaskClosed',
      ]),
    );
    expect(audit.filter((a) => a.action === 'SignOffApproved')).toHaveLength(4);
    expect(new Set(audit.map((a) => a.idempotencyKey)).size).toBe(audit.length);
    await recordHistories(stack.testEnv.client, handle.workflowId, 'monthly-cycle-closed');
  });
});
