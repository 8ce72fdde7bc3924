/**
 * Numbered 督办 documents and supervisor jurisdiction against a real database (SQLite by default, PostgreSQL with
 * TEST_DATABASE_PROVIDER=postgres): 文号 without gaps or duplicates under concurrent issue, per office and Shanghai
 * year; a rolled-back issue gives its number back; escalations reach only the supervisors whose jurisdiction holds
 * the task's lead unit.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { TProjectTaskEventsInput } from '../../activities/projection';
import {
  allocateDocumentNo,
  answerDueAt,
  docPrefixOf,
  supervisorsOver,
  writeSupervisionNotice,
} from '../../activities/supervision';
import type { Db } from '../../db/client';
import { ZCampaignPolicy } from '../../domain/policy';
import { applyCommand, initialState, type Actor, type TaskCommand, type TaskState } from '../../domain/task';
import { createTestDb } from '../helpers/db';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';

let db: Db;
let cleanup: () => Promise<void>;
let org: TOrg;

beforeAll(async () => {
  ({ db, cleanup } = await createTestDb());
  org = await createOrg(db, 1);
});

afterAll(async () => {
  await cleanup?.();
});

async function unit(name: string, kind = 'office', parentId: string | null = null, docPrefix?: string) {
  return (await db.unit.create({ data: { name, level: 'province', kind, parentId, docPrefix: docPrefix ?? null } })).id;
}

describe('allocateDocumentNo', () => {
  it('When 20 notices are issued at once by one office, then they are numbered 1..20 with no gap or duplicate', async () => {
    const office = await unit('测试省整改办', 'office', null, '测试整改办督');
    const input = await createTaskRow(db, org, {
      deadline: { kind: 'date', date: '2026-06-30' },
      assignedAt: '2026-01-05T02:00:00Z',
    });
    const at = new Date('2026-07-15T02:00:00.000Z');
    const issued = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.$transaction((tx) =>
          writeSupervisionNotice(tx, {
            idempotencyKey: `concurrent:${office}:${i}`,
            taskId: input.taskId,
            kind: 'escalation',
            step: 'supervision_notice',
            reason: '测试',
            at,
            issuingUnitId: office,
            recipientUnitId: org.deptA,
            issuedById: null,
          }),
        ),
      ),
    );
    expect(issued.map((n) => n.docSeq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(issued.map((n) => n.documentNo)).size).toBe(20);
    expect(issued.map((n) => n.documentNo)).toContain('测试整改办督〔2026〕20号');
    const rows = await db.supervisionNotice.findMany({ where: { issuingUnitId: office } });
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.docYear === 2026 && r.recipientUnitId === org.deptA)).toBe(true);
    expect(
      await db.documentCounter.findUnique({ where: { issuingUnitId_year: { issuingUnitId: office, year: 2026 } } }),
    ).toMatchObject({ next: 21 });
  });

  it('When the Shanghai year turns (16:00Z on 31 December), then numbering starts again at 1 for the new year', async () => {
    const office = await unit('跨年整改办');
    const take = (iso: string) =>
      db.$transaction((tx) => allocateDocumentNo(tx, { issuingUnitId: office, at: new Date(iso) }));
    expect(await take('2026-12-31T15:59:59.000Z')).toMatchObject({ docYear: 2026, docSeq: 1 });
    expect(await take('2026-12-31T16:00:00.000Z')).toMatchObject({ docYear: 2027, docSeq: 1 });
    expect(await take('2027-01-02T00:00:00.000Z')).toMatchObject({ docYear: 2027, docSeq: 2 });
    expect(await take('2026-12-01T00:00:00.000Z')).toMatchObject({ docYear: 2026, docSeq: 2 });
  });

  it('When an issue rolls back (its transaction fails), then its number is given again: no gap', async () => {
    const office = await unit('回滚整改办');
    const at = new Date('2026-05-01T00:00:00.000Z');
    await expect(
      db.$transaction(async (tx) => {
        await allocateDocumentNo(tx, { issuingUnitId: office, at });
        throw new Error('projection failed after numbering');
      }),
    ).rejects.toThrow('projection failed');
    const next = await db.$transaction((tx) => allocateDocumentNo(tx, { issuingUnitId: office, at }));
    expect(next.docSeq).toBe(1);
  });

  it('When offices differ, then each has its own sequence, and the prefix is the docPrefix or a short form of the name', async () => {
    const a = await unit('省卫健委巡视整改工作办公室');
    const b = await unit('甲市整改办', 'office', null, '甲整督');
    const at = new Date('2026-03-01T00:00:00.000Z');
    const na = await db.$transaction((tx) => allocateDocumentNo(tx, { issuingUnitId: a, at }));
    const nb = await db.$transaction((tx) => allocateDocumentNo(tx, { issuingUnitId: b, at }));
    expect(na.documentNo).toBe('省卫健委整改办督〔2026〕1号');
    expect(nb.documentNo).toBe('甲整督〔2026〕1号');
    expect(docPrefixOf({ name: '东州市人民政府', docPrefix: null })).toBe('东州市政府督');
  });

  it('When a notice is issued, then the answer is due at the end of the 5th working day after, holidays skipped', async () => {
    const due = async (iso: string) => (await answerDueAt(db, new Date(iso))).toISOString();
    // Sunday 2026-03-01 (10:00 Shanghai) → Monday..Friday → due by the end of Friday 2026-03-06 Shanghai.
    expect(await due('2026-03-01T02:00:00.000Z')).toBe('2026-03-06T16:00:00.000Z');
    // 23:30 on Tuesday 31 March in Shanghai (15:30Z) counts from 31 March; 清明 (4–6 April 2026) is skipped:
    // 1, 2, 3, 7, 8 April → the end of 8 April.
    expect(await due('2026-03-31T15:30:00.000Z')).toBe('2026-04-08T16:00:00.000Z');
    // An admin's override counts: a Wednesday made a day off moves the due day to the next Monday.
    await db.calendarOverride.create({
      data: { date: '2026-03-04', workday: false, name: '测试休息日', updatedById: org.office.userId },
    });
    expect(await due('2026-03-01T02:00:00.000Z')).toBe('2026-03-09T16:00:00.000Z');
    await db.calendarOverride.delete({ where: { date: '2026-03-04' } });
  });
});

describe('supervisorsOver', () => {
  it('When discipline units supervise parts of the tree, then only the supervisors whose jurisdiction holds the unit are found', async () => {
    const root = await unit('某省', 'government');
    const city = await unit('某市', 'government', root);
    const cityDept = await unit('某市卫健委', 'department', city);
    const otherDept = await unit('某省财政厅', 'department', root);
    const d1 = await unit('驻某市纪检组', 'discipline', root);
    const d2 = await unit('驻财政厅纪检组', 'discipline', root);
    await db.supervisedUnit.createMany({
      data: [
        { disciplineUnitId: d1, unitId: city },
        { disciplineUnitId: d2, unitId: otherDept },
      ],
    });
    const s1 = await db.user.create({ data: { name: '纪检一', role: 'supervisor', unitId: d1 } });
    await db.user.create({ data: { name: '纪检一（已停用）', role: 'supervisor', unitId: d1, active: false } });
    await db.user.create({ data: { name: '纪检一的经办', role: 'unit_staff', unitId: d1 } });
    const s2 = await db.user.create({ data: { name: '纪检二', role: 'supervisor', unitId: d2 } });

    // A department under the listed city: the city's jurisdiction covers its descendants.
    expect(await db.$transaction((tx) => supervisorsOver(tx, cityDept))).toEqual([{ userId: s1.id }]);
    expect(await db.$transaction((tx) => supervisorsOver(tx, otherDept))).toEqual([{ userId: s2.id }]);
    // The root itself is nobody's: listing a child gives no jurisdiction over its parent.
    expect(await db.$transaction((tx) => supervisorsOver(tx, root))).toEqual([]);
  });
});

describe('projectTaskEvents: escalation steps as numbered documents', () => {
  function run(state: TaskState, commands: TaskCommand[], now: string) {
    const policy = ZCampaignPolicy.parse({});
    const events = [];
    for (const command of commands) {
      const result = applyCommand(state, command, { now, policy });
      if (!result.ok) throw new Error(result.error.message);
      state = result.value.state;
      events.push(...result.value.events);
    }
    return { state, events };
  }

  it('When a monthly report is overdue, then its notice is numbered by the office and addressed to the lead unit', async () => {
    const assignedAt = '2026-01-05T02:00:00.000Z';
    const input = await createTaskRow(db, org, { deadline: { kind: 'date', date: '2026-12-31' }, assignedAt });
    const { state, events } = run(
      initialState({ ...input, signOffChain: input.signOffChain }),
      [{ type: 'assign' }, { type: 'acknowledge', actor: org.staffA }, { type: 'reportOverdue', period: '2026-01' }],
      '2026-01-27T02:00:00.000Z',
    );
    const env = new MockActivityEnvironment();
    const batch = { taskId: input.taskId, workflowId: `task-${input.taskId}`, firstSeq: 0, events, state };
    expect(await env.run(createActivities({ db }).projectTaskEvents, batch)).toEqual({ written: true });
    const notice = await db.supervisionNotice.findFirstOrThrow({ where: { taskId: input.taskId } });
    expect(notice).toMatchObject({
      kind: 'report_overdue',
      step: 'supervision_notice',
      period: '2026-01',
      issuingUnitId: org.officeUnitId,
      recipientUnitId: org.deptA,
      issuedById: null,
      docYear: 2026,
      documentNo: `省整改办督〔2026〕${notice.docSeq}号`,
    });
    // A retried projection (same batch) takes no second number.
    const counter = await db.documentCounter.findUniqueOrThrow({
      where: { issuingUnitId_year: { issuingUnitId: org.officeUnitId, year: 2026 } },
    });
    expect(await env.run(createActivities({ db }).projectTaskEvents, batch)).toEqual({ written: false });
    expect(
      await db.documentCounter.findUniqueOrThrow({
        where: { issuingUnitId_year: { issuingUnitId: org.officeUnitId, year: 2026 } },
      }),
    ).toEqual(counter);
  });

  it('When the ladder and a supervisor issue steps, then each is numbered by its issuer, addressed to the lead unit, and only supervisors in jurisdiction are told', async () => {
    // The org's supervisor sits in the province unit; give jurisdiction over department A to a discipline unit with
    // its own supervisor, and another discipline unit over department B only.
    const discipline = await unit('驻省卫健委纪检组', 'discipline', org.provinceId, '驻委纪检督');
    const otherDiscipline = await unit('驻省医保局纪检组', 'discipline', org.provinceId);
    await db.supervisedUnit.createMany({
      data: [
        { disciplineUnitId: discipline, unitId: org.deptA },
        { disciplineUnitId: otherDiscipline, unitId: org.deptB },
      ],
    });
    const inJurisdiction = await db.user.create({ data: { name: '卫健纪检', role: 'supervisor', unitId: discipline } });
    const outside = await db.user.create({ data: { name: '医保纪检', role: 'supervisor', unitId: otherDiscipline } });
    const supervisor: Actor = { userId: inJurisdiction.id, role: 'supervisor', unitId: discipline };

    const assignedAt = '2026-01-05T02:00:00.000Z';
    const input = await createTaskRow(db, org, { deadline: { kind: 'date', date: '2026-02-27' }, assignedAt });
    const overdueAt = '2026-04-10T02:00:00.000Z';
    const { state, events } = run(
      initialState({ ...input, signOffChain: input.signOffChain }),
      [
        { type: 'assign' },
        { type: 'deadlinePassed' },
        { type: 'escalate', step: 'supervision_notice' },
        { type: 'escalate', step: 'listed_supervision', actor: supervisor },
      ],
      overdueAt,
    );
    const batch: TProjectTaskEventsInput = {
      taskId: input.taskId,
      workflowId: `task-${input.taskId}`,
      firstSeq: 0,
      events,
      state,
    };
    const env = new MockActivityEnvironment();
    expect(await env.run(createActivities({ db }).projectTaskEvents, batch)).toEqual({ written: true });

    const notices = await db.supervisionNotice.findMany({
      where: { taskId: input.taskId },
      orderBy: { docSeq: 'asc' },
    });
    expect(notices.map((n) => [n.step, n.issuingUnitId, n.recipientUnitId, n.issuedById])).toEqual(
      expect.arrayContaining([
        ['supervision_notice', org.officeUnitId, org.deptA, null],
        ['listed_supervision', discipline, org.deptA, inJurisdiction.id],
      ]),
    );
    const listed = notices.find((n) => n.step === 'listed_supervision')!;
    expect(listed.documentNo).toBe('驻委纪检督〔2026〕1号');
    expect(listed.answerDueAt?.toISOString()).toBe('2026-04-17T16:00:00.000Z');
    expect(notices.find((n) => n.step === 'supervision_notice')!.documentNo).toMatch(/^省整改办督〔2026〕\d+号$/);

    const told = await db.notification.findMany({
      where: { taskId: input.taskId, kind: 'escalation_listed_supervision' },
      select: { userId: true },
    });
    const toldIds = told.map((n) => n.userId);
    expect(toldIds).toContain(inJurisdiction.id);
    expect(toldIds).not.toContain(outside.id);
    // The org's own supervisor sits in no discipline unit with a jurisdiction: not told either.
    expect(toldIds).not.toContain(org.supervisor.userId);
    // The lead unit, to which the documents are addressed, is told of every step (the ladder's first step names only
    // the office and the leader), each member once.
    for (const kind of ['escalation_supervision_notice', 'escalation_listed_supervision']) {
      const members = await db.notification.findMany({
        where: { taskId: input.taskId, kind, userId: { in: [org.staffA.userId, org.headA.userId] } },
        select: { userId: true },
      });
      expect(members.map((m) => m.userId).sort()).toEqual([org.staffA.userId, org.headA.userId].sort());
    }
  });
});
