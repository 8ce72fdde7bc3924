/**
 * The checks every provider must pass, shared by the SQLite and PostgreSQL suites: CRUD of the main models and their
 * relations, JSON columns, unique idempotency keys, the report version key, and timestamps.
 */
import type { Db } from '../../db/client';
import type { TTestDb } from '../helpers/db';
import { directoryVersion, tasksVersion } from '../../api/readCache';

type TMake = () => Promise<TTestDb>;

async function seedTask(db: Db) {
  const province = await db.unit.create({ data: { name: '省纪委监委', level: 'province', kind: 'office' } });
  const city = await db.unit.create({ data: { name: '市交通运输局', level: 'city', parentId: province.id } });
  const leader = await db.user.create({ data: { name: '王副市长', role: 'leader', unitId: city.id } });
  const staff = await db.user.create({ data: { name: '李科员', role: 'unit_staff', unitId: city.id } });
  const policy = { reportDueDay: 25, reminderDaysBefore: 3, signOffLevels: ['unit_head', 'office', 'leader'] };
  const campaign = await db.campaign.create({
    data: {
      name: '省委第三巡视组反馈意见整改',
      kind: 'xunshi',
      inspectingBody: '省委第三巡视组',
      inspectedUnitId: city.id,
      feedbackDate: '2024-03-15',
      policy,
      createdById: leader.id,
    },
  });
  const category = await db.category.create({ data: { campaignId: campaign.id, name: '党的领导' } });
  const problem = await db.problem.create({
    data: { campaignId: campaign.id, categoryId: category.id, title: '落实主体责任不到位' },
  });
  const task = await db.task.create({
    data: {
      campaignId: campaign.id,
      problemId: problem.id,
      measure: '制定整改方案并逐项销号',
      leadUnitId: city.id,
      leaderId: leader.id,
      deadlineKind: 'date_then_long_term',
      deadlineText: '2024年6月30日前完成，并长期推进',
      deadlineDate: '2024-06-30',
      status: 'ASSIGNED',
      workflowId: `task-${campaign.id}-1`,
      participants: { create: [{ unitId: province.id }] },
    },
  });
  return { province, city, leader, staff, campaign, category, problem, task, policy };
}

export type TContractOptions = {
  /**
   * PGlite's socket server loses track of the wire protocol after an error inside a transaction (later queries get
   * the wrong replies): that check runs on SQLite and real PostgreSQL only.
   */
  errorInsideTransaction?: boolean;
  /** Whether two writing transactions can run at once (a PostgreSQL server). */
  concurrentWriters?: boolean;
};

