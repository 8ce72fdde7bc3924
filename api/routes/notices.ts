/**
 * Progress notices (通报):
 * - `POST /api/campaigns/:id/notices { asOf, title? }` (office, admin) freezes the figures as of `asOf` → 201 `{ id }`;
 * - `GET /api/campaigns/:id/notices` lists them (newest first);
 * - `GET /api/notices/:id` the notice with its snapshot; `GET /api/notices/:id/document.docx` the Word 公文.
 * Reading: an office, leader, admin or supervisor who sees the campaign (403 otherwise, 404 unknown).
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { appendAudit } from '../../activities/audit';
import { z } from 'zod';
import { actorOf, requireRole, type TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { noticeDocx } from '../notices/docx';
import { buildNoticeSnapshot, ZNoticeSnapshot, type TNoticeSnapshot } from '../notices/snapshot';
import { FIGURE_ROLES, requireVisibleCampaign } from '../stats/access';
import { resolveAsOf, ZIsoDay } from '../stats/campaignStats';
import { attachmentDisposition } from './ledger';

const ZIdParams = z.object({ id: z.string().min(1) });
export const ZCreateNoticeRequest = z.object({
  asOf: ZIsoDay,
  title: z.string().trim().min(1, '标题不能为空').max(200, '标题不超过200字').optional(),
});
export type TCreateNoticeRequest = z.infer<typeof ZCreateNoticeRequest>;

const ZListNoticesQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

export function defaultNoticeTitle(campaignName: string): string {
  // '…反馈意见整改' + '整改进展' would say 整改 twice.
  return `关于${campaignName.replace(/整改$/, '')}整改进展情况的通报`;
}

export function noticesRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.post('/campaigns/:id/notices', async (req, res) => {
    const actor = actorOf(res);
    requireRole(actor, ['office', 'admin']);
    const { id } = ZIdParams.parse(req.params);
    const body = ZCreateNoticeRequest.parse(req.body ?? {});
    const { campaign, scope } = await requireVisibleCampaign(db, actor, id);
    const now = deps.now();
    const asOf = resolveAsOf(body.asOf, now);
    const snapshot = await buildNoticeSnapshot(db, { campaign, scope, asOf, now });
    const noticeId = randomUUID();
    const title = body.title ?? defaultNoticeTitle(campaign.name);
    // The notice and the record of who issued it land together or not at all.
    await db.$transaction(async (tx) => {
      await tx.notice.create({
        data: {
          id: noticeId,
          campaignId: id,
          asOf: asOf.asOf,
          title,
          snapshot: JSON.parse(JSON.stringify(snapshot)) as object,
          createdById: actor.userId,
          createdAt: now,
        },
      });
      await appendAudit(tx, {
        idempotencyKey: `api:notice-issued:${noticeId}`,
        campaignId: id,
        actorId: actor.userId,
        actorRole: actor.role,
        action: 'NoticeIssued',
        detail: { noticeId, asOf: asOf.asOf, title, totals: snapshot.totals },
        at: now,
      });
    });
    res.status(201).json({ id: noticeId });
  });

  router.get('/campaigns/:id/notices', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZIdParams.parse(req.params);
    const query = ZListNoticesQuery.parse(req.query);
    await requireVisibleCampaign(db, actor, id, FIGURE_ROLES);
    const [total, rows] = await Promise.all([
      db.notice.count({ where: { campaignId: id } }),
      db.notice.findMany({
        where: { campaignId: id },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        skip: (query.page - 1) * query.pageSize,
        take: query.pageSize,
      }),
    ]);
    const names = await creatorNames(
      deps,
      rows.map((r) => r.createdById),
    );
    res.json({
      items: rows.map((n) => ({
        id: n.id,
        campaignId: n.campaignId,
        asOf: n.asOf,
        title: n.title,
        createdById: n.createdById,
        createdByName: names.get(n.createdById) ?? null,
        createdAt: n.createdAt.toISOString(),
        totals: snapshotOf(n).totals,
      })),
      total,
      page: query.page,
      pageSize: query.pageSize,
    });
  });

  router.get('/notices/:id', async (req, res) => {
    const notice = await visibleNotice(deps, actorOf(res), ZIdParams.parse(req.params).id);
    const names = await creatorNames(deps, [notice.createdById]);
    res.json({
      id: notice.id,
      campaignId: notice.campaignId,
      asOf: notice.asOf,
      title: notice.title,
      createdById: notice.createdById,
      createdByName: names.get(notice.createdById) ?? null,
      createdAt: notice.createdAt.toISOString(),
      snapshot: snapshotOf(notice),
    });
  });

  router.get('/notices/:id/document.docx', async (req, res) => {
    const notice = await visibleNotice(deps, actorOf(res), ZIdParams.parse(req.params).id);
    const body = await noticeDocx(notice.title, snapshotOf(notice));
    res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    res.setHeader(
      'Content-Disposition',
      attachmentDisposition(`${notice.title}（截至${notice.asOf}）.docx`, `notice-${notice.asOf}.docx`),
    );
    res.send(body);
  });

  return router;
}

async function visibleNotice(deps: TAppDeps, actor: TApiActor, id: string) {
  const notice = await deps.db.notice.findUnique({ where: { id } });
  if (!notice) throw AppError.notFound(`通报 ${id} 不存在`);
  await requireVisibleCampaign(deps.db, actor, notice.campaignId, FIGURE_ROLES);
  return notice;
}

function snapshotOf(notice: { id: string; snapshot: unknown }): TNoticeSnapshot {
  // Written by this code only; a row that does not read back is a fault of the server, not of the caller.
  if (!ZNoticeSnapshot.safeParse(notice.snapshot).success) throw new Error(`notice ${notice.id}: unreadable snapshot`);
  return notice.snapshot as TNoticeSnapshot;
}

async function creatorNames(deps: TAppDeps, ids: string[]): Promise<Map<string, string>> {
  const users = await deps.db.user.findMany({
    where: { id: { in: [...new Set(ids)] } },
    select: { id: true, name: true },
  });
  return new Map(users.map((u) => [u.id, u.name]));
}
