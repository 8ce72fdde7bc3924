/**
 * Projects the task workflow's accepted events into the database: the row changes each event implies, the task's
 * current snapshot, its audit records and the notifications it triggers, all in ONE transaction per batch.
 * Idempotent: each event's audit record is keyed `<workflowId>:<seq>` (seq zero-padded); a batch whose first key is already written was
 * projected by an earlier attempt of this activity and is skipped whole (the transaction wrote all of it or none).
 */
import type { Db } from '../db/client';
import { appendAudit } from './audit';
import { deadlineDate } from '../domain/deadline';
import { currentSigner } from '../domain/task';
import type { EvidenceRef, TaskEvent, TaskState } from '../domain/task';
import type { TCampaignPolicy } from '../domain/policy';
import { campaignPolicy } from './fixedRows';
import { snapshotLightColumns } from './light';
import { supervisorsOver, writeSupervisionNotice } from './supervision';
import { textSubject, writeNotifications, type TNotifyInput } from './notify';
import { writePendingActions } from './pendingActions';
import * as texts from './texts';
import type { ActivityDeps, TRecipient } from './types';

export interface TProjectTaskEventsInput {
  taskId: string;
  workflowId: string;
  /** Sequence number of `events[0]` within the task's whole lifecycle (stable across continue-as-new). */
  firstSeq: number;
  events: TaskEvent[];
  /** The state after the last event. */
  state: TaskState;
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export function projectTaskEventsActivity({ db }: ActivityDeps) {
  return async function projectTaskEvents(input: TProjectTaskEventsInput): Promise<{ written: boolean }> {
    if (input.events.length === 0) return { written: false };
    const firstKey = auditKey(input, 0);
    return db.$transaction(async (tx) => {
      const already = await tx.auditEvent.findUnique({ where: { idempotencyKey: firstKey }, select: { id: true } });
      if (already) return { written: false };
      for (const [i, event] of input.events.entries()) {
        await projectEvent(tx, input, event, i);
      }
      const at = input.events[input.events.length - 1]!.at;
      // The campaign's policy, once for the light and the pending actions (fixed since the campaign was created).
      const policy = await campaignPolicy(tx, input.state.campaignId);
      await writeSnapshot(tx, input.state, at, policy, { key: firstKey, events: input.events });
      await writePendingActions(tx, input.state, policy, at);
      return { written: true };
    });
  };
}

/** Zero-padded so that keys sort in event order (the audit trail orders ties in time by key). */
function auditKey(input: TProjectTaskEventsInput, index: number): string {
  return `${input.workflowId}:${String(input.firstSeq + index).padStart(10, '0')}`;
}

/** `change`: what recording a change of light needs (its key, and the events that may explain it). */
async function writeSnapshot(
  tx: Tx,
  state: TaskState,
  at: string,
  policy: TCampaignPolicy,
  change?: { key: string; events: TaskEvent[] },
): Promise<void> {
  const level = state.status === 'CLOSURE_REQUESTED' && state.closure ? state.closure.levelReached + 1 : null;
  // updateMany: `update` reads the whole row back (its state included) for a result nobody uses.
  const { count } = await tx.task.updateMany({
    where: { id: state.taskId },
    data: {
      status: state.status,
      overdue: state.overdue,
      round: state.round,
      reopenCount: state.reopenCount,
      leadUnitId: state.leadUnitId,
      leaderId: state.leaderId,
      deadlineKind: state.deadline.kind,
      deadlineDate: deadlineDate(state.deadline) ?? null,
      currentSignOffLevel: level,
      stateJson: JSON.parse(JSON.stringify(state)) as object,
      closedAt: state.closedAt ? new Date(state.closedAt) : null,
      updatedAt: new Date(at),
      // The light as of this snapshot and when it next may change (the workflow wakes then to project it again);
      // a change of light is recorded for the timeline (and a turn to red told) before the row is written.
      ...(await snapshotLightColumns(tx, state, at, policy, change)),
    },
  });
  // As `update` would: a task row that is not there fails the projection (the activity retries) rather than passing.
  if (count !== 1) throw new Error(`projection: task ${state.taskId} not found`);
}

async function projectEvent(tx: Tx, input: TProjectTaskEventsInput, event: TaskEvent, index: number): Promise<void> {
  const { state, taskId } = input;
  const at = new Date(event.at);
  const actorId = event.actor.role === 'system' ? null : event.actor.userId;
  const notifications: Omit<TNotifyInput, 'idempotencyKey' | 'at'>[] = [];
  const recipientsForSigner = (): TRecipient[] => {
    const signer = currentSigner(state);
    if (!signer) return [];
    return [signer.userId ? { userId: signer.userId } : { unitId: signer.unitId, role: signer.role }];
  };
  let onBehalfOfId: string | null = null;
  // Looked up only for events that notify: most projected events (acknowledgements, sign-offs mid-chain) do not.
  let subjectCache: texts.TTextSubject | undefined;
  const subject = async (): Promise<texts.TTextSubject> =>
    (subjectCache ??= (await textSubject(tx, taskId, state.leadUnitId)) ?? {
      taskId,
      title: '整改任务',
      unitName: '责任单位',
    });

  switch (event.type) {
    case 'ReportSubmitted': {
      await tx.report.create({
        data: {
          id: `${event.reportId}-v${event.version}`,
          taskId,
          period: event.period,
          round: event.round,
          version: event.version,
          progress: event.progress,
          problems: event.problems ?? null,
          nextPlan: event.nextPlan ?? null,
          status: 'submitted',
          late: event.late,
          submittedById: event.actor.userId,
          submittedAt: at,
        },
      });
      await writeEvidence(
        tx,
        taskId,
        event.evidence,
        { reportId: `${event.reportId}-v${event.version}` },
        event.actor.userId,
        at,
      );
      notifications.push({
        taskId,
        kind: 'report_submitted',
        ...texts.reportSubmittedText(await subject(), event),
        recipients: [{ unitId: state.officeUnitId, role: 'office' }],
      });
      break;
    }
    case 'ReportAccepted':
    case 'ReportReturned': {
      const reportId = `${event.reportId}-v${event.version}`;
      const decision = event.type === 'ReportAccepted' ? 'accept' : 'return';
      await tx.report.update({
        where: { id: reportId },
        data: { status: decision === 'accept' ? 'accepted' : 'returned' },
      });
      await tx.reviewDecision.create({
        data: {
          reportId,
          decision,
          reason: event.type === 'ReportReturned' ? event.reason : null,
          reviewerId: event.actor.userId,
          decidedAt: at,
        },
      });
      if (event.type === 'ReportReturned') {
        notifications.push({
          taskId,
          kind: 'report_returned',
          ...texts.reportReturnedText(await subject(), event),
          recipients: [{ unitId: state.leadUnitId }],
        });
      }
      break;
    }
    case 'ReportOverdue': {
      // A numbered 督办通知 of the task's office to the lead unit, which signs for it and answers (activities/supervision).
      await writeSupervisionNotice(tx, {
        idempotencyKey: auditKey(input, index),
        taskId,
        kind: 'report_overdue',
        step: 'supervision_notice',
        reason: texts.reportOverdueReason(event),
        period: event.period,
        at,
        issuingUnitId: state.officeUnitId,
        recipientUnitId: state.leadUnitId,
        issuedById: null,
      });
      notifications.push({
        taskId,
        kind: 'supervision_notice',
        ...texts.reportOverdueText(await subject(), event),
        recipients: [{ unitId: state.officeUnitId, role: 'office' }, { unitId: state.leadUnitId }],
      });
      break;
    }
    case 'ClosureRequested': {
      await tx.closeoutApplication.create({
        data: {
          id: event.applicationId,
          taskId,
          round: event.round,
          summary: event.summary,
          status: 'pending',
          appliedById: event.actor.userId,
          appliedAt: at,
        },
      });
      await writeEvidence(tx, taskId, event.evidence, { applicationId: event.applicationId }, event.actor.userId, at);
      notifications.push({
        taskId,
        kind: 'sign_off_requested',
        ...texts.closureRequestedText(await subject(), event),
        recipients: recipientsForSigner(),
      });
      break;
    }
    case 'SignOffApproved':
    case 'SignOffReturned': {
      onBehalfOfId = event.onBehalfOf ?? null;
      await tx.signOffDecision.create({
        data: {
          applicationId: event.applicationId,
          level: event.level,
          levelName: event.levelName,
          decision: event.type === 'SignOffApproved' ? 'approve' : 'return',
          reason: event.reason ?? null,
          signerId: event.actor.userId,
          onBehalfOfId,
          decidedAt: at,
        },
      });
      if (event.type === 'SignOffReturned') {
        await tx.closeoutApplication.update({ where: { id: event.applicationId }, data: { status: 'returned' } });
        notifications.push({
          taskId,
          kind: 'closure_returned',
          ...texts.closureReturnedText(await subject(), event),
          recipients: [{ unitId: state.leadUnitId }],
        });
      } else if (event.final) {
        await tx.closeoutApplication.update({ where: { id: event.applicationId }, data: { status: 'approved' } });
      } else {
        notifications.push({
          taskId,
          kind: 'sign_off_requested',
          ...texts.signOffNextText(await subject(), event),
          recipients: recipientsForSigner(),
        });
      }
      break;
    }
    case 'ExtensionRequested':
      await tx.extensionRequest.create({
        data: {
          id: `${input.workflowId}:ext:${input.firstSeq + index}`,
          taskId,
          oldDate: event.fromDate,
          newDate: event.toDate,
          reason: event.reason,
          status: 'pending',
          requestedById: event.actor.userId,
          requestedAt: at,
        },
      });
      notifications.push({
        taskId,
        kind: 'extension_requested',
        ...texts.extensionRequestedText(await subject(), event),
        recipients: [{ unitId: state.officeUnitId, role: 'office' }],
      });
      break;
    case 'ExtensionApproved':
    case 'ExtensionRefused': {
      onBehalfOfId = event.onBehalfOf ?? null;
      const pending = await tx.extensionRequest.findFirst({
        where: { taskId, status: 'pending' },
        orderBy: { requestedAt: 'desc' },
      });
      if (pending) {
        const status = event.type === 'ExtensionRefused' ? 'refused' : event.final ? 'approved' : 'pending';
        await tx.extensionRequest.update({ where: { id: pending.id }, data: { status } });
      }
      break;
    }
    case 'SignOffDelegated':
      await tx.delegation.create({
        data: {
          id: `${input.workflowId}:delegation:${input.firstSeq + index}`,
          fromUserId: event.actor.userId,
          toUserId: event.toUserId,
          validFrom: event.from,
          validTo: event.to,
          createdAt: at,
        },
      });
      break;
    case 'DeadlinePassed':
      notifications.push({
        taskId,
        kind: 'deadline_passed',
        ...texts.deadlinePassedText(await subject(), event),
        recipients: [
          { unitId: state.officeUnitId, role: 'office' },
          { userId: state.leaderId },
          { unitId: state.leadUnitId },
        ],
      });
      break;
    case 'EscalationStepReached': {
      // Each step is a numbered document to the lead unit: issued by the task's office when the ladder reaches it, or
      // in the name of whoever issued it by hand (the office, or a supervisor's discipline unit).
      const byHand = event.actor.role !== 'system';
      await writeSupervisionNotice(tx, {
        idempotencyKey: auditKey(input, index),
        taskId,
        kind: 'escalation',
        step: event.step,
        reason: texts.escalationReason(event),
        at,
        issuingUnitId: byHand ? event.actor.unitId : state.officeUnitId,
        recipientUnitId: state.leadUnitId,
        issuedById: byHand ? event.actor.userId : null,
      });
      // Supervisors are told only of tasks within their discipline unit's jurisdiction, each by name. The lead unit
      // is always told, as a whole: the document is addressed to it, and any of its members may sign for it and
      // answer (so a step naming only its head or staff tells the whole unit once, not some of it twice).
      const supervisors = event.notify.includes('supervisor') ? await supervisorsOver(tx, state.leadUnitId) : [];
      notifications.push({
        taskId,
        kind: `escalation_${event.step}`,
        ...texts.escalationText(await subject(), event),
        recipients: [
          ...event.notify.flatMap((role): TRecipient[] =>
            role === 'leader'
              ? [{ userId: state.leaderId }]
              : role === 'office'
                ? [{ unitId: state.officeUnitId, role }]
                : role === 'supervisor'
                  ? supervisors
                  : [],
          ),
          { unitId: state.leadUnitId },
        ],
      });
      break;
    }
    case 'LookBackDue':
      notifications.push({
        taskId,
        kind: 'look_back_due',
        ...texts.lookBackDueText(await subject(), event),
        recipients: [{ unitId: state.officeUnitId, role: 'office' }],
      });
      break;
    case 'TaskReopened':
      notifications.push({
        taskId,
        kind: 'task_reopened',
        ...texts.taskReopenedText(await subject(), event),
        recipients: [{ unitId: state.leadUnitId }],
      });
      break;
    default:
      break;
  }

  await appendAudit(tx, {
    idempotencyKey: auditKey(input, index),
    taskId,
    campaignId: state.campaignId,
    actorId,
    actorRole: event.actor.role,
    onBehalfOfId,
    action: event.type,
    fromStatus: event.fromStatus ?? null,
    toStatus: event.toStatus ?? null,
    detail: JSON.parse(JSON.stringify(event)) as object,
    at,
  });

  for (const [n, notification] of notifications.entries()) {
    await writeNotifications(
      tx,
      { ...notification, idempotencyKey: `${auditKey(input, index)}:n${n}`, at: event.at },
      at,
    );
  }
}

async function writeEvidence(
  tx: Tx,
  taskId: string,
  evidence: EvidenceRef[] | undefined,
  owner: { reportId?: string; applicationId?: string },
  uploadedById: string,
  at: Date,
): Promise<void> {
  for (const item of evidence ?? []) {
    await tx.evidence.create({
      data: {
        taskId,
        reportId: owner.reportId ?? null,
        applicationId: owner.applicationId ?? null,
        fileName: item.fileName,
        sha256: item.sha256,
        sizeBytes: item.sizeBytes,
        mimeType: item.mimeType ?? null,
        url: item.url ?? null,
        fileId: item.fileId ?? null,
        uploadedById,
        createdAt: at,
      },
    });
  }
}
