/**
 * 督办 notices as the task page shows them: the numbered document (文号, issuer, recipient, a link to its Word file),
 * and where the recipient stands (签收, 反馈 with its evidence, when the answer is due), every person and unit by name.
 */
import type { Db } from '../../db/client';
import type { TEscalationStepName } from '../../domain/policy';
import { STEP_DOCUMENT_TITLES } from '../documents/texts';

export interface TNoticeRow {
  id: string;
  kind: string;
  step: string;
  reason: string;
  period: string | null;
  issuedAt: Date;
  documentNo: string | null;
  issuingUnitId: string | null;
  issuedById: string | null;
  recipientUnitId: string | null;
  answerDueAt: Date | null;
  signedAt: Date | null;
  signedById: string | null;
  feedback: string | null;
  feedbackAt: Date | null;
  feedbackById: string | null;
}

/** Feedback evidence as recorded in the 反馈's audit record (the Evidence rows carry no link to the notice). */
interface TFeedbackEvidence {
  fileId?: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  mimeType?: string;
  url?: string;
}

export const FEEDBACK_ACTION = 'SupervisionFeedback';
export const SIGN_ACTION = 'SupervisionNoticeSigned';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function documentUrl(noticeId: string): string {
  return `/api/supervision-notices/${encodeURIComponent(noticeId)}/document.docx`;
}

export async function supervisionNoticeViews(
  db: Db,
  notices: TNoticeRow[],
  audit: { action: string; detail: unknown }[],
  now: Date,
) {
  const unitIds = new Set<string>();
  const userIds = new Set<string>();
  for (const n of notices) {
    for (const id of [n.issuingUnitId, n.recipientUnitId]) if (id) unitIds.add(id);
    for (const id of [n.issuedById, n.signedById, n.feedbackById]) if (id) userIds.add(id);
  }
  const [units, users] = await Promise.all([
    unitIds.size > 0
      ? db.unit.findMany({ where: { id: { in: [...unitIds] } }, select: { id: true, name: true } })
      : Promise.resolve([]),
    userIds.size > 0
      ? db.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, name: true } })
      : Promise.resolve([]),
  ]);
  const unitName = new Map(units.map((u) => [u.id, u.name]));
  const userName = new Map(users.map((u) => [u.id, u.name]));
  const name = (map: Map<string, string>, id: string | null) => (id ? (map.get(id) ?? null) : null);
  const evidenceOf = new Map<string, TFeedbackEvidence[]>();
  for (const a of audit) {
    if (a.action !== FEEDBACK_ACTION) continue;
    const detail = a.detail as { noticeId?: unknown; evidence?: unknown } | null;
    if (typeof detail?.noticeId === 'string' && Array.isArray(detail.evidence)) {
      evidenceOf.set(detail.noticeId, detail.evidence as TFeedbackEvidence[]);
    }
  }
  return notices.map((n) => ({
    id: n.id,
    kind: n.kind,
    step: n.step,
    /** The document's kind in words (催办单, 督办通知书, 约谈通知, …). */
    title: STEP_DOCUMENT_TITLES[n.step as TEscalationStepName] ?? '督办通知书',
    reason: n.reason,
    period: n.period,
    issuedAt: n.issuedAt.toISOString(),
    documentNo: n.documentNo,
    documentUrl: n.documentNo ? documentUrl(n.id) : null,
    issuingUnitId: n.issuingUnitId,
    issuingUnitName: name(unitName, n.issuingUnitId),
    issuedById: n.issuedById,
    issuedByName: name(userName, n.issuedById),
    recipientUnitId: n.recipientUnitId,
    recipientUnitName: name(unitName, n.recipientUnitId),
    answerDueAt: iso(n.answerDueAt),
    /** No answer yet and its due instant has passed. */
    answerOverdue: n.answerDueAt !== null && n.feedbackAt === null && n.answerDueAt.getTime() < now.getTime(),
    signedAt: iso(n.signedAt),
    signedById: n.signedById,
    signedByName: name(userName, n.signedById),
    feedback: n.feedback,
    feedbackAt: iso(n.feedbackAt),
    feedbackById: n.feedbackById,
    feedbackByName: name(userName, n.feedbackById),
    feedbackEvidence: (evidenceOf.get(n.id) ?? []).map((e) => ({
      ...e,
      downloadUrl: e.fileId ? `/api/files/${encodeURIComponent(e.fileId)}` : null,
    })),
  }));
}
