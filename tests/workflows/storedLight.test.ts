/**
 * The stored traffic light, kept current by the workflow alone: the projection writes it with every event, and the
 * workflow (patch 'stored-light') wakes at the instant it may change with no event and projects it then. Real worker,
 * embedded dev server with time skipping; the rows are read directly (no API, so no read-repair is involved).
 */
import { addDaysToInstant, addMonthsToPeriod, endOfDayInstant, periodOf } from '../../domain/calendar';
import { ZCampaignPolicy } from '../../domain/policy';
import type { TaskState } from '../../domain/task';
import { computeTrafficLight } from '../../domain/trafficLight';
import { acknowledgeUpdate } from '../../workflows/messages';
import { taskWorkflowId } from '../../workflows/shared';
import { STORED_LIGHT_PATCH, taskLifecycle } from '../../workflows/taskLifecycle';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';
import { recordHistories } from '../helpers/histories';
import { startWorkflowStack, type TWorkflowStack } from '../helpers/stack';
import { eventually, sleepUntil } from '../helpers/temporal';

jest.setTimeout(180_000);

let stack: TWorkflowStack;
let org: TOrg;

beforeAll(async () => {
  stack = await startWorkflowStack();
  org = await createOrg(stack.db);
});

afterAll(async () => {
  await stack?.teardown();
});

/** A warning window of 10 days and reports due on the 28th: the deadline (the 20th) comes before any report. */
const policyInput = { warningWindowDays: 10, reportDueDay: 28 };
const policy = ZCampaignPolicy.parse(policyInput);

async function row(taskId: string) {
  return stack.db.task.findUniqueOrThrow({ where: { id: taskId } });
}

/** The stored light equals the rules' light of the projected state at the workflow's clock. */
async function expectStoredLightCurrent(taskId: string) {
  const r = await row(taskId);
  const now = await stack.now();
  expect(r.stateJson).toBeTruthy();
  const computed = computeTrafficLight(r.stateJson as unknown as TaskState, { now, policy });
  expect({ now, light: r.trafficLight }).toEqual({ now, light: computed });
  return r;
}

it('When a dated task nears and passes its deadline, then Task.trafficLight turns yellow at the warning window and red at the deadline with no read', async () => {
  // Assigned on the 2nd of next month, 10:00 Shanghai (so the dates below do not depend on the day the test runs).
  const period = addMonthsToPeriod(periodOf(await stack.now()), 1);
  await sleepUntil(stack, `${period}-02T10:00:00+08:00`, 0);
  const assignedAt = await stack.now();
  const deadlineDate = `${period}-20`;
  const deadline = endOfDayInstant(deadlineDate);
  const yellowAt = addDaysToInstant(deadline, -policy.warningWindowDays);

  const input = await createTaskRow(stack.db, org, {
    deadline: { kind: 'date', date: deadlineDate },
    assignedAt,
    policy: policyInput,
  });
  const handle = await stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(input.taskId),
    args: [input],
  });
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });

  // Projected with the acknowledgement: green, next change at the start of the warning window.
  const acknowledged = await expectStoredLightCurrent(input.taskId);
  expect(acknowledged.trafficLight).toBe('green');
  expect(acknowledged.lightChangesAt?.toISOString()).toBe(yellowAt);
  const audits = await stack.db.auditEvent.count({ where: { taskId: input.taskId } });

  // Just before the window: still green.
  await sleepUntil(stack, yellowAt, -3600_000);
  expect((await expectStoredLightCurrent(input.taskId)).trafficLight).toBe('green');

  // Just after: yellow, written by the workflow's wake-up alone (no event, no audit, the snapshot untouched).
  await sleepUntil(stack, yellowAt, 60_000);
  await eventually(async () => {
    const r = await expectStoredLightCurrent(input.taskId);
    expect(r.trafficLight).toBe('yellow');
    expect(r.lightChangesAt?.toISOString()).toBe(deadline);
    expect(r.updatedAt.toISOString()).toBe(acknowledged.updatedAt.toISOString());
    expect(r.stateJson).toEqual(acknowledged.stateJson);
  });
  expect(await stack.db.auditEvent.count({ where: { taskId: input.taskId } })).toBe(audits);

  // Just before the deadline: still yellow. Just after: red (the deadline's own event), and nothing left to wake for.
  await sleepUntil(stack, deadline, -60_000);
  expect((await expectStoredLightCurrent(input.taskId)).trafficLight).toBe('yellow');
  await sleepUntil(stack, deadline, 60_000);
  await eventually(async () => {
    const r = await expectStoredLightCurrent(input.taskId);
    expect([r.trafficLight, r.status, r.lightChangesAt]).toEqual(['red', 'OVERDUE', null]);
  });

  // The run took the patch: its history has the marker and a projectLight local activity.
  const history = await handle.fetchHistory();
  const markerTexts = (history.events ?? []).flatMap((e) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((p) =>
      (p.payloads ?? []).map((x) => Buffer.from(x.data ?? []).toString('utf8')),
    ),
  );
  expect(markerTexts.some((t) => t.includes(STORED_LIGHT_PATCH))).toBe(true);
  expect(markerTexts.some((t) => t.includes('projectLight'))).toBe(true);
  await recordHistories(stack.testEnv.client, handle.workflowId, 'stored-light-window');
});
