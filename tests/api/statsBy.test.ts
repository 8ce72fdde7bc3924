/**
 * Statistics by category, lead unit and leader on the real stack: a split parent counts once (its children rolled
 * into it), closed / long-term / overdue / red measures land in their columns, the completion rate as defined, the
 * summary keeps its fields and gains the same totals, and a city office sees the child it owns as a measure.
 */
import { close, createTasks, download, reportAccepted, type TCast } from './figuresHelpers';
import { as, assigned, demoCast, eventually, openCampaign, startApiStack, type TApiStack } from './harness';

let stack: TApiStack;
let cast: TCast;
let campaignId: string;
let parentId: string;
let ids: string[];

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
  const medical = cast.medicalStaff.unitId;
  const finance = cast.financeStaff.unitId;
  const leaderId = cast.leader.userId;
  const p1 = { category: '党的建设', title: '整改责任落实不到位' };
  ids = await createTasks(stack, cast.office, campaignId, [
    { problem: p1, measure: '各市分解落实', leadUnitId: medical, leaderId, deadline: '2035年12月31日前完成' },
    { problem: p1, measure: '建立整改台账', leadUnitId: finance, leaderId, deadline: '2035年12月31日前完成' },
    {
      problem: { category: '党的建设', title: '制度执行不严格' },
      measure: '健全长效机制',
      leadUnitId: medical,
      leaderId,
      deadline: '立行立改，长期推进',
    },
    {
      problem: { category: '财务管理', title: '往来款项长期挂账' },
      measure: '清理往来款项',
      leadUnitId: finance,
      leaderId,
      deadline: '2020年12月31日前完成',
    },
  ]);
  for (const id of ids) await assigned(stack.app, cast.office, id);
  parentId = ids[0]!;
  const split = await as(stack.app, cast.office).post(`/api/tasks/${parentId}/split`, {
    children: [
      { leadUnitId: cast.cityStaff.unitId, leaderId: cast.cityLeader.userId, measure: '东州市分解落实' },
      { leadUnitId: cast.cityBStaff.unitId, leaderId: cast.cityBLeader.userId, measure: '西州市分解落实' },
    ],
  });
  expect(split.status).toBe(200);
  await eventually(
    () => stack.db.task.count({ where: { parentTaskId: parentId } }),
    (n) => n === 2,
    'the split children to be created',
  );
  await reportAccepted(stack, cast, ids[1]!, cast.financeStaff, '台账已建立。');
  await close(stack, cast, ids[1]!, cast.financeStaff, cast.financeHead);
  await reportAccepted(stack, cast, ids[2]!, cast.medicalStaff, '机制已建立。');
  await close(stack, cast, ids[2]!, cast.medicalStaff, cast.medicalHead);
  await eventually(
    async () =>
      (await as(stack.app, cast.office).get(`/api/tasks/${ids[3]}`)).body as { status: string; trafficLight: string },
    // Overdue (the workflow's deadline timer fired), not only red (the read side sees the passed deadline first).
    (t) => t.status === 'OVERDUE' && t.trafficLight === 'red',
    'the past-deadline task to be marked overdue',
  );
}, 240_000);

afterAll(async () => {
  await stack?.teardown();
});

const stats = async (user: { token: string }, query = '') => {
  const res = await as(stack.app, user).get(`/api/campaigns/${campaignId}/stats${query}`);
  expect(res.status).toBe(200);
  return res.body;
};

it('When tasks closed and one reached long-term, then the statuses the figures rest on are those', async () => {
  const statuses = await stack.db.task.findMany({ where: { id: { in: ids } }, select: { id: true, status: true } });
  const of = new Map(statuses.map((t) => [t.id, t.status]));
  expect(ids.map((id) => of.get(id))).toEqual([
    expect.not.stringMatching(/CLOSED|LONG_TERM/),
    'CLOSED',
    'LONG_TERM',
    'OVERDUE',
  ]);
});

it('When the office asks by category, then the split parent counts once and each column is right', async () => {
  const body = await stats(cast.office, '?by=category');
  expect(body).toMatchObject({ campaignId, by: 'category', source: 'current' });
  expect(body.definitions.completionRate).toContain('长期坚持');
  expect(body.totals).toEqual({
    problems: 3,
    measures: 4,
    completed: 1,
    inProgress: 2,
    longTerm: 1,
    overdue: 1,
    red: 1,
    completionRate: 0.5,
  });
  const categories = await stack.db.category.findMany({ where: { campaignId } });
  const idOf = (name: string) => categories.find((c) => c.name === name)!.id;
  expect(body.groups).toEqual([
    {
      key: idOf('党的建设'),
      name: '党的建设',
      problems: 2,
      measures: 3,
      completed: 1,
      inProgress: 1,
      longTerm: 1,
      overdue: 0,
      red: 0,
      completionRate: 0.6667,
    },
    {
      key: idOf('财务管理'),
      name: '财务管理',
      problems: 1,
      measures: 1,
      completed: 0,
      inProgress: 1,
      longTerm: 0,
      overdue: 1,
      red: 1,
      completionRate: 0,
    },
  ]);
});

