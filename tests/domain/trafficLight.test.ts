import fc from 'fast-check';
import { addDaysToInstant, compareInstants } from '../../domain/calendar';
import { ZCampaignPolicy, type TCampaignPolicy } from '../../domain/policy';
import { applyCommand, deadlineInstant, nextReportDue, type TaskCommand, type TaskState } from '../../domain/task';
import { computeTrafficLight, nextLightChange } from '../../domain/trafficLight';
import { head, headB, leader, newTask, officer, sh, staff, staffB, supervisor, Run } from './taskHelpers';

const DAY_MS = 24 * 3600 * 1000;
const light = (state: TaskState, policy: TCampaignPolicy, now: string) => computeTrafficLight(state, { now, policy });

describe('nextLightChange: examples', () => {
  it('a dated task turns yellow at deadline minus the warning window, red at the deadline, then never changes', () => {
    const run = new Run(newTask({ deadline: { kind: 'date', date: '2021-06-30' } }));
    run.at('2021-03-11 09:00').do({ type: 'acknowledge', actor: staff });
    const policy = ZCampaignPolicy.parse({});
    // Reports keep it green: one in each month.
    for (const p of ['2021-03', '2021-04', '2021-05', '2021-06']) {
      run.at(`${p}-02 09:00`).do({ type: 'submitReport', actor: staff, period: p, progress: 'ok', reportId: p });
    }
    const deadline = deadlineInstant(run.state)!;
    expect(deadline).toBe(sh('2021-07-01 00:00'));
    const yellowAt = addDaysToInstant(deadline, -14);
    const before = addDaysToInstant(yellowAt, -1 / DAY_MS);
    expect(light(run.state, policy, before)).toBe('green');
    expect(light(run.state, policy, yellowAt)).toBe('yellow');
    // From early June, the next change is the start of the warning window (no report due before it).
    expect(nextLightChange(run.state, policy, sh('2021-06-10 09:00'))).toBe(yellowAt);
    expect(nextLightChange(run.state, policy, yellowAt)).toBe(deadline);
    expect(light(run.state, policy, deadline)).toBe('red');
    expect(nextLightChange(run.state, policy, deadline)).toBeNull();
  });

  it('a report past its due instant turns the light yellow then', () => {
    const run = new Run(newTask({ deadline: { kind: 'date', date: '2022-06-30' } }));
    run.at('2021-03-11 09:00').do({ type: 'acknowledge', actor: staff });
    const policy = ZCampaignPolicy.parse({});
    const due = nextReportDue(run.state, policy, run.now)!;
    expect(nextLightChange(run.state, policy, run.now)).toBe(due.dueAt);
    expect(light(run.state, policy, run.now)).toBe('green');
    expect(light(run.state, policy, due.dueAt)).toBe('yellow');
  });

  it('closed and verified tasks, and red ones, have no next change', () => {
    const policy = ZCampaignPolicy.parse({});
    const overdue = { ...newTask(), status: 'OVERDUE' as const, overdue: true };
    expect(nextLightChange(overdue, policy, sh('2021-04-01 00:00'))).toBeNull();
    const closed = { ...newTask(), status: 'CLOSED' as const };
    expect(nextLightChange(closed, policy, sh('2021-04-01 00:00'))).toBeNull();
  });
});

// ---- Property: the light is constant on [now, next) for random states, policies and instants. ----

