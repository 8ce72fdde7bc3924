/**
 * What happens to a 督办 notice after it is issued, written by the API (the workflow's state does not change):
 * the recipient unit signs for it (签收) and answers it (反馈). Each is one transaction with its audit record, and
 * each happens once: the row is updated only while still unsigned (unanswered), so two concurrent attempts leave
 * one record and a 409 for the other.
 */
import { appendAudit } from '../../activities/audit';
import { textSubject, writeNotifications } from '../../activities/notify';
import { shorten, taskLink } from '../../activities/texts';
import type { Db } from '../../db/client';
import type { TEvidenceInput } from '../../workflows/messages';
import type { TApiActor } from '../auth';
import { AppError } from '../errors';
import { requireVisibleTask } from '../scope';
import { actsForRecipient } from './rules';
import { FEEDBACK_ACTION, SIGN_ACTION } from './view';

const NOTICE_SELECT = {
  id: true,
  taskId: true,
  step: true,
  documentNo: true,
  issuingUnitId: true,
  recipientUnitId: true,
  signedAt: true,
  feedbackAt: true,
  task: { select: { campaignId: true } },
} as const;

/** A notice whose task the caller may see: 404 when there is no such notice, 403 when its task is out of scope. */
export async function requireVisibleNotice(db: Db, actor: TApiActor, noticeId: string, now: Date) {
  const notice = await db.supervisionNotice.findUnique({ where: { id: noticeId }, select: NOTICE_SELECT });
  if (!notice) throw AppError.notFound('督办文书不存在');
  await requireVisibleTask(db, actor, notice.taskId, now);
  return notice;
}

async function requireRecipient(db: Db, notice: { recipientUnitId: string | null }, actor: TApiActor, what: string) {
  if (actsForRecipient(notice, actor)) return;
  const unit = notice.recipientUnitId
    ? await db.unit.findUnique({ where: { id: notice.recipientUnitId }, select: { name: true } })
    : null;
  throw AppError.forbidden(`只有受文单位${unit ? `（${unit.name}）` : ''}可以${what}本督办文书`);
}

/** 签收. Resolves with the task's id (the route answers with the task as it now stands). */
export async function signNotice(db: Db, actor: TApiActor, noticeId: string, now: Date): Promise<string> {
  const notice = await requireVisibleNotice(db, actor, noticeId, now);
  await requireRecipient(db, notice, actor, '签收');
  if (notice.signedAt) throw AppError.conflict('该督办文书已签收');
  await db.$transaction(async (tx) => {
    const { count } = await tx.supervisionNotice.updateMany({
      where: { id: noticeId, signedAt: null },
      data: { signedAt: now, signedById: actor.userId },
    });
    if (count === 0) throw AppError.conflict('该督办文书已签收');
    await appendAudit(tx, {
      idempotencyKey: `api:supervision-signed:${noticeId}`,
      taskId: notice.taskId,
      campaignId: notice.task.campaignId,
      actorId: actor.userId,
      actorRole: actor.role,
      action: SIGN_ACTION,
      detail: { noticeId, documentNo: notice.documentNo, step: notice.step },
      at: now,
    });
  });
  return notice.taskId;
}

/** 反馈: the answer's text and evidence, once, after 签收. Evidence is already resolved (resolveEvidence). */
export async function answerNotice(
  db: Db,
  actor: TApiActor,
  noticeId: string,
  answer: { text: string; evidence?: TEvidenceInput[] },
  now: Date,
): Promise<string> {
  const notice = await requireVisibleNotice(db, actor, noticeId, now);
  await requireRecipient(db, notice, actor, '反馈');
  if (!notice.signedAt) throw AppError.conflict('请先签收该督办文书，再提交反馈');
  if (notice.feedbackAt) throw AppError.conflict('该督办文书已反馈');
  const evidence = answer.evidence ?? [];
  await db.$transaction(async (tx) => {
    const { count } = await tx.supervisionNotice.updateMany({
      where: { id: noticeId, feedbackAt: null, signedAt: { not: null } },
      data: { feedback: answer.text, feedbackAt: now, feedbackById: actor.userId },
    });
    if (count === 0) throw AppError.conflict('该督办文书已反馈');
    // Evidence rows of the task (no report, no application): whoever may see the task may then open the files.
    for (const item of evidence) {
      await tx.evidence.create({
        data: {
          taskId: notice.taskId,
          fileName: item.fileName,
          sha256: item.sha256,
          sizeBytes: item.sizeBytes,
          mimeType: item.mimeType ?? null,
          url: item.url ?? null,
          fileId: item.fileId ?? null,
          uploadedById: actor.userId,
          createdAt: now,
        },
      });
    }
    await appendAudit(tx, {
      idempotencyKey: `api:supervision-feedback:${noticeId}`,
      taskId: notice.taskId,
      campaignId: notice.task.campaignId,
      actorId: actor.userId,
      actorRole: actor.role,
      action: FEEDBACK_ACTION,
      detail: { noticeId, documentNo: notice.documentNo, step: notice.step, text: answer.text, evidence },
      at: now,
    });
    // The issuer learns the answer has come (its inbox, and the other channels through the outbox), with the answer.
    if (notice.issuingUnitId) {
      const subject = (await textSubject(tx, notice.taskId)) ?? {
        taskId: notice.taskId,
        title: '整改任务',
        unitName: '责任单位',
      };
      const link = taskLink(notice.taskId);
      await writeNotifications(
        tx,
        {
          idempotencyKey: `api:supervision-feedback:${noticeId}`,
          taskId: notice.taskId,
          kind: 'supervision_feedback',
          title: `【督办反馈】${subject.unitName}“${shorten(subject.title)}”`,
          body: `${subject.unitName}已对${notice.documentNo ?? '督办通知'}作出反馈：${shorten(answer.text, 200).replace(/[。．.]+$/, '')}。查看：${link}`,
          link,
          recipients: [{ unitId: notice.issuingUnitId }],
          actorId: actor.userId,
          at: now.toISOString(),
        },
        now,
      );
    }
  });
  return notice.taskId;
}
