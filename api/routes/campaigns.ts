import { Router } from 'express';
import { z } from 'zod';
import { defaultPolicy } from '../../domain/policy';
import { TASK_STATUSES, type TaskStatus } from '../../domain/task';
import { countTrafficLights } from '../../domain/trafficLight';
import { actorOf, requireRole } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { scopeOf, taskScopeWhere, unitInScope } from '../scope';
import { createTasks } from '../tasks/create';
import { policyOf, trafficLightOf } from '../tasks/view';
import { ZCreateCampaignRequest, ZCreateTaskRequest } from './schemas';

const ZCampaignParams = z.object({ id: z.string().min(1) });
/** Optional retry key: the same key on the same campaign yields the same tasks, never duplicates. */
const ZIdempotencyKey = z.string().trim().min(1).max(200).optional();

/** Statuses counted as rectified in progress reports (完成率): closed, verified, or maintained long-term. */
const DONE: readonly TaskStatus[] = ['CLOSED', 'VERIFIED', 'LONG_TERM'];

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
    const campaign = await db.campaign.create({
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
    await db.auditEvent.create({
      data: {
        idempotencyKey: `api:campaign-created:${campaign.id}`,
        campaignId: campaign.id,
        actorId: actor.userId,
        actorRole: actor.role,
        action: 'CampaignCreated',
        detail: { name: body.name, kind: body.kind },
        at: deps.now(),
      },
    });
    res.status(201).json({ id: campaign.id });
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
    const rows = await db.task.findMany({ where: { campaignId: id, ...taskScopeWhere(scope) } });
    const policy = policyOf(campaign);
    const now = deps.now();
    const byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    for (const row of rows) byStatus[row.status as TaskStatus] = (byStatus[row.status as TaskStatus] ?? 0) + 1;
    const done = rows.filter((r) => DONE.includes(r.status as TaskStatus)).length;
    res.json({
      campaignId: id,
      total: rows.length,
      byStatus,
      byTrafficLight: countTrafficLights(rows.map((r) => trafficLightOf(r, policy, now))),
      overdue: rows.filter((r) => r.overdue).length,
      completed: done,
      // Rounded to 4 places (a percentage with two decimals); 0 for an empty campaign.
      completionRate: rows.length === 0 ? 0 : Math.round((done / rows.length) * 10_000) / 10_000,
    });
  });

  return router;
}
