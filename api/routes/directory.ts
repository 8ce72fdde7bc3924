/**
 * The directory: units (for filters, pickers and the importer's name matching) and people; the admin's changes to
 * both; unit groups. Reading is open to every signed-in user (names and roles of colleagues are not secret inside the
 * organisation; contact details are listed to admins only); every change is the admin's (403 otherwise).
 */
import { Router } from 'express';
import { z } from 'zod';
import { ROLES } from '../../domain/policy';
import { actorOf, requireRole } from '../auth';
import type { TAppDeps } from '../deps';
import { createGroup, listGroups, updateGroup } from '../directory/groups';
import { ZCreateGroup, ZCreateUnit, ZCreateUser, ZUpdateGroup, ZUpdateUnit, ZUpdateUser } from '../directory/schemas';
import { createUnit, listUnits, updateUnit } from '../directory/units';
import { createUser, deactivateUser, updateUser } from '../directory/users';

export const ZListUsersQuery = z.object({
  unitId: z.string().trim().min(1).max(100).optional(),
  role: z.enum(ROLES).optional(),
});
export type TListUsersQuery = z.infer<typeof ZListUsersQuery>;

const ZIdParams = z.object({ id: z.string().trim().min(1).max(100) });

export function directoryRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.get('/units', async (_req, res) => {
    // `items` flat as before (existing callers), `tree` nested; each with its aliases.
    res.json(await listUnits(db));
  });

  router.post('/units', async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    const body = ZCreateUnit.parse(req.body);
    res.status(201).json({ id: await createUnit(db, body) });
  });

  router.patch('/units/:id', async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    const { id } = ZIdParams.parse(req.params);
    res.json(await updateUnit(db, id, ZUpdateUnit.parse(req.body)));
  });

  router.get('/users', async (req, res) => {
    const actor = actorOf(res);
    const query = ZListUsersQuery.parse(req.query);
    const admin = actor.role === 'admin';
    const users = await db.user.findMany({
      where: {
        ...(query.unitId ? { unitId: query.unitId } : {}),
        ...(query.role ? { role: query.role } : {}),
        // A deactivated person is no longer assignable: the pickers do not offer them (the admin's list shows them).
        ...(admin ? {} : { active: true }),
      },
      select: {
        id: true,
        name: true,
        role: true,
        unitId: true,
        ...(admin ? { username: true, email: true, phone: true, active: true } : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      // The pickers search within a unit or a role; an organisation's whole staff fits, but never unbounded.
      take: 2000,
    });
    res.json({ items: users });
  });

  router.post('/users', async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    const body = ZCreateUser.parse(req.body);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(await createUser(db, body));
  });

  router.patch('/users/:id', async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    const { id } = ZIdParams.parse(req.params);
    res.json(await updateUser(db, id, ZUpdateUser.parse(req.body)));
  });

  router.post('/users/:id/deactivate', async (req, res) => {
    const actor = actorOf(res);
    requireRole(actor, ['admin']);
    const { id } = ZIdParams.parse(req.params);
    res.json(await deactivateUser(deps, actor, id));
  });

  router.get('/unit-groups', async (_req, res) => {
    res.json({ items: await listGroups(db) });
  });

  router.post('/unit-groups', async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    res.status(201).json({ id: await createGroup(db, ZCreateGroup.parse(req.body)) });
  });

  router.patch('/unit-groups/:id', async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    const { id } = ZIdParams.parse(req.params);
    res.json(await updateGroup(db, id, ZUpdateGroup.parse(req.body)));
  });

  return router;
}
