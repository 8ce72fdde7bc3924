/**
 * Production hygiene (issue 11): a reused Idempotency-Key with another body, two Authorization headers, offices acting
 * outside their level, and the production shape's start-up defaults.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startupPolicy } from '../../scripts/start';
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let campaignId: string;

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('Idempotency-Key', () => {
  const post = (key: string, body: object) =>
    as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, body).set('Idempotency-Key', key);

  it('When a key is reused with the same request (keys in another order), then the same tasks come back', async () => {
    const body = taskBody(cast.medicalStaff.unitId, cast.leader.userId, { measure: '同键同体' });
    const first = await post('same-body', body);
    expect(first.status).toBe(201);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await post('same-body', reordered);
    expect(again.status).toBe(201);
    expect(again.body.tasks).toEqual(first.body.tasks);
  });

  it('When a key is reused with a different body, then the answer is 422 and nothing is written', async () => {
    const first = await post('other-body', {
      tasks: [taskBody(cast.medicalStaff.unitId, cast.leader.userId, { measure: '第一次的措施' })],
    });
    expect(first.status).toBe(201);
    const id = first.body.tasks[0].id as string;
    await assigned(stack.app, cast.office, id);
    const tasksBefore = await stack.db.task.count({ where: { campaignId } });
    const auditBefore = await stack.db.auditEvent.count();

    // Same key, another measure; then same key, one task more.
    for (const tasks of [
      [taskBody(cast.medicalStaff.unitId, cast.leader.userId, { measure: '另一项措施' })],
      [
        taskBody(cast.medicalStaff.unitId, cast.leader.userId, { measure: '第一次的措施' }),
        taskBody(cast.financeStaff.unitId, cast.leader.userId, { measure: '多出的一项' }),
      ],
    ]) {
      const res = await post('other-body', { tasks });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('UNPROCESSABLE');
      expect(res.body.error.message).toMatch(/Idempotency-Key/);
    }
    expect(await stack.db.task.count({ where: { campaignId } })).toBe(tasksBefore);
    expect(await stack.db.auditEvent.count()).toBe(auditBefore);
    const task = await as(stack.app, cast.office).get(`/api/tasks/${id}`);
    expect(task.body.measure).toBe('第一次的措施');
  });
});

describe('a retry without an Idempotency-Key', () => {
  it('When the same creation is sent again without a key (its answer lost), then its tasks are not created twice', async () => {
    const body = { tasks: [taskBody(cast.medicalStaff.unitId, cast.leader.userId, { measure: '无键重试的措施' })] };
    const send = () =>
      as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, body).unset('Idempotency-Key');
    const first = await send();
    expect(first.status).toBe(201);
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.body.tasks).toEqual(first.body.tasks);
    expect(await stack.db.task.count({ where: { campaignId, measure: '无键重试的措施' } })).toBe(1);
    // Another person sending the same body is not a retry of the first one's request.
    const byColleague = await as(stack.app, cast.deputyOffice)
      .post(`/api/campaigns/${campaignId}/tasks`, body)
      .unset('Idempotency-Key');
    expect(byColleague.status).toBe(201);
    expect(byColleague.body.tasks[0].id).not.toBe(first.body.tasks[0].id);
  });
});

describe('two Authorization headers', () => {
  /** A raw request: HTTP clients (supertest too) merge or replace repeated headers before they leave. */
  async function rawGet(headers: [string, string][]): Promise<{ status: number; body: string }> {
    const server = stack.app.listen(0);
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      const { port } = server.address() as AddressInfo;
      const text = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(
            [
              'GET /api/auth/me HTTP/1.1',
              'Host: localhost',
              'Connection: close',
              ...headers.map(([k, v]) => `${k}: ${v}`),
            ]
              .join('\r\n')
              .concat('\r\n\r\n'),
          );
        });
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (data += chunk));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('When one valid bearer token is sent, then the caller is known (control)', async () => {
    expect((await rawGet([['Authorization', `Bearer ${cast.office.token}`]])).status).toBe(200);
  });

  it('When two Authorization headers are sent, then the answer is 400 naming the header', async () => {
    for (const headers of [
      [
        ['Authorization', `Bearer ${cast.office.token}`],
        ['Authorization', `Bearer ${cast.medicalStaff.token}`],
      ],
      [
        ['Authorization', `Bearer ${cast.office.token}`],
        ['authorization', `Bearer ${cast.office.token}`],
      ],
    ] as [string, string][][]) {
      const res = await rawGet(headers);
      expect(res.status).toBe(400);
      expect(res.body).toContain('"VALIDATION"');
      expect(res.body).toContain('Authorization');
    }
  });
});

