/**
 * `GET /api/audit/verify`: verifies the audit trail's hash chains (db/auditChain.ts) and answers
 * `{ ok, checked, unchained, sealed, firstBroken? }`, where `firstBroken` names the record id, its chainSeq and the
 * check that failed. For the admin and the discipline supervisor only (others 403): it reads every audit record.
 */
import { Router } from 'express';
import { verifyAuditChain } from '../../db/auditChain';
import { actorOf, requireRole } from '../auth';
import type { TAppDeps } from '../deps';

export function auditRouter(deps: TAppDeps): Router {
  const router = Router();

  router.get('/audit/verify', async (_req, res) => {
    requireRole(actorOf(res), ['admin', 'supervisor']);
    const result = await verifyAuditChain(deps.db);
    res.json(result);
  });

  return router;
}
