/**
 * "Waiting on whom" rows: what the projection writes for a task's state (holders, deputies, the next report owed),
 * that each projection rewrites them, and the one-time backfill for databases projected before the table existed.
 */
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { MockActivityEnvironment } from '@temporalio/testing';
import Database from 'better-sqlite3';
import { createActivities } from '../../activities';
import { backfillPendingActions, pendingActionRows } from '../../activities/pendingActions';
import type { TApiActor } from '../../api/auth';
import { pendingFor } from '../../api/inbox/pending';
import type { Db } from '../../db/client';
import { dueInstant } from '../../domain/calendar';
import { ZCampaignPolicy } from '../../domain/policy';
import { applyCommand, initialState, type TaskCommand, type TaskEvent, type TaskState } from '../../domain/task';
import { PrismaClient } from '../../prisma/generated/sqlite/client';
import { createTestDb, testProvider } from '../helpers/db';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';

let db: Db;
let url: string;
let cleanup: () => Promise<void>;
let org: TOrg;

beforeAll(async () => {
  ({ db, url, cleanup } = await createTestDb());
  org = await createOrg(db);
});

afterAll(async () => {
  await cleanup?.();
});

const policy = ZCampaignPolicy.parse({});
const NOW = '2026-03-10T02:00:00.000Z';

function run(state: TaskState, commands: TaskCommand[], now = NOW): { state: TaskState; events: TaskEvent[] } {
  const events: TaskEvent[] = [];
  for (const command of commands) {
    const result = applyCommand(state, command, { now, policy });
    if (!result.ok) throw new Error(result.error.message);
    state = result.value.state;
    events.push(...result.value.events);
  }
  return { state, events };
}

async function newTask() {
  const input = await createTaskRow(db, org, { deadline: { kind: 'date', date: '2026-12-31' }, assignedAt: NOW });
  return { input, state: initialState({ ...input, signOffChain: input.signOffChain }) };
}

const brief = (rows: ReturnType<typeof pendingActionRows>) =>
  rows.map((r) => ({ action: r.action, role: r.role, userId: r.userId, deputy: r.deputyForUserId, period: r.period }));

