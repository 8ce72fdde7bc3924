/**
 * The task's timed steps: which timer-driven step comes next (report reminder and overdue, deadline, escalation
 * ladder, warning letters, sign-off reminder, look-back, the light's next change) and what it does when its time
 * comes. Planned afresh from the current state at every turn of the workflow's timer loop (workflows/taskLifecycle.ts),
 * which owns the state, the projection chain and the record of steps taken; this module only reads them, through
 * `TTimedStepPlan`. Workflow code: deterministic, no I/O of its own (its steps act through the activities handed in).
 */
import {
  decide,
  deadlineInstant,
  deadlineWarnings,
  currentSigner,
  escalationStepsDue,
  lookBackAt,
  nextReportDue,
  reportDueDate,
  signOffReminder,
  stepReached,
  type DecideContext,
  type TaskEvent,
  type TaskState,
} from '../domain/task';
import { log } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { dateOf, dueInstant } from '../domain/calendar';
import { deadlineDate } from '../domain/deadline';
import { nextLightChange } from '../domain/trafficLight';
import type { TWorkdayTable } from '../domain/workdays';
import { laterOf, type TimedStep, type TTaskLifecycleInput } from './lifecycleInput';

type TNotify = ReturnType<typeof createActivities>['notify'];

/** What the planning reads of the running workflow, and how its steps act. */
export interface TTimedStepPlan {
  input: TTaskLifecycleInput;
  workflowId: string;
  /** The task's state as it is now: read when planning and again when a step runs. */
  state: () => TaskState;
  /** The working-day calendar as last read, when the run plans on it (patch 'workday-calendar'). */
  calendar: () => TWorkdayTable | null;
  /** Steps already taken (carried across runs); a step that skips earlier ones records them here. */
  done: Set<string>;
  onCalendar: boolean;
  fromStepReached: boolean;
  storedLight: boolean;
  now: () => string;
  ctx: () => DecideContext;
  commit: (events: TaskEvent[]) => Promise<void>;
  /** The notify activity as the run calls it, and the same queued behind the projections. */
  notify: TNotify;
  notifyQueued: (arg: Parameters<TNotify>[0]) => Promise<void>;
  projectLightNow: () => Promise<void>;
}

/** The earliest timer-driven step not yet taken: report reminder / overdue, deadline, escalation, look-back. */
export function nextTimedStep(plan: TTimedStepPlan): TimedStep | null {
  const { input, workflowId, done, now, ctx, commit, notify, notifyQueued, onCalendar, fromStepReached } = plan;
  const current = plan.state;
  const calendar = plan.calendar();
  const candidates: TimedStep[] = [];
  const table = onCalendar && calendar ? calendar : undefined;
  /** Dates the plan rests on, checked against the years the calendar has no official data for. */
  const planned: string[] = [];
  const due = nextReportDue(current(), input.policy, now(), table);
  if (due && table) planned.push(reportDueDate(due.period, input.policy, table));
  if (due) {
    const reminderKey = `reminder:${current().round}:${due.period}`;
    if (!done.has(reminderKey)) {
      candidates.push({
        key: reminderKey,
        at: due.reminderAt,
        // Queued behind projections on the calendar's runs (see notifyQueued); as recorded on older runs.
        run: () =>
          (onCalendar ? notifyQueued : notify)({
            idempotencyKey: `${workflowId}:${reminderKey}`,
            taskId: input.taskId,
            kind: 'report_reminder',
            // Rendered by the notify activity with the task's names; these are its fallback.
            title: `【报送提醒】${due.period} 整改进展`,
            body: `请报送“${input.title}”${due.period}的整改进展。查看：/tasks/${input.taskId}`,
            link: `/tasks/${input.taskId}`,
            text: { kind: 'report_reminder', period: due.period, dueAt: due.dueAt },
            recipients: [{ unitId: current().leadUnitId }],
            at: now(),
          }).then(() => undefined),
      });
    }
    const overdueKey = `overdue:${current().round}:${due.period}`;
    if (!done.has(overdueKey)) {
      candidates.push({
        key: overdueKey,
        // The rules mark a report overdue only after its plain due day: a due day brought forward to the previous
        // working day is asked for earlier, but marked overdue no sooner than before.
        at: table ? laterOf(due.dueAt, dueInstant(due.period, input.policy.reportDueDay)) : due.dueAt,
        run: async () => {
          const result = decide(current(), { type: 'reportOverdue', period: due.period }, ctx());
          if (result.ok) await commit(result.value);
        },
      });
    }
  }
  const deadline = deadlineInstant(current());
  if (deadline && !current().overdue) {
    candidates.push({
      key: `deadline:${current().round}:${deadline}`,
      at: deadline,
      run: async () => {
        const result = decide(current(), { type: 'deadlinePassed' }, ctx());
        if (result.ok) await commit(result.value);
      },
    });
  }
  if (current().overdue && deadline) {
    const steps = escalationStepsDue(input.policy, deadline)
      .map((step) => ({ ...step, key: `escalation:${current().round}:${deadline}:${step.step}` }))
      .filter((step) => !done.has(step.key));
    // From the step reached: of the steps already due, only the last is taken; the earlier ones are skipped.
    const skipped = fromStepReached ? stepReached(steps, now()).skipped : [];
    for (const step of steps) {
      if (skipped.includes(step)) continue;
      candidates.push({
        key: step.key,
        at: step.at,
        run: async () => {
          for (const s of skipped) done.add(s.key);
          const result = decide(current(), { type: 'escalate', step: step.step }, ctx());
          if (result.ok) await commit(result.value);
        },
      });
    }
  }
  if (table) {
    calendarSteps(plan, table, candidates, planned);
    const dated = deadlineInstant(current()) ? deadlineDate(current().deadline) : null;
    if (dated) planned.push(dated);
    for (const year of new Set(planned.map((d) => Number(d.slice(0, 4))))) {
      if (!table.noDataYears.includes(year)) continue;
      const key = `calendar-no-data:${year}`;
      if (!done.has(key)) candidates.push({ key, at: now(), run: () => warnNoCalendarData(plan, year) });
    }
  }
  const lookBack = lookBackAt(current(), input.policy);
  if (lookBack) {
    const key = `lookback:${current().round}`;
    if (!done.has(key)) {
      candidates.push({
        key,
        at: lookBack,
        run: async () => {
          const result = decide(current(), { type: 'lookBackDue' }, ctx());
          if (result.ok) await commit(result.value);
        },
      });
    }
  }
  if (plan.storedLight) {
    // Last among equals (the sort is stable): a step due at the same instant projects the light with its events.
    const lightAt = nextLightChange(current(), input.policy, now());
    if (lightAt) candidates.push({ key: `light:${lightAt}`, at: lightAt, transient: true, run: plan.projectLightNow });
  }
  candidates.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return candidates[0] ?? null;
}

