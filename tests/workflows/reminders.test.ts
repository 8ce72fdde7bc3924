/**
 * Reminders and escalation on the working-day calendar, on the real worker and the embedded dev server with time
 * skipping: the 绿/黄/红 warning letters before the deadline (each once, none after the task closes), a signer
 * reminded after the policy's working days, a task created 2,000 days past its deadline escalating once at the step
 * reached, and the red-light notice once per turn to red.
 */
import { createActivities } from '../../activities';
import { loadWorkdayTable, officialCalendar } from '../../activities/calendar';
import { addDaysToDate, dateOf } from '../../domain/calendar';
import { deadlineWarnings, initialState, signOffReminder, type TaskState } from '../../domain/task';
import {
  acknowledgeUpdate,
  requestClosureUpdate,
  reviewReportUpdate,
  signOffUpdate,
  submitReportUpdate,
  taskStateQuery,
} from '../../workflows/messages';
import { taskWorkflowId } from '../../workflows/shared';
import { taskLifecycle } from '../../workflows/taskLifecycle';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';
import { startWorkflowStack, type TWorkflowStack } from '../helpers/stack';
import { eventually, sleepUntil } from '../helpers/temporal';

jest.setTimeout(300_000);

let stack: TWorkflowStack;
let org: TOrg;

beforeAll(async () => {
  stack = await startWorkflowStack();
  org = await createOrg(stack.db);
});

afterAll(async () => {
  await stack?.teardown();
});

async function start(opts: { deadlineDate: string; policy?: Record<string, unknown> }) {
  const input = await createTaskRow(stack.db, org, {
    deadline: { kind: 'date', date: opts.deadlineDate },
    assignedAt: await stack.now(),
    ...(opts.policy ? { policy: opts.policy } : {}),
  });
  const handle = await stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(input.taskId),
    args: [input],
  });
  return { input, handle };
}

const inbox = (taskId: string, kind: string) =>
  stack.db.notification.findMany({ where: { taskId, kind }, orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }] });

/** Through one accepted report to a close-out signed at every level. */
async function close(handle: Awaited<ReturnType<typeof start>>['handle'], period: string) {
  // Report ids are global (the projected row's id): one per task here.
  await handle.executeUpdate(submitReportUpdate, {
    args: [{ actor: org.staffA, period, progress: '整改完成', reportId: `r-${handle.workflowId}-${period}` }],
  });
  await handle.executeUpdate(reviewReportUpdate, { args: [{ actor: org.office, period, decision: 'accept' }] });
  await handle.executeUpdate(requestClosureUpdate, {
    args: [{ actor: org.staffA, applicationId: `app-${handle.workflowId}`, summary: '已完成整改' }],
  });
}

