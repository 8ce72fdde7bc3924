/**
 * No orphans: creation commits a task's rows, then starts its workflow. A crash (kill -9) between the two leaves a
 * row with no workflow — ASSIGNED in every list and inbox, every decision 404. `reconcileWorkflows` finds such rows
 * and starts their workflows with the input creation would have used (`lifecycleInput`), at API start-up and
 * periodically (`scripts/start.ts`).
 *
 * Which rows: top-level tasks still ASSIGNED, created more than `olderThanMs` ago (a request in flight is not an
 * orphan yet), whose workflow has not projected its assignment (audit record `task-<id>:0000000000`). Creation writes
 * `stateJson` too, so a null snapshot does not tell; the first projected event does, and it is one indexed lookup.
 * Each remaining candidate is asked of Temporal (`describe`): only `WorkflowNotFoundError` means missing. Starting
 * rejects a duplicate ID (REJECT_DUPLICATE), so two reconcilers, or a reconciler racing a retried request, start a
 * workflow once.
 *
 * Child tasks of a split (`parentTaskId` set) are left out on purpose: their parent's workflow writes their rows in an
 * activity and then starts them from workflow code, so a crash only delays that — the parent's history replays it
 * and `createChildTasks` is idempotent by the split's request key.
 */
import { WorkflowNotFoundError } from '@temporalio/common';
import { findOfficeUnitId } from '../../activities/childTasks';
import { ZCampaignPolicy, type TCampaignPolicy } from '../../domain/policy';
import { taskWorkflowId } from '../../workflows/shared';
import type { TAppDeps } from '../deps';
import { lifecycleInput, startLifecycle, storedDeadline } from './create';

export interface TReconcileOptions {
  /** Rows younger than this may belong to a creation still starting its workflows. */
  olderThanMs: number;
  /** Rows read per page (default 500). */
  pageSize?: number;
  log?: (line: string) => void;
}

export interface TReconcileResult {
  /** Candidates asked of Temporal (not yet projected). */
  checked: number;
  /** Task IDs whose workflow was missing and has been started. */
  started: string[];
  /** Task IDs whose workflow could not be started (logged; tried again next time). */
  failed: string[];
}

/** How many candidates are described (and started) at once: a backlog of thousands must not flood the frontend. */
const CONCURRENCY = 8;

export async function reconcileWorkflows(
  deps: Pick<TAppDeps, 'db' | 'client' | 'taskQueue' | 'now'>,
  options: TReconcileOptions,
): Promise<TReconcileResult> {
  const { db } = deps;
  const cutoff = new Date(deps.now().getTime() - options.olderThanMs);
  const pageSize = options.pageSize ?? 500;
  const result: TReconcileResult = { checked: 0, started: [], failed: [] };
  const campaigns = new Map<string, { policy: TCampaignPolicy; officeUnitId: string | null }>();
  let cursor: string | undefined;
  for (;;) {
    const page = await db.task.findMany({
      where: { parentTaskId: null, status: 'ASSIGNED', createdAt: { lte: cutoff } },
      orderBy: { id: 'asc' },
      take: pageSize,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      select: {
        id: true,
        campaignId: true,
        workflowId: true,
        leadUnitId: true,
        leaderId: true,
        deadlineKind: true,
        deadlineDate: true,
        stateJson: true,
        createdAt: true,
        problem: { select: { title: true } },
      },
    });
    if (page.length === 0) break;
    cursor = page[page.length - 1]!.id;
    const projected = new Set(
      (
        await db.auditEvent.findMany({
          where: { idempotencyKey: { in: page.map((t) => firstEventKey(t.workflowId)) } },
          select: { idempotencyKey: true },
        })
      ).map((a) => a.idempotencyKey),
    );
    const candidates = page.filter((t) => !projected.has(firstEventKey(t.workflowId)));
    result.checked += candidates.length;
    for (let i = 0; i < candidates.length; i += CONCURRENCY) {
      await Promise.all(
        candidates.slice(i, i + CONCURRENCY).map(async (task) => {
          try {
            if (!(await workflowMissing(deps, task.id))) return;
            let campaign = campaigns.get(task.campaignId);
            if (!campaign) {
              const row = await db.campaign.findUniqueOrThrow({
                where: { id: task.campaignId },
                select: { policy: true, inspectedUnitId: true },
              });
              campaign = {
                policy: ZCampaignPolicy.parse(row.policy ?? {}),
                officeUnitId: await findOfficeUnitId(db, row.inspectedUnitId),
              };
              campaigns.set(task.campaignId, campaign);
            }
            const deadline = storedDeadline(task);
            if (!campaign.officeUnitId || !deadline) throw new Error('no office or no readable deadline');
            const input = lifecycleInput(
              {
                id: task.id,
                campaignId: task.campaignId,
                title: task.problem.title,
                leadUnitId: task.leadUnitId,
                leaderId: task.leaderId,
                deadline,
                assignedAt: task.createdAt.toISOString(),
              },
              campaign.policy,
              campaign.officeUnitId,
            );
            if (await startLifecycle(deps, input)) result.started.push(task.id);
          } catch (err) {
            result.failed.push(task.id);
            options.log?.(`reconcile: task ${task.id} not started: ${String(err)}`);
          }
        }),
      );
    }
    if (page.length < pageSize) break;
  }
  return result;
}

/** The audit key of a workflow's first projected event (assignment): `<workflowId>:<seq, 10 digits>`. */
function firstEventKey(workflowId: string): string {
  return `${workflowId}:${'0'.padStart(10, '0')}`;
}

async function workflowMissing(deps: Pick<TAppDeps, 'client'>, taskId: string): Promise<boolean> {
  try {
    await deps.client.workflow.getHandle(taskWorkflowId(taskId)).describe();
    return false;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return true;
    throw err;
  }
}
