/**
 * 督办台账: the notices of the tasks a caller may see, newest first, filtered by where the recipient stands. The
 * recipient unit finds what it has to sign or answer; the office and supervisors find what is unanswered or late.
 */
import { z } from 'zod';
import type { Db, Prisma } from '../../db/client';
import type { TApiActor } from '../auth';
import { scopeOf, taskScopeWhere } from '../scope';
import { FEEDBACK_ACTION, supervisionNoticeViews } from './view';

export const NOTICE_STATES = ['unsigned', 'unanswered', 'answered', 'overdue'] as const;

const ZFlag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const ZListSupervisionNoticesQuery = z.object({
  /** unsigned: not signed for; unanswered: signed, no answer; answered; overdue: no answer and past its due instant. */
  state: z.enum(NOTICE_STATES).optional(),
  /** Only notices addressed to the caller's own unit. */
  mine: ZFlag.optional(),
  taskId: z.string().trim().min(1).max(100).optional(),
  campaignId: z.string().trim().min(1).max(100).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});
export type TListSupervisionNoticesQuery = z.infer<typeof ZListSupervisionNoticesQuery>;

function stateWhere(state: TListSupervisionNoticesQuery['state'], now: Date): Prisma.SupervisionNoticeWhereInput {
  switch (state) {
    case 'unsigned':
      return { signedAt: null };
    case 'unanswered':
      return { signedAt: { not: null }, feedbackAt: null };
    case 'answered':
      return { feedbackAt: { not: null } };
    case 'overdue':
      return { feedbackAt: null, answerDueAt: { lt: now } };
    default:
      return {};
  }
}

export async function listSupervisionNotices(db: Db, actor: TApiActor, query: TListSupervisionNoticesQuery, now: Date) {
  const scope = await scopeOf(db, actor);
  const task: Prisma.TaskWhereInput = {
    ...(taskScopeWhere(scope) as Prisma.TaskWhereInput),
    ...(query.campaignId ? { campaignId: query.campaignId } : {}),
  };
  const where: Prisma.SupervisionNoticeWhereInput = {
    AND: [
      { task },
      stateWhere(query.state, now),
      query.mine ? { recipientUnitId: actor.unitId } : {},
      query.taskId ? { taskId: query.taskId } : {},
    ],
  };
  const [total, rows] = await Promise.all([
    db.supervisionNotice.count({ where }),
    db.supervisionNotice.findMany({
      where,
      orderBy: [{ issuedAt: 'desc' }, { id: 'asc' }],
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
      include: { task: { select: { measure: true, problem: { select: { title: true } } } } },
    }),
  ]);
  const answered = rows.filter((r) => r.feedbackAt !== null);
  const audit =
    answered.length > 0
      ? await db.auditEvent.findMany({
          where: { action: FEEDBACK_ACTION, taskId: { in: [...new Set(answered.map((r) => r.taskId))] } },
          select: { action: true, detail: true },
        })
      : [];
  const views = await supervisionNoticeViews(db, rows, audit, now);
  return {
    items: views.map((v, i) => ({
      ...v,
      taskId: rows[i]!.taskId,
      taskTitle: rows[i]!.task.problem.title || rows[i]!.task.measure,
    })),
    total,
    page: query.page,
    pageSize: query.pageSize,
  };
}
