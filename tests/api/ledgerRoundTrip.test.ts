/**
 * The ledger round trip on the real stack: a campaign's exported 整改台账 (xlsx, and CSV), imported into a new campaign
 * through the task-list import (preview → commit), gives back the same categories, problems, measures, lead and
 * participating units and deadline wordings (kinds and dates included).
 */
import request from 'supertest';
import { deadlineWording } from '../../domain/stats/words';
import { createTasks, download, type TCast } from './figuresHelpers';
import { as, assigned, demoCast, eventually, openCampaign, startApiStack, type TApiStack } from './harness';

let stack: TApiStack;
let cast: TCast;
let source: string;

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  source = await openCampaign(stack.app, cast.office, cast.leader.unitId, { name: '省委第一巡视组反馈意见整改' });
  const medical = cast.medicalStaff.unitId;
  const finance = cast.financeStaff.unitId;
  const leaderId = cast.leader.userId;
  const specs = [
    {
      problem: { category: '党的建设', title: '整改责任落实不到位' },
      measure: '建立整改台账，逐项销号',
      leadUnitId: medical,
      participatingUnitIds: [finance],
      leaderId,
      deadline: '2035年12月31日前完成',
    },
    {
      problem: { category: '党的建设', title: '整改责任落实不到位' },
      measure: '健全长效机制，定期开展回头看',
      leadUnitId: finance,
      leaderId,
      deadline: { kind: 'date', date: '2035-06-30' },
    },
    {
      problem: { category: '党的建设', title: '民主集中制执行不严格' },
      measure: '修订议事规则',
      leadUnitId: medical,
      leaderId,
      deadline: '立行立改',
    },
    {
      problem: { category: '财务管理', title: '往来款项长期挂账' },
      measure: '清理往来款项',
      leadUnitId: finance,
      participatingUnitIds: [medical],
      leaderId,
      deadline: '2035年6月30日前完成，并长期推进',
    },
    {
      problem: { category: '财务管理', title: '预算执行进度偏慢' },
      measure: '建立预算执行通报制度',
      leadUnitId: finance,
      leaderId,
      deadline: '长期坚持',
    },
  ];
  // One request per task: the ledger orders a batch's tasks (one creation instant) by id, not by the order sent.
  for (const spec of specs) {
    const [id] = await createTasks(stack, cast.office, source, [spec]);
    await assigned(stack.app, cast.office, id!);
  }
}, 180_000);

afterAll(async () => {
  await stack?.teardown();
});

/** What a campaign's measures say, comparable across campaigns (names, not ids of categories and problems). */
async function content(campaignId: string) {
  const tasks = await stack.db.task.findMany({
    where: { campaignId, parentTaskId: null },
    include: { problem: { include: { category: true } }, participants: true },
  });
  return tasks
    .map((t) => ({
      category: t.problem.category.name,
      problem: t.problem.title,
      measure: t.measure,
      leadUnitId: t.leadUnitId,
      participants: t.participants
        .map((p) => p.unitId)
        .filter((u) => u !== t.leadUnitId)
        .sort(),
      deadline: deadlineWording(t),
      deadlineKind: t.deadlineKind,
      deadlineDate: t.deadlineDate,
    }))
    .sort((a, b) => a.measure.localeCompare(b.measure));
}

async function roundTrip(format: 'xlsx' | 'csv'): Promise<string> {
  const exported = await download(
    stack,
    cast.office,
    `/api/campaigns/${source}/ledger.xlsx${format === 'csv' ? '?format=csv' : ''}`,
  );
  expect(exported.status).toBe(200);
  const target = await openCampaign(stack.app, cast.office, cast.leader.unitId, { name: `往返导入（${format}）` });
  const preview = await request(stack.app)
    .post(`/api/campaigns/${target}/imports`)
    .set('Authorization', `Bearer ${cast.office.token}`)
    .attach('file', exported.body, `台账.${format}`);
  expect(preview.status).toBe(201);
  expect(preview.body.summary).toMatchObject({ categories: 2, problems: 4, tasks: 5, errors: 0 });
  const commit = await as(stack.app, cast.office).post(`/api/campaigns/${target}/imports/${preview.body.id}/commit`);
  expect([200, 202]).toContain(commit.status);
  await eventually(
    async () => (await as(stack.app, cast.office).get(`/api/campaigns/${target}/imports/${preview.body.id}`)).body,
    (b: { status: string }) => b.status === 'committed',
    'the import to be committed',
  );
  return target;
}

it('When an exported ledger (xlsx) is imported into a new campaign, then the same problems, measures, units and deadlines', async () => {
  const target = await roundTrip('xlsx');
  const [before, after] = await Promise.all([content(source), content(target)]);
  expect(before).toHaveLength(5);
  expect(after).toEqual(before);
  // The wordings as the plan gave them, and the structured date in Chinese.
  expect(after.map((t) => t.deadline).sort()).toEqual(
    ['2035年12月31日前完成', '2035年6月30日', '立行立改', '2035年6月30日前完成，并长期推进', '长期坚持'].sort(),
  );
});

it('When the CSV export is imported, then the same content too', async () => {
  const target = await roundTrip('csv');
  expect(await content(target)).toEqual(await content(source));
});