it('When the deadline nears, then the 绿 and 黄 letters go out once each at 20 and 10 working days, and the 红 one never comes once the task is closed', async () => {
  const today = dateOf(await stack.now());
  const { input, handle } = await start({ deadlineDate: addDaysToDate(today, 45) });
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
  const state = await handle.query(taskStateQuery);
  const table = await loadWorkdayTable(stack.db, today, addDaysToDate(today, 60));
  const [green, yellow, red] = deadlineWarnings(state, input.policy, table);
  expect([green?.workdays, yellow?.workdays, red?.workdays]).toEqual([20, 10, 3]);

  await sleepUntil(stack, green!.at, -60_000);
  expect(await inbox(input.taskId, 'deadline_warning')).toHaveLength(0);
  await sleepUntil(stack, green!.at, 60_000);
  await eventually(async () => {
    const sent = await inbox(input.taskId, 'deadline_warning');
    // The lead unit's staff and head, once each.
    expect(sent.map((n) => n.userId).sort()).toEqual([org.staffA.userId, org.headA.userId].sort());
    expect(sent.every((n) => n.title.startsWith('【绿色预警】') && n.body.includes('20个工作日'))).toBe(true);
    // Sent at 09:00 that day (the timer fires a few milliseconds late at most).
    expect(sent.every((n) => n.createdAt.getTime() - Date.parse(green!.at) < 60_000)).toBe(true);
    expect(sent.every((n) => n.createdAt.getTime() >= Date.parse(green!.at))).toBe(true);
  });

  await sleepUntil(stack, yellow!.at, 60_000);
  await eventually(async () => {
    const sent = await inbox(input.taskId, 'deadline_warning');
    expect(sent).toHaveLength(4);
    expect(sent.filter((n) => n.title.startsWith('【黄色预警】'))).toHaveLength(2);
  });

  // Closed before the 红 letter is due: it never goes out.
  const period = (await stack.now()).slice(0, 7);
  await close(handle, period);
  for (const signer of [org.headA, org.office, org.leader]) {
    await handle.executeUpdate(signOffUpdate, { args: [{ actor: signer, decision: 'approve' }] });
  }
  expect((await handle.query(taskStateQuery)).status).toBe('CLOSED');
  await sleepUntil(stack, red!.at, 3 * 86_400_000);
  expect((await inbox(input.taskId, 'deadline_warning')).map((n) => n.title.slice(0, 6))).toEqual([
    '【绿色预警】',
    '【绿色预警】',
    '【黄色预警】',
    '【黄色预警】',
  ]);
});

it('When a close-out waits at a level for the policy’s working days, then its signer is reminded once; the next level waits afresh', async () => {
  const today = dateOf(await stack.now());
  const { input, handle } = await start({
    deadlineDate: addDaysToDate(today, 300),
    policy: { signOffDaysPerLevel: 3 },
  });
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
  await close(handle, (await stack.now()).slice(0, 7));
  const table = await loadWorkdayTable(stack.db, today, addDaysToDate(today, 60));
  const level1 = signOffReminder(await handle.query(taskStateQuery), input.policy, table)!;
  expect(level1.level).toBe(1);

  await sleepUntil(stack, level1.at, -60_000);
  expect(await inbox(input.taskId, 'sign_off_reminder')).toHaveLength(0);
  await sleepUntil(stack, level1.at, 60_000);
  await eventually(async () => {
    const sent = await inbox(input.taskId, 'sign_off_reminder');
    expect(sent.map((n) => n.userId)).toEqual([org.headA.userId]);
    expect(sent[0]!.body).toContain('3个工作日');
  });
  // A week later: still the one reminder.
  await sleepUntil(stack, level1.at, 7 * 86_400_000);
  expect(await inbox(input.taskId, 'sign_off_reminder')).toHaveLength(1);

  // Level 1 signs: the office's own wait starts; signed in time, nobody is reminded again.
  await handle.executeUpdate(signOffUpdate, { args: [{ actor: org.headA, decision: 'approve' }] });
  const level2 = signOffReminder(await handle.query(taskStateQuery), input.policy, table)!;
  expect(level2.level).toBe(2);
  await handle.executeUpdate(signOffUpdate, { args: [{ actor: org.office, decision: 'approve' }] });
  await handle.executeUpdate(signOffUpdate, { args: [{ actor: org.leader, decision: 'approve' }] });
  await sleepUntil(stack, level2.at, 10 * 86_400_000);
  expect(await inbox(input.taskId, 'sign_off_reminder')).toHaveLength(1);
});