const periods = ['2021-03', '2021-04', '2021-05', '2021-06', '2021-09', '2022-01', '2022-06', '2022-07', '2023-03'];
const period = fc.constantFrom(...periods);
const signers = fc.constantFrom(head, officer, leader, headB);
const command: fc.Arbitrary<TaskCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ type: 'acknowledge' as const, actor: staff }) },
  {
    weight: 4,
    arbitrary: fc.record({ p: period, a: fc.constantFrom(staff, staffB) }).map(({ p, a }) => ({
      type: 'submitReport' as const,
      actor: a,
      period: p,
      progress: 'progress',
      reportId: `r-${p}`,
    })),
  },
  {
    weight: 2,
    arbitrary: fc.record({ p: period, d: fc.constantFrom('accept' as const, 'return' as const) }).map(({ p, d }) => ({
      type: 'reviewReport' as const,
      actor: officer,
      period: p,
      decision: d,
      reason: 'why',
    })),
  },
  { weight: 2, arbitrary: period.map((p) => ({ type: 'reportOverdue' as const, period: p })) },
  { weight: 2, arbitrary: fc.constant({ type: 'deadlinePassed' as const }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('supervision_notice', 'interview', 'listed_supervision' as const).map((step) => ({
      type: 'escalate' as const,
      step,
      actor: supervisor,
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('2021-05-20', '2021-08-31', '2022-03-31', '2023-01-15')
      .map((newDate) => ({ type: 'requestExtension' as const, actor: staff, newDate, reason: 'more time' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(officer, leader)
      .map((a) => ({ type: 'decideExtension' as const, actor: a, decision: 'approve' as const })),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('app-1', 'app-2').map((applicationId) => ({
      type: 'requestClosure' as const,
      actor: staff,
      summary: 'done',
      applicationId,
    })),
  },
  {
    weight: 5,
    arbitrary: signers.map((a) => ({ type: 'signOff' as const, actor: a, decision: 'approve' as const })),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'lookBackDue' as const }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('consolidated' as const, 'rebound' as const).map((verdict) => ({
      type: 'lookBackVerdict' as const,
      actor: officer,
      verdict,
      reason: 'checked',
      newDeadlineDate: '2023-06-30',
    })),
  },
);
/** Clock moves before each command: minutes up to ~5 months, so schedules age past the one-year skip too. */
const gap = fc.oneof(fc.integer({ min: 0, max: 3 * 24 * 60 }), fc.integer({ min: 0, max: 150 * 24 * 60 }));
const policies = fc
  .record({
    warningWindowDays: fc.constantFrom(0, 14, 45),
    reportDueDay: fc.constantFrom(1, 25, 31),
    longTermCadenceMonths: fc.constantFrom(1, 6),
    reminderDaysBefore: fc.constantFrom(0, 3),
  })
  .map((p) => ZCampaignPolicy.parse(p));
const deadlines = fc.constantFrom(
  { kind: 'date' as const, date: '2021-06-30' },
  { kind: 'date' as const, date: '2022-12-31' },
  { kind: 'long_term' as const },
  { kind: 'date_then_long_term' as const, date: '2021-05-31' },
  { kind: 'immediate' as const, date: '2021-03-25' },
);

function stateAfter(start: TaskState, policy: TCampaignPolicy, steps: [TaskCommand, number][]) {
  let state = start;
  let now = sh('2021-03-11 09:00');
  for (const [cmd, minutes] of steps) {
    now = addDaysToInstant(now, minutes / (24 * 60));
    const result = applyCommand(state, cmd, { now, policy });
    if (result.ok) state = result.value.state;
  }
  return { state, now };
}

describe('nextLightChange: property', () => {
  it('the light is constant from now until the instant it names, for random states, policies and instants', () => {
    const seen = { changedAtNext: 0, withNext: 0, never: 0, lights: new Set<string>() };
    fc.assert(
      fc.property(
        deadlines,
        policies,
        fc.array(fc.tuple(command, gap), { minLength: 0, maxLength: 30 }),
        fc.integer({ min: 0, max: 900 * 24 * 60 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (deadline, policy, steps, laterMinutes, fractions) => {
          const { state, now: last } = stateAfter(newTask({ deadline }), policy, steps);
          const now = addDaysToInstant(last, laterMinutes / (24 * 60));
          const at = light(state, policy, now);
          seen.lights.add(at);
          const next = nextLightChange(state, policy, now);
          if (next !== null) expect(compareInstants(next, now)).toBe(1);
          // Up to the next change, or three years when there is none.
          const end = next ?? addDaysToInstant(now, 3 * 365);
          const span = Date.parse(end) - Date.parse(now);
          const samples = [now, new Date(Date.parse(end) - 1).toISOString()];
          for (const f of fractions) samples.push(new Date(Date.parse(now) + Math.floor(f * span)).toISOString());
          for (const t of samples) {
            if (compareInstants(t, now) < 0 || compareInstants(t, end) >= 0) continue;
            expect({ t, light: light(state, policy, t) }).toEqual({ t, light: at });
          }
          if (next === null) {
            seen.never++;
          } else {
            seen.withNext++;
            if (light(state, policy, next) !== at) seen.changedAtNext++;
            // Asking again at the change moves on: the workflow's wake-ups never repeat an instant.
            const after = nextLightChange(state, policy, next);
            if (after !== null) expect(compareInstants(after, next)).toBe(1);
          }
        },
      ),
      { numRuns: 1500 },
    );
    // Not vacuous: every light occurs, many states have a next change and the light often does change there.
    expect([...seen.lights].sort()).toEqual(['green', 'red', 'yellow']);
    expect(seen.withNext).toBeGreaterThan(300);
    expect(seen.never).toBeGreaterThan(50);
    expect(seen.changedAtNext).toBeGreaterThan(50);
  });
});
