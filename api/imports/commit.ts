/**
 * The task-list import, second half: writing a previewed list into its campaign. Rows first — category, problem,
 * task (with participants, leaderText, responsiblePersonText, deadlineText, importKey '<importId>:<row>') and its
 * `TaskCreated` audit record, 50 tasks per transaction — then one `taskLifecycle` workflow per task, started exactly
 * as creation by hand starts them (`lifecycleInput` + `startLifecycle` from api/tasks/create.ts).
 *
 * Idempotent and resumable: task ids derive from the import and the row, and `Task.importKey` is unique, so a
 * retried, concurrent or resumed commit finds the rows already written and only starts the workflows still missing
 * (a start that finds its workflow running counts as started). A commit that fails is marked 'failed' with the
 * reason and goes on where it stopped when committed again; rows written but never started are also picked up by
 * the reconciler (api/tasks/reconcile.ts) after 30 s, like any creation a crash interrupted.
 */
import { createHash } from 'node:crypto';
import { appendAudit, appendAudits } from '../../activities/audit';
import type { Prisma } from '../../db/client';
import { findOfficeUnitId } from '../../activities/childTasks';
import { dateOf } from '../../domain/calendar';
import { deadlineDate, parseDeadlineText, type TDeadline } from '../../domain/deadline';
import type { TPreviewRow } from '../../domain/import';
import { ZCampaignPolicy, type TCampaignPolicy } from '../../domain/policy';
import { initialState } from '../../domain/task';
import { taskWorkflowId } from '../../workflows/shared';
import type { TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { lifecycleInput, startLifecycle } from '../tasks/create';
import { ensureProblems } from '../tasks/problems';
import { requireWithinLevel } from '../tasks/references';
import { importView, requireCampaignOffice } from './tasks';

/**
 * Tasks per transaction: small enough to keep SQLite's single writer (and this process's event loop, see runCommit)
 * free for other requests and the workflows' projections between chunks.
 */
const CHUNK = 50;
/**
 * Why longer than Prisma's 5 s default: a chunk appends 50 audit records to the chain (five statements each), and on
 * a busy machine, behind the workflows' own projections for SQLite's single writer, that may take more than 5 s; an
 * expired transaction would fail the commit though nothing was wrong. `maxWait`: the wait for SQLite's writer.
 */
const CHUNK_TRANSACTION = { timeout: 60_000, maxWait: 30_000 };
/** Workflow starts in flight at once (as the reconciler): thousands at once would flood the frontend. */
const START_CONCURRENCY = 8;

/** Commits running in this process, by import id: a second request joins the first instead of racing it. */
const running = new Map<string, Promise<void>>();
/** Their progress, live: the Import row holds the whole preview, so writing it costs a rewrite of megabytes. */
const progress = new Map<string, { rowsWritten: number; workflowsStarted: number }>();
/** How often progress reaches the Import row (for other processes, and after a restart) while a commit runs. */
const PROGRESS_FLUSH_MS = 3_000;

/** The live progress of a commit running in this process, or null (then the Import row is current). */
export function liveProgress(importId: string): { rowsWritten: number; workflowsStarted: number } | null {
  const p = progress.get(importId);
  return p ? { ...p } : null;
}

/** The id of the task an import row becomes: the same on every attempt. */
export function importTaskId(importId: string, row: number): string {
  const d = createHash('sha256').update(`import\n${importId}\n${row}`).digest('hex');
  return `${d.slice(0, 8)}-${d.slice(8, 12)}-${d.slice(12, 16)}-${d.slice(16, 20)}-${d.slice(20, 32)}`;
}

export function importKeyOf(importId: string, row: number): string {
  return `${importId}:${row}`;
}

export interface TCommitOptions {
  /** Commit the rows without errors and leave the others out (default: refuse while any row has an error). */
  skipErrorRows: boolean;
  /** How long the request waits for the commit before answering 202 with its progress. */
  waitMs: number;
}

/** POST /api/campaigns/:id/imports/:importId/commit. */
export async function commitTaskImport(
  deps: TAppDeps,
  actor: TApiActor,
  campaignId: string,
  importId: string,
  options: TCommitOptions,
): Promise<{ done: boolean; view: ReturnType<typeof importView> }> {
  const { db } = deps;
  const campaign = await requireCampaignOffice(db, actor, campaignId);
  const record = await db.import.findUnique({ where: { id: importId } });
  if (!record || record.kind !== 'tasks' || record.campaignId !== campaignId) {
    throw AppError.notFound(`Import ${importId} not found`);
  }
  if (record.status === 'committed') return { done: true, view: importView(record) };
  let job = running.get(importId);
  if (!job) {
    const rows = (record.rows as unknown as TPreviewRow[]).filter((r) => r.errors.length === 0);
    const withErrors = record.total - rows.length;
    if (withErrors > 0 && !options.skipErrorRows) {
      throw AppError.validation(
        `预览中有 ${withErrors} 行有错误，不能导入：请修正后重新上传，或选择只导入没有错误的行`,
        [{ code: 'custom', path: ['skipErrorRows'], message: `${withErrors} 行有错误` }],
      );
    }
    if (rows.length === 0) throw AppError.validation('没有可导入的行');
    // An office names only units and leaders of its own level (the rule of creation by hand): 403 before anything.
    await requireWithinLevel(db, actor, {
      units: rows.flatMap((r) => [r.leadUnitId!, ...r.participatingUnitIds]),
      users: rows.flatMap((r) => [r.leaderId!, ...(r.responsiblePersonId ? [r.responsiblePersonId] : [])]),
    });
    const policy = ZCampaignPolicy.parse(campaign.policy ?? {});
    const officeUnitId = await findOfficeUnitId(db, campaign.inspectedUnitId);
    if (!officeUnitId) throw AppError.validation('被巡视单位没有整改办，无法创建任务');
    const summary = (record.summary ?? {}) as Record<string, unknown>;
    // The first attempt fixes the assignment instant: a resumed commit assigns its remaining rows the same way.
    const assignedAt = typeof summary.assignedAt === 'string' ? summary.assignedAt : deps.now().toISOString();
    await db.import.update({
      where: { id: importId },
      data: {
        status: 'committing',
        error: null,
        total: rows.length,
        summary: { ...summary, assignedAt } as object,
      },
    });
    const context = { deps, actor, campaignId, importId, rows, policy, officeUnitId, assignedAt };
    progress.set(importId, { rowsWritten: 0, workflowsStarted: 0 });
    job = runCommit(context).finally(() => {
      running.delete(importId);
      progress.delete(importId);
    });
    running.set(importId, job);
  }
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    job.then(() => true),
    // Why a wait at all: a short list commits within it and the caller gets the final answer in one round trip.
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), options.waitMs);
    }),
  ]);
  clearTimeout(timer);
  const after = await db.import.findUniqueOrThrow({ where: { id: importId }, omit: { rows: true } });
  const view = { ...importView({ ...after, rows: undefined }), ...(liveProgress(importId) ?? {}) };
  return { done: finished && after.status === 'committed', view };
}

