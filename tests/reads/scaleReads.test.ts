/**
 * The read side's shortcuts at scale keep their answers (issue 10):
 * - the scope rewrite (every unit → every task; cross-unit participations as an id list) shows each person exactly the
 *   tasks the plain predicate (lead unit, participation, leader) shows;
 * - the list's count is exact up to its cap and says "more than" beyond it;
 * - the campaign statistics served from the read cache change as soon as a decision lands.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Db } from '../../db/client';
import { scopeOf, subtree, taskScopeWhere } from '../../api/scope';
import { cappedCount } from '../../api/tasks/count';
import { ReadCache } from '../../api/readCache';
import type { TApiActor } from '../../api/auth';
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from '../api/harness';

jest.setTimeout(180_000);

/** The scope as it was before the rewrite: the participants table asked row by row, never "every task". */
async function plainScopeIds(db: Db, actor: TApiActor): Promise<string[]> {
  if (actor.role === 'admin') return (await db.task.findMany({ select: { id: true } })).map((t) => t.id);
  let unitIds: string[];
  if (actor.role === 'office') {
    const office = await db.unit.findUnique({ where: { id: actor.unitId } });
    unitIds = await subtree(db, office?.parentId ?? actor.unitId);
  } else if (actor.role === 'leader') unitIds = await subtree(db, actor.unitId);
  else if (actor.role === 'supervisor') {
    const rows = await db.supervisedUnit.findMany({ where: { disciplineUnitId: actor.unitId } });
    unitIds = (await Promise.all(rows.map((r) => subtree(db, r.unitId)))).flat();
  } else unitIds = [actor.unitId];
  const rows = await db.task.findMany({
    where: {
      OR: [
        { leadUnitId: { in: unitIds } },
        { participants: { some: { unitId: { in: unitIds } } } },
        ...(actor.role === 'leader' ? [{ leaderId: actor.userId }] : []),
      ],
    },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

describe('reads at scale keep their answers', () => {
  let stack: TApiStack;
  let cast: ReturnType<typeof demoCast>;
  let campaignId: string;
  let taskIds: string[];

  beforeAll(async () => {
    stack = await startApiStack();
    cast = demoCast(stack.users);
    campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
    // Led by the province's units, the cities taking part; and led by a city, a province unit taking part.
    const res = await as(stack.app, cast.office).post(`/api/campaigns/${campaignId}/tasks`, {
      tasks: [
        taskBody(cast.medicalStaff.unitId, cast.leader.userId, { participatingUnitIds: [cast.cityStaff.unitId] }),
        taskBody(cast.financeStaff.unitId, cast.leader.userId, { participatingUnitIds: [cast.cityBStaff.unitId] }),
        taskBody(cast.cityStaff.unitId, cast.cityLeader.userId, { participatingUnitIds: [cast.financeStaff.unitId] }),
        taskBody(cast.cityBStaff.unitId, cast.cityBLeader.userId),
        taskBody(cast.medicalStaff.unitId, cast.deputyLeader.userId),
      ],
    });
    expect(res.status).toBe(201);
    taskIds = (res.body.tasks as { id: string }[]).map((t) => t.id);
    for (const id of taskIds) await assigned(stack.app, cast.office, id);
  });

  afterAll(async () => {
    await stack?.teardown();
  });

  it('every demo person sees through the rewritten scope exactly the tasks of the plain predicate', async () => {
    let crossListed = 0;
    for (const user of stack.users) {
      const actor = { role: user.role, unitId: user.unitId, userId: user.userId } as TApiActor;
      const scope = await scopeOf(stack.db, actor);
      if (!scope.all) crossListed += scope.crossTaskIds?.length ?? 0;
      const rewritten = await stack.db.task.findMany({ where: taskScopeWhere(scope), select: { id: true } });
      expect({ user: user.name, ids: rewritten.map((r) => r.id).sort() }).toEqual({
        user: user.name,
        ids: (await plainScopeIds(stack.db, actor)).sort(),
      });
      // And through the API: the list holds the same tasks.
      const listed = await as(stack.app, user).get(`/api/tasks?campaignId=${campaignId}&pageSize=200`);
      expect(listed.status).toBe(200);
      expect((listed.body.items as { id: string }[]).map((t) => t.id).sort()).toEqual(
        (await plainScopeIds(stack.db, actor)).filter((id) => taskIds.includes(id)).sort(),
      );
    }
    // The cities' staff see the province's tasks they take part in through the id list, not the subquery.
    expect(crossListed).toBeGreaterThan(0);
    const cityStaff = await scopeOf(stack.db, {
      role: 'unit_staff',
      unitId: cast.cityStaff.unitId,
      userId: cast.cityStaff.userId,
    } as TApiActor);
    expect(cityStaff).toMatchObject({ all: false, crossTaskIds: [taskIds[0]] });
  });

  it('a unit added or moved in the directory is in the scopes above it at once (the tree kept per process follows it)', async () => {
    const cityLeader = {
      role: 'leader',
      unitId: cast.cityLeader.unitId,
      userId: cast.cityLeader.userId,
    } as TApiActor;
    const unitsOf = async (actor: TApiActor) => {
      const scope = await scopeOf(stack.db, actor);
      return scope.all ? 'all' : scope.unitIds;
    };
    const before = await unitsOf(cityLeader);
    expect(before).not.toBe('all');
    const provinceId = (await stack.db.unit.findUniqueOrThrow({ where: { id: cast.cityLeader.unitId } })).parentId!;
    const unit = await stack.db.unit.create({
      data: { name: `测试区县${randomUUID().slice(0, 6)}`, level: 'county', parentId: provinceId },
    });
    expect(await unitsOf(cityLeader)).toEqual(before);
    // Moved under the city by the directory's own route, as an administrator does.
    const moved = await request(stack.app)
      .patch(`/api/units/${unit.id}`)
      .set('Authorization', `Bearer ${cast.admin.token}`)
      .send({ parentId: cast.cityLeader.unitId });
    expect(moved.status).toBe(200);
    expect(await unitsOf(cityLeader)).toEqual([...(before as string[]), unit.id]);
    await stack.db.unit.update({ where: { id: unit.id }, data: { parentId: provinceId } });
    expect(await unitsOf(cityLeader)).toEqual(before);
  });

  it('counts exactly up to the cap, and says "more than" beyond it', async () => {
    const where = { campaignId };
    expect(await cappedCount(stack.db, where, 10)).toEqual({ total: 5, totalExact: true });
    expect(await cappedCount(stack.db, where, 5)).toEqual({ total: 5, totalExact: true });
    expect(await cappedCount(stack.db, where, 4)).toEqual({ total: 4, totalExact: false });
    const listed = await as(stack.app, cast.admin).get(`/api/tasks?campaignId=${campaignId}`);
    expect(listed.body).toMatchObject({ total: 5, totalExact: true });
  });

  it('statistics answered from the cache change as soon as a decision lands', async () => {
    const stats = async () => {
      const res = await as(stack.app, cast.office).get(`/api/campaigns/${campaignId}/stats`);
      expect(res.status).toBe(200);
      return res.body as { byStatus: Record<string, number> };
    };
    const before = await stats();
    expect(await stats()).toEqual(before);
    const ack = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskIds[0]}/acknowledge`);
    expect(ack.status).toBe(200);
    const after = await stats();
    expect(after.byStatus.ASSIGNED).toBe(before.byStatus.ASSIGNED! - 1);
    expect(after.byStatus.IN_PROGRESS).toBe((before.byStatus.IN_PROGRESS ?? 0) + 1);
  });
});

describe('ReadCache', () => {
  it('shares a computation per key and version, recomputes on a new version or after the TTL, forgets failures', async () => {
    const cache = new ReadCache<string>(2, 1_000);
    let computed = 0;
    const compute = (value: string) => () => {
      computed++;
      return Promise.resolve(value);
    };
    const [a, b] = await Promise.all([cache.get('k', 'v1', compute('a'), 0), cache.get('k', 'v1', compute('b'), 10)]);
    expect([a, b, computed]).toEqual(['a', 'a', 1]);
    expect(await cache.get('k', 'v2', compute('c'), 20)).toBe('c');
    expect(await cache.get('k', 'v2', compute('d'), 1_019)).toBe('c');
    expect(await cache.get('k', 'v2', compute('e'), 1_020)).toBe('e');
    await expect(cache.get('x', 'v', () => Promise.reject(new Error(randomUUID())), 0)).rejects.toThrow();
    expect(await cache.get('x', 'v', compute('f'), 1)).toBe('f');
    await cache.get('y', 'v', compute('g'), 2);
    expect(cache.size).toBe(2);
  });
});
