import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import type { UpdateDefinition } from '@temporalio/client';
import {
  acknowledgeUpdate,
  clearFlagUpdate,
  decideExtensionUpdate,
  endLongTermUpdate,
  lookBackVerdictUpdate,
  reassignUpdate,
  requestClosureUpdate,
  requestExtensionUpdate,
  reviewReportUpdate,
  signOffUpdate,
  splitTaskUpdate,
  submitReportUpdate,
  urgeSignal,
  type TActor,
  type TDecisionResult,
} from '../../workflows/messages';
import { appendAudit } from '../../activities/audit';
import { actorOf, requireRole } from '../auth';
import { taskWorkflowId } from '../../workflows/shared';
import type { TAppDeps } from '../deps';
import { cappedCount } from '../tasks/count';
import { requireVisibleTask, scopeOf, taskScopeWhere } from '../scope';
import { resolveEvidence } from '../files/resolve';
import { requireDateInWindow } from '../tasks/dates';
import { executeDecision } from '../tasks/decide';
import { checkUnitsAndLeaders, requireWithinLevel } from '../tasks/references';
import { LIST_ROW_COLUMNS, taskRows, withStaleStates } from '../tasks/rows';
import { refreshStaleLights } from '../tasks/light';
import { taskDetail } from '../tasks/view';
import { mayUrge, type TaskStatus } from '../../domain/task';
import { AppError } from '../errors';
import {
  ZAcknowledgeRequest,
  ZDecideExtensionRequest,
  ZEndLongTermRequest,
  ZListTasksQuery,
  type TListTasksQuery,
  ZLookBackRequest,
  ZReassignRequest,
  ZRequestClosureRequest,
  ZRequestExtensionRequest,
  ZReviewReportParams,
  ZReviewReportRequest,
  ZSignOffRequest,
  ZSplitTaskRequest,
  ZSubmitReportRequest,
  ZTaskParams,
  ZUrgeRequest,
} from './schemas';

const SORT_COLUMNS = {
  createdAt: 'createdAt',
  deadline: 'deadlineDate',
  updatedAt: 'updatedAt',
  status: 'status',
} as const satisfies Record<TListTasksQuery['sort'], string>;

