/**
 * The directory admin API on the real stack: units (tree, aliases, cycle and word checks), people (one-time initial
 * password, duplicate usernames), unit groups (built-in and named), everything admin-only; and deactivation: sessions
 * and tokens refused at once, sign-in refused, delegations ended in the workflow, and the work that waited on the
 * person listed for reassignment.
 */
import ExcelJS from 'exceljs';
import request from 'supertest';
import { generateToken, hashToken } from '../../api/auth';
import { addDaysToDate, dateOf } from '../../domain/calendar';
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let provinceId: string;

function patch(user: { token: string }, url: string, body: object) {
  return request(stack.app).patch(url).set('Authorization', `Bearer ${user.token}`).send(body);
}

async function signIn(username: string, password: string): Promise<{ cookie: string; csrfToken: string }> {
  const res = await request(stack.app).post('/api/auth/login').send({ username, password });
  expect(res.status).toBe(200);
  const line = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((l) => l.startsWith('zg_session='))!;
  return { cookie: line.split(';')[0], csrfToken: res.body.csrfToken as string };
}

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  provinceId = cast.leader.unitId;
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

describe('directory: units', () => {
  it('When the admin adds a unit with aliases, then GET /api/units lists it flat and in the tree', async () => {
    const res = await as(stack.app, cast.admin).post('/api/units', {
      name: '省药品监督管理局',
      parentId: provinceId,
      level: 'department',
      kind: 'department',
      aliases: ['省药监局'],
    });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const units = await as(stack.app, cast.office).get('/api/units');
    expect(units.status).toBe(200);
    expect(units.body.items).toContainEqual({
      id,
      name: '省药品监督管理局',
      level: 'department',
      kind: 'department',
      parentId: provinceId,
      aliases: ['省药监局'],
    });
    const root = (units.body.tree as { id: string; children: { id: string; aliases: string[] }[] }[]).find(
      (u) => u.id === provinceId,
    )!;
    expect(root.children.find((c) => c.id === id)?.aliases).toEqual(['省药监局']);
    // Every unit appears once in the tree.
    const count = (nodes: { children: unknown[] }[]): number =>
      nodes.reduce((n, u) => n + 1 + count(u.children as { children: unknown[] }[]), 0);
    expect(count(units.body.tree)).toBe(units.body.items.length);
  });

  it('When the admin edits aliases, names or the parent, then cycles, shared words and bad input are refused', async () => {
    const ok = await patch(cast.admin, `/api/units/${provinceId}`, { aliases: ['省卫生健康委'] });
    expect(ok.status).toBe(200);
    expect(ok.body.aliases).toEqual(['省卫生健康委']);
    const cityA = cast.cityOffice.unitId;
    const city = (await stack.db.unit.findUniqueOrThrow({ where: { id: cityA } })).parentId!;
    // The province under its own city: a cycle.
    const cycle = await patch(cast.admin, `/api/units/${provinceId}`, { parentId: city });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.issues[0].path).toEqual(['parentId']);
    expect((await patch(cast.admin, `/api/units/${city}`, { parentId: city })).status).toBe(400);
    // A word already naming another unit.
    const taken = await patch(cast.admin, `/api/units/${city}`, { aliases: ['省卫生健康委'] });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toMatch(/同一个词不能指两个单位/);
    const badLevel = await as(stack.app, cast.admin).post('/api/units', {
      name: '某单位',
      parentId: provinceId,
      level: 'galaxy',
      kind: 'department',
    });
    expect(badLevel.status).toBe(400);
    expect(badLevel.body.error.issues[0].path).toEqual(['level']);
    const noParent = await as(stack.app, cast.admin).post('/api/units', {
      name: '某单位',
      parentId: 'nope',
      level: 'department',
      kind: 'department',
    });
    expect(noParent.status).toBe(400);
    expect((await patch(cast.admin, '/api/units/nope', { name: 'x' })).status).toBe(404);
    expect(await stack.db.unit.count({ where: { name: '某单位' } })).toBe(0);
  });

  it('When someone other than the admin writes, then 403 and nothing changes', async () => {
    const before = await stack.db.unit.count();
    for (const user of [cast.office, cast.leader, cast.medicalStaff, cast.supervisor]) {
      const res = await as(stack.app, user).post('/api/units', {
        name: '越权单位',
        parentId: provinceId,
        level: 'department',
        kind: 'department',
      });
      expect(res.status).toBe(403);
      expect((await patch(user, `/api/units/${provinceId}`, { name: '越权' })).status).toBe(403);
      expect(
        (await as(stack.app, user).post('/api/users', { name: 'x', username: 'xx', role: 'admin', unitId: provinceId }))
          .status,
      ).toBe(403);
      expect((await as(stack.app, user).post(`/api/users/${cast.financeStaff.userId}/deactivate`)).status).toBe(403);
      expect((await as(stack.app, user).post('/api/unit-groups', { name: '越权组', memberUnitIds: [] })).status).toBe(
        403,
      );
    }
    expect(await stack.db.unit.count()).toBe(before);
    expect(await stack.db.unitGroup.count({ where: { name: '越权组' } })).toBe(0);
  });
});

