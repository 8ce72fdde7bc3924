/**
 * The working-day calendar over HTTP: the official 2026 schedule, years without data (a warning, not a guess), the
 * admin's overrides, and the 400s that name the field. Real app, real database.
 */
import request from 'supertest';
import { addDaysToDate, dateOf } from '../../domain/calendar';
import { as, assigned, demoCast, eventually, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

jest.setTimeout(120_000);

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
});

afterAll(async () => {
  await stack?.teardown();
});

type TDay = { date: string; workday: boolean; name?: string; source: string };
type TCalendarBody = {
  days: TDay[];
  coverage: {
    officialYears: { from: number; to: number };
    years: { year: number; data: string }[];
    warnings: string[];
  };
};

const put = (user: { token: string }, date: string, body: object) =>
  request(stack.app).put(`/api/calendar/days/${date}`).set('Authorization', `Bearer ${user.token}`).send(body);
const del = (user: { token: string }, date: string) =>
  request(stack.app).delete(`/api/calendar/days/${date}`).set('Authorization', `Bearer ${user.token}`);

it('When anyone signed in reads September–October 2026, then holidays, make-up Saturdays and plain days say where they come from', async () => {
  const res = await as(stack.app, cast.medicalStaff).get('/api/calendar?from=2026-09-25&to=2026-10-12');
  expect(res.status).toBe(200);
  const body = res.body as TCalendarBody;
  const day = (date: string) => body.days.find((d) => d.date === date);
  expect(body.days).toHaveLength(18);
  expect(day('2026-09-27')).toEqual({ date: '2026-09-27', workday: false, name: '中秋', source: 'package' });
  expect(day('2026-10-01')).toEqual({ date: '2026-10-01', workday: false, name: '国庆节', source: 'package' });
  expect(day('2026-10-10')).toMatchObject({ workday: true, source: 'package' });
  expect(day('2026-10-11')).toEqual({ date: '2026-10-11', workday: false, source: 'weekday' });
  expect(day('2026-10-12')).toEqual({ date: '2026-10-12', workday: true, source: 'weekday' });
  expect(body.coverage.officialYears).toEqual({ from: 2004, to: 2026 });
  expect(body.coverage.warnings).toEqual([]);
});

it('When the range reaches a year without official data, then the coverage says so with a warning', async () => {
  const res = await as(stack.app, cast.office).get('/api/calendar?from=2026-12-01&to=2027-11-30');
  expect(res.status).toBe(200);
  const body = res.body as TCalendarBody;
  expect(body.coverage.years.map((y) => [y.year, y.data])).toEqual([
    [2026, 'package'],
    [2027, 'none'],
  ]);
  expect(body.coverage.warnings).toHaveLength(1);
  expect(body.coverage.warnings[0]).toContain('2027年没有官方节假日安排数据');
  // Guessed by the weekday rule, and marked as such: the 1st of October 2027 is a Friday.
  expect(body.days.find((d) => d.date === '2027-10-01')).toEqual({
    date: '2027-10-01',
    workday: true,
    source: 'weekday',
  });
});

it('When an admin overrides 2027-10-01, then it reads as a holiday from the override; deleting it restores the weekday rule', async () => {
  expect((await put(cast.office, '2027-10-01', { workday: false, name: '国庆节' })).status).toBe(403);
  const saved = await put(cast.admin, '2027-10-01', { workday: false, name: '国庆节' });
  expect(saved.status).toBe(200);
  expect(saved.body).toMatchObject({ date: '2027-10-01', workday: false, name: '国庆节', source: 'override' });
  const read = await as(stack.app, cast.medicalStaff).get('/api/calendar?from=2027-09-30&to=2027-10-04');
  expect((read.body as TCalendarBody).days.map((d) => [d.date, d.workday, d.source])).toEqual([
    ['2027-09-30', true, 'weekday'],
    ['2027-10-01', false, 'override'],
    ['2027-10-02', false, 'weekday'],
    ['2027-10-03', false, 'weekday'],
    ['2027-10-04', true, 'weekday'],
  ]);
  // Still a year without official data: one override does not make a schedule.
  expect((read.body as TCalendarBody).coverage.warnings[0]).toContain('已录入1天调整');
  // Edited again: the same row.
  expect((await put(cast.admin, '2027-10-01', { workday: false, name: '国庆节（调整）' })).body.name).toBe(
    '国庆节（调整）',
  );
  expect(await stack.db.calendarOverride.count({ where: { date: '2027-10-01' } })).toBe(1);

  expect((await del(cast.office, '2027-10-01')).status).toBe(403);
  const dropped = await del(cast.admin, '2027-10-01');
  expect(dropped.status).toBe(200);
  expect(dropped.body).toEqual({ date: '2027-10-01', workday: true, source: 'weekday' });
  expect((await del(cast.admin, '2027-10-01')).status).toBe(404);
});

