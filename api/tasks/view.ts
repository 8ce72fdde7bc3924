/**
 * The read side: tasks as the API shows them, from the database the workflow projects into. The traffic light is
 * computed here (domain/trafficLight) from the task's projected state, the campaign policy and the current time.
 */
import type { Db } from '../../db/client';
import { ZCampaignPolicy, type TCampaignPolicy } from '../../domain/policy';
import { computeTrafficLight, type TrafficLight } from '../../domain/trafficLight';
import { currentSigner, type TaskState, type TaskStatus } from '../../domain/task';
import type { TDeadline } from '../../domain/deadline';
import { AppError } from '../errors';

/** The fields of a Task row the read model needs to rebuild a state when no snapshot was projected yet. */
interface TTaskRowCore {
  id: string;
  campaignId: string;
  status: string;
  overdue: boolean;
  round: number;
  reopenCount: number;
  leadUnitId: string;
  leaderId: string;
  deadlineKind: string;
  deadlineDate: string | null;
  parentTaskId: string | null;
  createdAt: Date;
  closedAt: Date | null;
  stateJson: unknown;
}

export function deadlineOf(row: Pick<TTaskRowCore, 'deadlineKind' | 'deadlineDate'>): TDeadline {
  if (row.deadlineKind === 'long_term' || !row.deadlineDate) return { kind: 'long_term' };
  return { kind: row.deadlineKind, date: row.deadlineDate } as TDeadline;
}

/** The projected workflow state, or (before the first projection) one rebuilt from the row's columns. */
export function stateOf(row: TTaskRowCore): TaskState {
  if (row.stateJson && typeof row.stateJson === 'object') return row.stateJson as TaskState;
  const createdAt = row.createdAt.toISOString();
  return {
    taskId: row.id,
    campaignId: row.campaignId,
    status: row.status as TaskStatus,
    round: row.round,
    reopenCount: row.reopenCount,
    deadline: deadlineOf(row),
    leadUnitId: row.leadUnitId,
    leaderId: row.leaderId,
    officeUnitId: '',
    assignedAt: createdAt,
    roundStartedAt: createdAt,
    signOffChain: [],
    reports: [],
    overdueReports: [],
    closureHistory: [],
    extensionHistory: [],
    delegations: [],
    children: {},
    overdue: row.overdue,
    escalations: [],
    eventCount: 0,
    ...(row.closedAt ? { closedAt: row.closedAt.toISOString() } : {}),
    ...(row.parentTaskId ? { parentTaskId: row.parentTaskId } : {}),
  };
}

export function policyOf(campaign: { policy: unknown }): TCampaignPolicy {
  const parsed = ZCampaignPolicy.safeParse(campaign.policy ?? {});
  // A stored policy was validated when the campaign was created; a later schema change must not break reads.
  return parsed.success ? parsed.data : ZCampaignPolicy.parse({});
}

