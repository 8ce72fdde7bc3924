/**
 * The task-list import on the real stack, with seed 004's annex built as an office lays it out
 * (tests/fixtures/plan004.ts). The journey: the admin adds the provincial departments the annex names, with their
 * short names, and its named group; the office uploads the annex and sees 5 categories, 16 problems, 30 measures,
 * each deadline of the right kind; nothing is written until commit; the commit creates the tasks and starts their
 * workflows; committing again, or twice at once, creates nothing more. Bad files are 400s that write nothing; CSV
 * reads in GBK and in UTF-8 with a BOM.
 */
import ExcelJS from 'exceljs';
import request from 'supertest';
import type { Client } from '@temporalio/client';
import { commitTaskImport } from '../../api/imports/commit';
import { addDaysToDate, dateOf } from '../../domain/calendar';
import { taskWorkflowId } from '../../workflows/shared';
import {
  buildPlan004Workbook,
  encodeGbk,
  PLAN_004_DEPARTMENTS,
  PLAN_004_HEALTH_COMMISSION_ALIAS,
  PLAN_004_LAW_ENFORCEMENT_GROUP,
  plan004Csv,
  plan004Rows,
} from '../fixtures/plan004';
import { as, demoCast, eventually, openCampaign, startApiStack, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let provinceId: string;

interface TPreviewBody {
  id: string;
  status: string;
  summary: { categories: number; problems: number; tasks: number; errors: number; warnings: number };
  rows: {
    row: number;
    category: string;
    problem: string;
    measure: string;
    leadUnitId: string | null;
    participatingUnitIds: string[];
    leaderId: string | null;
    deadlineText: string;
    deadline: { kind: string; date?: string } | null;
    errors: { cell: string; message: string }[];
    warnings: { cell: string; message: string }[];
  }[];
}

function upload(
  user: { token: string },
  campaignId: string,
  file: Buffer,
  fileName: string,
  fields: Record<string, string> = {},
) {
  let r = request(stack.app).post(`/api/campaigns/${campaignId}/imports`).set('Authorization', `Bearer ${user.token}`);
  for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
  return r.attach('file', file, fileName);
}

function commit(user: { token: string }, campaignId: string, importId: string, body: object = {}) {
  return as(stack.app, user).post(`/api/campaigns/${campaignId}/imports/${importId}/commit`, body);
}

async function committed(campaignId: string, importId: string) {
  return eventually(
    async () => (await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/imports/${importId}`)).body,
    (b: { status: string }) => b.status === 'committed' || b.status === 'failed',
    `import ${importId} to be committed`,
  );
}

/** A list of n measures with deadlines years ahead (no escalation work beside the import): 3 problems per category. */
async function futureList(n: number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('台账');
  sheet.addRow(['整改任务清单']);
  sheet.addRow(['序号', '问题类别', '具体问题', '整改措施', '责任单位', '配合单位', '整改时限']);
  for (let i = 0; i < n; i++) {
    const p = Math.floor(i / 2);
    sheet.addRow([
      i + 1,
      `类别${Math.floor(p / 3)}`,
      `问题${p}`,
      `措施${i}`,
      '省药监局',
      '各市人民政府',
      '2035年12月31日前完成',
    ]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** What an import may have written: rows of every table it touches. */
async function written() {
  const [imports, tasks, categories, problems, audits] = await Promise.all([
    stack.db.import.count(),
    stack.db.task.count(),
    stack.db.category.count(),
    stack.db.problem.count(),
    // The import's own records: the 004 tasks' workflows keep auditing their escalations (deadlines of 2020) meanwhile.
    stack.db.auditEvent.count({ where: { action: { in: ['TaskCreated', 'ImportCommitted'] } } }),
  ]);
  return { imports, tasks, categories, problems, audits };
}

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  provinceId = cast.leader.unitId;
  // The user journey: the admin adds the departments the annex names, with the short names it uses, and its group.
  const ids = new Map<string, string>();
  for (const d of PLAN_004_DEPARTMENTS) {
    const res = await as(stack.app, cast.admin).post('/api/units', {
      name: d.name,
      parentId: provinceId,
      level: 'department',
      kind: 'department',
      aliases: d.aliases,
    });
    expect(res.status).toBe(201);
    ids.set(d.name, res.body.id as string);
  }
  const alias = await request(stack.app)
    .patch(`/api/units/${provinceId}`)
    .set('Authorization', `Bearer ${cast.admin.token}`)
    .send({ aliases: [PLAN_004_HEALTH_COMMISSION_ALIAS] });
  expect(alias.status).toBe(200);
  const group = await as(stack.app, cast.admin).post('/api/unit-groups', {
    name: PLAN_004_LAW_ENFORCEMENT_GROUP.name,
    memberUnitIds: PLAN_004_LAW_ENFORCEMENT_GROUP.members.map((n) => ids.get(n)!),
  });
  expect(group.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

describe('imports: seed 004 annex', () => {
  let campaignId: string;
  let preview: TPreviewBody;

  it('When the annex is uploaded, then it previews as 16 problems in 5 categories and 30 measures, deadlines of the right kind', async () => {
    campaignId = await openCampaign(stack.app, cast.office, provinceId, {
      name: '国家医疗卫生行业综合监管督察反馈意见整改',
    });
    const before = await written();
    const res = await upload(cast.office, campaignId, await buildPlan004Workbook('merged'), '整改任务清单.xlsx', {
      defaultLeadUnitId: provinceId,
    });
    expect(res.status).toBe(201);
    preview = res.body as TPreviewBody;
    expect(preview.status).toBe('preview');
    expect(preview.summary).toMatchObject({ categories: 5, problems: 16, tasks: 30, errors: 0 });
    const expected = plan004Rows();
    const today = dateOf(new Date().toISOString());
    expect(preview.rows).toHaveLength(30);
    for (const [i, row] of preview.rows.entries()) {
      const plan = expected[i];
      expect(row.category).toBe(plan.category);
      expect(row.problem).toBe(plan.problem);
      expect(row.measure).toBe(plan.measure.text);
      expect(row.deadlineText).toBe(plan.measure.deadline);
      expect(row.deadline?.kind).toBe(plan.measure.expected.kind);
      if (plan.measure.expected.date) expect(row.deadline?.date).toBe(plan.measure.expected.date);
      if (plan.measure.expected.kind.startsWith('immediate')) {
        // 立行立改: the policy's 15 days from the day of import (the preview's day; ±1 around Shanghai midnight).
        expect([addDaysToDate(today, 15), addDaysToDate(today, 16)]).toContain(row.deadline?.date);
      }
      expect(row.leaderId).toBe(cast.leader.userId);
    }
    // 各市人民政府、省药监局: the one single unit beside a group leads; the cities take part.
    const drug = await stack.db.unit.findFirstOrThrow({ where: { name: '省药品监督管理局' } });
    const cities = (await stack.db.unit.findMany({ where: { level: 'city', kind: 'government' } })).map((u) => u.id);
    const row9 = preview.rows.find((r) => r.measure.startsWith('各地药品监管部门'))!;
    expect(row9.leadUnitId).toBe(drug.id);
    expect(row9.participatingUnitIds.sort()).toEqual(cities.sort());
    // 省(中)直各部门(省卫生健康委牵头): the named member leads, by its alias.
    const marked = preview.rows.find((r) => r.measure.startsWith('按照国家63号文'))!;
    expect(marked.leadUnitId).toBe(provinceId);
    expect(marked.participatingUnitIds).toContain(drug.id);
    expect(marked.warnings).toEqual([]);
    // Rows whose lead no rule gives take the chosen default, with a warning naming the cell.
    const unmarked = preview.rows[0];
    expect(unmarked.leadUnitId).toBe(provinceId);
    expect(unmarked.warnings[0].message).toMatch(/^E3：未标明牵头单位/);
    // A preview writes the import record only.
    expect(await written()).toEqual({ ...before, imports: before.imports + 1 });
  });

  it('When no default lead unit is chosen, then the rows no rule decides carry an error naming their cell', async () => {
    const res = await upload(cast.office, campaignId, await buildPlan004Workbook('headings'), '清单.xlsx');
    expect(res.status).toBe(201);
    const body = res.body as TPreviewBody;
    expect(body.summary).toMatchObject({ categories: 5, problems: 16, tasks: 30 });
    const undecided = body.rows.filter((r) => r.errors.length > 0);
    expect(undecided.length).toBeGreaterThan(0);
    for (const r of undecided) {
      expect(r.leadUnitId).toBeNull();
      expect(r.errors[0].cell).toBe(`C${r.row}`);
      expect(r.errors[0].message).toMatch(new RegExp(`^C${r.row}：无法确定牵头单位`));
    }
    // Rows with a rule-given lead are not touched by the missing default.
    expect(body.rows.filter((r) => r.errors.length === 0).every((r) => r.leadUnitId !== null)).toBe(true);
    const refused = await commit(cast.office, campaignId, body.id);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/行有错误，不能导入/);
  });

  it('When the preview is committed, then 30 tasks exist with their workflows, and committing again creates nothing', async () => {
    const res = await commit(cast.office, campaignId, preview.id);
    expect([200, 202]).toContain(res.status);
    const done = await committed(campaignId, preview.id);
    expect(done).toMatchObject({ status: 'committed', total: 30, rowsWritten: 30, workflowsStarted: 30 });
    const tasks = await stack.db.task.findMany({ where: { campaignId }, include: { participants: true } });
    expect(tasks).toHaveLength(30);
    expect(new Set(tasks.map((t) => t.importKey))).toEqual(new Set(preview.rows.map((r) => `${preview.id}:${r.row}`)));
    expect(await stack.db.category.count({ where: { campaignId } })).toBe(5);
    expect(await stack.db.problem.count({ where: { campaignId } })).toBe(16);
    for (const task of tasks) {
      const row = preview.rows.find((r) => `${preview.id}:${r.row}` === task.importKey)!;
      expect(task.measure).toBe(row.measure);
      expect(task.deadlineText).toBe(row.deadlineText);
      expect(task.deadlineKind).toBe(row.deadline!.kind);
      expect(task.leadUnitId).toBe(row.leadUnitId);
      expect(task.participants.map((p) => p.unitId).sort()).toEqual([...row.participatingUnitIds].sort());
      const view = await as(stack.app, cast.office).get(`/api/tasks/${task.id}`);
      expect(view.status).toBe(200);
      // The workflow exists (describe throws WorkflowNotFoundError otherwise).
      await expect(stack.testEnv.client.workflow.getHandle(taskWorkflowId(task.id)).describe()).resolves.toBeDefined();
    }
    const audits = await stack.db.auditEvent.count({ where: { campaignId, action: 'TaskCreated' } });
    expect(audits).toBe(30);

    const again = await commit(cast.office, campaignId, preview.id);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'committed', rowsWritten: 30 });
    expect(await stack.db.task.count({ where: { campaignId } })).toBe(30);
    expect(await stack.db.auditEvent.count({ where: { campaignId, action: 'TaskCreated' } })).toBe(30);
  }, 180_000);

  it('When two commits of one preview run at once, then each row is written once', async () => {
    const second = await openCampaign(stack.app, cast.office, provinceId, { name: '并发导入' });
    const res = await upload(cast.office, second, await futureList(40), '清单.xlsx');
    expect(res.status).toBe(201);
    expect((res.body as TPreviewBody).summary).toMatchObject({ categories: 7, problems: 20, tasks: 40, errors: 0 });
    const id = (res.body as TPreviewBody).id;
    const answers = await Promise.all([commit(cast.office, second, id), commit(cast.admin, second, id)]);
    for (const a of answers) expect([200, 202]).toContain(a.status);
    await committed(second, id);
    expect(await stack.db.task.count({ where: { campaignId: second } })).toBe(40);
    expect(await stack.db.problem.count({ where: { campaignId: second } })).toBe(20);
    expect(await stack.db.auditEvent.count({ where: { campaignId: second, action: 'TaskCreated' } })).toBe(40);
  }, 180_000);

  it('When a commit fails half-way (Temporal unreachable), then it is marked failed and committing again finishes it', async () => {
    const third = await openCampaign(stack.app, cast.office, provinceId, { name: '续传导入' });
    const res = await upload(cast.office, third, await futureList(30), '清单.xlsx');
    const id = (res.body as TPreviewBody).id;
    // The same commit with a client whose frontend goes away after 10 workflow starts.
    let starts = 0;
    const real = stack.testEnv.client;
    const failing = {
      workflow: {
        start: (...args: Parameters<typeof real.workflow.start>) =>
          ++starts <= 10 ? real.workflow.start(...args) : Promise.reject(new Error('14 UNAVAILABLE: frontend down')),
      },
    } as unknown as Client;
    const actor = { userId: cast.office.userId, role: cast.office.role, unitId: cast.office.unitId };
    // The stack's private task queue, as an earlier import's workflow runs on it.
    const earlier = await stack.db.task.findFirstOrThrow({ where: { importKey: { not: null } } });
    const { taskQueue } = await real.workflow.getHandle(earlier.workflowId).describe();
    const deps = { db: stack.db, client: failing, taskQueue, now: () => new Date() };
    const first = await commitTaskImport(deps, actor, third, id, { skipErrorRows: false, waitMs: 60_000 });
    expect(first.done).toBe(false);
    expect(first.view).toMatchObject({ status: 'failed', rowsWritten: 30 });
    expect(first.view.error).toMatch(/导入中断/);
    expect(first.view.workflowsStarted).toBeLessThan(30);
    const kept = await stack.db.task.findMany({ where: { campaignId: third }, select: { id: true } });
    expect(kept).toHaveLength(30);

    const resumed = await commit(cast.office, third, id);
    expect([200, 202]).toContain(resumed.status);
    expect(await committed(third, id)).toMatchObject({
      status: 'committed',
      rowsWritten: 30,
      workflowsStarted: 30,
      error: null,
    });
    const after = await stack.db.task.findMany({ where: { campaignId: third }, select: { id: true } });
    expect(after.map((t) => t.id).sort()).toEqual(kept.map((t) => t.id).sort());
    expect(await stack.db.auditEvent.count({ where: { campaignId: third, action: 'TaskCreated' } })).toBe(30);
    for (const t of after) {
      await expect(real.workflow.getHandle(taskWorkflowId(t.id)).describe()).resolves.toBeDefined();
    }
  }, 180_000);
});

describe('imports: CSV', () => {
  it('When the annex comes as CSV in GBK or in UTF-8 with a BOM, then both read the same', async () => {
    const campaignId = await openCampaign(stack.app, cast.office, provinceId, { name: 'CSV' });
    const csv = plan004Csv();
    const gbk = await upload(cast.office, campaignId, encodeGbk(csv), '清单.csv', { defaultLeadUnitId: provinceId });
    const utf8 = await upload(cast.office, campaignId, Buffer.from(`\ufeff${csv}`, 'utf8'), '清单.csv', {
      defaultLeadUnitId: provinceId,
    });
    expect(gbk.status).toBe(201);
    expect(utf8.status).toBe(201);
    for (const body of [gbk.body as TPreviewBody, utf8.body as TPreviewBody]) {
      expect(body.summary).toMatchObject({ categories: 5, problems: 16, tasks: 30, errors: 0 });
    }
    const strip = (b: TPreviewBody) => b.rows.map((r) => ({ ...r, warnings: r.warnings.length }));
    expect(strip(gbk.body as TPreviewBody)).toEqual(strip(utf8.body as TPreviewBody));
    expect((gbk.body as TPreviewBody).rows[0].category).toBe(plan004Rows()[0].category);
  });
});

describe('imports: bad files', () => {
  async function workbook(fill: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    fill(wb.addWorksheet('清单'));
    return Buffer.from(await wb.xlsx.writeBuffer());
  }
  const noise = (n: number) => {
    const b = Buffer.alloc(n);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      b[i] = x >> 16;
    }
    return b;
  };

  it('When a file is not a readable task list, then 400 names the problem and nothing is written', async () => {
    const campaignId = await openCampaign(stack.app, cast.office, provinceId, { name: '坏文件' });
    const cases: [string, Buffer, string, RegExp][] = [
      ['not a spreadsheet', Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n'), '清单.xlsx', /不是可导入的表格文件/],
      [
        'encrypted',
        Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), noise(4096)]),
        '加密.xlsx',
        /已加密/,
      ],
      ['empty file', Buffer.alloc(0), '空.xlsx', /文件为空/],
      ['empty workbook', await workbook(() => undefined), '空表.xlsx', /表格是空的/],
      [
        'no header',
        await workbook((s) => {
          s.addRow(['名单']);
          s.addRow(['张三', '李四']);
        }),
        '名单.xlsx',
        /没有找到表头/,
      ],
      [
        'formula',
        await workbook((s) => {
          s.addRow(['具体问题', '整改措施', '责任单位', '整改时限']);
          s.addRow(['问题', '措施', '省药监局', '长期坚持']);
          s.getCell('B3').value = { formula: 'B2', result: '措施' };
        }),
        '公式.xlsx',
        /含有公式（B3）/,
      ],
      [
        'corrupt zip',
        Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), noise(2048)]),
        '坏.xlsx',
        /无法读取 Excel 文件/,
      ],
      ['10 MB of noise as csv', noise(10 * 1024 * 1024 - 1024), '噪声.csv', /不是文本表格/],
      ['10 MB of noise as xlsx', noise(10 * 1024 * 1024 - 1024), '噪声.xlsx', /不是可导入的表格文件/],
    ];
    const before = await written();
    for (const [what, file, name, message] of cases) {
      const res = await upload(cast.office, campaignId, file, name);
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
      expect({ what, message: res.body.error.message as string }).toEqual({
        what,
        message: expect.stringMatching(message),
      });
    }
    const tooBig = await upload(cast.office, campaignId, noise(10 * 1024 * 1024 + 1), '大.csv');
    expect(tooBig.status).toBe(413);
    const noFile = await request(stack.app)
      .post(`/api/campaigns/${campaignId}/imports`)
      .set('Authorization', `Bearer ${cast.office.token}`)
      .field('defaultLeadUnitId', provinceId);
    expect(noFile.status).toBe(400);
    const json = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/imports`, {});
    expect(json.status).toBe(415);
    expect(await written()).toEqual(before);
  }, 180_000);

  it('When a row cannot be used, then commit refuses until asked to skip it, and then writes the good rows only', async () => {
    const campaignId = await openCampaign(stack.app, cast.office, provinceId, { name: '跳过错误行' });
    const file = await workbook((s) => {
      s.addRow(['序号', '问题类别', '具体问题', '整改措施', '牵头领导', '责任单位', '配合单位', '整改时限', '责任人']);
      s.addRow([1, '作风', '会议过多', '精简会议', '李主任', '省药监局', '省医保局', '2035年6月30日前完成', '刘处长']);
      s.addRow([2, '作风', '会议过多', '压缩文件', '李主任', '省教育厅', '', '长期坚持', '']);
    });
    const res = await upload(cast.office, campaignId, file, '台账.xlsx');
    expect(res.status).toBe(201);
    const body = res.body as TPreviewBody & { canCommit: boolean };
    expect(body.canCommit).toBe(false);
    expect(body.rows[1].errors.map((e) => e.message)).toEqual([
      'F3：通讯录中没有单位“省教育厅”（可在通讯录中添加单位或简称）',
    ]);
    expect((await commit(cast.office, campaignId, body.id)).status).toBe(400);
    expect(await stack.db.task.count({ where: { campaignId } })).toBe(0);
    const ok = await commit(cast.office, campaignId, body.id, { skipErrorRows: true });
    expect([200, 202]).toContain(ok.status);
    await committed(campaignId, body.id);
    const tasks = await stack.db.task.findMany({ where: { campaignId }, include: { participants: true } });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      measure: '精简会议',
      leaderId: cast.leader.userId,
      leaderText: '李主任',
      responsiblePersonText: '刘处长',
      deadlineText: '2035年6月30日前完成',
      deadlineDate: '2035-06-30',
    });
    expect(tasks[0].participants).toHaveLength(1);
  }, 180_000);

  it('When someone who may not import tries, then 403 before the file is read; an unknown import is 404', async () => {
    const campaignId = await openCampaign(stack.app, cast.office, provinceId, { name: '权限' });
    const file = await buildPlan004Workbook();
    for (const user of [cast.medicalStaff, cast.leader, cast.supervisor, cast.cityOffice]) {
      expect((await upload(user, campaignId, file, '清单.xlsx')).status).toBe(403);
    }
    expect((await upload(cast.office, 'no-such-campaign', file, '清单.xlsx')).status).toBe(404);
    expect((await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/imports/nope`)).status).toBe(404);
    expect((await commit(cast.office, campaignId, 'nope')).status).toBe(404);
    const res = await upload(cast.office, campaignId, file, '清单.xlsx', { defaultLeadUnitId: 'nope' });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toEqual(['defaultLeadUnitId']);
  });
});