describe('pendingActionRows', () => {
  it('When a task is assigned, then the unit must acknowledge and owes its first report, with the due instant', async () => {
    const { state: s0 } = await newTask();
    const { state } = run(s0, [{ type: 'assign' }]);
    const rows = pendingActionRows(state, policy, NOW);
    expect(brief(rows)).toEqual([
      { action: 'acknowledge', role: 'unit_staff', userId: null, deputy: null, period: null },
      { action: 'submit_report', role: 'unit_staff', userId: null, deputy: null, period: '2026-03' },
    ]);
    expect(rows[1]).toMatchObject({ unitId: org.deptA, dueAt: new Date(dueInstant('2026-03', policy.reportDueDay)) });
  });

  it('When a report awaits review, then the office holds it and the unit owes the next period', async () => {
    const { state: s0 } = await newTask();
    const { state } = run(s0, [
      { type: 'assign' },
      { type: 'submitReport', actor: org.staffA, period: '2026-03', progress: '进展', reportId: 'r1' },
    ]);
    const rows = pendingActionRows(state, policy, NOW);
    expect(rows).toContainEqual(
      expect.objectContaining({ action: 'review_report', role: 'office', unitId: org.officeUnitId, period: '2026-03' }),
    );
    expect(rows).toContainEqual(expect.objectContaining({ action: 'submit_report', period: '2026-04' }));
    expect(rows.some((r) => r.action === 'acknowledge')).toBe(false);
  });

  it('When a period is marked overdue at its due instant exactly, then it is still owed (no clock comparison)', async () => {
    const { state: s0 } = await newTask();
    const due = dueInstant('2026-03', policy.reportDueDay);
    const { state } = run(s0, [{ type: 'assign' }, { type: 'acknowledge', actor: org.staffA }]);
    const { state: overdue } = run(state, [{ type: 'reportOverdue', period: '2026-03' }], due);
    const rows = pendingActionRows(overdue, policy, due);
    expect(rows).toContainEqual(expect.objectContaining({ action: 'submit_report', period: '2026-03', dueAt: null }));
    expect(rows).toContainEqual(expect.objectContaining({ action: 'submit_report', period: '2026-04' }));
  });

  it('When the leader delegates from next month, then the deputy row is written now (the read checks the dates)', async () => {
    const { state: s0 } = await newTask();
    const { state } = run(s0, [
      { type: 'assign' },
      { type: 'acknowledge', actor: org.staffA },
      {
        type: 'delegate',
        actor: org.leader,
        toUserId: org.deputyLeader.userId,
        toRole: 'leader',
        toUnitId: org.provinceId,
        from: '2026-04-01',
        to: '2026-04-30',
      },
      { type: 'requestClosure', actor: org.staffA, summary: '完成', applicationId: 'app-1' },
      { type: 'signOff', actor: org.headA, decision: 'approve' },
      { type: 'signOff', actor: org.office, decision: 'approve' },
    ]);
    const signOffs = pendingActionRows(state, policy, NOW).filter((r) => r.action === 'sign_off');
    expect(signOffs).toEqual([
      expect.objectContaining({ role: 'leader', userId: org.leader.userId, deputyForUserId: null, level: 3 }),
      expect.objectContaining({
        role: 'leader',
        userId: org.deputyLeader.userId,
        deputyForUserId: org.leader.userId,
        level: 3,
        excludedUserId: org.staffA.userId,
      }),
    ]);
  });

  it('When an extension waits on the leader who delegated, then the deputy has a decide_extension row; the office step has none', async () => {
    const { state: s0 } = await newTask();
    const { state } = run(s0, [
      { type: 'assign' },
      { type: 'acknowledge', actor: org.staffA },
      {
        type: 'delegate',
        actor: org.leader,
        toUserId: org.deputyLeader.userId,
        toRole: 'leader',
        toUnitId: org.provinceId,
        from: '2026-03-10',
        to: '2026-03-20',
      },
      { type: 'requestExtension', actor: org.staffA, newDate: '2027-06-30', reason: '需延期' },
    ]);
    const atOffice = pendingActionRows(state, policy, NOW).filter((r) => r.action === 'decide_extension');
    expect(brief(atOffice)).toEqual([
      { action: 'decide_extension', role: 'office', userId: null, deputy: null, period: null },
    ]);
    const { state: atLeader } = run(state, [{ type: 'decideExtension', actor: org.office, decision: 'approve' }]);
    expect(brief(pendingActionRows(atLeader, policy, NOW).filter((r) => r.action === 'decide_extension'))).toEqual([
      { action: 'decide_extension', role: 'leader', userId: org.leader.userId, deputy: null, period: null },
      {
        action: 'decide_extension',
        role: 'leader',
        userId: org.deputyLeader.userId,
        deputy: org.leader.userId,
        period: null,
      },
    ]);
  });
});

