/**
 * Working-day arithmetic over China's official calendar: the package's 2026 schedule, overrides, years without
 * data, and the rules as properties over random dates and tables.
 */
import fc from 'fast-check';
import { officialCalendar } from '../../activities/calendar';
import { addDaysToDate, makeDate } from '../../domain/calendar';
import { ZCampaignPolicy } from '../../domain/policy';
import { reportDueDate } from '../../domain/task';
import {
  addWorkdays,
  applyDueDayRule,
  buildWorkdayTable,
  calendarDay,
  dayOfWeek,
  isGuessed,
  isWorkday,
  nextWorkday,
  previousWorkday,
  workdaysBetween,
  type TOverride,
  type TWorkdayTable,
} from '../../domain/workdays';

function table(from: string, to: string, overrides: TOverride[] = []): TWorkdayTable {
  const { days, years } = officialCalendar();
  return buildWorkdayTable({ from, to, official: days, officialYears: years, overrides });
}

const y2026 = table('2026-01-01', '2026-12-31');

describe('the official 2026 schedule (chinese-days)', () => {
  it('2026-10-01 (国庆节) and 2026-09-27 (中秋, a Sunday) are not working days; Saturdays 2026-10-10 and 2026-02-14 are', () => {
    expect(calendarDay(y2026, '2026-10-01')).toEqual({
      date: '2026-10-01',
      workday: false,
      name: '国庆节',
      source: 'package',
    });
    expect(calendarDay(y2026, '2026-09-27')).toMatchObject({ workday: false, name: '中秋', source: 'package' });
    expect(dayOfWeek('2026-09-27')).toBe(0);
    expect(calendarDay(y2026, '2026-10-10')).toMatchObject({ workday: true, source: 'package' });
    expect(calendarDay(y2026, '2026-10-10').name).toContain('国庆节');
    expect(dayOfWeek('2026-10-10')).toBe(6);
    expect(calendarDay(y2026, '2026-02-14')).toMatchObject({ workday: true, source: 'package' });
    expect(dayOfWeek('2026-02-14')).toBe(6);
    // And the ordinary days around them follow the weekday rule.
    expect(calendarDay(y2026, '2026-10-12')).toEqual({ date: '2026-10-12', workday: true, source: 'weekday' });
    expect(calendarDay(y2026, '2026-10-11')).toEqual({ date: '2026-10-11', workday: false, source: 'weekday' });
  });

  it('the package has data for 2004–2026 and none for 2027 (which it would answer as plain weekdays)', () => {
    const { years } = officialCalendar();
    expect(years[0]).toBe(2004);
    expect(years[years.length - 1]).toBe(2026);
    const t = table('2026-12-01', '2027-12-31');
    expect(t.noDataYears).toEqual([2027]);
    expect(isGuessed(t, '2027-10-01')).toBe(true);
    expect(isGuessed(t, '2026-12-31')).toBe(false);
    expect(calendarDay(t, '2027-10-01')).toEqual({ date: '2027-10-01', workday: true, source: 'weekday' });
  });

  it('a report due on Sunday 2026-10-25 is due on Monday 2026-10-26; previous_workday brings it to Friday 23rd', () => {
    const policy = ZCampaignPolicy.parse({ reportDueDay: 25 });
    expect(policy.dueDayRule).toBe('next_workday');
    expect(reportDueDate('2026-10', policy, y2026)).toBe('2026-10-26');
    expect(reportDueDate('2026-10', { ...policy, dueDayRule: 'previous_workday' }, y2026)).toBe('2026-10-23');
    expect(reportDueDate('2026-10', { ...policy, dueDayRule: 'as_is' }, y2026)).toBe('2026-10-25');
    // Without a table (a run recorded before the calendar): the plain due day.
    expect(reportDueDate('2026-10', policy)).toBe('2026-10-25');
    // A due day in the National Day week moves past it: the 1st of October 2026 is due on Thursday the 8th.
    expect(reportDueDate('2026-10', { ...policy, reportDueDay: 1 }, y2026)).toBe('2026-10-08');
  });

  it('an override for 2027-10-01 moves a 2027 due date', () => {
    const policy = ZCampaignPolicy.parse({ reportDueDay: 1 });
    const plain = table('2027-01-01', '2027-12-31');
    expect(reportDueDate('2027-10', policy, plain)).toBe('2027-10-01');
    const overridden = table('2027-01-01', '2027-12-31', [{ date: '2027-10-01', workday: false, name: '国庆节' }]);
    expect(calendarDay(overridden, '2027-10-01')).toEqual({
      date: '2027-10-01',
      workday: false,
      name: '国庆节',
      source: 'override',
    });
    // Friday off, then the weekend: due on Monday the 4th.
    expect(reportDueDate('2027-10', policy, overridden)).toBe('2027-10-04');
  });

  it('an override wins over the package (a make-up Saturday given back as a rest day)', () => {
    const t = table('2026-01-01', '2026-12-31', [{ date: '2026-10-10', workday: false, name: '调整' }]);
    expect(calendarDay(t, '2026-10-10')).toMatchObject({ workday: false, source: 'override' });
  });

  it('counts working days across the National Day week', () => {
    expect(addWorkdays(y2026, '2026-10-09', -3)).toBe('2026-09-29');
    expect(addWorkdays(y2026, '2026-09-30', 1)).toBe('2026-10-08');
    expect(addWorkdays(y2026, '2026-10-09', 1)).toBe('2026-10-10');
    expect(workdaysBetween(y2026, '2026-09-30', '2026-10-12')).toBe(4);
    expect(nextWorkday(y2026, '2026-10-01')).toBe('2026-10-08');
    expect(previousWorkday(y2026, '2026-10-07')).toBe('2026-09-30');
    expect(addWorkdays(y2026, '2026-02-24', -1)).toBe('2026-02-14');
  });
});

