/**
 * Who may do what with a 督办 notice, in one place: the routes refuse by these functions and the task view offers
 * exactly what they allow (the browser holds no copy of them). Issuing a step by hand is the domain's `escalate`
 * rule (decideEscalate), probed here for the view as the workflow's validator will decide it.
 */
import { ESCALATION_STEPS, type TCampaignPolicy, type TEscalationStepName } from '../../domain/policy';
import { decide, type Actor, type TaskState } from '../../domain/task';

export interface TNoticeParties {
  recipientUnitId: string | null;
  signedAt: Date | null;
  feedbackAt: Date | null;
}

/** Roles that act for a unit on its own business; an admin or a supervisor placed in a unit does not sign for it. */
const SIGNING_ROLES: readonly Actor['role'][] = ['unit_staff', 'unit_head', 'office', 'leader'];

/** A member of the recipient unit acting for it. */
export function actsForRecipient(notice: Pick<TNoticeParties, 'recipientUnitId'>, actor: Actor): boolean {
  return (
    notice.recipientUnitId !== null && actor.unitId === notice.recipientUnitId && SIGNING_ROLES.includes(actor.role)
  );
}

/** 签收: the recipient unit signs for a notice once. */
export function maySign(notice: TNoticeParties, actor: Actor): boolean {
  return actsForRecipient(notice, actor) && notice.signedAt === null;
}

/** 反馈: the recipient unit answers a notice it signed for, once. */
export function mayAnswer(notice: TNoticeParties, actor: Actor): boolean {
  return actsForRecipient(notice, actor) && notice.signedAt !== null && notice.feedbackAt === null;
}

/** Steps the caller could issue by hand now: each probed through `decide` with the caller as actor. */
export function issuableSteps(state: TaskState, actor: Actor, ctx: { now: string; policy: TCampaignPolicy }) {
  return ESCALATION_STEPS.filter((step: TEscalationStepName) => {
    try {
      return decide(state, { type: 'escalate', actor, step }, ctx).ok;
    } catch {
      // A state the rules cannot evaluate offers nothing, never a 500.
      return false;
    }
  });
}

export type TSupervisionAction =
  | { action: 'sign_supervision'; noticeIds: string[] }
  | { action: 'answer_supervision'; noticeIds: string[] }
  | { action: 'issue_supervision'; steps: TEscalationStepName[] };

/** The task view's supervision entries of `allowedActions` for this caller. */
export function supervisionActions(
  state: TaskState,
  notices: (TNoticeParties & { id: string })[],
  actor: Actor,
  ctx: { now: string; policy: TCampaignPolicy },
): TSupervisionAction[] {
  const out: TSupervisionAction[] = [];
  const toSign = notices.filter((n) => maySign(n, actor)).map((n) => n.id);
  if (toSign.length > 0) out.push({ action: 'sign_supervision', noticeIds: toSign });
  const toAnswer = notices.filter((n) => mayAnswer(n, actor)).map((n) => n.id);
  if (toAnswer.length > 0) out.push({ action: 'answer_supervision', noticeIds: toAnswer });
  const steps = issuableSteps(state, actor, ctx);
  if (steps.length > 0) out.push({ action: 'issue_supervision', steps });
  return out;
}
