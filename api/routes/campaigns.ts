import { Router } from 'express';
import { z } from 'zod';
import { defaultPolicy } from '../../domain/policy';
import { TASK_STATUSES, type TaskStatus } from '../../domain/task';
import type { TrafficLight } from '../../domain/trafficLight';
import { actorOf, requireRole } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { scopeOf, taskScopeWhere, type TScope, unitInScope } from '../scope';
import { createTasks } from '../tasks/create';
import { taskRows } from '../tasks/rows';
import { refreshStaleLights } from '../tasks/light';
import { policyOf } from '../tasks/view';
import { ZCreateCampaignRequest, ZCreateTaskRequest } from './schemas';

const ZCampaignParams = z.object({ id: z.string().min(1) });
/** Optional retry key: the same key on the same campaign yields the same tasks, never duplicates. */
const ZIdempotencyKey = z.string().trim().min(1).max(200).optional();

const ZListCampaignsQuery = z.object({
  kind: z.enum(['xunshi', 'xuncha', 'ducha']).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

/** Campaigns a caller may see: every one in scope for admins and supervisors; else those of a unit in scope, or with a task in scope. */
function campaignScopeWhere(scope: TScope) {
  if (scope.all) return {};
  return { OR: [{ inspectedUnitId: { in: scope.unitIds } }, { tasks: { some: taskScopeWhere(scope) } }] };
}

function campaignView(c: {
  id: string;
  name: string;
  kind: string;
  inspectingBody: string;
  inspectedUnitId: string;
  feedbackDate: string;
  policy: unknown;
  createdAt: Date;
}) {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    inspectingBody: c.inspectingBody,
    inspectedUnitId: c.inspectedUnitId,
    feedbackDate: c.feedbackDate,
    policy: policyOf(c),
    createdAt: c.createdAt.toISOString(),
  };
}

/** Statuses counted as rectified in progress reports (完成率): closed, verified, or maintained long-term. */
const DONE: readonly TaskStatus[] = ['CLOSED', 'VERIFIED', 'LONG_TERM'];
const LIGHTS: readonly TrafficLight[] = ['green', 'yellow', 'red'];

export function campaignsRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.post('/campaigns', async (req, res) => {
    const actor = actorOf(res);
    requireRole(actor, ['admin', 'office']);
    const body = ZCreateCampaignRequest.parse(req.body);
    const policy = body.policy ?? defaultPolicy();
    const unit = await db.unit.findUnique({ where: { id: body.inspectedUnitId } });
    if (!unit) {
      throw AppError.validation(`Unknown unit ${body.inspectedUnitId}`, [
        { code: 'custom', path: ['inspectedUnitId'], message: `Unknown unit ${body.inspectedUnitId}` },
      ]);
    }
    if (!unitInScope(await scopeOf(db, actor), unit.id)) {
      throw AppError.forbidden('An office may only open campaigns for units of its own level');
    }
    // The campaign and its audit record land together or not at all.
    const campaign = await db.$transaction(async (tx) => {
      const created = await tx.campaign.create({
        data: {
          name: body.name,
          kind: body.kind,
          inspectingBody: body.inspectingBody,
          inspectedUnitId: body.inspectedUnitId,
          feedbackDate: body.feedbackDate,
          policy: JSON.parse(JSON.stringify(policy)) as object,
          createdById: actor.userId,
        },
      });
      await tx.auditEvent.create({
        data: {
          idempotencyKey: `api:campaign-created:${created.id}`,
          campaignId: created.id,
          actorId: actor.userId,
          actorRole: actor.role,
          action: 'CampaignCreated',
          detail: { name: body.name, kind: body.kind },
          at: deps.now(),
        },
      });
      return created;
    });
    res.status(201).json({ id: campaign.id });
  });

  router.get('/campaigns', async (req, res) => {
    const query = ZListCampaignsQuery.parse(req.query);
    const scope = await scopeOf(db, actorOf(res));
    const where = { AND: [campaignScopeWhere(scope), query.kind ? { kind: query.kind } : {}] };
    const [total, rows] = await Promise.all([
      db.campaign.count({ where }),
      db.campaign.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        skip: (query.page - 1) * query.pageSize,
        take: query.pageSize,
      }),
    ]);
    res.json({ items: rows.map(campaignView), total, page: query.page, pageSize: query.pageSize });
  });

  router.get('/campaigns/:id', async (req, res) => {
    const { id } = ZCampaignParams.parse(req.params);
    const scope = await scopeOf(db, actorOf(res));
    const campaign = await db.campaign.findUnique({ where: { id } });
    if (!campaign) throw AppError.notFound(`Campaign ${id} not found`);
    const visible = await db.campaign.count({ where: { AND: [{ id }, campaignScopeWhere(scope)] } });
    if (visible === 0) throw AppError.forbidden(`Campaign ${id} is outside your scope`);
    const taskCount = await db.task.count({ where: { campaignId: id, ...taskScopeWhere(scope) } });
    res.json({ ...campaignView(campaign), taskCount });
  });

  router.post('/campaigns/:id/tasks', async (req, res) => {
    const actor = actorOf(res);
    requireRole(actor, ['admin', 'office']);
    const { id } = ZCampaignParams.parse(req.params);
    const idempotencyKey = ZIdempotencyKey.parse(req.get('idempotency-key'));
    const body = ZCreateTaskRequest.parse(req.body);
    const tasks = await createTasks(deps, actor, id, body.tasks, idempotencyKey);
    res.status(201).json({ tasks });
  });

  router.get('/campaigns/:id/stats', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZCampaignParams.parse(req.params);
    const campaign = await db.campaign.findUnique({ where: { id } });
    if (!campaign) throw AppError.notFound(`Campaign ${id} not found`);
    const scope = await scopeOf(db, actor);
    // The same visibility as GET /campaigns/:id: a foreign campaign's figures are not the caller's to see.
    const visible = await db.campaign.count({ where: { AND: [{ id }, campaignScopeWhere(scope)] } });
    if (visible === 0) throw AppError.forbidden(`Campaign ${id} is outside your scope`);
    const now = deps.now();
    const inScope = { campaignId: id, ...taskScopeWhere(scope) };
    // Counted in SQL on the stored light: the rows whose light may have changed since it was projected are
    // recomputed first (only those), so the counts are exact at `now`.
    await refreshStaleLights(db, inScope, now);
    // One GROUP BY gives every figure: a campaign has at most units × statuses × 3 lights × 2 groups.
    const [groups, overdueRows] = await Promise.all([
      db.task.groupBy({
        by: ['leadUnitId', 'status', 'trafficLight', 'overdue'],
        where: inScope,
        _count: { _all: true },
      }),
      // A summary, not an archive: the list links to the task list filtered to overdue for the rest.
      db.task.findMany({
        where: { ...inScope, overdue: true },
        orderBy: [{ deadlineDate: { sort: 'asc', nulls: 'first' } }, { id: 'asc' }],
        take: 200,
      }),
    ]);
    const byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    const byTrafficLight: Record<TrafficLight, number> = { green: 0, yellow: 0, red: 0 };
    const byUnitMap = new Map<
      string,
      { total: number; completed: number; overdue: number } & Record<TrafficLight, number>
    >();
    let total = 0;
    let done = 0;
    let overdue = 0;
    for (const g of groups) {
      const n = g._count._all;
      const status = g.status as TaskStatus;
      const light = (LIGHTS.includes(g.trafficLight as TrafficLight) ? g.trafficLight : 'green') as TrafficLight;
      const completed = DONE.includes(status);
      total += n;
      byStatus[status] = (byStatus[status] ?? 0) + n;
      byTrafficLight[light] += n;
      if (completed) done += n;
      if (g.overdue) overdue += n;
      const unit = byUnitMap.get(g.leadUnitId) ?? { total: 0, completed: 0, overdue: 0, green: 0, yellow: 0, red: 0 };
      unit.total += n;
      if (completed) unit.completed += n;
      if (g.overdue) unit.overdue += n;
      unit[light] += n;
      byUnitMap.set(g.leadUnitId, unit);
    }
    const unitNames = new Map(
      (await db.unit.findMany({ where: { id: { in: [...byUnitMap.keys()] } }, select: { id: true, name: true } })).map(
        (u) => [u.id, u.name],
      ),
    );
    const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);
    res.json({
      campaignId: id,
      total,
      byStatus,
      byTrafficLight,
      overdue,
      completed: done,
      // Rounded to 4 places (a percentage with two decimals); 0 for an empty campaign.
      completionRate: rate(done, total),
      byUnit: [...byUnitMap.entries()]
        .map(([unitId, c]) => ({
          unitId,
          unitName: unitNames.get(unitId) ?? null,
          ...c,
          completionRate: rate(c.completed, c.total),
        }))
        .sort((a, b) => b.total - a.total || (a.unitName ?? '').localeCompare(b.unitName ?? '', 'zh-CN')),
      overdueTasks: await taskRows(db, overdueRows, now),
    });
  });

  return router;
}