const dateArb = fc
  .record({
    y: fc.integer({ min: 2024, max: 2028 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
  })
  .map(({ y, m, d }) => makeDate(y, m, d));

const overridesArb = fc.array(
  fc.record({ date: dateArb, workday: fc.boolean(), name: fc.constantFrom('调整', null) }),
  { maxLength: 30 },
);

describe('properties over random dates and overrides', () => {
  const wide = (overrides: TOverride[]) => table('2023-10-01', '2029-03-31', overrides);

  it('nextWorkday/previousWorkday give the nearest working day in their direction', () => {
    fc.assert(
      fc.property(dateArb, overridesArb, (date, overrides) => {
        const t = wide(overrides);
        const next = nextWorkday(t, date);
        expect(isWorkday(t, next)).toBe(true);
        expect(next >= date).toBe(true);
        for (let d = date; d < next; d = addDaysToDate(d, 1)) expect(isWorkday(t, d)).toBe(false);
        const prev = previousWorkday(t, date);
        expect(isWorkday(t, prev)).toBe(true);
        expect(prev <= date).toBe(true);
        expect(workdaysBetween(t, prev, date)).toBe(0);
      }),
    );
  });

  it('addWorkdays(n) lands on a working day n working days away, and back again', () => {
    fc.assert(
      fc.property(dateArb, overridesArb, fc.integer({ min: -40, max: 40 }), (date, overrides, n) => {
        const t = wide(overrides);
        const moved = addWorkdays(t, date, n);
        if (n === 0) return expect(moved).toBe(date);
        expect(isWorkday(t, moved)).toBe(true);
        if (n > 0) expect(workdaysBetween(t, date, moved)).toBe(n);
        // (moved, date] holds the n - 1 working days between them, and `date` when it is one.
        else expect(workdaysBetween(t, moved, date) - (isWorkday(t, date) ? 1 : 0)).toBe(-n - 1);
        if (isWorkday(t, date)) expect(addWorkdays(t, moved, -n)).toBe(date);
      }),
    );
  });

  it('a moved due date is a working day never earlier (next) or later (previous) than the due day', () => {
    fc.assert(
      fc.property(dateArb, overridesArb, (date, overrides) => {
        const t = wide(overrides);
        const next = applyDueDayRule(t, date, 'next_workday');
        const prev = applyDueDayRule(t, date, 'previous_workday');
        expect(isWorkday(t, next) && isWorkday(t, prev)).toBe(true);
        expect(prev <= date && date <= next).toBe(true);
        expect(applyDueDayRule(t, date, 'as_is')).toBe(date);
        if (isWorkday(t, date)) expect([prev, next]).toEqual([date, date]);
      }),
    );
  });

  it('only years without official data are flagged as guessed', () => {
    fc.assert(
      fc.property(dateArb, (date) => {
        expect(isGuessed(wide([]), date)).toBe(Number(date.slice(0, 4)) > 2026);
      }),
    );
  });
});
