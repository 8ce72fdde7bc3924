/**
 * `GET /api/campaigns/:id/ledger.xlsx[?format=csv]`: the campaign's 整改台账 within the caller's scope, for an office,
 * leader, admin or supervisor who sees the campaign (403 otherwise, 404 for an unknown campaign).
 */
import { Router } from 'express';
import { z } from 'zod';
import { dateOf } from '../../domain/calendar';
import { chineseDate } from '../../domain/stats/words';
import { actorOf } from '../auth';
import type { TAppDeps } from '../deps';
import { ledgerCsv } from '../ledger/csv';
import { ledgerRows } from '../ledger/rows';
import { ledgerXlsx } from '../ledger/xlsx';
import { FIGURE_ROLES, requireVisibleCampaign } from '../stats/access';

const ZLedgerParams = z.object({ id: z.string().min(1) });
const ZLedgerQuery = z.object({ format: z.enum(['xlsx', 'csv']).default('xlsx') });

/** RFC 5987 ext-value: UTF-8, percent-encoded beyond attr-char (encodeURIComponent leaves ' ( ) * as they are). */
function rfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An attachment with a Chinese name (filename*) and an ASCII fallback (filename) for older clients. */
export function attachmentDisposition(name: string, asciiFallback: string): string {
  return `attachment; filename="${asciiFallback}"; filename*=UTF-8''${rfc5987(name)}`;
}

export function ledgerRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.get('/campaigns/:id/ledger.xlsx', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZLedgerParams.parse(req.params);
    const { format } = ZLedgerQuery.parse(req.query);
    const { campaign, scope } = await requireVisibleCampaign(db, actor, id, FIGURE_ROLES);
    const now = deps.now();
    const today = dateOf(now.toISOString());
    const rows = await ledgerRows(db, id, scope, now);
    const name = `${campaign.name}整改台账_${today.replace(/-/g, '')}`;
    if (format === 'csv') {
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', attachmentDisposition(`${name}.csv`, `ledger-${today}.csv`));
      res.send(ledgerCsv(rows));
      return;
    }
    const body = await ledgerXlsx({ campaignName: campaign.name, exportedOn: chineseDate(today), rows });
    res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.setHeader('Content-Disposition', attachmentDisposition(`${name}.xlsx`, `ledger-${today}.xlsx`));
    res.send(body);
  });

  return router;
}
