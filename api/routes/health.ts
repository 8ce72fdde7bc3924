import { Router } from 'express';
import { calendarCoverage, loadWorkdayTable } from '../../activities/calendar';
import { probe, up } from '../../db/probe';
import type { TAppDeps } from '../deps';

/**
 * Liveness and readiness in one: 200 when the database and Temporal both answer, 503 otherwise. It also names what an
 * operator must act on without anything being down: a year of this or next without official calendar data (dates
 * there are counted Monday to Friday until an admin enters the holidays).
 */
export function healthRouter(deps: TAppDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const [db, temporal] = await Promise.all([
      probe(() => deps.db.$queryRaw`SELECT 1`),
      probe(() => deps.client.workflowService.getSystemInfo({})),
    ]);
    const ok = db && temporal;
    const warnings = db ? await calendarWarnings(deps).catch(() => []) : [];
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      db: up(db),
      temporal: up(temporal),
      ...(warnings.length > 0 ? { warnings } : {}),
    });
  });
  return router;
}

async function calendarWarnings(deps: TAppDeps): Promise<string[]> {
  const year = Number(new Date(deps.now().getTime() + 8 * 3600_000).toISOString().slice(0, 4));
  const table = await loadWorkdayTable(deps.db, `${year}-01-01`, `${year + 1}-12-31`);
  return calendarCoverage(table).warnings;
}