export function describeDbContract(make: TMake, options: TContractOptions = {}): void {
  let t: TTestDb;
  beforeEach(async () => {
    t = await make();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('round-trips a campaign, its task and relations, with the JSON policy intact', async () => {
    const { campaign, task, policy, city, province } = await seedTask(t.db);
    const read = await t.db.task.findUniqueOrThrow({
      where: { id: task.id },
      include: { campaign: true, problem: { include: { category: true } }, participants: true },
    });
    expect(read.campaign.policy).toEqual(policy);
    expect(read.problem.category.name).toBe('党的领导');
    expect(read.participants.map((p) => p.unitId)).toEqual([province.id]);
    expect(read).toMatchObject({ round: 1, reopenCount: 0, overdue: false, currentSignOffLevel: null });
    expect(read.createdAt).toBeInstanceOf(Date);
    const tasks = await t.db.task.findMany({ where: { campaignId: campaign.id, leadUnitId: city.id } });
    expect(tasks.map((x) => x.id)).toEqual([task.id]);

    const updated = await t.db.task.update({
      where: { id: task.id },
      data: { status: 'CLOSURE_REQUESTED', currentSignOffLevel: 2, stateJson: { status: 'CLOSURE_REQUESTED' } },
    });
    expect(updated).toMatchObject({ status: 'CLOSURE_REQUESTED', currentSignOffLevel: 2 });
    expect(updated.stateJson).toEqual({ status: 'CLOSURE_REQUESTED' });
    const children = await t.db.unit.findUniqueOrThrow({ where: { id: province.id }, include: { children: true } });
    expect(children.children.map((c) => c.id)).toEqual([city.id]);
  });

  it('moves the tasks version of the read cache with every committed write of a task or a pending action, not with reads', async () => {
    const { task } = await seedTask(t.db);
    const v0 = await tasksVersion(t.db);
    await t.db.task.findMany({ where: { id: task.id } });
    // On PostgreSQL the version is the cluster's snapshot xmax: other databases' writes (other test files at the same
    // time) move it too, which costs cache hits, never correctness. SQLite's counter moves with this database alone.
    if (!t.url.startsWith('postgres')) expect(await tasksVersion(t.db)).toBe(v0);
    await t.db.task.update({ where: { id: task.id }, data: { trafficLight: 'red' } });
    const v1 = await tasksVersion(t.db);
    expect(v1).not.toBe(v0);
    await t.db.taskPendingAction.create({ data: { taskId: task.id, action: 'acknowledge', role: 'unit_staff' } });
    const v2 = await tasksVersion(t.db);
    expect(v2).not.toBe(v1);
    await t.db.taskPendingAction.deleteMany({ where: { taskId: task.id } });
    expect(await tasksVersion(t.db)).not.toBe(v2);
  });

  // Two writing transactions at once: a PostgreSQL server's (SQLite runs one writer at a time, PGlite one connection).
  (options.concurrentWriters ? it : it.skip)(
    'moves the tasks version when a transaction that began first commits last (a projection outrun by another)',
    async () => {
      const { task } = await seedTask(t.db);
      const other = await seedTask(t.db);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let wrote!: () => void;
      const written = new Promise<void>((resolve) => (wrote = resolve));
      const slow = t.db.$transaction(async (tx) => {
        await tx.task.update({ where: { id: task.id }, data: { trafficLight: 'red' } });
        wrote();
        await held;
      });
      await written;
      await t.db.task.update({ where: { id: other.task.id }, data: { trafficLight: 'yellow' } });
      const between = await tasksVersion(t.db);
      release();
      await slow;
      // A read cached under `between` did not see the slow transaction's write: the version must have moved since.
      expect(await tasksVersion(t.db)).not.toBe(between);
    },
  );

  it('moves the directory version with every write of a unit, not with reads', async () => {
    const { city } = await seedTask(t.db);
    const v0 = await directoryVersion(t.db);
    expect(v0).not.toBeNull();
    await t.db.unit.findMany({ select: { id: true } });
    if (!t.url.startsWith('postgres')) expect(await directoryVersion(t.db)).toBe(v0);
    await t.db.unit.update({ where: { id: city.id }, data: { name: '市交通运输局（更名）' } });
    const v1 = await directoryVersion(t.db);
    expect(v1).not.toBe(v0);
    await t.db.unit.create({ data: { name: '县交通运输局', level: 'county', parentId: city.id } });
    expect(await directoryVersion(t.db)).not.toBe(v1);
  });

  it('keys reports by task, period, round and version, and keeps their review and sign-off history', async () => {
    const { task, staff, leader } = await seedTask(t.db);
    const report = {
      taskId: task.id,
      period: '2024-04',
      progress: '已召开专题会议',
      status: 'returned',
      submittedById: staff.id,
      submittedAt: new Date('2024-04-20T02:00:00Z'),
    };
    const v1 = await t.db.report.create({ data: report });
    await expect(t.db.report.create({ data: report })).rejects.toThrow();
    const v2 = await t.db.report.create({ data: { ...report, status: 'submitted', version: 2 } });
    await t.db.reviewDecision.create({
      data: {
        reportId: v1.id,
        decision: 'return',
        reason: '缺少佐证材料',
        reviewerId: leader.id,
        decidedAt: new Date(),
      },
    });
    await t.db.evidence.create({
      data: {
        taskId: task.id,
        reportId: v2.id,
        fileName: '会议纪要.pdf',
        sizeBytes: 1024,
        sha256: 'a'.repeat(64),
        uploadedById: staff.id,
      },
    });
    const app = await t.db.closeoutApplication.create({
      data: { taskId: task.id, summary: '已完成', status: 'pending', appliedById: staff.id, appliedAt: new Date() },
    });
    await t.db.signOffDecision.create({
      data: {
        applicationId: app.id,
        level: 1,
        levelName: 'unit_head',
        decision: 'approve',
        signerId: leader.id,
        onBehalfOfId: staff.id,
        decidedAt: new Date(),
      },
    });
    const read = await t.db.task.findUniqueOrThrow({
      where: { id: task.id },
      include: {
        reports: { orderBy: { version: 'asc' }, include: { reviews: true, evidence: true } },
        applications: { include: { decisions: true } },
      },
    });
    expect(read.reports.map((r) => [r.version, r.status])).toEqual([
      [1, 'returned'],
      [2, 'submitted'],
    ]);
    expect(read.reports[0]?.reviews[0]?.reason).toBe('缺少佐证材料');
    expect(read.reports[1]?.evidence[0]?.fileName).toBe('会议纪要.pdf');
    expect(read.applications[0]?.decisions[0]).toMatchObject({ level: 1, onBehalfOfId: staff.id });
  });

  it('writes a row once per idempotency key (audit, notification, notice, outbox)', async () => {
    const { task, leader, city } = await seedTask(t.db);
    const audit = {
      idempotencyKey: `${task.id}:submit:1`,
      taskId: task.id,
      actorId: leader.id,
      action: 'report.submitted',
      fromStatus: 'ASSIGNED',
      toStatus: 'IN_PROGRESS',
      detail: { period: '2024-04', nested: { ok: true, n: [1, 2] } },
      at: new Date('2024-04-20T02:00:00Z'),
    };
    await t.db.auditEvent.create({ data: audit });
    await expect(t.db.auditEvent.create({ data: audit })).rejects.toThrow();
    // A retried activity upserts on the key and changes nothing.
    await t.db.auditEvent.upsert({ where: { idempotencyKey: audit.idempotencyKey }, create: audit, update: {} });
    const events = await t.db.auditEvent.findMany({ where: { taskId: task.id } });
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toEqual(audit.detail);
    expect(events[0]?.at.toISOString()).toBe('2024-04-20T02:00:00.000Z');

    const note = { idempotencyKey: 'n1', userId: leader.id, taskId: task.id, kind: 'signoff', title: 't', body: 'b' };
    await t.db.notification.create({ data: note });
    await expect(t.db.notification.create({ data: note })).rejects.toThrow();
    const notice = {
      idempotencyKey: 's1',
      taskId: task.id,
      kind: 'report_overdue',
      step: 'supervision_notice',
      reason: '月报逾期',
      period: '2024-04',
      issuedAt: new Date(),
      recipientUnitId: city.id,
    };
    await t.db.supervisionNotice.create({ data: notice });
    await expect(t.db.supervisionNotice.create({ data: notice })).rejects.toThrow();
    const outbox = { idempotencyKey: 'o1', channel: 'sms', payload: { to: ['138'], text: '请于25日前报送' } };
    await t.db.outboxMessage.create({ data: outbox });
    await expect(t.db.outboxMessage.create({ data: outbox })).rejects.toThrow();
    expect((await t.db.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: 'o1' } })).payload).toEqual(
      outbox.payload,
    );
    const unread = await t.db.notification.findMany({ where: { userId: leader.id, readAt: null } });
    expect(unread).toHaveLength(1);
  });

  it('stores API token hashes uniquely, delegations and extension requests', async () => {
    const { task, leader, staff } = await seedTask(t.db);
    const hash = 'f'.repeat(64);
    await t.db.apiToken.create({ data: { userId: leader.id, tokenHash: hash } });
    await expect(t.db.apiToken.create({ data: { userId: staff.id, tokenHash: hash } })).rejects.toThrow();
    const found = await t.db.apiToken.findUniqueOrThrow({ where: { tokenHash: hash }, include: { user: true } });
    expect(found.user.role).toBe('leader');
    expect(found.revokedAt).toBeNull();
    await t.db.delegation.create({
      data: { fromUserId: leader.id, toUserId: staff.id, validFrom: '2024-05-01', validTo: '2024-05-10' },
    });
    expect(await t.db.delegation.count({ where: { toUserId: staff.id } })).toBe(1);
    await t.db.extensionRequest.create({
      data: {
        taskId: task.id,
        oldDate: '2024-06-30',
        newDate: '2024-09-30',
        reason: '资金未到位',
        status: 'pending',
        requestedById: staff.id,
        requestedAt: new Date(),
      },
    });
    expect((await t.db.extensionRequest.findFirstOrThrow({ where: { taskId: task.id } })).newDate).toBe('2024-09-30');
  });

  (options.errorInsideTransaction === false ? it.skip : it)(
    'commits a row change and its audit record together, or neither',
    async () => {
      const { task } = await seedTask(t.db);
      const audit = { idempotencyKey: 'k-tx', taskId: task.id, action: 'status', at: new Date() };
      await t.db.auditEvent.create({ data: audit });
      // The second write collides on the key: the whole transaction, including the status change, rolls back.
      await expect(
        t.db.$transaction([
          t.db.task.update({ where: { id: task.id }, data: { status: 'IN_PROGRESS' } }),
          t.db.auditEvent.create({ data: audit }),
        ]),
      ).rejects.toThrow();
      expect((await t.db.task.findUniqueOrThrow({ where: { id: task.id } })).status).toBe('ASSIGNED');
    },
  );
}
