/**
 * Creating tasks: every row (category, problem, task, participants, audit) in one transaction, then one
 * `taskLifecycle` workflow per task. Retry-safe: with an `Idempotency-Key`, task IDs derive from the key, so a
 * retried request finds its rows and only (re)starts missing workflows; a start that finds its workflow already
 * there counts as done. Nothing is written when any task of the request is invalid. A key reused with another body
 * answers 422 and writes nothing: the hash of the normalised request is kept in each task's `api:task-created` audit
 * record. The workflow's input is built by `lifecycleInput` alone, so `reconcile.ts` restarts a workflow lost
 * between the commit and its start (a crash) with exactly the input creation would have given it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { taskLifecycle, TTaskLifecycleInput } from '../../workflows/taskLifecycle';
import { taskWorkflowId } from '../../workflows/shared';
import { findOfficeUnitId } from '../../activities/childTasks';
import { appendAudits, type TAuditRecord } from '../../activities/audit';
import type { Prisma } from '../../db/client';
import { dateOf } from '../../domain/calendar';
import { deadlineDate, outsideLifecycleWindow, parseDeadline, ZDeadline, type TDeadline } from '../../domain/deadline';
import { ZCampaignPolicy, type TCampaignPolicy } from '../../domain/policy';
import { initialState, resolveSignOffChain } from '../../domain/task';
import { chunked, ensureProblems, type Tx } from './problems';
import type { TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { inLifecycleRange, MAX_LIFECYCLE_DATE, MIN_LIFECYCLE_DATE, type TCreateTaskItem } from '../routes/schemas';
import { scopeOf, unitInScope } from '../scope';
import { requireWithinLevel } from './references';

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
  const planned = await writeTaskRows(deps, actor, campaignId, items, idempotencyKey);
  await startLifecycles(
    deps,
    planned.map((t) => t.input),
  );
  return planned.map((t) => ({ id: t.id, workflowId: taskWorkflowId(t.id) }));
}

/**
 * Workflow starts in flight at once for one request. One at a time, a start's round trip to the frontend (not its
 * work) bounded creation at about 40 tasks/s; a few in flight overlap those round trips. Bounded all the same: a
 * request of 500 tasks must not flood the frontend (the reconciler and the import keep 8 each).
 */
const START_CONCURRENCY = 16;

/**
 * Starts the workflows of committed rows, `START_CONCURRENCY` at a time. A failing start (other than "already
 * started", which `startLifecycle` counts as done) fails the request as the first failure did when starts ran one by
 * one: no further start is begun (Temporal is likely unreachable, and each would wait out its own timeout), the starts
 * in flight settle, then the first error is thrown. The rows are committed: a retry with the same key, or the
 * reconciler, starts the rest.
 */
async function startLifecycles(
  deps: Pick<TAppDeps, 'client' | 'taskQueue'>,
  inputs: TTaskLifecycleInput[],
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const starter = async (): Promise<void> => {
    while (!failure && next < inputs.length) {
      const input = inputs[next++]!;
      try {
        await startLifecycle(deps, input);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, inputs.length) }, starter));
  if (failure) throw failure.error;
}

/**
 * The first half of creation: checks, then every row in one transaction; returns each task's workflow input. A crash
 * after it and before the starts leaves rows without workflows, which `reconcileWorkflows` finds (tests call this half
 * alone to play that crash).
 */
/**
 * A plan's creation writes every row in one transaction (all or nothing). Prisma's default of 5 s for an interactive
 * transaction is too short for a plan of hundreds of measures on a busy database (20 tasks on PGlite under load took
 * longer); a minute bounds a stuck request still, and 10 s of waiting for a connection outlasts any projection's.
 */
const CREATION_TRANSACTION = { timeout: 60_000, maxWait: 10_000 };

export async function writeTaskRows(
  deps: TAppDeps,
  actor: TApiActor,
  campaignId: string,
  items: TCreateTaskItem[],
  idempotencyKey: string | undefined,
): Promise<{ id: string; input: TTaskLifecycleInput }[]> {
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
  // An office acts within its level only: every unit and leader it names must lie in its scope (403 otherwise).
  await requireWithinLevel(deps.db, actor, {
    units: items.flatMap((t) => [t.leadUnitId, ...(t.participatingUnitIds ?? [])]),
    users: items.flatMap((t) => [t.leaderId, ...(t.responsiblePersonId ? [t.responsiblePersonId] : [])]),
  });
  const planned = planTasks(campaignId, items, policy, officeUnitId, assignedAt, idempotencyKey, campaign.feedbackDate);
  const requestHash = idempotencyKey ? hashRequest(items) : undefined;

  await db.$transaction(async (tx) => {
    await writeRows(tx, { campaignId, actor, officeUnitId, assignedAt, requestHash }, planned);
  }, CREATION_TRANSACTION);

  return planned.map((t) => ({ id: t.id, input: t.input }));
}