it('When the office asks by unit, then the parent counts for its own unit and the cities of its children not at all', async () => {
  const body = await stats(cast.office, '?by=unit');
  const byKey = new Map((body.groups as { key: string }[]).map((g) => [g.key, g]));
  expect([...byKey.keys()].sort()).toEqual([cast.medicalStaff.unitId, cast.financeStaff.unitId].sort());
  expect(byKey.get(cast.medicalStaff.unitId)).toMatchObject({
    name: '医政医管处',
    problems: 2,
    measures: 2,
    completed: 0,
    inProgress: 1,
    longTerm: 1,
    completionRate: 0.5,
  });
  expect(byKey.get(cast.financeStaff.unitId)).toMatchObject({
    name: '财务处',
    problems: 2,
    measures: 2,
    completed: 1,
    inProgress: 1,
    overdue: 1,
    red: 1,
    completionRate: 0.5,
  });
  expect(body.totals.measures).toBe(4);
});

it('When the office asks by leader, then one group for the leader with every measure', async () => {
  const body = await stats(cast.office, '?by=leader');
  expect(body.groups).toEqual([
    expect.objectContaining({ key: cast.leader.userId, name: cast.leader.name, measures: 4, problems: 3 }),
  ]);
});

it('When asked without by, then the summary keeps its fields (children counted as tasks) and adds the same totals', async () => {
  const body = await stats(cast.office);
  expect(body.total).toBe(6);
  expect(body.byStatus.CLOSED).toBe(1);
  expect(body.byStatus.LONG_TERM).toBe(1);
  // The summary's own rate counts long-term as done, over every task, as it always did.
  expect(body.completed).toBe(2);
  expect(body.completionRate).toBe(0.3333);
  expect(body.byUnit.map((u: { unitId: string }) => u.unitId)).toContain(cast.cityStaff.unitId);
  expect(body.totals).toEqual((await stats(cast.office, '?by=unit')).totals);
  expect(body.definitions.measures).toContain('分解');
});

it('When a city office asks, then its own child of the split counts as its measure', async () => {
  const body = await stats(cast.cityOffice, '?by=unit');
  expect(body.totals).toMatchObject({ measures: 1, problems: 1, inProgress: 1 });
  expect(body.groups).toEqual([expect.objectContaining({ key: cast.cityStaff.unitId, measures: 1 })]);
});

it('When asOf is a day before any task existed, then the figures are rebuilt from the audit trail: none', async () => {
  const body = await stats(cast.office, '?by=category&asOf=2020-01-01');
  expect(body).toMatchObject({ source: 'audit', asOf: '2020-01-01', groups: [] });
  expect(body.totals).toMatchObject({ measures: 0, problems: 0, completionRate: 0 });
});

it('When the query is wrong, then 400 naming the field', async () => {
  for (const [query, field] of [
    ['?by=province', 'by'],
    ['?by=unit&asOf=2035-01-01', 'asOf'],
    ['?by=unit&asOf=2026-02-30', 'asOf'],
    ['?asOf=2020-01-01', 'asOf'],
  ] as const) {
    const res = await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats${query}`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.issues)).toContain(field);
  }
  expect((await as(stack.app, cast.office).get('/api/campaigns/nope/stats?by=unit')).status).toBe(404);
});

it('When a unit staff member asks, then only the measures of their scope: the child their unit leads', async () => {
  const body = await stats(cast.cityBStaff, '?by=unit');
  expect(body.groups).toEqual([expect.objectContaining({ key: cast.cityBStaff.unitId, measures: 1 })]);
});

it('When the ledger is exported, then one row per measure: the split parent once, its children summed in its progress', async () => {
  const res = await download(stack, cast.office, `/api/campaigns/${campaignId}/ledger.xlsx?format=csv`);
  expect(res.status).toBe(200);
  const lines = res.body.toString('utf8').slice(1).trimEnd().split('\r\n');
  expect(lines).toHaveLength(1 + 4);
  const parent = lines.find((l) => l.includes('各市分解落实'))!;
  expect(parent).toContain('已分解至2个单位，已完成0个');
  expect(parent).toContain('医政医管处');
  expect(lines.some((l) => l.includes('东州市分解落实') || l.includes('西州市分解落实'))).toBe(false);
  // The city office's ledger has its own child as its one row.
  const city = await download(stack, cast.cityOffice, `/api/campaigns/${campaignId}/ledger.xlsx?format=csv`);
  const cityLines = city.body.toString('utf8').slice(1).trimEnd().split('\r\n');
  expect(cityLines).toHaveLength(2);
  expect(cityLines[1]).toContain('东州市分解落实');
});
