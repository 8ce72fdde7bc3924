/**
 * Notification texts: Chinese, naming the task (its problem title), the lead unit and the period or dates, with the
 * task's link in the body and in the outbox payload — for texts the projection writes and for those the workflow
 * asks the notify activity to render (催办, the monthly reminder).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { TProjectTaskEventsInput } from '../../activities/projection';
import {
  escalationText,
  reportOverdueText,
  reportReminderText,
  shorten,
  signOffNextText,
  type TTextSubject,
} from '../../activities/texts';
import type { Db } from '../../db/client';
import { dueInstant } from '../../domain/calendar';
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

const subject: TTextSubject = { taskId: 't-1', title: '整改责任落实不到位', unitName: '医政医管处' };

describe('texts', () => {
  it('When a report is due, then the reminder names the unit, the task, the period and the last day', () => {
    // Due by the end of 25 November in Shanghai: the due instant is the exclusive end, 26 November 00:00 +08:00.
    const text = reportReminderText(subject, { period: '2026-11', dueAt: dueInstant('2026-11', 25) });
    expect(text).toEqual({
      title: '【报送提醒】医政医管处 2026年11月 整改进展',
      body: '请医政医管处于2026年11月25日前报送“整改责任落实不到位”2026年11月的整改进展。查看：/tasks/t-1',
      link: '/tasks/t-1',
    });
    expect(reportOverdueText(subject, { period: '2026-11', dueAt: dueInstant('2026-11', 25) }).body).toContain(
      '未在2026年11月25日前报送',
    );
  });

  it('When a task escalates or a level signs, then steps and levels appear by their Chinese names', () => {
    expect(
      escalationText(subject, { step: 'listed_supervision', daysOverdue: 60, deadlineDate: '2026-06-30' }),
    ).toEqual(
      expect.objectContaining({
        title: '【挂牌督办】医政医管处“整改责任落实不到位”',
        body: expect.stringContaining('已超过完成时限（2026年6月30日）60天'),
      }),
    );
    expect(signOffNextText(subject, { levelName: '整改办' }).body).toMatch(/^整改办已同意医政医管处/);
  });

  it('When a problem title is long, then the text carries it shortened by characters', () => {
    const long = '问'.repeat(40);
    expect(shorten(long)).toBe(`${'问'.repeat(29)}…`);
    expect([...shorten(long)]).toHaveLength(30);
  });
});

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

describe('notification texts as written', () => {
  it('When a report is submitted and returned, then the inbox and the outbox carry Chinese texts with the link', async () => {
    const now = '2026-03-10T02:00:00.000Z';
    const input = await createTaskRow(db, org, { deadline: { kind: 'date', date: '2026-12-31' }, assignedAt: now });
    const { state, events } = run(
      initialState(input),
      [
        { type: 'assign' },
        { type: 'acknowledge', actor: org.staffA },
        {
          type: 'submitReport',
          actor: org.staffA,
          period: '2026-03',
          progress: '进展',
          problems: '台账不全',
          nextPlan: '补齐台账',
          reportId: 'rep-t',
        },
        { type: 'reviewReport', actor: org.office, period: '2026-03', decision: 'return', reason: '补充材料。' },
      ],
      now,
    );
    const batch: TProjectTaskEventsInput = {
      taskId: input.taskId,
      workflowId: `task-${input.taskId}`,
      firstSeq: 0,
      events,
      state,
    };
    await new MockActivityEnvironment().run(createActivities({ db }).projectTaskEvents, batch);

    const report = await db.report.findFirstOrThrow({ where: { taskId: input.taskId } });
    expect(report).toMatchObject({ problems: '台账不全', nextPlan: '补齐台账' });
    const toOffice = await db.notification.findFirstOrThrow({
      where: { taskId: input.taskId, kind: 'report_submitted', userId: org.office.userId },
    });
    expect(toOffice.title).toBe('【待审核】省卫健委 2026年3月 整改进展');
    expect(toOffice.body).toBe(
      `省卫健委报送了“整改责任落实不到位”2026年3月的整改进展，请审核。查看：/tasks/${input.taskId}`,
    );
    const returned = await db.notification.findFirstOrThrow({
      where: { taskId: input.taskId, kind: 'report_returned', userId: org.staffA.userId },
    });
    expect(returned.body).toContain('退回理由：补充材料。请修改后重新报送。');
    const outbox = await db.outboxMessage.findFirstOrThrow({
      where: { idempotencyKey: { startsWith: `task-${input.taskId}:` } },
    });
    expect(outbox.payload).toMatchObject({ link: `/tasks/${input.taskId}`, title: expect.stringMatching(/^【/) });
  });

  it('When the workflow asks for an urge text, then notify renders it with the task and unit names', async () => {
    const input = await createTaskRow(db, org, {
      deadline: { kind: 'date', date: '2026-12-31' },
      assignedAt: '2026-03-10T02:00:00.000Z',
    });
    await new MockActivityEnvironment().run(createActivities({ db }).notify, {
      idempotencyKey: `urge-test-${input.taskId}`,
      taskId: input.taskId,
      kind: 'urge',
      title: '【催办】fallback',
      body: 'fallback',
      text: { kind: 'urge' as const, message: '请本周内报送进展', byRole: 'office' },
      recipients: [{ unitId: org.deptA }],
      at: '2026-03-22T01:00:00.000Z',
    });
    const urged = await db.notification.findFirstOrThrow({ where: { taskId: input.taskId, kind: 'urge' } });
    expect(urged.title).toBe('【催办】省卫健委“整改责任落实不到位”');
    expect(urged.body).toBe(`整改办催办省卫健委“整改责任落实不到位”：请本周内报送进展。查看：/tasks/${input.taskId}`);
  });
});