interface TRowContext {
  campaignId: string;
  actor: TApiActor;
  officeUnitId: string;
  assignedAt: string;
  requestHash: string | undefined;
}

/**
 * Every row of a request, in the caller's transaction, with a number of statements bounded per request rather than per
 * task (a statement per task and five per audit record made 100 tasks take seconds on SQLite's single writer): which
 * tasks exist, categories, problems, tasks, participants, then the audit records in one `appendAudits`, chained in the
 * request's order. The rows are those creation wrote task by task: the same columns, problems shared by title within
 * a category (the first new task naming one gives its detail), one `TaskCreated` record per new task.
 */
async function writeRows(tx: Tx, ctx: TRowContext, planned: TPlannedTask[]): Promise<void> {
  const { campaignId, assignedAt } = ctx;
  // A retry with the same key: the rows were committed by the first attempt (all of them: one transaction).
  const existing = new Set<string>();
  for (const ids of chunked(planned.map((t) => t.id))) {
    const found = await tx.task.findMany({ where: { id: { in: ids } }, select: { id: true } });
    for (const t of found) existing.add(t.id);
  }
  await requireSameRequest(tx, [...existing], ctx.requestHash);
  const fresh = planned.filter((t) => !existing.has(t.id));
  if (fresh.length === 0) return;

  const problemIdOf = await ensureProblems(
    tx,
    campaignId,
    fresh.map(({ item }) => item.problem),
  );

  const tasks: Prisma.TaskCreateManyInput[] = [];
  const participants: Prisma.TaskParticipantCreateManyInput[] = [];
  const audits: TAuditRecord[] = [];
  for (const task of fresh) {
    const state = initialState({
      taskId: task.id,
      campaignId,
      leadUnitId: task.item.leadUnitId,
      leaderId: task.item.leaderId,
      officeUnitId: ctx.officeUnitId,
      deadline: task.deadline,
      signOffChain: task.input.signOffChain,
      assignedAt,
    });
    tasks.push({
      id: task.id,
      campaignId,
      problemId: problemIdOf(task.item.problem),
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
    });
    for (const unitId of new Set(task.item.participatingUnitIds ?? [])) {
      if (unitId !== task.item.leadUnitId) participants.push({ taskId: task.id, unitId });
    }
    audits.push({
      idempotencyKey: `api:task-created:${task.id}`,
      taskId: task.id,
      campaignId,
      actorId: ctx.actor.userId,
      actorRole: ctx.actor.role,
      action: 'TaskCreated',
      toStatus: 'ASSIGNED',
      detail: {
        deadline: task.deadline,
        deadlineText: task.deadlineText,
        measure: task.item.measure,
        ...(ctx.requestHash ? { requestHash: ctx.requestHash } : {}),
      },
      at: new Date(assignedAt),
    });
  }
  for (const chunk of chunked(tasks)) await tx.task.createMany({ data: chunk });
  for (const chunk of chunked(participants)) await tx.taskParticipant.createMany({ data: chunk });
  // In the request's order, as one append per task chained them.
  await appendAudits(tx, audits);
}

/** Parses every deadline and binds every chain first, so a bad item refuses the whole request before any write. */
function planTasks(
  campaignId: string,
  items: TCreateTaskItem[],
  policy: TCampaignPolicy,
  officeUnitId: string,
  assignedAt: string,
  idempotencyKey: string | undefined,
  feedbackDate: string,
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
    const outside = date === null ? null : outsideLifecycleWindow(date, { today: dateOf(assignedAt), feedbackDate });
    if (outside) {
      issues.push({ code: 'custom', path: ['tasks', i, 'deadline'], message: outside });
      continue;
    }
    const id = idempotencyKey ? derivedTaskId(campaignId, idempotencyKey, i) : randomUUID();
    planned.push({
      id,
      item,
      deadline: parsed.value,
      deadlineText: typeof item.deadline === 'string' ? item.deadline : null,
      input: lifecycleInput(
        {
          id,
          campaignId,
          title: item.problem.title,
          leadUnitId: item.leadUnitId,
          leaderId: item.leaderId,
          deadline: parsed.value,
          assignedAt,
        },
        policy,
        officeUnitId,
      ),
    });
  }
  if (issues.length > 0) {
    throw AppError.validation(issues.map((issue) => issue.message).join('; '), issues);
  }
  return planned;
}

/** What a top-level task's workflow input is made of: what its row records (the title is its problem's). */
export interface TLifecycleRow {
  id: string;
  campaignId: string;
  title: string;
  leadUnitId: string;
  leaderId: string;
  deadline: TDeadline;
  /** ISO instant: the row's `createdAt`. */
  assignedAt: string;
}

