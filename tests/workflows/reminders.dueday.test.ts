/**
 * Due days on the working-day calendar, on the real worker and the embedded dev server with time skipping, at the
 * dates the acceptance names. The dev server's clock only moves forward from the machine's, so this file (alone in
 * its Jest context) starts the process clock at 2026-10-20: Date is faked, timers stay real and the clock runs on
 * at wall-clock speed; the dev server, the worker and the workflows all take their time from it.
 */
import { Worker } from '@temporalio/worker';
import { loadWorkdayTable } from '../../activities/calendar';
import { acknowledgeUpdate, submitReportUpdate, taskStateQuery } from '../../workflows/messages';
import { taskWorkflowId } from '../../workflows/shared';
import { MOVED_DUE_DAY_PATCH, taskLifecycle, WORKDAY_CALENDAR_PATCH } from '../../workflows/taskLifecycle';
import { workflowBundle } from '../../worker';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';
import { recordHistories } from '../helpers/histories';
import { startWorkflowStack, type TWorkflowStack } from '../helpers/stack';
import { eventually, sleepUntil } from '../helpers/temporal';

jest.setTimeout(240_000);

/**
 * How long to wait for a timed step's row. A timer that fires here takes two or three workflow tasks (the calendar read
 * again, the step, its projection), and under CI's load one workflow task has taken 7.5 s: 15 s was not always enough.
 */
const SLOW_MS = 60_000;

/**
 * Date faked from 2026-10-20, timers real; after the workflow bundle is built (webpack's own code needs the real Date).
 * The faked clock moves in steps of 250 ms (the default is 20), on purpose: the SDK's core moves a workflow's clock by
 * the real time a local activity took, so the workflow's clock then often runs up to a step ahead of the dev server's
 * and a timer fires before the instant the workflow planned. Both tests failed every time that way before patch
 * 'timer-not-early' (and one run in six with steps of 20 ms): the overdue step ran a millisecond early, was refused
 * by the rules and was counted as taken.
 */
function fakeDate(): void {
  jest.useFakeTimers({
    now: new Date('2026-10-20T02:00:00.000Z'),
    advanceTimers: 250,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}

let stack: TWorkflowStack;
let org: TOrg;

beforeAll(async () => {
  await workflowBundle();
  fakeDate();
  stack = await startWorkflowStack();
  org = await createOrg(stack.db);
});

afterAll(async () => {
  await stack?.teardown();
  jest.useRealTimers();
});

it('When the report for October 2026 is due on Sunday the 25th, then it is overdue on Monday the 26th, not before', async () => {
  const now = await stack.now();
  expect(now < '2026-10-21').toBe(true);
  const input = await createTaskRow(stack.db, org, {
    deadline: { kind: 'date', date: '2026-12-31' },
    assignedAt: now,
    policy: { reportDueDay: 25, dueDayRule: 'next_workday' },
  });
  const handle = await stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(input.taskId),
    args: [input],
  });
  const overdue = (taskId = input.taskId) =>
    stack.db.auditEvent.findMany({ where: { taskId, action: 'ReportOverdue' }, select: { at: true } });
  // A second task of the same policy, whose unit reports on Monday the 26th.
  const onMonday = await createTaskRow(stack.db, org, {
    deadline: { kind: 'date', date: '2026-12-31' },
    assignedAt: now,
    policy: { reportDueDay: 25, dueDayRule: 'next_workday' },
  });
  const mondayHandle = await stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(onMonday.taskId),
    args: [onMonday],
  });
  await eventually(async () => {
    await mondayHandle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
  });

  // The end of Sunday the 25th (Shanghai) passes: nothing yet.
  await sleepUntil(stack, '2026-10-25T16:00:00.000Z', 3600_000);
  expect(await overdue()).toEqual([]);
  // Monday the 26th, 18:00 in Shanghai: the report filed on the moved due day is on time (it was marked 逾期报送
  // against the plain due day before patch 'moved-due-day').
  await sleepUntil(stack, '2026-10-26T10:00:00.000Z', 0);
  await mondayHandle.executeUpdate(submitReportUpdate, {
    args: [{ actor: org.staffA, period: '2026-10', progress: '已按期完成整改台账', reportId: 'r-2026-10' }],
  });
  const filed = (await mondayHandle.query(taskStateQuery)).reports.find((r) => r.period === '2026-10');
  expect(filed).toMatchObject({ status: 'submitted', late: false });
  // The end of Monday the 26th: the overdue notice, then and only then.
  await sleepUntil(stack, '2026-10-26T15:30:00.000Z', 0);
  expect(await overdue()).toEqual([]);
  await sleepUntil(stack, '2026-10-26T16:00:00.000Z', 60_000);
  await eventually(async () => {
    const rows = await overdue();
    expect(rows).toHaveLength(1);
    // The end of Monday the 26th in Shanghai (16:00Z), where the end of Sunday the 25th was the plain rule's.
    expect(rows[0]!.at.getTime() - Date.parse('2026-10-26T16:00:00.000Z')).toBeGreaterThan(-1000);
    expect(rows[0]!.at.getTime() - Date.parse('2026-10-26T16:00:00.000Z')).toBeLessThan(60_000);
  }, SLOW_MS);
  const notices = await stack.db.supervisionNotice.findMany({ where: { taskId: input.taskId } });
  expect(notices.map((n) => [n.kind, n.period])).toEqual([['report_overdue', '2026-10']]);
  // The task whose report came in on Monday: never overdue, no notice.
  expect(await overdue(onMonday.taskId)).toEqual([]);
  expect(await stack.db.supervisionNotice.count({ where: { taskId: onMonday.taskId } })).toBe(0);
  await mondayHandle.terminate('test over');

  // The run took the patch and read the calendar by a local activity (its answer is in the history).
  const history = await handle.fetchHistory();
  const markerTexts = (history.events ?? []).flatMap((e) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((p) =>
      (p.payloads ?? []).map((x) => Buffer.from(x.data ?? []).toString('utf8')),
    ),
  );
  expect(markerTexts.some((t) => t.includes(WORKDAY_CALENDAR_PATCH))).toBe(true);
  expect(markerTexts.some((t) => t.includes(MOVED_DUE_DAY_PATCH))).toBe(true);
  expect(markerTexts.some((t) => t.includes('workdayTable'))).toBe(true);
  await recordHistories(stack.testEnv.client, handle.workflowId, 'workday-due-day');

  // Replayed after an admin marks Monday the 26th a holiday: the recorded calendar answer stands, no nondeterminism.
  await stack.db.calendarOverride.create({
    data: { date: '2026-10-26', workday: false, name: '测试调整', updatedById: org.office.userId },
  });
  expect((await loadWorkdayTable(stack.db, '2026-10-26', '2026-10-26')).entries[0]?.workday).toBe(false);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
  await handle.terminate('test over');
});

