/**
 * The directory as the screens need it: units (for filters and the 改派 / 分解下达 pickers) and people (for leaders and
 * deputies). Names and roles of colleagues are not secret inside the organisation; contact details are not listed.
 */
import { Router } from 'express';
import { z } from 'zod';
import { ROLES } from '../../domain/policy';
import type { TAppDeps } from '../deps';

export const ZListUsersQuery = z.object({
  unitId: z.string().trim().min(1).max(100).optional(),
  role: z.enum(ROLES).optional(),
});
export type TListUsersQuery = z.infer<typeof ZListUsersQuery>;

export function directoryRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.get('/units', async (_req, res) => {
    const units = await db.unit.findMany({
      select: { id: true, name: true, level: true, kind: true, parentId: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    res.json({ items: units });
  });

  router.get('/users', async (req, res) => {
    const query = ZListUsersQuery.parse(req.query);
    const users = await db.user.findMany({
      where: { ...(query.unitId ? { unitId: query.unitId } : {}), ...(query.role ? { role: query.role } : {}) },
      select: { id: true, name: true, role: true, unitId: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      // The pickers search within a unit or a role; an organisation's whole staff fits, but never unbounded.
      take: 2000,
    });
    res.json({ items: users });
  });

  return router;
}