it('When a task is created 2,000 days past its deadline, then it escalates once, at the step reached (追责问责), with one notice', async () => {
  const today = dateOf(await stack.now());
  const { input } = await start({ deadlineDate: addDaysToDate(today, -2000) });
  await eventually(async () => {
    const notices = await stack.db.supervisionNotice.findMany({ where: { taskId: input.taskId } });
    expect(notices.map((n) => [n.kind, n.step])).toEqual([['escalation', 'accountability']]);
  });
  // A day later nothing more: the four earlier steps were skipped, not sent late.
  await sleepUntil(stack, await stack.now(), 86_400_000);
  expect(await stack.db.supervisionNotice.count({ where: { taskId: input.taskId } })).toBe(1);
  const audit = await stack.db.auditEvent.findMany({ where: { taskId: input.taskId }, select: { action: true } });
  expect(audit.filter((a) => a.action === 'EscalationStepReached')).toHaveLength(1);
  const escalations = await stack.db.notification.findMany({
    where: { taskId: input.taskId, kind: { startsWith: 'escalation_' } },
  });
  expect(new Set(escalations.map((n) => n.kind))).toEqual(new Set(['escalation_accountability']));
  // One notice per recipient (the office, the leader and the supervisor of the ladder's last step).
  expect(escalations.filter((n) => n.userId === org.office.userId)).toHaveLength(1);
  expect(escalations.filter((n) => n.userId === org.leader.userId)).toHaveLength(1);
  // Red from the start, told once.
  expect(
    await inbox(input.taskId, 'light_red').then((n) => n.filter((x) => x.userId === org.office.userId)),
  ).toHaveLength(1);
});

it('When the light turns red, back and red again, then the office and the lead unit are told once per turn, and every change is on record', async () => {
  const { projectLight } = createActivities({ db: stack.db });
  const input = await createTaskRow(stack.db, org, {
    deadline: { kind: 'date', date: '2030-06-30' },
    assignedAt: await stack.now(),
  });
  const state: TaskState = initialState({ ...input, signOffChain: input.signOffChain });
  const base = Date.parse(await stack.now());
  await stack.db.task.update({
    where: { id: input.taskId },
    data: { stateJson: JSON.parse(JSON.stringify(state)) as object, updatedAt: new Date(base) },
  });
  const project = async (trafficLight: 'green' | 'yellow' | 'red', hours: number) =>
    projectLight({
      taskId: input.taskId,
      trafficLight,
      lightChangesAt: null,
      at: new Date(base + hours * 3600_000).toISOString(),
    });
  await project('red', 1);
  await project('red', 1); // the same write again (a retried activity)
  await project('red', 2);
  await project('yellow', 3);
  await project('red', 4);
  await project('red', 5);

  const changes = await stack.db.taskLightChange.findMany({ where: { taskId: input.taskId }, orderBy: { at: 'asc' } });
  expect(changes.map((c) => [c.fromLight, c.toLight])).toEqual([
    ['green', 'red'],
    ['red', 'yellow'],
    ['yellow', 'red'],
  ]);
  expect(changes.every((c) => c.reason.length > 0)).toBe(true);
  const told = await inbox(input.taskId, 'light_red');
  // Two turns to red, each told to the office (role office of the office unit) and to the lead unit's people.
  expect(told.filter((n) => n.userId === org.office.userId)).toHaveLength(2);
  expect(told.filter((n) => n.userId === org.staffA.userId)).toHaveLength(2);
  expect(told.filter((n) => n.userId === org.leader.userId)).toHaveLength(0);
  expect(told[0]!.title).toContain('【红灯】');
});

it('When tasks plan dates in a year without official calendar data, then the office is told once for that year, however many tasks', async () => {
  const today = dateOf(await stack.now());
  const deadlineDate = addDaysToDate(today, 300);
  const year = Number(deadlineDate.slice(0, 4));
  const covered = officialCalendar().years.includes(year);
  await start({ deadlineDate });
  const { input } = await start({ deadlineDate });
  await eventually(async () => {
    expect(await stack.db.auditEvent.count({ where: { taskId: input.taskId, action: 'TaskAssigned' } })).toBe(1);
  });
  await sleepUntil(stack, await stack.now(), 3600_000);
  const told = await stack.db.notification.findMany({
    where: { kind: 'calendar_no_data', userId: org.office.userId, title: { contains: `${year}年` } },
  });
  // With the package's data (2004–2026) a deadline 300 days after December 2026 falls in a year it lacks.
  expect(told).toHaveLength(covered ? 0 : 1);
  if (!covered) expect(told[0]!.body).toContain('周一至周五');
});