describe('the projection and the backfill', () => {
  function project(input: { taskId: string }, firstSeq: number, events: TaskEvent[], state: TaskState) {
    const env = new MockActivityEnvironment();
    return env.run(createActivities({ db }).projectTaskEvents, {
      taskId: input.taskId,
      workflowId: `task-${input.taskId}`,
      firstSeq,
      events,
      state,
    });
  }

  it('When batches are projected, then the rows are those of the last state, rewritten each time', async () => {
    const { input, state: s0 } = await newTask();
    const first = run(s0, [{ type: 'assign' }]);
    await project(input, 0, first.events, first.state);
    const actions = async () =>
      (await db.taskPendingAction.findMany({ where: { taskId: input.taskId }, orderBy: { action: 'asc' } })).map(
        (r) => `${r.action}:${r.period ?? ''}`,
      );
    expect(await actions()).toEqual(['acknowledge:', 'submit_report:2026-03']);
    const second = run(first.state, [
      { type: 'submitReport', actor: org.staffA, period: '2026-03', progress: '进展', reportId: 'r1' },
    ]);
    await project(input, first.events.length, second.events, second.state);
    expect(await actions()).toEqual(['review_report:2026-03', 'submit_report:2026-04']);
  });

  it('When the table is empty and tasks were projected before it existed, then the backfill writes their rows once', async () => {
    const { input, state: s0 } = await newTask();
    const { events, state } = run(s0, [{ type: 'assign' }]);
    await project(input, 0, events, state);
    const { input: never } = await newTask(); // a task row whose workflow never projected: no state, no rows
    const before = await db.taskPendingAction.findMany({ where: { taskId: input.taskId } });
    expect(before.length).toBeGreaterThan(0);

    const lines: string[] = [];
    // Not empty: nothing to do.
    expect(await backfillPendingActions(db, { log: (l) => lines.push(l) })).toEqual({ tasks: 0, rows: 0 });

    await db.taskPendingAction.deleteMany({});
    const result = await backfillPendingActions(db, { batchSize: 2, now: new Date(NOW), log: (l) => lines.push(l) });
    expect(result.tasks).toBe(await db.task.count());
    const after = await db.taskPendingAction.findMany({ where: { taskId: input.taskId } });
    const shape = (rows: typeof before) =>
      rows.map(({ id: _id, ...rest }) => rest).sort((a, b) => a.action.localeCompare(b.action));
    expect(shape(after)).toEqual(shape(before));
    expect(await db.taskPendingAction.count({ where: { taskId: never.taskId } })).toBe(0);
    expect(lines.at(-1)).toMatch(/backfilled \d+ pending actions for \d+ tasks/);

    // A second start finds the table filled: it writes nothing more.
    const count = await db.taskPendingAction.count();
    expect(await backfillPendingActions(db, { log: () => undefined })).toEqual({ tasks: 0, rows: 0 });
    expect(await db.taskPendingAction.count()).toBe(count);
  });
});

// The plan depends on the provider; SQLite is the embedded default and the one whose planner is checked here.
(testProvider() === 'sqlite' ? describe : describe.skip)('the inbox query plans', () => {
  it('When any caller reads the inbox, then no statement scans TaskPendingAction or Task', async () => {
    // Some rows of every kind, so the planner sees a table with content.
    for (let i = 0; i < 3; i++) {
      const { input, state: s0 } = await newTask();
      const { events, state } = run(s0, [
        { type: 'assign' },
        {
          type: 'submitReport',
          actor: org.staffA,
          period: '2026-03',
          progress: '进展',
          reportId: `plan-${input.taskId}`,
        },
      ]);
      const env = new MockActivityEnvironment();
      await env.run(createActivities({ db }).projectTaskEvents, {
        taskId: input.taskId,
        workflowId: `task-${input.taskId}`,
        firstSeq: 0,
        events,
        state,
      });
    }
    const logged = new PrismaClient({
      adapter: new PrismaBetterSqlite3({ url }),
      log: [{ emit: 'event', level: 'query' }],
    });
    const statements: { sql: string; params: unknown[] }[] = [];
    logged.$on('query', (e) => statements.push({ sql: e.query, params: JSON.parse(e.params) as unknown[] }));
    const sqlite = new Database(url.slice('file:'.length), { readonly: true });
    try {
      for (const actor of [org.office, org.staffA, org.headA, org.leader, org.supervisor, org.deputyLeader]) {
        statements.length = 0;
        const box = await pendingFor(logged as unknown as Db, actor as TApiActor, new Date(NOW));
        if (actor === org.office) expect(box.reviews.length).toBeGreaterThanOrEqual(3);
        const reads = statements.filter((s) => /TaskPendingAction|`Task`/.test(s.sql));
        expect(reads.length).toBeGreaterThan(0);
        for (const { sql, params } of reads) {
          const plan = (sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(params as never[])) as { detail: string }[])
            .map((r) => r.detail)
            .join('; ');
          // Every table reached by an index (SEARCH), none read whole (SCAN).
          expect({ sql: sql.slice(0, 160), plan }).toEqual({
            sql: sql.slice(0, 160),
            plan: expect.not.stringMatching(/\bSCAN (?!CONSTANT ROW)/),
          });
          // No sort of every match either: the cut is made by walking an index.
          if (/FROM `main`.`TaskPendingAction`/.test(sql)) expect(plan).not.toMatch(/TEMP B-TREE/);
        }
      }
    } finally {
      sqlite.close();
      await logged.$disconnect();
    }
  });
});
