import { Router } from 'express';
import { probe, up } from '../../db/probe';
import type { TAppDeps } from '../deps';

/** Liveness and readiness in one: 200 when the database and Temporal both answer, 503 otherwise. */
export function healthRouter(deps: TAppDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const [db, temporal] = await Promise.all([
      probe(() => deps.db.$queryRaw`SELECT 1`),
      probe(() => deps.client.workflowService.getSystemInfo({})),
    ]);
    const ok = db && temporal;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', db: up(db), temporal: up(temporal) });
  });
  return router;
}
