/**
 * The stored traffic light on the read side: the list's light filter and the campaign stats read `Task.trafficLight`
 * in SQL, after recomputing only the rows whose stored light may be out of date (`lightChangesAt` passed). Real
 * stack: the workflows project the lights, the tests then make some rows stale or wrong on purpose.
 */
import { addDaysToDate, dateOf } from '../../domain/calendar';
import { policyOf } from '../../api/tasks/summary';
import type { TaskState } from '../../domain/task';
import { computeTrafficLight, type TrafficLight } from '../../domain/trafficLight';
import { as, demoCast, eventually, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

jest.setTimeout(120_000);

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let campaignId: string;
/** Task ids by the light their deadline gives them at creation. */
const ids: Record<TrafficLight, string[]> = { green: [], yellow: [], red: [] };

type TListBody = { items: { id: string; trafficLight: TrafficLight }[]; total: number };
const list = async (query: string): Promise<TListBody> => {
  const res = await as(stack.app, cast.office).get(`/api/tasks?campaignId=${campaignId}&${query}`);
  expect(res.status).toBe(200);
  return res.body as TListBody;
};

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
  const today = dateOf(new Date().toISOString());
  const plan: [TrafficLight, string, string][] = [
    ['green', cast.medicalStaff.unitId, '2035-12-31'],
    ['green', cast.medicalStaff.unitId, '2034-06-30'],
    ['green', cast.financeStaff.unitId, '2033-06-30'],
    ['green', cast.financeStaff.unitId, '2032-06-30'],
    ['green', cast.financeStaff.unitId, '2031-06-30'],
    // Within the default 14-day warning window.
    ['yellow', cast.medicalStaff.unitId, addDaysToDate(today, 5)],
    ['yellow', cast.financeStaff.unitId, addDaysToDate(today, 9)],
    // Passed already: the workflow's deadline timer fires at once.
    ['red', cast.medicalStaff.unitId, addDaysToDate(today, -3)],
  ];
  const res = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
    tasks: plan.map(([, unit, date], i) =>
      taskBody(unit, cast.leader.userId, {
        problem: { category: '党的领导', title: `问题${i}` },
        deadline: { kind: 'date', date },
      }),
    ),
  });
  expect(res.status).toBe(201);
  (res.body.tasks as { id: string }[]).forEach((t, i) => ids[plan[i]![0]].push(t.id));
  // Every row projected by its workflow (no longer stale from creation), the red one past its deadline.
  await eventually(
    () => stack.db.task.findMany({ where: { campaignId } }),
    (rows) =>
      rows.length === plan.length &&
      rows.every((r) => r.lightChangesAt === null || r.lightChangesAt.getTime() > Date.now()) &&
      rows.filter((r) => r.status === 'OVERDUE').length === 1,
    'every task projected',
  );
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

it('When the workflows have projected the tasks, then each row stores the light the rules give at this instant', async () => {
  const campaign = await stack.db.campaign.findUniqueOrThrow({ where: { id: campaignId } });
  const rows = await stack.db.task.findMany({ where: { campaignId } });
  const now = new Date().toISOString();
  for (const row of rows) {
    const computed = computeTrafficLight(row.stateJson as unknown as TaskState, { now, policy: policyOf(campaign) });
    expect({ id: row.id, light: row.trafficLight }).toEqual({ id: row.id, light: computed });
  }
  const stored = Object.fromEntries(rows.map((r) => [r.id, r.trafficLight]));
  for (const light of ['green', 'yellow', 'red'] as const) {
    expect(ids[light].map((id) => stored[id])).toEqual(ids[light].map(() => light));
  }
});

