import fc from 'fast-check';
import { officialCalendar } from '../../activities/calendar';
import { addDaysToInstant, endOfDayInstant } from '../../domain/calendar';
import { buildWorkdayTable } from '../../domain/workdays';
import {
  daysOverdue,
  deadlineInstant,
  deadlineWarnings,
  nextReminder,
  signOffReminder,
  stepReached,
  escalationStepsDue,
  firstReportPeriod,
  initialState,
  lookBackAt,
  nextReportDue,
  reportDueInstant,
  signOffDueAt,
  decide,
} from '../../domain/task';
import { computeTrafficLight, countTrafficLights, hasLateReport } from '../../domain/trafficLight';
import { Run, head, newTask, officer, policy, sh, staff, supervisor } from './taskHelpers';

const report = (period: string, reportId = `r-${period}`) =>
  ({ type: 'submitReport', actor: staff, period, progress: 'p', reportId }) as const;

describe('nextReportDue', () => {
  it('the first period is the assignment month unless the reminder has already gone', () => {
    expect(firstReportPeriod(sh('2021-03-10 10:00'), policy)).toBe('2021-03');
    expect(firstReportPeriod(sh('2021-03-22 23:59'), policy)).toBe('2021-03');
    expect(firstReportPeriod(sh('2021-03-23 00:00'), policy)).toBe('2021-04');
    expect(firstReportPeriod(sh('2021-12-28 10:00'), policy)).toBe('2022-01');
  });

  it('monthly while working: reminder 3 days before the end of the 25th (Shanghai)', () => {
    const run = new Run(newTask());
    expect(nextReportDue(run.state, policy, run.now)).toEqual({
      period: '2021-03',
      reminderAt: '2021-03-22T16:00:00.000Z',
      dueAt: '2021-03-25T16:00:00.000Z',
    });
    run.do({ type: 'acknowledge', actor: staff });
    run.at('2021-03-20 10:00').do(report('2021-03'));
    expect(nextReportDue(run.state, policy, run.now)?.period).toBe('2021-04');
  });

  it('a returned report stays owed; an overdue one is settled and the schedule moves on', () => {
    const run = new Run(newTask()).at('2021-03-20 10:00');
    run.do(report('2021-03'));
    run.do({ type: 'reviewReport', actor: officer, period: '2021-03', decision: 'return', reason: 'thin' });
    expect(nextReportDue(run.state, policy, run.now)?.period).toBe('2021-03');
    run.at('2021-03-26 00:00').do({ type: 'reportOverdue', period: '2021-03' });
    expect(nextReportDue(run.state, policy, run.now)?.period).toBe('2021-04');
  });

  it('none while the close-out is being signed or once closed', () => {
    const run = new Run(newTask()).toClosureRequested();
    expect(nextReportDue(run.state, policy, run.now)).toBeNull();
    run.signAll();
    expect(run.state.status).toBe('CLOSED');
    expect(nextReportDue(run.state, policy, run.now)).toBeNull();
  });

  it('every longTermCadenceMonths in LONG_TERM', () => {
    const run = new Run(newTask({ deadline: { kind: 'long_term' } })).toClosureRequested().signAll();
    expect(run.state.longTermSince).toBe(sh('2021-04-02 10:00'));
    expect(nextReportDue(run.state, policy, run.now)?.period).toBe('2021-10');
    run.at('2021-10-20 10:00').do(report('2021-10'));
    expect(nextReportDue(run.state, policy, run.now)).toMatchObject({
      period: '2022-04',
      dueAt: '2022-04-25T16:00:00.000Z',
    });
    expect(nextReportDue(run.state, { ...policy, longTermCadenceMonths: 3 }, run.now)?.period).toBe('2021-07');
  });

  it('a task assigned long ago starts its schedule within a year of now instead of replaying every month', () => {
    const state = { ...newTask(), assignedAt: sh('2015-01-05 10:00'), roundStartedAt: sh('2015-01-05 10:00') };
    expect(nextReportDue(state, policy, sh('2021-03-10 10:00'))?.period).toBe('2020-03');
  });
});