describe('directory: groups', () => {
  it('When groups are listed, then the built-in ones resolve from the tree and named ones keep their members', async () => {
    const drug = await stack.db.unit.findFirstOrThrow({ where: { name: '省药品监督管理局' } });
    const created = await as(stack.app, cast.admin).post('/api/unit-groups', {
      name: '具有执法职能的省(中)直各部门',
      aliases: ['执法部门'],
      memberUnitIds: [drug.id],
    });
    expect(created.status).toBe(201);
    const dup = await as(stack.app, cast.admin).post('/api/unit-groups', { name: '具有执法职能的省(中)直各部门' });
    expect(dup.status).toBe(409);
    const unknown = await as(stack.app, cast.admin).post('/api/unit-groups', { name: '新组', memberUnitIds: ['nope'] });
    expect(unknown.status).toBe(400);
    const list = await as(stack.app, cast.office).get('/api/unit-groups');
    const items = list.body.items as { id: string; name: string; memberUnitIds: string[]; builtIn: boolean }[];
    const cities = items.find((g) => g.name === '各市人民政府')!;
    const cityGovernments = await stack.db.unit.findMany({ where: { level: 'city', kind: 'government' } });
    expect(cities.builtIn).toBe(true);
    expect(cities.memberUnitIds.sort()).toEqual(cityGovernments.map((u) => u.id).sort());
    const departments = items.find((g) => g.name === '省(中)直各部门')!;
    expect(departments.memberUnitIds).toContain(drug.id);
    expect(departments.memberUnitIds).toContain(cast.medicalStaff.unitId);
    // A city's department is not a provincial one.
    expect(departments.memberUnitIds).not.toContain(cast.cityStaff.unitId);
    const named = items.find((g) => g.id === created.body.id)!;
    expect(named.memberUnitIds).toEqual([drug.id]);
    const edited = await patch(cast.admin, `/api/unit-groups/${named.id}`, {
      memberUnitIds: [drug.id, cast.financeStaff.unitId],
    });
    expect(edited.status).toBe(200);
    expect(edited.body.memberUnitIds.sort()).toEqual([drug.id, cast.financeStaff.unitId].sort());
  });
});

describe('directory: users', () => {
  it('When the admin adds a person, then a one-time initial password signs them in and a taken username is 409', async () => {
    const res = await as(stack.app, cast.admin).post('/api/users', {
      name: '钱处长',
      username: 'qian_head',
      role: 'unit_head',
      unitId: cast.medicalStaff.unitId,
      email: 'qian@example.org',
    });
    expect(res.status).toBe(201);
    expect(res.body.initialPassword).toMatch(/^\S{12,}$/);
    const stored = await stack.db.user.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(stored.passwordHash).toMatch(/^scrypt\$/);
    expect(stored.passwordHash).not.toContain(res.body.initialPassword);
    await signIn('qian_head', res.body.initialPassword);
    const again = await as(stack.app, cast.admin).post('/api/users', {
      name: '另一人',
      username: 'qian_head',
      role: 'unit_staff',
      unitId: cast.medicalStaff.unitId,
    });
    expect(again.status).toBe(409);
    const badUnit = await as(stack.app, cast.admin).post('/api/users', {
      name: '无单位',
      username: 'nobody',
      role: 'unit_staff',
      unitId: 'nope',
    });
    expect(badUnit.status).toBe(400);
    expect(badUnit.body.error.issues[0].path).toEqual(['unitId']);
    const badEmail = await as(stack.app, cast.admin).post('/api/users', {
      name: '错邮箱',
      username: 'bad_mail',
      role: 'unit_staff',
      unitId: provinceId,
      email: 'not-an-email',
    });
    expect(badEmail.status).toBe(400);
    const edited = await patch(cast.admin, `/api/users/${res.body.id}`, { phone: '13800000000', role: 'unit_staff' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ phone: '13800000000', role: 'unit_staff', active: true });
  });
});

