import { Router } from 'express';
import { z } from 'zod';
import { defaultPolicy } from '../../domain/policy';
import { appendAudit } from '../../activities/audit';
import { actorOf, requireRole } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { scopeOf, taskScopeWhere, type TScope, unitInScope } from '../scope';
import { campaignStats, ZStatsQuery } from '../stats/campaignStats';
import { createTasks, implicitCreationKey } from '../tasks/create';
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
      await appendAudit(tx, {
        idempotencyKey: `api:campaign-created:${created.id}`,
        campaignId: created.id,
        actorId: actor.userId,
        actorRole: actor.role,
        action: 'CampaignCreated',
        detail: { name: body.name, kind: body.kind },
        at: deps.now(),
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
    // Without a key, the same request from the same person within minutes counts as a retry (api/tasks/create.ts).
    const key = idempotencyKey ?? (await implicitCreationKey(db, actor, id, body.tasks, deps.now()));
    const tasks = await createTasks(deps, actor, id, body.tasks, key);
    res.status(201).json({ tasks });
  });

  router.get('/campaigns/:id/stats', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZCampaignParams.parse(req.params);
    // The same visibility as GET /campaigns/:id: a foreign campaign's figures are not the caller's to see.
    res.json(await campaignStats(db, actor, id, ZStatsQuery.parse(req.query), deps.now()));
  });

  return router;
}