export function tasksRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.get('/tasks', async (req, res) => {
    const actor = actorOf(res);
    const query = ZListTasksQuery.parse(req.query);
    const scope = await scopeOf(db, actor);
    const q = query.q ? query.q : undefined;
    const where = {
      AND: [
        taskScopeWhere(scope),
        query.campaignId ? { campaignId: query.campaignId } : {},
        query.status ? { status: query.status } : {},
        query.overdue !== undefined ? { overdue: query.overdue } : {},
        query.unitId
          ? { OR: [{ leadUnitId: query.unitId }, { participants: { some: { unitId: query.unitId } } }] }
          : {},
        q ? { OR: [{ measure: { contains: q } }, { problem: { title: { contains: q } } }] } : {},
      ],
    };
    // Ties broken by creation then id; the default sort is by creation, named once: SQLite reads a repeated column as
    // a second sort key and sorted every row sharing the first one's instant (a 10⁵ import shares a few) in a temp tree.
    const column = SORT_COLUMNS[query.sort];
    const orderBy = [
      { [column]: query.order },
      ...(column === 'createdAt' ? [] : [{ createdAt: query.order }]),
      { id: query.order },
    ];
    const now = deps.now();
    const start = (query.page - 1) * query.pageSize;
    if (!query.trafficLight) {
      // Without a traffic-light filter the database pages: only one page of rows is read (their states only where a
      // stored light is stale).
      const [count, rows] = await Promise.all([
        cappedCount(db, where),
        db.task.findMany({ where, orderBy, skip: start, take: query.pageSize, select: LIST_ROW_COLUMNS }),
      ]);
      const items = await taskRows(db, await withStaleStates(db, rows, now), now);
      res.json({ items, ...count, page: query.page, pageSize: query.pageSize });
      return;
    }
    // The light is a column the workflow keeps current (projected at each change and at each instant it may change
    // by itself). Rows of the scope whose next change is already due are recomputed first (read-repair, only those
    // rows), then the database filters, counts and pages as for any other filter.
    await refreshStaleLights(db, where, now);
    const lit = { AND: [where, { trafficLight: query.trafficLight }] };
    const [count, rows] = await Promise.all([
      cappedCount(db, lit),
      db.task.findMany({ where: lit, orderBy, skip: start, take: query.pageSize, select: LIST_ROW_COLUMNS }),
    ]);
    const items = await taskRows(db, await withStaleStates(db, rows, now), now);
    res.json({ items, ...count, page: query.page, pageSize: query.pageSize });
  });

  router.get('/tasks/:id', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    const actor = actorOf(res);
    await requireVisibleTask(db, actor, id, deps.now());
    res.json(await taskDetail(db, id, deps.now(), actor));
  });

  /**
   * Every decision: check the caller may see the task, send the update with the caller as actor, then answer with
   * the task as projected (each accepted update returns only after its projection landed).
   */
  /** Every decision: sent as the caller, then answered with the task as projected after it. */
  async function decide<A extends { actor: TActor }>(
    res: Response,
    taskId: string,
    update: UpdateDefinition<TDecisionResult, [A]>,
    args: Omit<A, 'actor'>,
    options: { visibilityChecked?: boolean } = {},
  ): Promise<void> {
    const actor = actorOf(res);
    // The access log's request id when it set one, so a 503's id matches the log line.
    const requestId = typeof res.locals.requestId === 'string' ? res.locals.requestId : undefined;
    await executeDecision(deps, actor, taskId, update, args, requestId, options);
    res.json(await taskDetail(db, taskId, deps.now(), actor));
  }

  router.post('/tasks/:id/acknowledge', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    ZAcknowledgeRequest.parse(req.body ?? {});
    await decide(res, id, acknowledgeUpdate, {});
  });

  router.post('/tasks/:id/reports', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    const body = ZSubmitReportRequest.parse(req.body);
    // Visibility first, so a caller outside the task learns nothing about file ids from the answer.
    await requireVisibleTask(db, actorOf(res), id, deps.now());
    const evidence = await resolveEvidence(db, actorOf(res), id, body.evidence);
    await decide(
      res,
      id,
      submitReportUpdate,
      { ...body, evidence, reportId: randomUUID() },
      { visibilityChecked: true },
    );
  });

  router.post('/tasks/:id/reports/:period/review', async (req, res) => {
    const { id, period } = ZReviewReportParams.parse(req.params);
    const body = ZReviewReportRequest.parse(req.body);
    await decide(res, id, reviewReportUpdate, { period, ...body });
  });

  router.post('/tasks/:id/closure', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    const body = ZRequestClosureRequest.parse(req.body);
    await requireVisibleTask(db, actorOf(res), id, deps.now());
    const evidence = await resolveEvidence(db, actorOf(res), id, body.evidence);
    await decide(
      res,
      id,
      requestClosureUpdate,
      { ...body, evidence, applicationId: randomUUID() },
      { visibilityChecked: true },
    );
  });

  router.post('/tasks/:id/sign-off', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    await decide(res, id, signOffUpdate, ZSignOffRequest.parse(req.body));
  });

  router.post('/tasks/:id/extension', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    const body = ZRequestExtensionRequest.parse(req.body);
    await requireDateInWindow(db, id, body.newDate, 'newDate', deps.now());
    await decide(res, id, requestExtensionUpdate, body);
  });

  router.post('/tasks/:id/extension/decision', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    await decide(res, id, decideExtensionUpdate, ZDecideExtensionRequest.parse(req.body));
  });

  router.post('/tasks/:id/reassign', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    const body = ZReassignRequest.parse(req.body);
    await checkUnitsAndLeaders(db, {
      units: body.leadUnitId ? [[['leadUnitId'], body.leadUnitId]] : [],
      leaders: body.leaderId ? [[['leaderId'], body.leaderId]] : [],
    });
    await requireWithinLevel(db, actorOf(res), {
      units: body.leadUnitId ? [body.leadUnitId] : [],
      users: body.leaderId ? [body.leaderId] : [],
    });
    await decide(res, id, reassignUpdate, body);
  });

  router.post('/tasks/:id/look-back', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    const body = ZLookBackRequest.parse(req.body);
    if (body.newDeadlineDate) await requireDateInWindow(db, id, body.newDeadlineDate, 'newDeadlineDate', deps.now());
    await decide(res, id, lookBackVerdictUpdate, body);
  });

  router.post('/tasks/:id/end-long-term', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    await decide(res, id, endLongTermUpdate, ZEndLongTermRequest.parse(req.body ?? {}));
  });

  router.post('/tasks/:id/split', async (req, res) => {
    const { id } = ZTaskParams.parse(req.params);
    const body = ZSplitTaskRequest.parse(req.body);
    await checkUnitsAndLeaders(db, {
      units: body.children.map((c, i) => [['children', i, 'leadUnitId'], c.leadUnitId]),
      leaders: body.children.map((c, i) => [['children', i, 'leaderId'], c.leaderId]),
    });
    await requireWithinLevel(db, actorOf(res), {
      units: body.children.map((c) => c.leadUnitId),
      users: body.children.map((c) => c.leaderId),
    });
    await decide(res, id, splitTaskUpdate, body);
  });

  /** The admin clears a flagged task (its workflow stopped on an error) once the cause is mended; it resumes. */
  router.post('/tasks/:id/unflag', async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    const { id } = ZTaskParams.parse(req.params);
    await decide(res, id, clearFlagUpdate, {});
  });

  /** Urging (催办) changes no state: the office's message goes to the lead unit's inbox; fire-and-forget. */
  router.post('/tasks/:id/urge', async (req, res) => {
    const actor = actorOf(res);
    requireRole(actor, ['office', 'supervisor']);
    const { id } = ZTaskParams.parse(req.params);
    const body = ZUrgeRequest.parse(req.body);
    await requireVisibleTask(db, actor, id, deps.now());
    const task = await db.task.findUniqueOrThrow({ where: { id }, select: { status: true, campaignId: true } });
    if (!mayUrge({ status: task.status as TaskStatus }, actor)) {
      throw AppError.conflict(`A ${task.status} task needs no urging`);
    }
    const urgeId = randomUUID();
    await deps.client.workflow
      .getHandle(taskWorkflowId(id))
      .signal(urgeSignal, { actor, urgeId, message: body.message });
    // The urge changes no state, so the workflow writes no audit record of it: the API records who urged, once the
    // signal is accepted (a signal refused, e.g. for a missing workflow, leaves no record of an urge never sent).
    await db.$transaction((tx) =>
      appendAudit(tx, {
        idempotencyKey: `api:urge:${urgeId}`,
        taskId: id,
        campaignId: task.campaignId,
        actorId: actor.userId,
        actorRole: actor.role,
        action: 'TaskUrged',
        detail: { urgeId, message: body.message },
        at: deps.now(),
      }),
    );
    res.status(202).json({ urgeId });
  });

  return router;
}