interface TCommitContext {
  deps: TAppDeps;
  actor: TApiActor;
  campaignId: string;
  importId: string;
  rows: TPreviewRow[];
  policy: TCampaignPolicy;
  officeUnitId: string;
  assignedAt: string;
}

async function runCommit(ctx: TCommitContext): Promise<void> {
  const { db } = ctx.deps;
  const live = progress.get(ctx.importId) ?? { rowsWritten: 0, workflowsStarted: 0 };
  let flushedAt = Date.now();
  const flush = async (force: boolean) => {
    if (!force && Date.now() - flushedAt < PROGRESS_FLUSH_MS) return;
    flushedAt = Date.now();
    await db.import.update({ where: { id: ctx.importId }, data: { ...live } });
  };
  try {
    for (let i = 0; i < ctx.rows.length; i += CHUNK) {
      const chunk = ctx.rows.slice(i, i + CHUNK);
      try {
        await writeChunk(ctx, chunk);
      } catch (err) {
        // A concurrent commit (another process) wrote some of these rows first: once more finds them written.
        if ((err as { code?: string }).code !== 'P2002') throw err;
        await writeChunk(ctx, chunk);
      }
      live.rowsWritten += chunk.length;
      await flush(false);
      // Why: SQLite's driver answers synchronously, so a commit's awaits never reach the event loop by themselves; the
      // API's other requests, its timers and the worker in this process would wait for the whole commit.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await flush(true);
    // A pool of starters: each takes the next row as soon as its start is done.
    let next = 0;
    const starter = async () => {
      while (next < ctx.rows.length) {
        const row = ctx.rows[next++];
        await startRow(ctx, row);
        live.workflowsStarted++;
        await flush(false);
      }
    };
    await Promise.all(Array.from({ length: START_CONCURRENCY }, starter));
    await db.$transaction(async (tx) => {
      await tx.import.update({
        where: { id: ctx.importId },
        data: { ...live, status: 'committed', committedAt: ctx.deps.now(), error: null },
      });
      await appendAudit(tx, {
        idempotencyKey: `api:import-committed:${ctx.importId}`,
        campaignId: ctx.campaignId,
        actorId: ctx.actor.userId,
        actorRole: ctx.actor.role,
        action: 'ImportCommitted',
        detail: { importId: ctx.importId, tasks: ctx.rows.length },
        at: ctx.deps.now(),
      });
    });
  } catch (err) {
    ctx.deps.logger?.error('import commit failed', { importId: ctx.importId, error: String(err) });
    const message = err instanceof AppError ? err.message : '导入中断，已写入的内容保留；请再次确认导入以继续';
    await db.import
      .update({ where: { id: ctx.importId }, data: { ...live, status: 'failed', error: message } })
      .catch(() => undefined);
  }
}

/** A row's deadline as of the assignment date (immediate kinds count from it); the preview's when unparsable now. */
function deadlineOf(row: TPreviewRow, ctx: TCommitContext): TDeadline {
  const parsed = parseDeadlineText(row.deadlineText, {
    assignedOn: dateOf(ctx.assignedAt),
    immediateDays: ctx.policy.immediateDays,
  });
  if (parsed.ok) return parsed.value;
  if (row.deadline) return row.deadline;
  throw new AppError('VALIDATION', `第 ${row.row} 行的整改时限无法识别`);
}

async function writeChunk(ctx: TCommitContext, chunk: TPreviewRow[]): Promise<void> {
  const { db } = ctx.deps;
  await db.$transaction(async (tx) => {
    const keys = chunk.map((r) => importKeyOf(ctx.importId, r.row));
    const existing = new Set(
      (await tx.task.findMany({ where: { importKey: { in: keys } }, select: { importKey: true } })).map(
        (t) => t.importKey,
      ),
    );
    const fresh = chunk.filter((r) => !existing.has(importKeyOf(ctx.importId, r.row)));
    if (fresh.length === 0) return;
    const tasks: Prisma.TaskCreateManyInput[] = [];
    const participants: { taskId: string; unitId: string }[] = [];
    const audits: Parameters<typeof appendAudit>[1][] = [];
    // Categories and problems for the whole chunk in a few statements (three per new problem before).
    const problemIdOf = await ensureProblems(
      tx,
      ctx.campaignId,
      fresh.map((r) => ({ category: r.category, title: r.problem })),
    );
    for (const row of fresh) {
      const importKey = importKeyOf(ctx.importId, row.row);
      const id = importTaskId(ctx.importId, row.row);
      const deadline = deadlineOf(row, ctx);
      const input = lifecycleInput(
        {
          id,
          campaignId: ctx.campaignId,
          title: row.problem,
          leadUnitId: row.leadUnitId!,
          leaderId: row.leaderId!,
          deadline,
          assignedAt: ctx.assignedAt,
        },
        ctx.policy,
        ctx.officeUnitId,
      );
      const state = initialState({
        taskId: id,
        campaignId: ctx.campaignId,
        leadUnitId: row.leadUnitId!,
        leaderId: row.leaderId!,
        officeUnitId: ctx.officeUnitId,
        deadline,
        signOffChain: input.signOffChain,
        assignedAt: ctx.assignedAt,
      });
      tasks.push({
        id,
        campaignId: ctx.campaignId,
        problemId: problemIdOf({ category: row.category, title: row.problem }),
        measure: row.measure,
        target: row.target,
        leadUnitId: row.leadUnitId!,
        leaderId: row.leaderId!,
        responsiblePersonId: row.responsiblePersonId,
        leaderText: row.leaderText,
        responsiblePersonText: row.responsiblePersonText,
        deadlineKind: deadline.kind,
        deadlineText: row.deadlineText,
        deadlineDate: deadlineDate(deadline),
        status: 'ASSIGNED',
        stateJson: JSON.parse(JSON.stringify(state)) as object,
        workflowId: taskWorkflowId(id),
        importKey,
        createdAt: new Date(ctx.assignedAt),
        updatedAt: new Date(ctx.assignedAt),
        // Stale until the workflow projects it: a read by light recomputes it meanwhile.
        lightChangesAt: new Date(0),
      });
      for (const unitId of row.participatingUnitIds) {
        if (unitId !== row.leadUnitId) participants.push({ taskId: id, unitId });
      }
      audits.push({
        idempotencyKey: `api:task-created:${id}`,
        taskId: id,
        campaignId: ctx.campaignId,
        actorId: ctx.actor.userId,
        actorRole: ctx.actor.role,
        action: 'TaskCreated',
        toStatus: 'ASSIGNED',
        detail: { deadline, deadlineText: row.deadlineText, measure: row.measure, importKey },
        at: new Date(ctx.assignedAt),
      });
    }
    // Tasks, participants and their audit records (chained in order) in a few statements per chunk.
    await tx.task.createMany({ data: tasks });
    if (participants.length > 0) await tx.taskParticipant.createMany({ data: participants });
    await appendAudits(tx, audits);
  }, CHUNK_TRANSACTION);
}

async function startRow(ctx: TCommitContext, row: TPreviewRow): Promise<void> {
  const id = importTaskId(ctx.importId, row.row);
  await startLifecycle(
    ctx.deps,
    lifecycleInput(
      {
        id,
        campaignId: ctx.campaignId,
        title: row.problem,
        leadUnitId: row.leadUnitId!,
        leaderId: row.leaderId!,
        deadline: deadlineOf(row, ctx),
        assignedAt: ctx.assignedAt,
      },
      ctx.policy,
      ctx.officeUnitId,
    ),
  );
}