describe('directory: deactivation', () => {
  it('When a leader is deactivated, then their session, token and sign-in stop, delegations end, and waiting work is listed', async () => {
    const leadership = await as(stack.app, cast.admin).post('/api/units', {
      name: '省委整改领导小组',
      parentId: provinceId,
      level: 'province',
      kind: 'leading_group',
    });
    expect(leadership.status).toBe(201);
    const make = async (name: string, username: string) => {
      const res = await as(stack.app, cast.admin).post('/api/users', {
        name,
        username,
        role: 'leader',
        unitId: leadership.body.id,
        password: 'correct horse battery',
      });
      expect(res.status).toBe(201);
      expect(res.body.initialPassword).toBeUndefined();
      return res.body.id as string;
    };
    const principalId = await make('甲组长', 'jia_leader');
    const deputyId = await make('乙副组长', 'yi_leader');
    const token = generateToken();
    await stack.db.apiToken.create({ data: { userId: principalId, tokenHash: hashToken(token) } });
    const deputyToken = generateToken();
    await stack.db.apiToken.create({ data: { userId: deputyId, tokenHash: hashToken(deputyToken) } });
    const session = await signIn('jia_leader', 'correct horse battery');

    // A task the principal leads, awaiting their sign-off, with a delegation to the deputy.
    const campaignId = await openCampaign(stack.app, cast.office, provinceId);
    const now = await stack.now();
    const day = dateOf(now.toISOString());
    const created = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
      tasks: [
        taskBody(cast.medicalStaff.unitId, principalId, { deadline: { kind: 'date', date: addDaysToDate(day, 300) } }),
      ],
    });
    expect(created.status).toBe(201);
    const taskId = created.body.tasks[0].id as string;
    await assigned(stack.app, cast.office, taskId);
    const delegated = await request(stack.app)
      .post('/api/delegations')
      .set('Cookie', session.cookie)
      .set('X-CSRF-Token', session.csrfToken)
      .send({ taskId, toUserId: deputyId, from: day, to: addDaysToDate(day, 5) });
    expect(delegated.status).toBe(201);
    expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`)).status).toBe(200);
    expect(
      (await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/closure`, { summary: '已完成' })).status,
    ).toBe(200);
    expect(
      (await as(stack.app, cast.medicalHead).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' })).status,
    ).toBe(200);
    expect(
      (await as(stack.app, cast.office).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' })).status,
    ).toBe(200);
    // The deputy may act for the principal while the delegation runs.
    expect((await as(stack.app, { token: deputyToken }).get(`/api/tasks/${taskId}`)).status).toBe(200);

    const res = await as(stack.app, cast.admin).post(`/api/users/${principalId}/deactivate`);
    expect(res.status).toBe(200);
    expect(res.body.delegationsEnded).toBe(1);
    expect(res.body.waiting).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'pending_action', taskId, action: 'sign_off', level: 3 }),
        expect.objectContaining({ kind: 'leader', taskId, status: 'CLOSURE_REQUESTED' }),
      ]),
    );

    // Session, token and sign-in refused from now on.
    const me = await request(stack.app).get('/api/auth/me').set('Cookie', session.cookie);
    expect(me.status).toBe(401);
    expect((await as(stack.app, { token }).get('/api/inbox')).status).toBe(401);
    const login = await request(stack.app)
      .post('/api/auth/login')
      .send({ username: 'jia_leader', password: 'correct horse battery' });
    expect(login.status).toBe(401);
    const row = await stack.db.user.findUniqueOrThrow({ where: { id: principalId } });
    expect(row.active).toBe(false);
    expect(row.deactivatedAt).not.toBeNull();
    expect(await stack.db.session.count({ where: { userId: principalId, revokedAt: null } })).toBe(0);
    expect(await stack.db.apiToken.count({ where: { userId: principalId, revokedAt: null } })).toBe(0);

    // The delegation ended in the workflow: the deputy no longer sees the task, and the revocation is on record.
    expect((await as(stack.app, { token: deputyToken }).get(`/api/tasks/${taskId}`)).status).toBe(403);
    const revoked = await stack.db.auditEvent.findMany({ where: { taskId, action: 'DelegationRevoked' } });
    expect(revoked).toHaveLength(1);

    // No longer offered in pickers; still in the admin's list, inactive. Deactivating again changes nothing more.
    const pickers = await as(stack.app, cast.office).get(`/api/users?role=leader`);
    expect((pickers.body.items as { id: string }[]).map((u) => u.id)).not.toContain(principalId);
    const adminList = await as(stack.app, cast.admin).get('/api/users');
    expect(adminList.body.items).toContainEqual(expect.objectContaining({ id: principalId, active: false }));
    const again = await as(stack.app, cast.admin).post(`/api/users/${principalId}/deactivate`);
    expect(again.status).toBe(200);
    expect(again.body.delegationsEnded).toBe(0);
    expect((await as(stack.app, cast.admin).post(`/api/users/${cast.admin.userId}/deactivate`)).status).toBe(400);
    expect((await as(stack.app, cast.admin).post('/api/users/nope/deactivate')).status).toBe(404);
  });
});

