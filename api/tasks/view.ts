/**
 * The read side: tasks as the API shows them, from the database the workflow projects into. The traffic light is
 * computed here (domain/trafficLight) from the task's projected state, the campaign policy and the current time.
 */
import { taskScheduleView } from '../../activities/calendar';
import { fixedCampaign, fixedProblem } from '../../activities/fixedRows';
import type { Db } from '../../db/client';
import {
  allowedActions,
  currentSigner,
  mayStandIn,
  type Actor,
  type TAllowedAction,
  type TaskState,
} from '../../domain/task';
import { AppError } from '../errors';
import { supervisionActions } from '../supervision/rules';
import { supervisionNoticeViews } from '../supervision/view';
import { LIST_ROW_COLUMNS, taskRow, loadRowNames, withStaleStates } from './rows';
import { stateOf, taskSummary } from './summary';

export {
  deadlineOf,
  policyOf,
  stateOf,
  taskSummary,
  trafficLightOf,
  type TTaskRowCore,
  type TTaskSummary,
} from './summary';

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** The task page: everything that happened to it, the names of everyone it mentions, and what the caller may do now. */
export async function taskDetail(db: Db, taskId: string, now: Date, viewer?: Actor) {
  // The task's six lists as includes would give them (same filters, same order), but each read only when it has rows:
  // most tasks have no application, extension, notice or child, and an include sends its statement regardless.
  const has = await listsPresent(db, taskId);
  const [found, participants, reports, applications, extensionRequests, supervisionNotices, children] =
    await Promise.all([
      db.task.findUnique({ where: { id: taskId } }),
      has.participants ? db.taskParticipant.findMany({ where: { taskId } }) : [],
      has.reports
        ? db.report.findMany({ where: { taskId }, orderBy: [{ submittedAt: 'asc' }, { version: 'asc' }] })
        : [],
      has.applications ? db.closeoutApplication.findMany({ where: { taskId }, orderBy: { appliedAt: 'asc' } }) : [],
      has.extensionRequests ? db.extensionRequest.findMany({ where: { taskId }, orderBy: { requestedAt: 'asc' } }) : [],
      has.supervisionNotices ? db.supervisionNotice.findMany({ where: { taskId }, orderBy: { issuedAt: 'asc' } }) : [],
      has.children
        ? db.task
            .findMany({
              where: { parentTaskId: taskId },
              orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
              select: LIST_ROW_COLUMNS,
            })
            .then((rows) => withStaleStates(db, rows, now))
        : [],
    ]);
  if (!found) throw AppError.notFound(`Task ${taskId} not found`);
  const task = { ...found, participants, reports, applications, extensionRequests, supervisionNotices, children };
  // The campaign and the problem never change once written: this process's copies (activities/fixedRows.ts).
  const [campaign, problem] = await Promise.all([fixedCampaign(db, task.campaignId), fixedProblem(db, task.problemId)]);
  if (!campaign || !problem) throw new Error(`Task ${taskId}: its campaign or problem row is missing`);
  const row = { ...task, campaign, problem, ...(await reportsAndApplications(db, task.reports, task.applications)) };
  const audit = (await db.auditEvent.findMany({ where: { taskId }, orderBy: [{ at: 'asc' }] })).sort(auditOrder);
  const messages = has.messages ? await messagesOf(db, taskId) : [];
  const policy = row.campaign.parsedPolicy;
  const state = stateOf(row);
  const signer = currentSigner(state);
  const evidenceView = (e: {
    id: string;
    fileName: string;
    sha256: string;
    sizeBytes: number;
    mimeType: string | null;
    url: string | null;
    fileId: string | null;
  }) => ({
    id: e.id,
    fileId: e.fileId,
    fileName: e.fileName,
    sha256: e.sha256,
    sizeBytes: e.sizeBytes,
    mimeType: e.mimeType,
    url: e.url,
    downloadUrl: e.fileId ? `/api/files/${encodeURIComponent(e.fileId)}` : null,
  });
  const childNames = await loadRowNames(db, row.children);
  const names = await namesFor(db, row, state, audit);

  return {
    ...taskSummary(row, policy, now),
    campaignName: row.campaign.name,
    problemTitle: row.problem.title,
    category: row.problem.category.name,
    leadUnitName: names.units[row.leadUnitId] ?? null,
    leaderName: names.users[row.leaderId] ?? null,
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
    // nextReportDueAt and nextReminder on the working-day calendar; lightChanges for the timeline.
    ...(await taskScheduleView(db, row.id, state, policy, now, { lightChanges: has.lightChanges })),
    /** Set while the workflow has stopped on an error it could not act on: decisions answer 409 with this reason. */
    flagged: row.flaggedReason ? { reason: row.flaggedReason, at: iso(row.flaggedAt) } : null,
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
      problems: r.problems,
      nextPlan: r.nextPlan,
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
    // Numbered 督办 documents with their 签收 and 反馈 (api/supervision/view.ts).
    supervisionNotices: await supervisionNoticeViews(db, row.supervisionNotices, audit, now),
    children: row.children.map((c) => taskRow(c, childNames, now)),
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
    messages,
    names,
    allowedActions: viewer
      ? [
          ...(await withDeputyCandidates(
            db,
            viewer,
            allowedActions(state, viewer, { now: now.toISOString(), policy }),
          )),
          // 签收, 反馈 and issuing a step by hand, by the rules the supervision routes refuse with.
          ...supervisionActions(state, row.supervisionNotices, viewer, { now: now.toISOString(), policy }),
        ]
      : [],
  };
}

