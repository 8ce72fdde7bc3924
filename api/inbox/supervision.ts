/**
 * 督办 waiting on the caller's unit, for the inbox: the numbered notices addressed to it that it has not yet signed
 * for (签收) or answered (反馈). The same rule as the notice's own routes (supervision/rules.ts `actsForRecipient`,
 * on a task the caller may see), so what the inbox lists is exactly what the task page lets the caller do.
 * One indexed query on (recipientUnitId, …) joined to the caller's read scope, cut at the inbox's cap.
 */
import type { Db, Prisma } from '../../db/client';
import type { TEscalationStepName } from '../../domain/policy';
import type { TApiActor } from '../auth';
import { STEP_DOCUMENT_TITLES } from '../documents/texts';
import { scopeOf, taskScopeWhere } from '../scope';
import { actsForRecipient } from '../supervision/rules';
import { INBOX_GROUP_CAP } from './pending';

export interface TSupervisionInboxItem {
  noticeId: string;
  taskId: string;
  /** What the unit does next: sign for the notice, or (signed) answer it. */
  action: 'sign_supervision' | 'answer_supervision';
  step: string;
  /** The document's title (督办通知书, 约谈通知书, …). */
  title: string;
  documentNo: string | null;
  issuedAt: string;
  answerDueAt: string | null;
  /** Unanswered and past its answer instant. */
  answerOverdue: boolean;
  measure: string;
  problemTitle: string;
}

export async function supervisionWaitingOn(
  db: Db,
  actor: TApiActor,
  now: Date,
): Promise<{ items: TSupervisionInboxItem[]; truncated: boolean }> {
  if (!actor.unitId || !actsForRecipient({ recipientUnitId: actor.unitId }, actor)) {
    return { items: [], truncated: false };
  }
  const scope = await scopeOf(db, actor);
  const rows = await db.supervisionNotice.findMany({
    where: {
      recipientUnitId: actor.unitId,
      // 反馈 comes after 签收, so an unanswered notice is either still to sign or signed and to answer.
      feedbackAt: null,
      task: taskScopeWhere(scope) as Prisma.TaskWhereInput,
    },
    // Oldest first: a to-do list is worked from the top.
    orderBy: [{ issuedAt: 'asc' }, { id: 'asc' }],
    take: INBOX_GROUP_CAP + 1,
    select: {
      id: true,
      taskId: true,
      step: true,
      documentNo: true,
      issuedAt: true,
      answerDueAt: true,
      signedAt: true,
    },
  });
  const shown = rows.slice(0, INBOX_GROUP_CAP);
  // Read apart, and only when there is a notice: a nested select sent its two statements for an empty list too.
  const tasks =
    shown.length === 0
      ? []
      : await db.task.findMany({
          where: { id: { in: [...new Set(shown.map((n) => n.taskId))] } },
          select: { id: true, measure: true, problem: { select: { title: true } } },
        });
  const taskOf = new Map(tasks.map((t) => [t.id, t]));
  const items = shown.map((n): TSupervisionInboxItem => ({
    noticeId: n.id,
    taskId: n.taskId,
    action: n.signedAt ? 'answer_supervision' : 'sign_supervision',
    step: n.step,
    title: STEP_DOCUMENT_TITLES[n.step as TEscalationStepName] ?? '督办通知书',
    documentNo: n.documentNo,
    issuedAt: n.issuedAt.toISOString(),
    answerDueAt: n.answerDueAt?.toISOString() ?? null,
    answerOverdue: n.answerDueAt !== null && n.answerDueAt < now,
    measure: taskOf.get(n.taskId)?.measure ?? '',
    problemTitle: taskOf.get(n.taskId)?.problem.title ?? '',
  }));
  return { items, truncated: rows.length > INBOX_GROUP_CAP };
}