/**
 * The one place a top-level task's lifecycle input is built, from its row, its campaign's policy and the campaign's
 * office: creation and the reconciler (`reconcile.ts`) both call it, so a restarted workflow is the one creation
 * would have started. Child tasks of a split are not built here: their parent's workflow creates and starts them.
 */
export function lifecycleInput(row: TLifecycleRow, policy: TCampaignPolicy, officeUnitId: string): TTaskLifecycleInput {
  return {
    taskId: row.id,
    campaignId: row.campaignId,
    title: row.title,
    leadUnitId: row.leadUnitId,
    leaderId: row.leaderId,
    officeUnitId,
    deadline: row.deadline,
    policy,
    signOffChain: resolveSignOffChain(policy.signOffLevels, {
      leadUnitId: row.leadUnitId,
      officeUnitId,
      leaderId: row.leaderId,
    }),
    assignedAt: row.assignedAt,
  };
}

/** A stored row's deadline: the created state's (exact), else rebuilt from its columns. */
export function storedDeadline(row: {
  stateJson: unknown;
  deadlineKind: string;
  deadlineDate: string | null;
}): TDeadline | null {
  const fromState = ZDeadline.safeParse((row.stateJson as { deadline?: unknown } | null)?.deadline);
  if (fromState.success) return fromState.data;
  const fromColumns = ZDeadline.safeParse(
    row.deadlineDate === null ? { kind: row.deadlineKind } : { kind: row.deadlineKind, date: row.deadlineDate },
  );
  return fromColumns.success ? fromColumns.data : null;
}

/**
 * The hash of the normalised request (Zod-parsed items, keys sorted), kept with the tasks a keyed request created: a
 * retry must send the same request. Kept in the audit record's detail rather than a new column: no schema change,
 * and the record is written in the same transaction as the rows it vouches for.
 */
export function hashRequest(items: TCreateTaskItem[]): string {
  return createHash('sha256').update(canonicalJson(items)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A keyed retry whose body differs from the request that created the tasks: 422, nothing written. */
async function requireSameRequest(tx: Tx, existingIds: string[], requestHash: string | undefined): Promise<void> {
  if (!requestHash || existingIds.length === 0) return;
  for (const ids of chunked(existingIds)) {
    const created = await tx.auditEvent.findMany({
      where: { idempotencyKey: { in: ids.map((id) => `api:task-created:${id}`) } },
      select: { detail: true },
    });
    for (const record of created) {
      const stored = (record.detail as { requestHash?: unknown } | null)?.requestHash;
      // Tasks created before the hash was kept have none: they are accepted as before.
      if (typeof stored === 'string' && stored !== requestHash) {
        throw new AppError(
          'UNPROCESSABLE',
          'This Idempotency-Key was already used with a different request body: use a new key for a new request',
        );
      }
    }
  }
}

/**
 * How long the same request from the same person counts as a retry when it carries no Idempotency-Key: long enough
 * for any client's retries and a person's second click; short enough that creating the very same tasks again on
 * purpose later is not mistaken for one (and an Idempotency-Key states intent either way).
 */
export const IMPLICIT_RETRY_WINDOW_MS = 10 * 60_000;

/**
 * The key of an HTTP request sent without one: the person, the request body and a ten-minute window, so that a retry
 * of the same request soon after (a timeout, a double click) does not create again the tasks an attempt whose answer
 * was lost did create. The previous window's
 * key is tried first, so a retry just after a window's boundary still finds the tasks its first attempt created.
 */
export async function implicitCreationKey(
  db: TAppDeps['db'],
  actor: TApiActor,
  campaignId: string,
  items: TCreateTaskItem[],
  now: Date,
): Promise<string> {
  const window = Math.floor(now.getTime() / IMPLICIT_RETRY_WINDOW_MS);
  const keyOf = (w: number): string => `implicit:${actor.userId}:${hashRequest(items)}:${w}`;
  const previous = keyOf(window - 1);
  const found = await db.task.findUnique({
    where: { id: derivedTaskId(campaignId, previous, 0) },
    select: { id: true },
  });
  return found ? previous : keyOf(window);
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

/** Starts a task's lifecycle; false when it was there already (a retried request, or the reconciler's race). */
export async function startLifecycle(
  deps: Pick<TAppDeps, 'client' | 'taskQueue'>,
  input: TTaskLifecycleInput,
): Promise<boolean> {
  try {
    await deps.client.workflow.start<typeof taskLifecycle>('taskLifecycle', {
      taskQueue: deps.taskQueue,
      workflowId: taskWorkflowId(input.taskId),
      args: [input],
      // A task has exactly one lifecycle: even a finished workflow's ID is never reused for a second one.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    // The workflow is there already (a retried request): starting is idempotent.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
  return true;
}
