/**
 * 常用意见: the phrases a unit's reviewers and signers reuse ("佐证材料不充分，请补充…"). Kept per unit, so everyone in
 * an office shares one list; offered by the 审核 and 签批 forms.
 */
import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';

export const ZCreateOpinionRequest = z.object({ text: z.string().trim().min(1).max(500) });
export type TCreateOpinionRequest = z.infer<typeof ZCreateOpinionRequest>;
const ZOpinionParams = z.object({ id: z.string().trim().min(1).max(100) });

/** A unit's list stays short enough to pick from. */
const MAX_OPINIONS_PER_UNIT = 100;

export function opinionsRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.get('/opinions', async (_req, res) => {
    const actor = actorOf(res);
    const items = await db.commonOpinion.findMany({
      where: { unitId: actor.unitId },
      select: { id: true, text: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    res.json({ items });
  });

  router.post('/opinions', async (req, res) => {
    const actor = actorOf(res);
    const { text } = ZCreateOpinionRequest.parse(req.body);
    const existing = await db.commonOpinion.findUnique({ where: { unitId_text: { unitId: actor.unitId, text } } });
    if (existing) {
      res.status(200).json({ id: existing.id, text: existing.text });
      return;
    }
    if ((await db.commonOpinion.count({ where: { unitId: actor.unitId } })) >= MAX_OPINIONS_PER_UNIT) {
      throw AppError.conflict(`常用意见最多 ${MAX_OPINIONS_PER_UNIT} 条，请先删除不用的意见`);
    }
    const created = await db.commonOpinion.create({
      data: { unitId: actor.unitId, text, createdById: actor.userId },
    });
    res.status(201).json({ id: created.id, text: created.text });
  });

  router.delete('/opinions/:id', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZOpinionParams.parse(req.params);
    const result = await db.commonOpinion.deleteMany({ where: { id, unitId: actor.unitId } });
    if (result.count === 0) throw AppError.notFound(`常用意见 ${id} 不存在`);
    res.status(204).end();
  });

  return router;
}
