import {
  addDaysToDate,
  addMonthsToDate,
  addMonthsToInstant,
  addMonthsToPeriod,
  dateOf,
  daysBetween,
  dueInstant,
  endOfDayInstant,
  isValidDate,
  isValidInstant,
  isValidPeriod,
  nextPeriod,
  periodOf,
  reminderInstant,
  startOfDayInstant,
} from '../../domain/calendar';
import { defaultPolicy } from '../../domain/policy';

describe('Shanghai calendar', () => {
  it('dates and periods of an instant are Shanghai ones, not UTC ones', () => {
    // 2020-12-31T16:30Z is already 2021-01-01 00:30 in Shanghai.
    expect(dateOf('2020-12-31T16:30:00Z')).toBe('2021-01-01');
    expect(periodOf('2020-12-31T16:30:00Z')).toBe('2021-01');
    expect(dateOf('2020-12-31T15:59:59.999Z')).toBe('2020-12-31');
    expect(periodOf('2020-12-31T15:59:59.999Z')).toBe('2020-12');
    expect(dateOf('2021-03-01T00:00:00+08:00')).toBe('2021-03-01');
  });

  it('the 25th ends at 16:00Z: a report at 23:59 Shanghai on the 25th is on time, at 00:00 on the 26th late', () => {
    const due = dueInstant('2021-03', 25);
    expect(due).toBe('2021-03-25T16:00:00.000Z');
    expect(Date.parse('2021-03-25T23:59:00+08:00')).toBeLessThan(Date.parse(due));
    expect(Date.parse('2021-03-26T00:00:00+08:00')).toBe(Date.parse(due));
    // In UTC it is still the 25th when the Shanghai due day has ended.
    expect(due.slice(0, 10)).toBe('2021-03-25');
  });

  it('a due day past the month end falls on the last day of the month', () => {
    expect(dueInstant('2021-02', 31)).toBe(endOfDayInstant('2021-02-28'));
    expect(dueInstant('2024-02', 30)).toBe(endOfDayInstant('2024-02-29'));
    expect(dueInstant('2021-04', 31)).toBe(endOfDayInstant('2021-04-30'));
  });

  it('the reminder is reminderDaysBefore days before the due instant', () => {
    const policy = defaultPolicy();
    expect(reminderInstant('2021-03', policy)).toBe('2021-03-22T16:00:00.000Z');
    expect(reminderInstant('2021-03', { reportDueDay: 10, reminderDaysBefore: 0 })).toBe(dueInstant('2021-03', 10));
  });

  it('start and end of a day', () => {
    expect(startOfDayInstant('2021-01-01')).toBe('2020-12-31T16:00:00.000Z');
    expect(endOfDayInstant('2020-12-31')).toBe('2020-12-31T16:00:00.000Z');
    expect(endOfDayInstant('2020-02-29')).toBe('2020-02-29T16:00:00.000Z');
  });

  it('month arithmetic clamps at month ends and crosses years', () => {
    expect(addMonthsToDate('2021-01-31', 1)).toBe('2021-02-28');
    expect(addMonthsToDate('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonthsToDate('2021-03-31', -1)).toBe('2021-02-28');
    expect(addMonthsToDate('2020-08-31', 6)).toBe('2021-02-28');
    expect(addMonthsToDate('2020-11-15', 14)).toBe('2022-01-15');
    expect(nextPeriod('2020-12')).toBe('2021-01');
    expect(addMonthsToPeriod('2021-01', -1)).toBe('2020-12');
    expect(addMonthsToPeriod('2021-05', 6)).toBe('2021-11');
    expect(addMonthsToPeriod('2021-05', 24)).toBe('2023-05');
  });

  it('day arithmetic crosses months, leap days and years', () => {
    expect(addDaysToDate('2020-02-28', 1)).toBe('2020-02-29');
    expect(addDaysToDate('2021-02-28', 1)).toBe('2021-03-01');
    expect(addDaysToDate('2020-12-31', 1)).toBe('2021-01-01');
    expect(addDaysToDate('2020-10-16', 15)).toBe('2020-10-31');
    expect(addDaysToDate('2021-03-01', -1)).toBe('2021-02-28');
    expect(daysBetween('2020-10-16', '2020-10-31')).toBe(15);
    expect(daysBetween('2021-01-01', '2020-12-31')).toBe(-1);
    expect(daysBetween('2020-01-01', '2021-01-01')).toBe(366);
  });

  it('months added to an instant keep the Shanghai time of day', () => {
    expect(addMonthsToInstant('2021-01-31T02:00:00.000Z', 1)).toBe('2021-02-28T02:00:00.000Z');
    // 2021-08-31 23:30 Shanghai + 6 months = 2022-02-28 23:30 Shanghai.
    expect(addMonthsToInstant('2021-08-31T15:30:00.000Z', 6)).toBe('2022-02-28T15:30:00.000Z');
  });

  it('validators', () => {
    expect(isValidDate('2021-02-29')).toBe(false);
    expect(isValidDate('2024-02-29')).toBe(true);
    expect(isValidDate('2021-2-28')).toBe(false);
    expect(isValidPeriod('2021-13')).toBe(false);
    expect(isValidPeriod('2021-12')).toBe(true);
    expect(isValidInstant('2021-03-25T16:00:00.000Z')).toBe(true);
    expect(isValidInstant('2021-03-25T16:00:00+08:00')).toBe(true);
    expect(isValidInstant('2021-03-25')).toBe(false);
    expect(isValidInstant('yesterday')).toBe(false);
  });
});