/** The warning letters before the deadline and the sign-off reminder, on the working-day calendar. */
function calendarSteps(plan: TTimedStepPlan, table: TWorkdayTable, candidates: TimedStep[], planned: string[]): void {
  const { input, workflowId, done, now, notifyQueued } = plan;
  const current = plan.state;
  const warnings = deadlineWarnings(current(), input.policy, table)
    .map((w) => ({ ...w, key: `warning:${current().round}:${w.deadlineDate}:${w.workdays}` }))
    .filter((w) => !done.has(w.key));
  // A letter missed (the task did not exist yet, or the worker was down) is not sent late: only the latest due.
  const { skipped } = stepReached(warnings, now());
  for (const w of warnings) {
    planned.push(w.date);
    if (skipped.includes(w)) continue;
    candidates.push({
      key: w.key,
      at: w.at,
      run: async () => {
        for (const s of skipped) done.add(s.key);
        await notifyQueued({
          idempotencyKey: `${workflowId}:${w.key}`,
          taskId: input.taskId,
          kind: 'deadline_warning',
          // Rendered by the notify activity with the task's names; these are its fallback.
          title: `【整改期限预警】距整改期限还有${w.workdays}个工作日`,
          body: `“${input.title}”的整改期限为${w.deadlineDate}，距今还有${w.workdays}个工作日。查看：/tasks/${input.taskId}`,
          link: `/tasks/${input.taskId}`,
          text: { kind: 'deadline_warning', letter: w.letter, workdays: w.workdays, deadlineDate: w.deadlineDate },
          recipients: [
            { unitId: current().leadUnitId, role: 'unit_staff' },
            { unitId: current().leadUnitId, role: 'unit_head' },
          ],
          at: now(),
        });
      },
    });
  }
  const signOff = signOffReminder(current(), input.policy, table);
  const signer = currentSigner(current());
  if (signOff && signer) {
    const key = `sign-off-reminder:${current().round}:${signOff.applicationId}:${signOff.level}`;
    planned.push(dateOf(signOff.at));
    if (!done.has(key)) {
      candidates.push({
        key,
        at: signOff.at,
        run: async () => {
          await notifyQueued({
            idempotencyKey: `${workflowId}:${key}`,
            taskId: input.taskId,
            kind: 'sign_off_reminder',
            title: '【签批提醒】销号申请待签批',
            body: `“${input.title}”的销号申请已等待签批${signOff.workdays}个工作日。查看：/tasks/${input.taskId}`,
            link: `/tasks/${input.taskId}`,
            text: { kind: 'sign_off_reminder', level: signOff.level, workdays: signOff.workdays },
            recipients: [signer.userId ? { userId: signer.userId } : { unitId: signer.unitId, role: signer.role }],
            at: now(),
          });
        },
      });
    }
  }
}

/**
 * A date of this task's plan falls in a year without official calendar data: said in the log, and to the office
 * once per year (the key is the office's and the year's, so every task of the office shares the one notice).
 */
async function warnNoCalendarData(plan: TTimedStepPlan, year: number): Promise<void> {
  const { input, now, notifyQueued } = plan;
  // At debug: every task with a date in that year comes here (at WARN, a plan of 10,000 measures printed 10,000
  // warnings); the office is told once by the notice below, the administrator by the calendar page's coverage.
  log.debug('calendar: a lifecycle date falls in a year without official data; weekdays assumed', { year });
  await notifyQueued({
    idempotencyKey: `calendar-no-data:${input.officeUnitId}:${year}`,
    kind: 'calendar_no_data',
    title: `【工作日历】${year}年节假日安排尚无数据`,
    body:
      `有整改任务的日期落在${year}年，而该年尚无官方节假日安排数据：暂按周一至周五为工作日计算。` +
      `请系统管理员在国务院办公厅公布安排后录入节假日调整（系统管理 → 工作日历）。`,
    recipients: [{ unitId: input.officeUnitId, role: 'office' }],
    at: now(),
  });
}