it('When an admin marks 2027-10-01 a holiday after the task planned its October report, then the report is due on Monday the 4th', async () => {
  // 2027 has no official data: 10-01 is a Friday by the weekday rule until the override says otherwise.
  await sleepUntil(stack, '2027-09-20T02:00:00.000Z', 0);
  const input = await createTaskRow(stack.db, org, {
    deadline: { kind: 'date', date: '2027-12-31' },
    assignedAt: await stack.now(),
    policy: { reportDueDay: 1, dueDayRule: 'next_workday' },
  });
  const handle = await stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(input.taskId),
    args: [input],
  });
  await eventually(async () => {
    expect(await stack.db.auditEvent.count({ where: { taskId: input.taskId, action: 'TaskAssigned' } })).toBe(1);
  });
  // The override comes the next day, once the workflow has read the calendar and planned 2027-10's due day.
  await sleepUntil(stack, '2027-09-21T02:00:00.000Z', 0);
  await stack.db.calendarOverride.create({
    data: { date: '2027-10-01', workday: false, name: '国庆节', updatedById: org.office.userId },
  });
  const overdue = () =>
    stack.db.auditEvent.findMany({ where: { taskId: input.taskId, action: 'ReportOverdue' }, select: { at: true } });

  // Past the end of Friday the 1st: not overdue (the workflow re-read the calendar before acting on its old plan).
  await sleepUntil(stack, '2027-10-01T16:00:00.000Z', 3 * 3600_000);
  expect(await overdue()).toEqual([]);
  // The end of Monday the 4th: overdue.
  await sleepUntil(stack, '2027-10-04T16:00:00.000Z', 60_000);
  await eventually(async () => {
    const rows = await overdue();
    expect(rows).toHaveLength(1);
    // Within a second of it: the faked process clock advances in steps of 250 ms.
    expect(rows[0]!.at.getTime() - Date.parse('2027-10-04T16:00:00.000Z')).toBeGreaterThan(-1000);
    expect(rows[0]!.at.getTime() - Date.parse('2027-10-04T16:00:00.000Z')).toBeLessThan(120_000);
  }, SLOW_MS);
  // The office heard once that 2027 has no official data.
  const told = await stack.db.notification.findMany({
    where: { kind: 'calendar_no_data', userId: org.office.userId, title: { contains: '2027年' } },
  });
  expect(told).toHaveLength(1);
  await Worker.runReplayHistory(
    { workflowBundle: await workflowBundle() },
    await handle.fetchHistory(),
    handle.workflowId,
  );
  await handle.terminate('test over');
});