describe('offices act within their level only', () => {
  let cityCampaignId: string;
  let cityTaskId: string;

  beforeAll(async () => {
    const city = await as(stack.app, cast.cityOffice).post('/api/campaigns', {
      name: '市委巡察反馈意见整改',
      kind: 'xuncha',
      inspectingBody: '市委第一巡察组',
      inspectedUnitId: cast.cityLeader.unitId,
      feedbackDate: '2020-06-30',
    });
    expect(city.status).toBe(201);
    cityCampaignId = city.body.id as string;
    const created = await as(stack.app, cast.cityOffice).post(
      `/api/campaigns/${cityCampaignId}/tasks`,
      taskBody(cast.cityStaff.unitId, cast.cityLeader.userId),
    );
    expect(created.status).toBe(201);
    cityTaskId = created.body.tasks[0].id as string;
    await assigned(stack.app, cast.cityOffice, cityTaskId);
  });

  function expectLevelRefusal(res: { status: number; body: { error: { code: string; message: string } } }): void {
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(res.body.error.message).toMatch(/本级/);
    expect(res.body.error.message).not.toMatch(UUID);
  }

  it('When a city office creates a task led by, joined by or under a leader of another level, then 403 and nothing is written', async () => {
    const before = await stack.db.task.count({ where: { campaignId: cityCampaignId } });
    for (const body of [
      taskBody(cast.medicalStaff.unitId, cast.cityLeader.userId),
      taskBody(cast.cityBStaff.unitId, cast.cityLeader.userId),
      taskBody(cast.cityStaff.unitId, cast.cityLeader.userId, { participatingUnitIds: [cast.financeStaff.unitId] }),
      taskBody(cast.cityStaff.unitId, cast.leader.userId),
      taskBody(cast.cityStaff.unitId, cast.cityBLeader.userId),
      taskBody(cast.cityStaff.unitId, cast.cityLeader.userId, { responsiblePersonId: cast.medicalHead.userId }),
    ]) {
      expectLevelRefusal(await as(stack.app, cast.cityOffice).post(`/api/campaigns/${cityCampaignId}/tasks`, body));
    }
    expect(await stack.db.task.count({ where: { campaignId: cityCampaignId } })).toBe(before);
  });

  it('When a city office reassigns its task to another level, then 403 and the task is unchanged', async () => {
    for (const body of [
      { leadUnitId: cast.cityBStaff.unitId, reason: '调整' },
      { leadUnitId: cast.medicalStaff.unitId, reason: '调整' },
      { leaderId: cast.leader.userId, reason: '调整' },
    ]) {
      expectLevelRefusal(await as(stack.app, cast.cityOffice).post(`/api/tasks/${cityTaskId}/reassign`, body));
    }
    const task = await as(stack.app, cast.cityOffice).get(`/api/tasks/${cityTaskId}`);
    expect(task.body.leadUnitId).toBe(cast.cityStaff.unitId);
    expect(task.body.leaderId).toBe(cast.cityLeader.userId);
  });

  it('When a city office splits its task into units of another level, then 403 and no child is created', async () => {
    const res = await as(stack.app, cast.cityOffice).post(`/api/tasks/${cityTaskId}/split`, {
      children: [{ leadUnitId: cast.cityBStaff.unitId, leaderId: cast.cityBLeader.userId }],
    });
    expectLevelRefusal(res);
    expect(await stack.db.task.count({ where: { parentTaskId: cityTaskId } })).toBe(0);
  });

  it('When the province office splits its task into a city unit (within its level), then it is accepted', async () => {
    const created = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId, { measure: '省级分解' }),
    );
    expect(created.status).toBe(201);
    const id = created.body.tasks[0].id as string;
    await assigned(stack.app, cast.office, id);
    const res = await as(stack.app, cast.office).post(`/api/tasks/${id}/split`, {
      children: [{ leadUnitId: cast.cityStaff.unitId, leaderId: cast.cityLeader.userId }],
    });
    expect(res.status).toBe(200);
  });
});

describe('start-up defaults (scripts/start.ts startupPolicy)', () => {
  it('The embedded default seeds the demo organisation and prints its secrets', () => {
    expect(startupPolicy({})).toEqual({ production: false, seedDemo: true, printSecrets: true });
    expect(startupPolicy({ DATABASE_URL: 'file:data/x.db' }).seedDemo).toBe(true);
    expect(startupPolicy({ SEED_DEMO: 'false' }).seedDemo).toBe(false);
  });

  it('The production shape seeds nothing unless SEED_DEMO=true, and never prints secrets', () => {
    for (const env of [
      { TEMPORAL_ADDRESS: 'temporal:7233' },
      { DATABASE_URL: 'postgresql://u:p@db/zhenggai' },
      { DATABASE_URL: 'postgres://u:p@db/zhenggai' },
      { TEMPORAL_ADDRESS: 'temporal:7233', DATABASE_URL: 'postgresql://u:p@db/zhenggai' },
    ]) {
      expect(startupPolicy(env)).toEqual({ production: true, seedDemo: false, printSecrets: false });
      expect(startupPolicy({ ...env, SEED_DEMO: 'true' })).toEqual({
        production: true,
        seedDemo: true,
        printSecrets: false,
      });
    }
  });
});