export function trafficLightOf(row: TTaskRowCore, policy: TCampaignPolicy, now: Date): TrafficLight {
  return computeTrafficLight(stateOf(row), { now: now.toISOString(), policy });
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** `{ kind, date? }`: the date where the kind has one (for immediate kinds, the date the policy derived). */
function deadlineView(deadline: TDeadline): { kind: TDeadline['kind']; date?: string } {
  return deadline.kind === 'long_term' ? { kind: 'long_term' } : { kind: deadline.kind, date: deadline.date };
}

export function taskSummary(
  row: TTaskRowCore & { measure: string; problemId: string },
  policy: TCampaignPolicy,
  now: Date,
) {
  const state = stateOf(row);
  return {
    id: row.id,
    campaignId: row.campaignId,
    problemId: row.problemId,
    parentTaskId: row.parentTaskId,
    measure: row.measure,
    leadUnitId: row.leadUnitId,
    leaderId: row.leaderId,
    status: row.status as TaskStatus,
    overdue: row.overdue,
    deadline: deadlineView(state.deadline),
    trafficLight: computeTrafficLight(state, { now: now.toISOString(), policy }),
    reopenCount: row.reopenCount,
  };
}
export type TTaskSummary = ReturnType<typeof taskSummary>;

export async function taskDetail(db: Db, taskId: string, now: Date) {
  const row = await db.task.findUnique({
    where: { id: taskId },
    include: {
      campaign: { select: { id: true, name: true, policy: true } },
      problem: { include: { category: true } },
      participants: true,
      reports: {
        include: { reviews: { orderBy: { decidedAt: 'asc' } }, evidence: true },
        orderBy: [{ submittedAt: 'asc' }, { version: 'asc' }],
      },
      applications: {
        include: { decisions: { orderBy: { decidedAt: 'asc' } }, evidence: true },
        orderBy: { appliedAt: 'asc' },
      },
      extensionRequests: { orderBy: { requestedAt: 'asc' } },
      supervisionNotices: { orderBy: { issuedAt: 'asc' } },
      children: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
    },
  });
  if (!row) throw AppError.notFound(`Task ${taskId} not found`);
  const audit = (await db.auditEvent.findMany({ where: { taskId }, orderBy: [{ at: 'asc' }] })).sort(auditOrder);
  const policy = policyOf(row.campaign);
  const state = stateOf(row);
  const signer = currentSigner(state);
  const evidenceView = (e: {
    id: string;
    fileName: string;
    sha256: string;
    sizeBytes: number;
    mimeType: string | null;
    url: string | null;
  }) => ({
    id: e.id,
    fileName: e.fileName,
    sha256: e.sha256,
    sizeBytes: e.sizeBytes,
    mimeType: e.mimeType,
    url: e.url,
  });

  return {
    ...taskSummary(row, policy, now),
    campaign: { id: row.campaign.id, name: row.campaign.name },
    problem: {
      id: row.problem.id,
      title: row.problem.title,
      category: row.problem.category.name,
      detail: row.problem.detail,
    },
    target: row.target,
    responsiblePersonId: row.responsiblePersonId,
    participatingUnitIds: row.participants.map((p) => p.unitId),
    deadlineText: row.deadlineText,
    round: row.round,
    workflowId: row.workflowId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    closedAt: iso(row.closedAt),
    signOffChain: state.signOffChain,
    currentSignOff: signer
      ? {
          level: signer.level,
          name: signer.name,
          role: signer.role,
          unitId: signer.unitId ?? null,
          userId: signer.userId ?? null,
        }
      : null,
    reports: row.reports.map((r) => ({
      id: r.id,
      period: r.period,
      round: r.round,
      version: r.version,
      status: r.status,
      late: r.late,
      progress: r.progress,
      submittedById: r.submittedById,
      submittedAt: r.submittedAt.toISOString(),
      reviews: r.reviews.map((v) => ({
        decision: v.decision,
        reason: v.reason,
        reviewerId: v.reviewerId,
        decidedAt: v.decidedAt.toISOString(),
      })),
      evidence: r.evidence.map(evidenceView),
    })),
    closeoutApplications: row.applications.map((a) => ({
      id: a.id,
      round: a.round,
      summary: a.summary,
      status: a.status,
      appliedById: a.appliedById,
      appliedAt: a.appliedAt.toISOString(),
      evidence: a.evidence.map(evidenceView),
    })),
    signOffs: row.applications.flatMap((a) =>
      a.decisions.map((d) => ({
        applicationId: a.id,
        level: d.level,
        levelName: d.levelName,
        decision: d.decision,
        reason: d.reason,
        signerId: d.signerId,
        onBehalfOfId: d.onBehalfOfId,
        decidedAt: d.decidedAt.toISOString(),
      })),
    ),
    extensions: row.extensionRequests.map((e) => ({
      id: e.id,
      oldDate: e.oldDate,
      newDate: e.newDate,
      reason: e.reason,
      status: e.status,
      requestedById: e.requestedById,
      requestedAt: e.requestedAt.toISOString(),
    })),
    supervisionNotices: row.supervisionNotices.map((n) => ({
      kind: n.kind,
      step: n.step,
      reason: n.reason,
      period: n.period,
      issuedAt: n.issuedAt.toISOString(),
    })),
    children: row.children.map((c) => taskSummary(c, policy, now)),
    audit: audit.map((a) => ({
      action: a.action,
      actorId: a.actorId,
      actorRole: a.actorRole,
      onBehalfOfId: a.onBehalfOfId,
      fromStatus: a.fromStatus,
      toStatus: a.toStatus,
      at: a.at.toISOString(),
      detail: a.detail,
    })),
  };
}
/**
 * Audit order: by time, then by the workflow's event sequence (keys `<workflowId>:<seq>`, compared as numbers, since
 * the events of one decision share their instant); API-written records (`api:…`) come first at equal instants.
 */
function auditOrder(a: { at: Date; idempotencyKey: string }, b: { at: Date; idempotencyKey: string }): number {
  const byTime = a.at.getTime() - b.at.getTime();
  if (byTime !== 0) return byTime;
  return seqOf(a.idempotencyKey) - seqOf(b.idempotencyKey) || a.idempotencyKey.localeCompare(b.idempotencyKey);
}

function seqOf(key: string): number {
  const m = /:(\d+)$/.exec(key);
  return key.startsWith('api:') || !m ? -1 : Number(m[1]);
}

export type TTaskDetail = Awaited<ReturnType<typeof taskDetail>>;
