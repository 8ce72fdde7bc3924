/**
 * Creating tasks: every row (category, problem, task, participants, audit) in one transaction, then one
 * `taskLifecycle` workflow per task. Retry-safe: with an `Idempotency-Key`, task IDs derive from the key, so a
 * retried request finds its rows and only (re)starts missing workflows; a start that finds its workflow already
 * there counts as done. Nothing is written when any task of the request is invalid.
 */
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { taskLifecycle, TTaskLifecycleInput } from '../../workflows/taskLifecycle';
import { taskWorkflowId } from '../../workflows/shared';
import { findOfficeUnitId } from '../../activities/childTasks';
import { dateOf } from '../../domain/calendar';
import { deadlineDate, parseDeadline, type TDeadline } from '../../domain/deadline';
import { ZCampaignPolicy, type TCampaignPolicy } from '../../domain/policy';
import { initialState, resolveSignOffChain } from '../../domain/task';
import type { TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { inLifecycleRange, MAX_LIFECYCLE_DATE, MIN_LIFECYCLE_DATE, type TCreateTaskItem } from '../routes/schemas';
import { scopeOf, unitInScope } from '../scope';

export interface TCreatedTask {
  id: string;
  workflowId: string;
}

interface TPlannedTask {
  id: string;
  item: TCreateTaskItem;
  deadline: TDeadline;
  deadlineText: string | null;
  input: TTaskLifecycleInput;
}

export async function createTasks(
  deps: TAppDeps,
  actor: TApiActor,
  campaignId: string,
  items: TCreateTaskItem[],
  idempotencyKey: string | undefined,
): Promise<TCreatedTask[]> {
  const { db } = deps;
  const campaign = await db.campaign.findUnique({ where: { id: campaignId } });
  if (!campaign) throw AppError.notFound(`Campaign ${campaignId} not found`);
  const scope = await scopeOf(db, actor);
  if (!unitInScope(scope, campaign.inspectedUnitId)) {
    throw AppError.forbidden('This campaign belongs to another level: only its own office may add tasks');
  }
  const policy = ZCampaignPolicy.parse(campaign.policy ?? {});
  const officeUnitId = await findOfficeUnitId(db, campaign.inspectedUnitId);
  if (!officeUnitId) throw AppError.validation(`Unit ${campaign.inspectedUnitId} has no rectification office`);

  const assignedAt = deps.now().toISOString();
  await checkReferences(deps, items);
  const planned = planTasks(campaignId, items, policy, officeUnitId, assignedAt, idempotencyKey);

  await db.$transaction(async (tx) => {
    for (const task of planned) {
      // A retry with the same key: the rows were committed by the first attempt.
      if (await tx.task.findUnique({ where: { id: task.id }, select: { id: true } })) continue;
      const category = await tx.category.upsert({
        where: { campaignId_name: { campaignId, name: task.item.problem.category } },
        create: { campaignId, name: task.item.problem.category },
        update: {},
      });
      // Several measures often answer one problem: the same title in the same category is the same problem.
      const problem =
        (await tx.problem.findFirst({
          where: { campaignId, categoryId: category.id, title: task.item.problem.title },
        })) ??
        (await tx.problem.create({
          data: {
            campaignId,
            categoryId: category.id,
            title: task.item.problem.title,
            detail: task.item.problem.detail ?? null,
          },
        }));
      const state = initialState({
        taskId: task.id,
        campaignId,
        leadUnitId: task.item.leadUnitId,
        leaderId: task.item.leaderId,
        officeUnitId,
        deadline: task.deadline,
        signOffChain: task.input.signOffChain,
        assignedAt,
      });
      await tx.task.create({
        data: {
          id: task.id,
          campaignId,
          problemId: problem.id,
          measure: task.item.measure,
          target: task.item.target ?? null,
          leadUnitId: task.item.leadUnitId,
          leaderId: task.item.leaderId,
          responsiblePersonId: task.item.responsiblePersonId ?? null,
          deadlineKind: task.deadline.kind,
          deadlineText: task.deadlineText,
          deadlineDate: deadlineDate(task.deadline),
          status: 'ASSIGNED',
          stateJson: JSON.parse(JSON.stringify(state)) as object,
          workflowId: taskWorkflowId(task.id),
          createdAt: new Date(assignedAt),
          updatedAt: new Date(assignedAt),
          // Stale until the workflow projects it: a read by light recomputes it meanwhile.
          lightChangesAt: new Date(0),
          participants: {
            create: [...new Set(task.item.participatingUnitIds ?? [])]
              .filter((unitId) => unitId !== task.item.leadUnitId)
              .map((unitId) => ({ unitId })),
          },
        },
      });
      await tx.auditEvent.create({
        data: {
          idempotencyKey: `api:task-created:${task.id}`,
          taskId: task.id,
          campaignId,
          actorId: actor.userId,
          actorRole: actor.role,
          action: 'TaskCreated',
          toStatus: 'ASSIGNED',
          detail: { deadline: task.deadline, deadlineText: task.deadlineText, measure: task.item.measure },
          at: new Date(assignedAt),
        },
      });
    }
  });

  for (const task of planned) await startWorkflow(deps, task);
  return planned.map((t) => ({ id: t.id, workflowId: taskWorkflowId(t.id) }));
}

/** Parses every deadline and binds every chain first, so a bad item refuses the whole request before any write. */
function planTasks(
  campaignId: string,
  items: TCreateTaskItem[],
  policy: TCampaignPolicy,
  officeUnitId: string,
  assignedAt: string,
  idempotencyKey: string | undefined,
): TPlannedTask[] {
  const issues: { path: (string | number)[]; message: string; code: string }[] = [];
  const planned: TPlannedTask[] = [];
  for (const [i, item] of items.entries()) {
    const parsed = parseDeadline(item.deadline, {
      assignedOn: dateOf(assignedAt),
      immediateDays: policy.immediateDays,
    });
    if (!parsed.ok) {
      issues.push({ code: 'custom', path: ['tasks', i, 'deadline'], message: parsed.error.message });
      continue;
    }
    const date = deadlineDate(parsed.value);
    if (date !== null && !inLifecycleRange(date)) {
      issues.push({
        code: 'custom',
        path: ['tasks', i, 'deadline'],
        message: `The deadline ${date} is outside ${MIN_LIFECYCLE_DATE} – ${MAX_LIFECYCLE_DATE}`,
      });
      continue;
    }
    const id = idempotencyKey ? derivedTaskId(campaignId, idempotencyKey, i) : randomUUID();
    const signOffChain = resolveSignOffChain(policy.signOffLevels, {
      leadUnitId: item.leadUnitId,
      officeUnitId,
      leaderId: item.leaderId,
    });
    planned.push({
      id,
      item,
      deadline: parsed.value,
      deadlineText: typeof item.deadline === 'string' ? item.deadline : null,
      input: {
        taskId: id,
        campaignId,
        title: item.problem.title,
        leadUnitId: item.leadUnitId,
        leaderId: item.leaderId,
        officeUnitId,
        deadline: parsed.value,
        policy,
        signOffChain,
        assignedAt,
      },
    });
  }
  if (issues.length > 0) {
    throw AppError.validation(issues.map((issue) => issue.message).join('; '), issues);
  }
  return planned;
}

function derivedTaskId(campaignId: string, key: string, index: number): string {
  const digest = createHash('sha256').update(`${campaignId}\n${key}\n${index}`).digest('hex');
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
}

/** Every referenced unit and leader must exist, and a leader must hold the leader role (else nobody could sign). */
async function checkReferences(deps: TAppDeps, items: TCreateTaskItem[]): Promise<void> {
  const unitIds = [...new Set(items.flatMap((t) => [t.leadUnitId, ...(t.participatingUnitIds ?? [])]))];
  const userIds = [
    ...new Set(items.flatMap((t) => [t.leaderId, ...(t.responsiblePersonId ? [t.responsiblePersonId] : [])])),
  ];
  const [units, users] = await Promise.all([
    deps.db.unit.findMany({ where: { id: { in: unitIds } }, select: { id: true } }),
    deps.db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, role: true } }),
  ]);
  const knownUnits = new Set(units.map((u) => u.id));
  const roleOf = new Map(users.map((u) => [u.id, u.role]));
  const issues: { path: (string | number)[]; message: string; code: string }[] = [];
  for (const [i, item] of items.entries()) {
    for (const [field, id] of [
      ['leadUnitId', item.leadUnitId],
      ...(item.participatingUnitIds ?? []).map((u, j) => [`participatingUnitIds.${j}`, u] as const),
    ] as const) {
      if (!knownUnits.has(id))
        issues.push({ code: 'custom', path: ['tasks', i, field], message: `Unknown unit ${id}` });
    }
    const leaderRole = roleOf.get(item.leaderId);
    if (leaderRole !== 'leader') {
      const why = leaderRole ? `user ${item.leaderId} is not a leader` : `unknown user ${item.leaderId}`;
      issues.push({ code: 'custom', path: ['tasks', i, 'leaderId'], message: why });
    }
    if (item.responsiblePersonId && !roleOf.has(item.responsiblePersonId)) {
      issues.push({
        code: 'custom',
        path: ['tasks', i, 'responsiblePersonId'],
        message: `Unknown user ${item.responsiblePersonId}`,
      });
    }
  }
  if (issues.length > 0) throw AppError.validation(issues.map((issue) => issue.message).join('; '), issues);
}

async function startWorkflow(deps: TAppDeps, task: TPlannedTask): Promise<void> {
  try {
    await deps.client.workflow.start<typeof taskLifecycle>('taskLifecycle', {
      taskQueue: deps.taskQueue,
      workflowId: taskWorkflowId(task.id),
      args: [task.input],
      // A task has exactly one lifecycle: even a finished workflow's ID is never reused for a second one.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    // The workflow is there already (a retried request): starting is idempotent.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
}