describe('deadlineInstant, lookBackAt, escalation ladder', () => {
  it('the deadline instant is the end of the deadline day while it applies', () => {
    const run = new Run(newTask());
    expect(deadlineInstant(run.state)).toBe(endOfDayInstant('2021-06-30'));
    expect(deadlineInstant(newTask({ deadline: { kind: 'long_term' } }))).toBeNull();
    run.toClosureRequested();
    expect(deadlineInstant(run.state)).toBe('2021-06-30T16:00:00.000Z');
    run.signAll();
    expect(deadlineInstant(run.state)).toBeNull();
  });

  it('look-back: closure + lookBackDelayMonths, only while CLOSED and not yet raised', () => {
    expect(lookBackAt('2021-08-31T03:00:00.000Z', policy)).toBe('2022-02-28T03:00:00.000Z');
    const run = new Run(newTask());
    expect(lookBackAt(run.state, policy)).toBeNull();
    run.toClosureRequested().signAll();
    expect(lookBackAt(run.state, policy)).toBe(sh('2021-10-02 10:00'));
    run.at('2021-10-03 00:00').do({ type: 'lookBackDue' });
    expect(lookBackAt(run.state, policy)).toBeNull();
  });

  it('escalation steps reached by a number of days, and scheduled from a deadline', () => {
    expect(escalationStepsDue(policy, 0).map((s) => s.step)).toEqual(['supervision_notice']);
    expect(escalationStepsDue(policy, 59).map((s) => s.step)).toEqual(['supervision_notice', 'interview', 'exposure']);
    expect(escalationStepsDue(policy, 365)).toHaveLength(5);
    const scheduled = escalationStepsDue(policy, '2021-06-30T16:00:00.000Z');
    expect(scheduled.map((s) => [s.step, s.at])).toEqual([
      ['supervision_notice', '2021-06-30T16:00:00.000Z'],
      ['interview', '2021-07-30T16:00:00.000Z'],
      ['exposure', '2021-08-14T16:00:00.000Z'],
      ['listed_supervision', '2021-08-29T16:00:00.000Z'],
      ['accountability', '2021-09-28T16:00:00.000Z'],
    ]);
  });

  it('each sign-off level is due signOffDaysPerLevel after the application reached it', () => {
    const run = new Run(newTask());
    expect(signOffDueAt(run.state, policy)).toBeNull();
    run.toClosureRequested();
    expect(signOffDueAt(run.state, policy)).toEqual({ level: 1, dueAt: sh('2021-04-09 10:00') });
    run.at('2021-04-05 15:00').do({ type: 'signOff', actor: head, decision: 'approve' });
    expect(signOffDueAt(run.state, policy)).toEqual({ level: 2, dueAt: sh('2021-04-12 15:00') });
  });

  it('daysOverdue counts whole days from the deadline instant', () => {
    const state = newTask();
    expect(daysOverdue(state, sh('2021-06-30 12:00'))).toBeNull();
    expect(daysOverdue(state, sh('2021-07-01 00:00'))).toBe(0);
    expect(daysOverdue(state, sh('2021-07-31 00:00'))).toBe(30);
  });
});

describe('traffic light', () => {
  /** Working on time: reports in for March, April and May. */
  function onTrack(): Run {
    const run = new Run(newTask());
    run.do({ type: 'acknowledge', actor: staff });
    for (const [period, when] of [
      ['2021-03', '2021-03-20 10:00'],
      ['2021-04', '2021-04-20 10:00'],
      ['2021-05', '2021-05-20 10:00'],
    ]) {
      run.at(when).do(report(period));
    }
    return run;
  }
  const light = (run: Run, local: string) => computeTrafficLight(run.state, { now: sh(local), policy });

  it('green on track, yellow inside the warning window, red once the deadline has passed', () => {
    const run = onTrack();
    expect(light(run, '2021-05-21 09:00')).toBe('green');
    expect(light(run, '2021-06-16 23:59')).toBe('green');
    expect(light(run, '2021-06-17 00:00')).toBe('yellow');
    // Red as soon as the deadline passes, even before the timer marks the task overdue.
    expect(light(run, '2021-07-01 00:00')).toBe('red');
    run.at('2021-07-01 00:00').do({ type: 'deadlinePassed' });
    expect(light(run, '2021-07-01 00:00')).toBe('red');
  });

  it('yellow when a report is late', () => {
    const run = onTrack();
    expect(hasLateReport(run.state, policy, sh('2021-05-26 00:00'))).toBe(false);
    const fresh = new Run(newTask());
    fresh.do({ type: 'acknowledge', actor: staff });
    expect(light(fresh, '2021-03-25 23:59')).toBe('green');
    expect(light(fresh, '2021-03-26 00:00')).toBe('yellow');
    fresh.at('2021-03-26 00:00').do({ type: 'reportOverdue', period: '2021-03' });
    expect(light(fresh, '2021-03-27 00:00')).toBe('yellow');
    fresh.at('2021-03-28 10:00').do(report('2021-03'));
    expect(light(fresh, '2021-03-28 10:00')).toBe('green');
  });

  it('red under listed supervision; green once closed', () => {
    const run = onTrack().at('2021-08-30 00:00');
    run.do({ type: 'deadlinePassed' });
    run.do({ type: 'escalate', step: 'listed_supervision', actor: supervisor });
    expect(
      computeTrafficLight(
        { ...run.state, overdue: false, status: 'IN_PROGRESS' },
        { now: sh('2021-05-21 09:00'), policy },
      ),
    ).toBe('red');
    const closed = new Run(newTask()).toClosureRequested().signAll();
    expect(light(closed, '2021-08-01 00:00')).toBe('green');
  });

  it('counts lights per campaign', () => {
    expect(countTrafficLights(['green', 'red', 'green', 'yellow'])).toEqual({ green: 2, yellow: 1, red: 1 });
  });

  it('a pure long-term task is never red for lack of a date', () => {
    const state = initialState({ ...newTask(), deadline: { kind: 'long_term' }, signOffChain: policy.signOffLevels });
    expect(computeTrafficLight(state, { now: sh('2021-03-11 09:00'), policy })).toBe('green');
  });
});