/**
 * Which of the task's lists have rows, in one statement (EXISTS on each list's task index): its six relations, its
 * timeline's messages (`messagesOf`) and its light's changes. SQLite answers 0/1 (numbers or bigints), PostgreSQL
 * booleans.
 */
async function listsPresent(db: Db, taskId: string) {
  const [row] = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT
      EXISTS(SELECT 1 FROM "TaskParticipant" WHERE "taskId" = ${taskId}) AS "participants",
      EXISTS(SELECT 1 FROM "Report" WHERE "taskId" = ${taskId}) AS "reports",
      EXISTS(SELECT 1 FROM "CloseoutApplication" WHERE "taskId" = ${taskId}) AS "applications",
      EXISTS(SELECT 1 FROM "ExtensionRequest" WHERE "taskId" = ${taskId}) AS "extensionRequests",
      EXISTS(SELECT 1 FROM "SupervisionNotice" WHERE "taskId" = ${taskId}) AS "supervisionNotices",
      EXISTS(SELECT 1 FROM "Task" WHERE "parentTaskId" = ${taskId}) AS "children",
      EXISTS(SELECT 1 FROM "Notification" WHERE "taskId" = ${taskId}
        AND "kind" IN (${TIMELINE_MESSAGE_KINDS[0]}, ${TIMELINE_MESSAGE_KINDS[1]})) AS "messages",
      EXISTS(SELECT 1 FROM "TaskLightChange" WHERE "taskId" = ${taskId}) AS "lightChanges"`;
  const has = (key: string): boolean => {
    const value = row?.[key];
    return value === true || (typeof value !== 'boolean' && Number(value ?? 0) > 0);
  };
  return {
    participants: has('participants'),
    reports: has('reports'),
    applications: has('applications'),
    extensionRequests: has('extensionRequests'),
    supervisionNotices: has('supervisionNotices'),
    children: has('children'),
    messages: has('messages'),
    lightChanges: has('lightChanges'),
  };
}

/**
 * The reports' reviews and evidence and the applications' sign-offs and evidence, as nested includes would give them,
 * in at most three statements and none for what has no parent: Prisma sends a nested include's query even when its
 * parents are none, four statements per task page (each ~0.5 ms of the process's CPU) before a task's first report.
 * Evidence of both kinds is one query; each owner's rows keep the order a nested include gives (the table's order).
 */
async function reportsAndApplications<R extends { id: string }, A extends { id: string }>(
  db: Db,
  reports: R[],
  applications: A[],
) {
  const reportIds = reports.map((r) => r.id);
  const applicationIds = applications.map((a) => a.id);
  const [reviews, decisions, evidence] = await Promise.all([
    reportIds.length > 0
      ? db.reviewDecision.findMany({ where: { reportId: { in: reportIds } }, orderBy: { decidedAt: 'asc' } })
      : [],
    applicationIds.length > 0
      ? db.signOffDecision.findMany({ where: { applicationId: { in: applicationIds } }, orderBy: { decidedAt: 'asc' } })
      : [],
    reportIds.length + applicationIds.length > 0
      ? db.evidence.findMany({
          where: {
            OR: [
              ...(reportIds.length > 0 ? [{ reportId: { in: reportIds } }] : []),
              ...(applicationIds.length > 0 ? [{ applicationId: { in: applicationIds } }] : []),
            ],
          },
        })
      : [],
  ]);
  const groupBy = <T>(items: T[], key: (item: T) => string | null): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    for (const item of items) {
      const k = key(item);
      if (k === null) continue;
      const list = out.get(k);
      if (list) list.push(item);
      else out.set(k, [item]);
    }
    return out;
  };
  const reviewsOf = groupBy(reviews, (v) => v.reportId);
  const decisionsOf = groupBy(decisions, (d) => d.applicationId);
  const evidenceOfReport = groupBy(evidence, (e) => e.reportId);
  const evidenceOfApplication = groupBy(evidence, (e) => e.applicationId);
  return {
    reports: reports.map((r) => ({
      ...r,
      reviews: reviewsOf.get(r.id) ?? [],
      evidence: evidenceOfReport.get(r.id) ?? [],
    })),
    applications: applications.map((a) => ({
      ...a,
      decisions: decisionsOf.get(a.id) ?? [],
      evidence: evidenceOfApplication.get(a.id) ?? [],
    })),
  };
}

/**
 * The 委托签批 form offers only people the rule accepts as deputies (`mayStandIn`: the caller's role in the caller's
 * unit), so nobody picks a colleague only to be refused.
 */
async function withDeputyCandidates(db: Db, viewer: Actor, actions: TAllowedAction[]): Promise<TAllowedAction[]> {
  const delegate = actions.find((a) => a.action === 'delegate');
  if (!delegate) return actions;
  const colleagues = await db.user.findMany({
    where: { role: viewer.role, unitId: viewer.unitId, NOT: { id: viewer.userId } },
    select: { id: true, name: true, role: true, unitId: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: 200,
  });
  const candidates = colleagues.filter((u) => mayStandIn(viewer, u)).map((u) => ({ id: u.id, name: u.name }));
  // Nobody could stand in: a button that can only be refused is not offered.
  if (candidates.length === 0) return actions.filter((a) => a !== delegate);
  delegate.candidates = candidates;
  return actions;
}

/** Kinds of notice that change no state, so leave no audit record, but belong on the task's timeline. */
const TIMELINE_MESSAGE_KINDS = ['urge', 'report_reminder'] as const;

/**
 * Urges (催办) and report reminders sent about the task, once each: a notice goes to every member of the recipient
 * unit, one row per person under keys `<intent>:<recipient index>:<userId>`, so rows are grouped by their intent.
 */
async function messagesOf(db: Db, taskId: string) {
  const rows = await db.notification.findMany({
    where: { taskId, kind: { in: [...TIMELINE_MESSAGE_KINDS] } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { idempotencyKey: true, kind: true, title: true, body: true, createdAt: true },
  });
  const seen = new Set<string>();
  const out: { kind: string; title: string; body: string; at: string }[] = [];
  for (const row of rows) {
    const intent = row.idempotencyKey.split(':').slice(0, -2).join(':');
    if (seen.has(intent)) continue;
    seen.add(intent);
    out.push({ kind: row.kind, title: row.title, body: row.body, at: row.createdAt.toISOString() });
  }
  return out;
}

/** Every user and unit id the task page mentions, with its name: the page never shows a bare id. */
async function namesFor(
  db: Db,
  row: {
    leaderId: string;
    leadUnitId: string;
    participants: { unitId: string }[];
    reports: { submittedById: string; reviews: { reviewerId: string }[] }[];
    applications: { appliedById: string; decisions: { signerId: string; onBehalfOfId: string | null }[] }[];
    extensionRequests: { requestedById: string }[];
  },
  state: TaskState,
  audit: { actorId: string | null; onBehalfOfId: string | null; detail: unknown }[],
): Promise<{ users: Record<string, string>; units: Record<string, string> }> {
  const userIds = new Set<string>([row.leaderId, state.leaderId]);
  const unitIds = new Set<string>([row.leadUnitId, state.leadUnitId, state.officeUnitId]);
  for (const p of row.participants) unitIds.add(p.unitId);
  for (const r of row.reports) {
    userIds.add(r.submittedById);
    for (const v of r.reviews) userIds.add(v.reviewerId);
  }
  for (const a of row.applications) {
    userIds.add(a.appliedById);
    for (const d of a.decisions) {
      userIds.add(d.signerId);
      if (d.onBehalfOfId) userIds.add(d.onBehalfOfId);
    }
  }
  for (const e of row.extensionRequests) userIds.add(e.requestedById);
  for (const level of state.signOffChain) {
    if (level.userId) userIds.add(level.userId);
    if (level.unitId) unitIds.add(level.unitId);
  }
  for (const d of state.delegations) {
    userIds.add(d.fromUserId);
    userIds.add(d.toUserId);
  }
  for (const a of audit) {
    if (a.actorId) userIds.add(a.actorId);
    if (a.onBehalfOfId) userIds.add(a.onBehalfOfId);
    // Reassignments, delegations and splits name units and people in their detail.
    const detail = a.detail as Record<string, unknown> | null;
    for (const key of ['toUserId', 'leaderId']) if (typeof detail?.[key] === 'string') userIds.add(detail[key]);
    for (const side of ['from', 'to']) {
      const party = detail?.[side] as { leadUnitId?: unknown; leaderId?: unknown } | undefined;
      if (party && typeof party === 'object') {
        if (typeof party.leadUnitId === 'string') unitIds.add(party.leadUnitId);
        if (typeof party.leaderId === 'string') userIds.add(party.leaderId);
      }
    }
  }
  userIds.delete('system');
  const [users, units] = await Promise.all([
    db.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, name: true } }),
    db.unit.findMany({ where: { id: { in: [...unitIds].filter(Boolean) } }, select: { id: true, name: true } }),
  ]);
  return {
    users: Object.fromEntries(users.map((u) => [u.id, u.name])),
    units: Object.fromEntries(units.map((u) => [u.id, u.name])),
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