it('When a row is stale with a wrong light, then a list read repairs it before filtering and the stats count it right', async () => {
  const [greenId] = ids.green;
  const [yellowId] = ids.yellow;
  // As a row migrated from before the column, or whose timer has not fired: the light is wrong and due to change.
  await stack.db.task.update({ where: { id: greenId }, data: { trafficLight: 'red', lightChangesAt: new Date(0) } });
  await stack.db.task.update({
    where: { id: yellowId },
    data: { trafficLight: 'green', lightChangesAt: new Date(Date.now() - 60_000) },
  });

  const red = await list('trafficLight=red');
  expect(red.items.map((t) => t.id)).toEqual(ids.red);
  expect(red.total).toBe(1);
  const repaired = await stack.db.task.findUniqueOrThrow({ where: { id: greenId } });
  expect(repaired.trafficLight).toBe('green');
  expect(repaired.lightChangesAt!.getTime()).toBeGreaterThan(Date.now());
  const repairedYellow = await stack.db.task.findUniqueOrThrow({ where: { id: yellowId } });
  expect(repairedYellow.trafficLight).toBe('yellow');

  // Stale again, for the stats this time: they repair before counting too.
  await stack.db.task.update({ where: { id: yellowId }, data: { trafficLight: 'red', lightChangesAt: new Date(0) } });
  const stats = await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats`);
  expect(stats.status).toBe(200);
  expect(stats.body.total).toBe(8);
  expect(stats.body.byTrafficLight).toEqual({ green: 5, yellow: 2, red: 1 });
  expect(stats.body.overdue).toBe(1);
  expect(stats.body.byStatus).toEqual(expect.objectContaining({ ASSIGNED: 7, OVERDUE: 1, CLOSED: 0 }));
  const byUnit = stats.body.byUnit as { unitId: string; total: number; green: number; yellow: number; red: number }[];
  expect(byUnit.map((u) => [u.unitId, u.total, u.green, u.yellow, u.red])).toEqual([
    [cast.financeStaff.unitId, 4, 3, 1, 0],
    [cast.medicalStaff.unitId, 4, 2, 1, 1],
  ]);
  expect(
    (stats.body.overdueTasks as { id: string; trafficLight: string }[]).map((t) => [t.id, t.trafficLight]),
  ).toEqual([[ids.red[0], 'red']]);
  expect((await stack.db.task.findUniqueOrThrow({ where: { id: yellowId } })).trafficLight).toBe('yellow');
});

it('When a stored light is current, then the filter takes it as it is: only stale rows are recomputed', async () => {
  const id = ids.green[1]!;
  const before = await stack.db.task.findUniqueOrThrow({ where: { id } });
  // Wrong on purpose but not stale: the read must not touch it (it trusts the workflow's projection).
  await stack.db.task.update({ where: { id }, data: { trafficLight: 'red' } });
  try {
    const red = await list('trafficLight=red');
    expect(red.items.map((t) => t.id).sort()).toEqual([...ids.red, id].sort());
    expect(red.items.find((t) => t.id === id)?.trafficLight).toBe('red');
  } finally {
    await stack.db.task.update({ where: { id }, data: { trafficLight: before.trafficLight } });
  }
});

it('When the list is not filtered, then a row shows its stored light while it holds, and the light of its state once stale', async () => {
  // The unfiltered list repairs nothing and reads no state for rows whose light holds (tasks/rows.ts): a wrong but
  // current light is shown as stored; a stale one is computed from the row's projected state, read for it alone.
  const [fresh, stale] = [ids.green[2]!, ids.yellow[1]!];
  const before = await stack.db.task.findMany({ where: { id: { in: [fresh, stale] } } });
  await stack.db.task.update({ where: { id: fresh }, data: { trafficLight: 'red' } });
  await stack.db.task.update({ where: { id: stale }, data: { trafficLight: 'red', lightChangesAt: new Date(0) } });
  try {
    const all = await list('pageSize=50');
    const shown = Object.fromEntries(all.items.map((t) => [t.id, t.trafficLight]));
    expect([shown[fresh], shown[stale]]).toEqual(['red', 'yellow']);
    // The row itself is left for the read-repair of a filtered read.
    const row = await stack.db.task.findUniqueOrThrow({ where: { id: stale } });
    expect(row.trafficLight).toBe('red');
  } finally {
    for (const b of before) {
      await stack.db.task.update({
        where: { id: b.id },
        data: { trafficLight: b.trafficLight, lightChangesAt: b.lightChangesAt },
      });
    }
  }
});

it('When the list is filtered by light, then the database pages it: totals and pages agree', async () => {
  const first = await list('trafficLight=green&pageSize=2&page=1&sort=createdAt&order=asc');
  const second = await list('trafficLight=green&pageSize=2&page=2&sort=createdAt&order=asc');
  const third = await list('trafficLight=green&pageSize=2&page=3&sort=createdAt&order=asc');
  expect([first.total, second.total, third.total]).toEqual([5, 5, 5]);
  expect([first.items.length, second.items.length, third.items.length]).toEqual([2, 2, 1]);
  const paged = [...first.items, ...second.items, ...third.items];
  expect(paged.every((t) => t.trafficLight === 'green')).toBe(true);
  expect(paged.map((t) => t.id).sort()).toEqual([...ids.green].sort());
  const yellow = await list('trafficLight=yellow');
  expect([yellow.total, yellow.items.map((t) => t.id).sort()]).toEqual([2, [...ids.yellow].sort()]);
});

it('When a caller outside the campaign asks for its stats, then 403', async () => {
  const res = await as(stack.app, cast.cityStaff).get(`/api/campaigns/${campaignId}/stats`);
  expect(res.status).toBe(403);
});