describe('working-day reminders, warning letters and the step reached', () => {
  const { days, years } = officialCalendar();
  const y2021 = buildWorkdayTable({
    from: '2021-01-01',
    to: '2021-12-31',
    official: days,
    officialYears: years,
    overrides: [],
  });

  it('the 绿/黄/红 letters go out 20, 10 and 3 working days before the deadline, at 09:00 (端午 2021-06-14 skipped)', () => {
    const warnings = deadlineWarnings(newTask(), policy, y2021);
    expect(warnings.map((w) => [w.workdays, w.letter, w.date, w.at])).toEqual([
      [20, 'green', '2021-06-01', sh('2021-06-01 09:00')],
      [10, 'yellow', '2021-06-16', sh('2021-06-16 09:00')],
      [3, 'red', '2021-06-25', sh('2021-06-25 09:00')],
    ]);
    // Any list: sorted largest first, the last one red.
    expect(deadlineWarnings(newTask(), { ...policy, deadlineWarnings: [5, 15] }, y2021).map((w) => w.letter)).toEqual([
      'green',
      'red',
    ]);
    // A policy stored before the field reads with the default.
    const { deadlineWarnings: _omitted, ...old } = policy;
    expect(deadlineWarnings(newTask(), old as typeof policy, y2021)).toHaveLength(3);
  });

  it('no letters without a dated deadline or once the task is overdue', () => {
    expect(deadlineWarnings(newTask({ deadline: { kind: 'long_term' } }), policy, y2021)).toEqual([]);
    const run = new Run(newTask()).at('2021-07-01 00:00');
    run.do({ type: 'deadlinePassed' });
    expect(deadlineWarnings(run.state, policy, y2021)).toEqual([]);
  });

  it('a signer is reminded after signOffDaysPerLevel working days at its level (清明 2021-04-03..05 skipped)', () => {
    const run = new Run(newTask());
    expect(signOffReminder(run.state, policy, y2021)).toBeNull();
    run.toClosureRequested();
    expect(signOffReminder(run.state, policy, y2021)).toMatchObject({
      level: 1,
      workdays: 7,
      at: sh('2021-04-14 09:00'),
    });
    run.at('2021-04-05 15:00').do({ type: 'signOff', actor: head, decision: 'approve' });
    expect(signOffReminder(run.state, policy, y2021)).toMatchObject({ level: 2, at: sh('2021-04-14 09:00') });
  });

  it('a deadline 2,000 days past reaches the last step of the ladder only; the others are skipped', () => {
    const deadline = '2021-06-30T16:00:00.000Z';
    const now = addDaysToInstant(deadline, 2000);
    const { reached, skipped } = stepReached(escalationStepsDue(policy, deadline), now);
    expect(reached?.step).toBe('accountability');
    expect(skipped.map((s) => s.step)).toEqual(['supervision_notice', 'interview', 'exposure', 'listed_supervision']);
    // 50 days past: exposure (45) is the step reached; nothing later is touched.
    const at50 = stepReached(escalationStepsDue(policy, deadline), addDaysToInstant(deadline, 50));
    expect([at50.reached?.step, at50.skipped.map((s) => s.step)]).toEqual([
      'exposure',
      ['supervision_notice', 'interview'],
    ]);
    expect(stepReached(escalationStepsDue(policy, deadline), addDaysToInstant(deadline, -1))).toEqual({
      reached: null,
      skipped: [],
    });
  });

  it('the next reminder: report reminder, warning letter or sign-off reminder, whichever comes first', () => {
    const run = new Run(newTask()).at('2021-05-25 10:00');
    expect(nextReminder(run.state, policy, run.now, y2021)).toEqual({
      kind: 'deadline_warning',
      at: sh('2021-06-01 09:00'),
    });
    expect(nextReminder(run.state, policy, sh('2021-03-11 09:00'), y2021)).toEqual({
      kind: 'report_reminder',
      at: '2021-03-22T16:00:00.000Z',
    });
    const closing = new Run(newTask());
    closing.toClosureRequested();
    expect(nextReminder(closing.state, policy, sh('2021-04-06 10:00'), y2021)).toEqual({
      kind: 'sign_off_reminder',
      at: sh('2021-04-14 09:00'),
    });
  });

  it('report due dates follow dueDayRule with a table: 2021-04-25 is a Sunday made working day (劳动节调休)', () => {
    const run = new Run(newTask()).at('2021-04-01 10:00');
    run.do({ type: 'acknowledge', actor: staff });
    run.do(report('2021-03'));
    expect(nextReportDue(run.state, policy, run.now, y2021)?.dueAt).toBe(endOfDayInstant('2021-04-25'));
    const t = buildWorkdayTable({
      ...y2021,
      official: days,
      officialYears: years,
      overrides: [{ date: '2021-04-25', workday: false }],
    });
    expect(nextReportDue(run.state, policy, run.now, t)).toEqual({
      period: '2021-04',
      dueAt: endOfDayInstant('2021-04-26'),
      reminderAt: addDaysToInstant(endOfDayInstant('2021-04-26'), -3),
    });
  });
  // 2021-07-25 is a Sunday: under `next_workday` the July report falls due at the end of Monday the 26th.
  it('a report filed on the moved due day is on time when the decision sees the calendar (patch moved-due-day)', () => {
    const run = new Run(newTask()).at('2021-04-01 10:00');
    run.do({ type: 'acknowledge', actor: staff });
    const monday = { now: sh('2021-07-26 15:00'), policy };
    const filed = (ctx: Parameters<typeof decide>[2]) => {
      const result = decide(run.state, report('2021-07'), ctx);
      if (!result.ok) throw new Error(result.error.message);
      return (result.value[0] as { late: boolean }).late;
    };
    expect(filed({ ...monday, calendar: y2021 })).toBe(false);
    // Without the calendar (runs recorded before the patch): the plain due day, Sunday the 25th.
    expect(filed(monday)).toBe(true);
    expect(filed({ ...monday, now: sh('2021-07-27 00:01'), calendar: y2021 })).toBe(true);
    // Not overdue on Monday either; overdue from the end of Monday, and the event names that instant.
    const overdue = { type: 'reportOverdue', period: '2021-07' } as const;
    expect(decide(run.state, overdue, { ...monday, calendar: y2021 }).ok).toBe(false);
    const marked = decide(run.state, overdue, { ...monday, now: sh('2021-07-27 00:00'), calendar: y2021 });
    expect(marked.ok && marked.value[0]).toMatchObject({ type: 'ReportOverdue', dueAt: endOfDayInstant('2021-07-26') });
  });

  it('a due day brought forward (previous_workday) asks sooner but is late no sooner than the plain due day', () => {
    const earlier = { ...policy, dueDayRule: 'previous_workday' as const };
    expect(reportDueInstant('2021-07', { policy: earlier, calendar: y2021 })).toBe(endOfDayInstant('2021-07-25'));
    expect(reportDueInstant('2021-07', { policy, calendar: y2021 })).toBe(endOfDayInstant('2021-07-26'));
    expect(reportDueInstant('2021-07', { policy })).toBe(endOfDayInstant('2021-07-25'));
  });
});

describe('stepReached as a property', () => {
  it('takes the latest due item, skips every other due one, and leaves the future ones alone', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 3650 }), { minLength: 0, maxLength: 8 }),
        fc.integer({ min: -10, max: 4000 }),
        (offsets, nowDays) => {
          const deadline = '2021-06-30T16:00:00.000Z';
          const items = offsets.map((d) => ({ d, at: addDaysToInstant(deadline, d) }));
          const now = addDaysToInstant(deadline, nowDays);
          const { reached, skipped } = stepReached(items, now);
          const due = items.filter((i) => i.d <= nowDays);
          expect(reached?.d ?? null).toBe(due.length ? Math.max(...due.map((i) => i.d)) : null);
          expect(skipped.map((i) => i.d).sort((a, b) => a - b)).toEqual(
            due
              .map((i) => i.d)
              .filter((d) => d !== reached?.d)
              .sort((a, b) => a - b),
          );
        },
      ),
    );
  });
});
