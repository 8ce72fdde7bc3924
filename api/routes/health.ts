import { Router } from 'express';
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

// A probe that hangs is as bad as one that fails: give each dependency two seconds.
const PROBE_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const up = (ok: boolean): 'up' | 'down' => (ok ? 'up' : 'down');
