/**
 * Gathers what a 督办 document says from the notice, its task and the units named, and renders it as .docx.
 */
import type { Db } from '../../db/client';
import { addDaysToInstant, dateOf, daysBetween } from '../../domain/calendar';
import { ZEscalationStepName } from '../../domain/policy';
import { supervisionDocx, type TSupervisionDocument } from '../documents/supervisionDocx';
import { STEP_DOCUMENT_TITLES } from '../documents/texts';
import { AppError } from '../errors';

export async function supervisionDocument(db: Db, noticeId: string): Promise<{ fileName: string; body: Buffer }> {
  const notice = await db.supervisionNotice.findUnique({
    where: { id: noticeId },
    include: {
      task: {
        select: {
          measure: true,
          deadlineDate: true,
          deadlineText: true,
          campaign: { select: { name: true } },
          problem: { select: { title: true } },
        },
      },
    },
  });
  if (!notice) throw AppError.notFound('督办文书不存在');
  // Notices written before numbering have no 文号, so no document.
  if (!notice.documentNo) throw AppError.notFound('该督办记录没有文号，无对应文书');
  const unitIds = [notice.issuingUnitId, notice.recipientUnitId].filter((id): id is string => id !== null);
  const units = await db.unit.findMany({ where: { id: { in: unitIds } }, select: { id: true, name: true } });
  const unitName = (id: string | null, fallback: string) => units.find((u) => u.id === id)?.name ?? fallback;
  const step = ZEscalationStepName.catch('supervision_notice').parse(notice.step);
  const issueDate = dateOf(notice.issuedAt.toISOString());
  const deadline = notice.task.deadlineDate ?? notice.task.deadlineText;
  const doc: TSupervisionDocument = {
    documentNo: notice.documentNo,
    title: STEP_DOCUMENT_TITLES[step],
    kind: notice.kind === 'report_overdue' ? 'report_overdue' : 'escalation',
    step,
    issuerName: unitName(notice.issuingUnitId, '整改工作办公室'),
    recipientUnitName: unitName(notice.recipientUnitId, '责任单位'),
    campaignName: notice.task.campaign.name,
    problemTitle: notice.task.problem.title,
    measure: notice.task.measure,
    deadline,
    issueDate,
    daysOverdue: notice.task.deadlineDate ? Math.max(0, daysBetween(notice.task.deadlineDate, issueDate)) : null,
    period: notice.period,
    // answerDueAt is the end of the last day (the next day's 00:00 in Shanghai): the day before it is the last one.
    answerDueDate: notice.answerDueAt ? dateOf(addDaysToInstant(notice.answerDueAt.toISOString(), -1)) : null,
    reason: notice.reason,
  };
  return { fileName: `${notice.documentNo}${doc.title}.docx`, body: await supervisionDocx(doc) };
}
