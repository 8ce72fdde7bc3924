/**
 * People: the admin adds them (with a one-time initial password to hand over, or the one the admin chose), edits
 * them, and deactivates them. Deactivation ends everything that lets the person act — sessions and API tokens
 * revoked, delegations to or from them ended through their tasks' workflows (the same update DELETE
 * /api/delegations/:id sends, so the workflow state agrees) — and lists what was waiting on them for reassignment.
 */
import type { Db } from '../../db/client';
import { dateOf } from '../../domain/calendar';
import { revokeDelegationUpdate } from '../../workflows/messages';
import { generatePassword, hashPassword } from '../auth/password';
import type { TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError, toAppError } from '../errors';
import { taskIdOfDelegation } from '../routes/delegations';
import { executeDecision } from '../tasks/decide';
import type { TCreateUser, TUpdateUser } from './schemas';

function field(path: string, message: string): AppError {
  return AppError.validation(message, [{ code: 'custom', path: [path], message }]);
}

async function requireUnit(db: Db, unitId: string): Promise<void> {
  if (!(await db.unit.findUnique({ where: { id: unitId }, select: { id: true } }))) {
    throw field('unitId', `所属单位不存在：${unitId}`);
  }
}

async function requireUsernameFree(db: Db, username: string, exceptId: string | null): Promise<void> {
  const other = await db.user.findUnique({ where: { username }, select: { id: true } });
  if (other && other.id !== exceptId) throw AppError.conflict(`用户名“${username}”已被使用`);
}

/** Creates a person; the initial password is answered once (only its scrypt hash is kept). */
export async function createUser(db: Db, body: TCreateUser): Promise<{ id: string; initialPassword?: string }> {
  await requireUnit(db, body.unitId);
  await requireUsernameFree(db, body.username, null);
  const initialPassword = body.password === undefined ? generatePassword() : undefined;
  const passwordHash = await hashPassword(body.password ?? initialPassword!);
  try {
    const user = await db.user.create({
      data: {
        name: body.name,
        username: body.username,
        role: body.role,
        unitId: body.unitId,
        email: body.email ?? null,
        phone: body.phone ?? null,
        passwordHash,
      },
    });
    return { id: user.id, ...(initialPassword ? { initialPassword } : {}) };
  } catch (err) {
    // Two admins adding the same username at once: the unique index decides.
    if ((err as { code?: string }).code === 'P2002') throw AppError.conflict(`用户名“${body.username}”已被使用`);
    throw err;
  }
}

export async function updateUser(db: Db, id: string, body: TUpdateUser) {
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw AppError.notFound(`User ${id} not found`);
  if (body.unitId !== undefined) await requireUnit(db, body.unitId);
  if (body.username !== undefined) await requireUsernameFree(db, body.username, id);
  const passwordHash = body.password !== undefined ? await hashPassword(body.password) : undefined;
  const updated = await db.user.update({
    where: { id },
    data: {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.username !== undefined ? { username: body.username } : {}),
      ...(body.role !== undefined ? { role: body.role } : {}),
      ...(body.unitId !== undefined ? { unitId: body.unitId } : {}),
      ...(body.email !== undefined ? { email: body.email } : {}),
      ...(body.phone !== undefined ? { phone: body.phone } : {}),
      ...(passwordHash ? { passwordHash } : {}),
    },
  });
  return {
    id: updated.id,
    name: updated.name,
    username: updated.username,
    role: updated.role,
    unitId: updated.unitId,
    email: updated.email,
    phone: updated.phone,
    active: updated.active,
  };
}

export interface TWaitingItem {
  /** 'pending_action': an action the task waits on them for; 'leader': a task they lead (signer of its level). */
  kind: 'pending_action' | 'leader';
  taskId: string;
  action: string | null;
  period: string | null;
  level: number | null;
  status: string;
  measure: string;
  problemTitle: string;
}

/** Statuses after which a task waits on nobody. */
const FINISHED = ['CLOSED', 'VERIFIED'];

export async function deactivateUser(
  deps: TAppDeps,
  actor: TApiActor,
  id: string,
): Promise<{ id: string; delegationsEnded: number; waiting: TWaitingItem[] }> {
  const { db } = deps;
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw AppError.notFound(`User ${id} not found`);
  if (id === actor.userId) throw AppError.validation('不能停用自己的账号');
  const at = deps.now();
  // First what lets them act, in one transaction: from here on no request of theirs is accepted (api/auth.ts).
  await db.$transaction(async (tx) => {
    await tx.user.update({ where: { id }, data: { active: false, deactivatedAt: user.deactivatedAt ?? at } });
    await tx.session.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: at } });
    await tx.apiToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: at } });
  });
  const delegationsEnded = await endDelegations(deps, actor, id);
  return { id, delegationsEnded, waiting: await waitingOn(db, id) };
}

/**
 * Every delegation to or from the person that is not over: revoked through its task's workflow as the admin, exactly
 * as DELETE /api/delegations/:id does; one the workflow no longer holds (already revoked) is skipped.
 */
async function endDelegations(deps: TAppDeps, actor: TApiActor, userId: string): Promise<number> {
  const today = dateOf(deps.now().toISOString());
  const rows = await deps.db.delegation.findMany({
    where: { OR: [{ fromUserId: userId }, { toUserId: userId }], validTo: { gte: today } },
  });
  let ended = 0;
  for (const row of rows) {
    const taskId = taskIdOfDelegation(row.id);
    if (!taskId) continue;
    try {
      await executeDecision(deps, actor, taskId, revokeDelegationUpdate, {
        delegationId: row.id,
        fromUserId: row.fromUserId,
        toUserId: row.toUserId,
        from: row.validFrom,
        to: row.validTo,
      });
      ended++;
    } catch (err) {
      // Refused as not in force: it was revoked before. Anything else is a real failure.
      if (toAppError(err)?.code !== 'CONFLICT') throw err;
    }
  }
  return ended;
}

/** What waits on the person: pending actions held by them, and open tasks they lead. */
export async function waitingOn(db: Db, userId: string): Promise<TWaitingItem[]> {
  const [actions, led] = await Promise.all([
    db.taskPendingAction.findMany({
      where: { userId },
      include: { task: { select: { status: true, measure: true, problem: { select: { title: true } } } } },
      orderBy: [{ taskId: 'asc' }, { action: 'asc' }],
      take: 2000,
    }),
    db.task.findMany({
      where: { leaderId: userId, status: { notIn: FINISHED } },
      select: { id: true, status: true, measure: true, problem: { select: { title: true } } },
      orderBy: { id: 'asc' },
      take: 2000,
    }),
  ]);
  return [
    ...actions.map((a) => ({
      kind: 'pending_action' as const,
      taskId: a.taskId,
      action: a.action,
      period: a.period,
      level: a.level,
      status: a.task.status,
      measure: a.task.measure,
      problemTitle: a.task.problem.title,
    })),
    ...led.map((t) => ({
      kind: 'leader' as const,
      taskId: t.id,
      action: null,
      period: null,
      level: null,
      status: t.status,
      measure: t.measure,
      problemTitle: t.problem.title,
    })),
  ];
}
