import { Router } from 'express';
import { delegateUpdate } from '../../workflows/messages';
import { actorOf } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { executeDecision } from '../tasks/decide';
import { ZCreateDelegationRequest } from './schemas';

/** A signer hands their sign-off on a task to a deputy for a period; the workflow checks the signer holds a level. */
export function delegationsRouter(deps: TAppDeps): Router {
  const router = Router();
  router.post('/delegations', async (req, res) => {
    const actor = actorOf(res);
    const body = ZCreateDelegationRequest.parse(req.body);
    const deputy = await deps.db.user.findUnique({
      where: { id: body.toUserId },
      select: { id: true, role: true, unitId: true },
    });
    if (!deputy) {
      throw AppError.validation(`Unknown user ${body.toUserId}`, [
        { code: 'custom', path: ['toUserId'], message: `Unknown user ${body.toUserId}` },
      ]);
    }
    if (deputy.id === actor.userId) throw AppError.validation('You cannot delegate to yourself');
    await executeDecision(deps, actor, body.taskId, delegateUpdate, {
      toUserId: body.toUserId,
      toRole: deputy.role,
      toUnitId: deputy.unitId,
      from: body.from,
      to: body.to,
    });
    res
      .status(201)
      .json({ taskId: body.taskId, fromUserId: actor.userId, toUserId: body.toUserId, from: body.from, to: body.to });
  });
  return router;
}
