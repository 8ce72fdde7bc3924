/**
 * A report due on a day off is due on the next working day in the decisions too: filed on the moved day it is on
 * time, not 逾期报送, and it cannot be marked overdue before the moved day ends. Without the working-day table (runs
 * from before the calendar) the plain due day applies, as recorded.
 */
import { decide, evolve, type TaskState } from '../../domain/task';
import { buildWorkdayTable } from '../../domain/workdays';
import { officialCalendar } from '../../activities/calendar';
import { newTask, policy, sh, staff } from './taskHelpers';

const { days, years } = officialCalendar();
const table = buildWorkdayTable({
  from: '2026-09-01',
  to: '2026-12-31',
  official: days,
  officialYears: years,
  overrides: [],
});
const duePolicy = { ...policy, reportDueDay: 25, dueDayRule: 'next_workday' as const };

function acknowledged(): TaskState {
  let state = newTask({ deadline: { kind: 'date', date: '2026-12-31' } });
  const now = sh('2026-10-09 09:00');
  for (const command of [{ type: 'assign' as const }, { type: 'acknowledge' as const, actor: staff }]) {
    const result = decide(state, command, { now, policy: duePolicy });
    if (!result.ok) throw new Error(result.error.message);
    state = result.value.reduce(evolve, state);
  }
  return state;
}

const submit = (state: TaskState, now: string, withTable: boolean) =>
  decide(
    state,
    { type: 'submitReport', actor: staff, period: '2026-10', progress: '进展', reportId: 'r1' },
    { now, policy: duePolicy, ...(withTable ? { workdays: table } : {}) },
  );

it('When the 25th is a Sunday, then a report filed on Monday the 26th is on time with the table, late without', () => {
  const state = acknowledged();
  const monday = sh('2026-10-26 15:00');
  const onTime = submit(state, monday, true);
  const plain = submit(state, monday, false);
  if (!onTime.ok || !plain.ok) throw new Error('refused');
  expect(onTime.value[0]).toMatchObject({ type: 'ReportSubmitted', late: false });
  expect(plain.value[0]).toMatchObject({ type: 'ReportSubmitted', late: true });
  const tuesday = submit(state, sh('2026-10-27 09:00'), true);
  if (!tuesday.ok) throw new Error('refused');
  expect(tuesday.value[0]).toMatchObject({ late: true });
});

it('When the moved due day has not ended, then the report cannot be marked overdue yet', () => {
  const state = acknowledged();
  const overdue = (now: string) =>
    decide(state, { type: 'reportOverdue', period: '2026-10' }, { now, policy: duePolicy, workdays: table });
  expect(overdue(sh('2026-10-26 12:00')).ok).toBe(false);
  const after = overdue(sh('2026-10-27 00:00'));
  expect(after.ok).toBe(true);
  if (after.ok) expect(after.value[0]).toMatchObject({ type: 'ReportOverdue', dueAt: '2026-10-26T16:00:00.000Z' });
});
