/**
 * No input wedges a workflow (issue 11): a task whose rules throw inside a timed step (here an escalation step a
 * hundred million days late, in a policy stored before the edge refused such numbers) is flagged for the admin — its
 * row says why, the admins are told, every decision is refused with the reason — instead of failing its workflow task
 * again and again forever. An admin clears the flag; a decision whose rules throw is refused and changes nothing.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { addDaysToDate, dateOf } from '../../domain/calendar';
import { acknowledgeUpdate, clearFlagUpdate, taskFlagQuery, taskStateQuery } from '../../workflows/messages';
import { taskWorkflowId } from '../../workflows/shared';
import { taskLifecycle } from '../../workflows/taskLifecycle';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';
import { startWorkflowStack, type TWorkflowStack } from '../helpers/stack';
import { eventually, refusal } from '../helpers/temporal';

jest.setTimeout(120_000);

let stack: TWorkflowStack;
let org: TOrg;

beforeAll(async () => {
  stack = await startWorkflowStack();
  org = await createOrg(stack.db, 0);
});

afterAll(async () => {
  await stack?.teardown();
});

async function refusalMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return err.cause.message;
    throw err;
  }
  throw new Error('expected the update to be refused');
}

it('When a timed step throws, then the task is flagged, decisions are refused with the reason, and the admin is told', async () => {
  const assignedAt = await stack.now();
  const input = await createTaskRow(stack.db, org, {
    // Overdue from the start: the deadline step runs at once, then the ladder is planned.
    deadline: { kind: 'date', date: addDaysToDate(dateOf(assignedAt), -3) },
    assignedAt,
  });
  // A policy as stored before the edge bounded ladder steps: planning this step overflows the date range.
  input.policy = {
    ...input.policy,
    escalationLadder: [{ ...input.policy.escalationLadder[0]!, afterDaysOverdue: 100_000_000 }],
  };
  const admin = await stack.db.user.create({ data: { name: '系统管理员', role: 'admin', unitId: org.provinceId } });
  const handle = await stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(input.taskId),
    args: [input],
  });

  await eventually(async () => {
    const row = await stack.db.task.findUniqueOrThrow({ where: { id: input.taskId } });
    expect(row.flaggedReason).toMatch(/RangeError/);
    expect(row.flaggedAt).not.toBeNull();
  });
  expect(await handle.query(taskFlagQuery)).toMatch(/已暂停/);
  // The overdue step before it did land: the task is OVERDUE, not stuck before it.
  expect((await handle.query(taskStateQuery)).status).toBe('OVERDUE');
  const told = await stack.db.notification.findMany({ where: { userId: admin.id, kind: 'task_flagged' } });
  expect(told).toHaveLength(1);

  // Decisions are refused with the reason, before any history (the validator).
  expect(await refusal(handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] }))).toBe('TaskFlagged');
  expect(await refusalMessage(handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] }))).toMatch(
    /RangeError/,
  );

  // The workflow is not failing workflow tasks: its last task completed, nothing pending retries.
  const described = await handle.describe();
  expect(described.status.name).toBe('RUNNING');
  const raw = described.raw;
  expect(raw.pendingWorkflowTask?.attempt ?? 1).toBeLessThanOrEqual(1);

  // Only an admin clears the flag; a non-flagged task has none to clear.
  expect(await refusal(handle.executeUpdate(clearFlagUpdate, { args: [{ actor: org.office }] }))).toBe('NotAuthorized');
  await handle.executeUpdate(clearFlagUpdate, {
    args: [{ actor: { userId: admin.id, role: 'admin', unitId: org.provinceId } }],
  });
  // The cause is still there (the policy is the workflow's input), so the next plan flags it again — once more told.
  await eventually(async () => {
    expect(await handle.query(taskFlagQuery)).toMatch(/RangeError/);
    const row = await stack.db.task.findUniqueOrThrow({ where: { id: input.taskId } });
    expect(row.flaggedReason).toMatch(/RangeError/);
  });
});
