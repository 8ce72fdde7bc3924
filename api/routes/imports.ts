/**
 * Spreadsheet imports: a task list into a campaign, and the directory. Upload → preview (201, nothing written) →
 * commit. Mounted before the app's JSON-only rule: uploads are multipart, and the commit reads its own small JSON.
 *
 * - POST /api/campaigns/:id/imports (multipart `file`; optional `defaultLeadUnitId`, `defaultLeaderId`)
 * - GET  /api/campaigns/:id/imports/:importId (status and progress; `?rows=1` adds the preview rows)
 * - POST /api/campaigns/:id/imports/:importId/commit (`{ skipErrorRows? }`): 200 when done, 202 while it runs
 * - POST /api/directory/imports (admin; sheets 单位 and 人员), GET …/:importId, POST …/:importId/commit
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { commitTaskImport, liveProgress } from '../imports/commit';
import { commitDirectoryImport, createDirectoryImport } from '../imports/directory';
import { createTaskImport, importView, requireCampaignOffice } from '../imports/tasks';
import { receiveUpload } from '../imports/upload';

const ZCampaignParams = z.object({ id: z.string().trim().min(1).max(100) });
const ZImportParams = z.object({ id: z.string().trim().min(1).max(100), importId: z.string().trim().min(1).max(100) });
const ZDirectoryImportParams = z.object({ importId: z.string().trim().min(1).max(100) });
const ZImportFields = z.object({
  defaultLeadUnitId: z
    .string()
    .trim()
    .max(100)
    .optional()
    .transform((s) => s || undefined),
  defaultLeaderId: z
    .string()
    .trim()
    .max(100)
    .optional()
    .transform((s) => s || undefined),
});
export const ZCommitImportRequest = z.object({ skipErrorRows: z.boolean().default(false) }).strict();
const ZViewQuery = z.object({ rows: z.enum(['0', '1']).optional() });

/** How long a commit request waits for the commit before answering 202 with its progress. */
const COMMIT_WAIT_MS = 8_000;

const smallJson = express.json({ limit: '10kb' });

export function importsRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.post('/campaigns/:id/imports', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZCampaignParams.parse(req.params);
    // Checked before reading the upload: a caller who may not import is refused without it being parsed.
    await requireCampaignOffice(db, actor, id);
    const upload = await receiveUpload(req);
    const fields = ZImportFields.parse(upload.fields);
    const view = await createTaskImport(deps, actor, id, upload, fields);
    res.status(201).json({ ...view, canCommit: (view.summary as { errors?: number }).errors === 0 });
  });

  router.get('/campaigns/:id/imports/:importId', async (req, res) => {
    const actor = actorOf(res);
    const { id, importId } = ZImportParams.parse(req.params);
    const query = ZViewQuery.parse(req.query);
    await requireCampaignOffice(db, actor, id);
    // The preview's rows are megabytes for a long list: read only when asked for.
    const record = await db.import.findUnique({ where: { id: importId }, omit: { rows: query.rows !== '1' } });
    if (!record || record.kind !== 'tasks' || record.campaignId !== id) {
      throw AppError.notFound(`Import ${importId} not found`);
    }
    res.json({
      ...importView({ ...record, rows: 'rows' in record ? record.rows : undefined }),
      ...(liveProgress(importId) ?? {}),
    });
  });

  router.post('/campaigns/:id/imports/:importId/commit', smallJson, async (req, res) => {
    const actor = actorOf(res);
    const { id, importId } = ZImportParams.parse(req.params);
    const body = ZCommitImportRequest.parse(req.body ?? {});
    const { done, view } = await commitTaskImport(deps, actor, id, importId, {
      skipErrorRows: body.skipErrorRows,
      waitMs: COMMIT_WAIT_MS,
    });
    res.status(done ? 200 : 202).json({ ...view, rows: undefined });
  });

  router.post('/directory/imports', async (req, res) => {
    const actor = actorOf(res);
    requireRole(actor, ['admin']);
    const upload = await receiveUpload(req);
    res.status(201).json(await createDirectoryImport(deps, actor, upload));
  });

  router.get('/directory/imports/:importId', async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    const { importId } = ZDirectoryImportParams.parse(req.params);
    const record = await db.import.findUnique({ where: { id: importId } });
    if (!record || record.kind !== 'directory') throw AppError.notFound(`Import ${importId} not found`);
    res.json(importView(record));
  });

  router.post('/directory/imports/:importId/commit', smallJson, async (req, res) => {
    requireRole(actorOf(res), ['admin']);
    const { importId } = ZDirectoryImportParams.parse(req.params);
    const { view, created } = await commitDirectoryImport(deps, importId);
    res.json({ ...view, rows: undefined, created });
  });

  return router;
}