describe('directory: spreadsheet import', () => {
  async function directoryWorkbook(units: (string | null)[][], users: (string | null)[][]): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    const u = wb.addWorksheet('单位');
    u.addRow(['单位名称', '上级单位', '层级', '类型', '简称']);
    for (const row of units) u.addRow(row);
    const p = wb.addWorksheet('人员');
    p.addRow(['姓名', '用户名', '角色', '所属单位', '邮箱', '手机']);
    for (const row of users) p.addRow(row);
    return Buffer.from(await wb.xlsx.writeBuffer());
  }
  const uploadDirectory = (user: { token: string }, file: Buffer) =>
    request(stack.app)
      .post('/api/directory/imports')
      .set('Authorization', `Bearer ${user.token}`)
      .attach('file', file, '通讯录.xlsx');

  it('When the admin imports units and people, then preview, commit once with initial passwords, and a second commit creates nothing', async () => {
    const file = await directoryWorkbook(
      [
        // The child first: a parent may come later in the sheet.
        ['省教育厅办公室', '省教育厅', '部门', '办公室', null],
        ['省教育厅', '江南省卫生健康委员会', '部门', '部门', '省教育厅、教育厅'],
      ],
      [
        ['孙处长', 'sun_head', '负责人', '省教育厅', 'sun@example.org', '13900000000'],
        ['周干事', 'zhou_staff', '经办人', '教育厅', null, null],
      ],
    );
    expect((await uploadDirectory(cast.office, file)).status).toBe(403);
    const preview = await uploadDirectory(cast.admin, file);
    expect(preview.status).toBe(201);
    expect(preview.body.summary).toEqual({ units: 2, users: 2, errors: 0, warnings: 0 });
    expect(await stack.db.unit.count({ where: { name: { startsWith: '省教育厅' } } })).toBe(0);

    const commit = await as(stack.app, cast.admin).post(`/api/directory/imports/${preview.body.id}/commit`);
    expect(commit.status).toBe(200);
    expect(commit.body.created.units).toBe(2);
    const passwords = commit.body.created.users as { username: string; initialPassword: string }[];
    expect(passwords.map((p) => p.username).sort()).toEqual(['sun_head', 'zhou_staff']);
    const office = await stack.db.unit.findFirstOrThrow({
      where: { name: '省教育厅办公室' },
      include: { parent: true },
    });
    expect(office.parent?.name).toBe('省教育厅');
    const zhou = await stack.db.user.findUniqueOrThrow({ where: { username: 'zhou_staff' }, include: { unit: true } });
    expect(zhou).toMatchObject({ role: 'unit_staff', unit: { name: '省教育厅' } });
    await signIn('sun_head', passwords.find((p) => p.username === 'sun_head')!.initialPassword);

    const again = await as(stack.app, cast.admin).post(`/api/directory/imports/${preview.body.id}/commit`);
    expect(again.status).toBe(200);
    expect(again.body.created).toEqual({ units: 0, users: [] });
    expect(await stack.db.unit.count({ where: { name: { startsWith: '省教育厅' } } })).toBe(2);
  });

  it('When a row is wrong, then the preview names the cell and the commit is refused', async () => {
    const file = await directoryWorkbook(
      [['南州市人民政府', '北方省', '市', '政府', null]],
      [['某人', 'bad name', '国王', '不存在的单位', null, null]],
    );
    const preview = await uploadDirectory(cast.admin, file);
    expect(preview.status).toBe(201);
    expect(preview.body.summary.errors).toBe(4);
    expect(preview.body.rows.units[0].errors[0].message).toBe('B2：上级单位“北方省”不在通讯录中，也不在本表中');
    const commit = await as(stack.app, cast.admin).post(`/api/directory/imports/${preview.body.id}/commit`);
    expect(commit.status).toBe(400);
    expect(await stack.db.unit.count({ where: { name: '南州市人民政府' } })).toBe(0);
  });
});
