import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { dateOf } from '../../domain/calendar';
import { delegateUpdate, revokeDelegationUpdate } from '../../workflows/messages';
import { taskIdFromWorkflowId, taskWorkflowId } from '../../workflows/shared';
import { actorOf } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { executeDecision } from '../tasks/decide';
import { ZCreateDelegationRequest } from './schemas';

/**
 * Delegations of a signer's sign-off on one task to a deputy for a period. The workflow decides who may delegate,
 * to whom, for how long, and refuses an identical delegation already in force (409); the principal (or an admin)
 * revokes one, which stops it granting sign-off and read access at once.
 *
 * The projected `Delegation` row's id is `<workflowId>:delegation:<seq>` (activities/projection.ts), so it names its
 * task; a revocation is the `DelegationRevoked` audit record whose detail names the row (`delegationId`): no column
 * of the table had to change.
 */
const DELEGATION_ID_MARK = ':delegation:';

const ZDelegationParams = z.object({ id: z.string().min(1).max(300) });

/** The task a projected delegation row belongs to, from its id; null for an id of another shape. */
export function taskIdOfDelegation(delegationId: string): string | null {
  const at = delegationId.lastIndexOf(DELEGATION_ID_MARK);
  if (at <= 0) return null;
  return taskIdFromWorkflowId(delegationId.slice(0, at));
}

/** The ids of the given rows that a `DelegationRevoked` audit record names, with when. */
async function revocations(db: Db, rows: { id: string; taskId: string }[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  if (rows.length === 0) return out;
  const wanted = new Set(rows.map((r) => r.id));
  // By (taskId, at) index: a task has few revocations, and the detail is JSON (filtered here, the same on both providers).
  const audit = await db.auditEvent.findMany({
    where: { taskId: { in: [...new Set(rows.map((r) => r.taskId))] }, action: 'DelegationRevoked' },
    select: { detail: true, at: true },
  });
  for (const a of audit) {
    const id = (a.detail as { delegationId?: unknown } | null)?.delegationId;
    if (typeof id === 'string' && wanted.has(id)) out.set(id, a.at);
  }
  return out;
}

export function delegationsRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.post('/delegations', async (req, res) => {
    const actor = actorOf(res);
    const body = ZCreateDelegationRequest.parse(req.body);
    const deputy = await db.user.findUnique({
      where: { id: body.toUserId },
      select: { id: true, role: true, unitId: true },
    });
    if (!deputy) {
      throw AppError.validation(`Unknown user ${body.toUserId}`, [
        { code: 'custom', path: ['toUserId'], message: `Unknown user ${body.toUserId}` },
      ]);
    }
    if (deputy.id === actor.userId) throw AppError.validation('You cannot delegate to yourself');
    // An identical delegation in force is refused by the workflow's validator (InvalidTransition → 409).
    await executeDecision(deps, actor, body.taskId, delegateUpdate, {
      toUserId: body.toUserId,
      toRole: deputy.role,
      toUnitId: deputy.unitId,
      from: body.from,
      to: body.to,
    });
    // The projection has landed when the update returns: the newest matching row is this delegation.
    const rows = await db.delegation.findMany({
      where: {
        id: { startsWith: `${taskWorkflowId(body.taskId)}${DELEGATION_ID_MARK}` },
        fromUserId: actor.userId,
        toUserId: body.toUserId,
        validFrom: body.from,
        validTo: body.to,
      },
      select: { id: true },
    });
    const seqOf = (id: string) => Number(id.slice(id.lastIndexOf(DELEGATION_ID_MARK) + DELEGATION_ID_MARK.length));
    const id = rows.map((r) => r.id).sort((a, b) => seqOf(b) - seqOf(a))[0] ?? null;
    res.status(201).json({
      id,
      taskId: body.taskId,
      fromUserId: actor.userId,
      toUserId: body.toUserId,
      from: body.from,
      to: body.to,
    });
  });

  /** The caller's delegations, given and received, newest first, with the task, the names and whether revoked. */
  router.get('/delegations', async (_req, res) => {
    const actor = actorOf(res);
    const rows = await db.delegation.findMany({
      where: { OR: [{ fromUserId: actor.userId }, { toUserId: actor.userId }] },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: 500,
    });
    const withTask = rows.flatMap((r) => {
      const taskId = taskIdOfDelegation(r.id);
      return taskId ? [{ ...r, taskId }] : [];
    });
    const [revoked, tasks, users] = await Promise.all([
      revocations(db, withTask),
      db.task.findMany({
        where: { id: { in: [...new Set(withTask.map((r) => r.taskId))] } },
        select: { id: true, measure: true, status: true, problem: { select: { title: true } } },
      }),
      db.user.findMany({
        where: { id: { in: [...new Set(withTask.flatMap((r) => [r.fromUserId, r.toUserId]))] } },
        select: { id: true, name: true },
      }),
    ]);
    const taskById = new Map(tasks.map((t) => [t.id, t]));
    const nameOf = new Map(users.map((u) => [u.id, u.name]));
    const today = dateOf(deps.now().toISOString());
    res.json({
      items: withTask.map((r) => {
        const task = taskById.get(r.taskId);
        const revokedAt = revoked.get(r.id);
        return {
          id: r.id,
          direction: r.fromUserId === actor.userId ? 'given' : 'received',
          taskId: r.taskId,
          measure: task?.measure ?? null,
          problemTitle: task?.problem.title ?? null,
          taskStatus: task?.status ?? null,
          fromUserId: r.fromUserId,
          fromUserName: nameOf.get(r.fromUserId) ?? null,
          toUserId: r.toUserId,
          toUserName: nameOf.get(r.toUserId) ?? null,
          from: r.validFrom,
          to: r.validTo,
          createdAt: r.createdAt.toISOString(),
          revoked: revokedAt !== undefined,
          revokedAt: revokedAt?.toISOString() ?? null,
          // In force today (Shanghai date, the API's clock) and not revoked: what grants sign-off and read access.
          active: revokedAt === undefined && r.validFrom <= today && today <= r.validTo,
        };
      }),
    });
  });

  router.delete('/delegations/:id', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZDelegationParams.parse(req.params);
    const row = await db.delegation.findUnique({ where: { id } });
    const taskId = row ? taskIdOfDelegation(row.id) : null;
    if (!row || !taskId) throw AppError.notFound('Delegation not found');
    // Checked here for a clear answer; the workflow's validator holds the same rule (only the principal, or an admin).
    if (row.fromUserId !== actor.userId && actor.role !== 'admin') {
      throw AppError.forbidden('Only the signer who gave a delegation may revoke it');
    }
    if ((await revocations(db, [{ id, taskId }])).has(id))
      throw AppError.conflict('This delegation is already revoked');
    await executeDecision(deps, actor, taskId, revokeDelegationUpdate, {
      delegationId: id,
      fromUserId: row.fromUserId,
      toUserId: row.toUserId,
      from: row.validFrom,
      to: row.validTo,
    });
    res.status(204).end();
  });

  return router;
}