it('When the request is wrong, then 400 names the field and nothing is written', async () => {
  const get = (q: string) => as(stack.app, cast.office).get(`/api/calendar${q}`);
  const cases: [string, string][] = [
    ['?to=2026-10-01', 'from'],
    ['?from=2026-02-30&to=2026-03-01', 'from'],
    ['?from=2026-10-01&to=2026-09-01', 'to'],
    ['?from=2026-01-01&to=2027-01-01', 'to'],
  ];
  for (const [query, field] of cases) {
    const res = await get(query);
    expect({ query, status: res.status }).toEqual({ query, status: 400 });
    expect(res.body.error.code).toBe('VALIDATION');
    expect(res.body.error.message).toContain(field);
  }
  // A whole leap year is one year.
  expect((await get('?from=2028-01-01&to=2028-12-31')).status).toBe(200);
  expect((await put(cast.admin, '2027-13-01', { workday: false })).status).toBe(400);
  const noFlag = await put(cast.admin, '2027-10-02', { name: '假期' });
  expect(noFlag.status).toBe(400);
  expect(noFlag.body.error.message).toContain('workday');
  expect((await put(cast.admin, '2027-10-02', { workday: 'no' })).status).toBe(400);
  expect(await stack.db.calendarOverride.count()).toBe(0);
  expect((await request(stack.app).get('/api/calendar?from=2026-01-01&to=2026-01-02')).status).toBe(401);
});

it('When a task page is read, then it shows the next report due, the next reminder and each change of light with why', async () => {
  const campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
  const today = dateOf((await stack.now()).toISOString());
  const res = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
    tasks: [
      taskBody(cast.medicalStaff.unitId, cast.leader.userId, {
        problem: { category: '党的领导', title: '已过期限的问题' },
        deadline: { kind: 'date', date: addDaysToDate(today, -3) },
      }),
      taskBody(cast.medicalStaff.unitId, cast.leader.userId, {
        problem: { category: '党的领导', title: '期限尚远的问题' },
        deadline: { kind: 'date', date: addDaysToDate(today, 200) },
      }),
    ],
  });
  expect(res.status).toBe(201);
  const [late, ahead] = (res.body.tasks as { id: string }[]).map((t) => t.id);
  type TView = {
    nextReportDueAt: string | null;
    nextReminder: { kind: string; at: string } | null;
    lightChanges: { fromLight: string; toLight: string; reason: string; reasonText: string; at: string }[];
  };
  const view = async (id: string) => (await as(stack.app, cast.office).get(`/api/tasks/${id}`)).body as TView;

  // Past its deadline: red, and the timeline says why.
  const red = await eventually(
    () => view(late!),
    (v) => v.lightChanges.length > 0,
    'the late task to turn red',
  );
  expect(red.lightChanges.map((c) => [c.fromLight, c.toLight, c.reason, c.reasonText])).toEqual([
    ['green', 'red', 'overdue', '已超过整改期限'],
  ]);

  // Far from it: a report is owed and a reminder planned, both after now; the first warning letter comes later.
  await assigned(stack.app, cast.office, ahead!);
  const v = await view(ahead!);
  const now = (await stack.now()).getTime();
  expect(v.lightChanges).toEqual([]);
  expect(Date.parse(v.nextReportDueAt!)).toBeGreaterThan(now);
  expect(v.nextReminder).not.toBeNull();
  expect(Date.parse(v.nextReminder!.at)).toBeGreaterThan(now);
  expect(Date.parse(v.nextReminder!.at)).toBeLessThanOrEqual(Date.parse(v.nextReportDueAt!));
  expect(v.nextReminder!.kind).toBe('report_reminder');
});
