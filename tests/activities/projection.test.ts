/**
 * The projection and notification activities against a real database: a retried activity (same input) writes
 * nothing twice, and a batch writes its rows, snapshot and audit together.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { TProjectTaskEventsInput } from '../../activities/projection';
import type { Db } from '../../db/client';
import { ZCampaignPolicy } from '../../domain/policy';
import { applyCommand, initialState, type TaskCommand, type TaskEvent, type TaskState } from '../../domain/task';
import { createTestDb } from '../helpers/db';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';

let db: Db;
let cleanup: () => Promise<void>;
let org: TOrg;

beforeAll(async () => {
  ({ db, cleanup } = await createTestDb());
  org = await createOrg(db);
});

afterAll(async () => {
  await cleanup?.();
});

/** Runs commands through the domain, collecting the events and the final state, as the workflow does. */
function run(state: TaskState, commands: TaskCommand[], now: string): { state: TaskState; events: TaskEvent[] } {
  const policy = ZCampaignPolicy.parse({});
  const events: TaskEvent[] = [];
  for (const command of commands) {
    const result = applyCommand(state, command, { now, policy });
    if (!result.ok) throw new Error(result.error.message);
    state = result.value.state;
    events.push(...result.value.events);
  }
  return { state, events };
}

/** Runs the projection activity in a mock activity context (MockActivityEnvironment.run loses the result type). */
function project(env: MockActivityEnvironment, input: TProjectTaskEventsInput): Promise<{ written: boolean }> {
  return env.run(createActivities({ db }).projectTaskEvents, input) as Promise<{ written: boolean }>;
}

describe('projectTaskEvents', () => {
  it('When the same batch is projected twice (a retried activity), then every row is written once', async () => {
    const now = '2026-03-10T02:00:00.000Z';
    const input = await createTaskRow(db, org, { deadline: { kind: 'date', date: '2026-12-31' }, assignedAt: now });
    const { state, events } = run(
      initialState({ ...input, signOffChain: input.signOffChain }),
      [
        { type: 'assign' },
        { type: 'acknowledge', actor: org.staffA },
        { type: 'submitReport', actor: org.staffA, period: '2026-03', progress: '进展', reportId: 'rep-1' },
        { type: 'reviewReport', actor: org.office, period: '2026-03', decision: 'return', reason: '补充材料' },
      ],
      now,
    );
    const env = new MockActivityEnvironment();
    const batch = { taskId: input.taskId, workflowId: `task-${input.taskId}`, firstSeq: 0, events, state };

    const first = await project(env, batch);
    const counts = async () => ({
      audit: await db.auditEvent.count({ where: { taskId: input.taskId } }),
      reports: await db.report.count({ where: { taskId: input.taskId } }),
      reviews: await db.reviewDecision.count({ where: { report: { taskId: input.taskId } } }),
      notifications: await db.notification.count({ where: { taskId: input.taskId } }),
    });
    const afterFirst = await counts();
    const second = await project(env, batch);

    expect([first.written, second.written]).toEqual([true, false]);
    expect(await counts()).toEqual(afterFirst);
    expect(afterFirst).toEqual({ audit: 4, reports: 1, reviews: 1, notifications: expect.any(Number) });
    // Submitted → both office reviewers are told; returned → both users of the lead unit are told.
    expect(afterFirst.notifications).toBe(4);
    const row = await db.task.findUniqueOrThrow({ where: { id: input.taskId } });
    expect(row.status).toBe('IN_PROGRESS');
    expect((row.stateJson as { eventCount: number }).eventCount).toBe(4);
    const keys = (
      await db.auditEvent.findMany({ where: { taskId: input.taskId }, orderBy: { idempotencyKey: 'asc' } })
    ).map((a) => a.action);
    expect(keys).toEqual(['TaskAssigned', 'TaskAcknowledged', 'ReportSubmitted', 'ReportReturned']);
  });

  it('When a batch fails half-way, then nothing of it is written and the retry writes it whole', async () => {
    const now = '2026-03-10T02:00:00.000Z';
    const input = await createTaskRow(db, org, { deadline: { kind: 'date', date: '2026-12-31' }, assignedAt: now });
    const { state, events } = run(
      initialState(input),
      [{ type: 'assign' }, { type: 'acknowledge', actor: org.staffA }],
      now,
    );
    const env = new MockActivityEnvironment();
    // A snapshot for a task row that does not exist makes the transaction fail after the audit rows were written.
    const broken = {
      taskId: input.taskId,
      workflowId: `task-${input.taskId}`,
      firstSeq: 0,
      events,
      state: { ...state, taskId: 'missing' },
    };
    await expect(project(env, broken)).rejects.toThrow();
    expect(await db.auditEvent.count({ where: { taskId: input.taskId } })).toBe(0);

    const fixed = await project(env, { ...broken, state });
    expect(fixed.written).toBe(true);
    expect(await db.auditEvent.count({ where: { taskId: input.taskId } })).toBe(2);
  });
});

describe('notify', () => {
  it('When a reminder is sent twice with the same key, then each user of the unit gets it once', async () => {
    const activities = createActivities({ db });
    const env = new MockActivityEnvironment();
    const input = {
      idempotencyKey: 'reminder:test',
      kind: 'report_reminder',
      title: '月报提醒',
      body: '请于25日前报送',
      recipients: [{ unitId: org.deptA }],
      at: '2026-03-22T01:00:00.000Z',
    };
    expect(await env.run(activities.notify, input)).toEqual({ notified: 2 });
    expect(await env.run(activities.notify, input)).toEqual({ notified: 0 });
    const inbox = await db.notification.findMany({ where: { kind: 'report_reminder' } });
    expect(inbox.map((n) => n.userId).sort()).toEqual([org.staffA.userId, org.headA.userId].sort());
    expect(await db.outboxMessage.count({ where: { idempotencyKey: { startsWith: 'reminder:test' } } })).toBe(2);
  });
});
