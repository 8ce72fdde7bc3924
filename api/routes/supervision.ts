/**
 * 督办 as documents: issuing a step by hand, the numbered document as a Word file, 签收 and 反馈.
 * - POST /api/tasks/:id/supervision { step, reason? }: the task's office or a supervisor (within their jurisdiction)
 *   issues an escalation step; the workflow decides it (`escalate` with the caller as actor) and the projection
 *   numbers it in the issuer's name. Answers with the task view.
 * - GET /api/supervision-notices?state=unsigned|unanswered|answered|overdue&mine=true&taskId&campaignId&page&pageSize:
 *   the 督办台账 of the tasks the caller may see, newest first.
 * - GET /api/supervision-notices/:id/document.docx: anyone who may see the task.
 * - POST /api/supervision-notices/:id/sign, POST /api/supervision-notices/:id/feedback { text, evidence? }: the
 *   recipient unit (the task's lead unit). Both audited; both answer with the task view.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { ZEscalationStepName } from '../../domain/policy';
import { issueSupervisionUpdate } from '../../workflows/messages';
import { actorOf } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';
import { resolveEvidence } from '../files/resolve';
import { requireVisibleTask } from '../scope';
import { answerNotice, requireVisibleNotice, signNotice } from '../supervision/actions';
import { supervisionDocument } from '../supervision/document';
import { listSupervisionNotices, ZListSupervisionNoticesQuery } from '../supervision/list';
import { executeDecision } from '../tasks/decide';
import { taskDetail } from '../tasks/view';
import { ZEvidenceItem, ZTaskParams } from './schemas';

const noNul = (s: string) => !s.includes('\u0000');

export const ZNoticeParams = z.object({ id: z.string().trim().min(1).max(100) });

export const ZIssueSupervisionRequest = z.object({
  step: ZEscalationStepName,
  reason: z
    .string()
    .trim()
    .max(2000)
    .refine(noNul, 'Text must not contain NUL characters')
    .optional()
    .transform((s) => s || undefined),
});
export type TIssueSupervisionRequest = z.infer<typeof ZIssueSupervisionRequest>;

export const ZSupervisionFeedbackRequest = z.object({
  text: z.string().trim().min(1).max(20000).refine(noNul, 'Text must not contain NUL characters'),
  evidence: z.array(ZEvidenceItem).max(50).optional(),
});
export type TSupervisionFeedbackRequest = z.infer<typeof ZSupervisionFeedbackRequest>;

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export function supervisionRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.post('/tasks/:id/supervision', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZTaskParams.parse(req.params);
    const body = ZIssueSupervisionRequest.parse(req.body);
    // Visibility first: an unknown task is a 404 whoever asks.
    await requireVisibleTask(db, actor, id, deps.now());
    if (actor.role !== 'office' && actor.role !== 'supervisor') {
      throw AppError.forbidden('只有本任务的整改办或纪检监督人员可以交办督办');
    }
    // The access log's request id when it set one, so a 503 (no answer in time) names the log line.
    const requestId = typeof res.locals.requestId === 'string' ? res.locals.requestId : undefined;
    await executeDecision(deps, actor, id, issueSupervisionUpdate, body, requestId);
    if (body.reason) await keepReason(db, id, body.step, actor.userId, body.reason);
    res.json(await taskDetail(db, id, deps.now(), actor));
  });

  router.get('/supervision-notices', async (req, res) => {
    const query = ZListSupervisionNoticesQuery.parse(req.query);
    res.json(await listSupervisionNotices(db, actorOf(res), query, deps.now()));
  });

  router.get('/supervision-notices/:id/document.docx', async (req, res) => {
    const { id } = ZNoticeParams.parse(req.params);
    await requireVisibleNotice(db, actorOf(res), id, deps.now());
    const { fileName, body } = await supervisionDocument(db, id);
    res.status(200).set({
      'Content-Type': DOCX_TYPE,
      'Content-Length': String(body.length),
      'Content-Disposition': attachment(fileName),
      'Cache-Control': 'private, no-store',
    });
    res.end(body);
  });

  router.post('/supervision-notices/:id/sign', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZNoticeParams.parse(req.params);
    const taskId = await signNotice(db, actor, id, deps.now());
    res.json(await taskDetail(db, taskId, deps.now(), actor));
  });

  router.post('/supervision-notices/:id/feedback', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZNoticeParams.parse(req.params);
    const body = ZSupervisionFeedbackRequest.parse(req.body);
    // Visibility first, so a caller outside the task learns nothing about file ids from the answer.
    const notice = await requireVisibleNotice(db, actor, id, deps.now());
    const evidence = await resolveEvidence(db, actor, notice.taskId, body.evidence);
    const taskId = await answerNotice(db, actor, id, { text: body.text, evidence }, deps.now());
    res.json(await taskDetail(db, taskId, deps.now(), actor));
  });

  return router;
}

/**
 * The issuer's own reason replaces the ladder's words on the notice just numbered (the workflow's event carries no
 * reason). The step was accepted once for the task's current deadline, so the newest notice of that step by this
 * issuer is the one.
 */
async function keepReason(db: Db, taskId: string, step: string, issuedById: string, reason: string): Promise<void> {
  const notice = await db.supervisionNotice.findFirst({
    where: { taskId, step, issuedById, kind: 'escalation' },
    orderBy: { issuedAt: 'desc' },
    select: { id: true },
  });
  if (notice) await db.supervisionNotice.update({ where: { id: notice.id }, data: { reason } });
}

function attachment(fileName: string): string {
  const fallback = 'supervision-notice.docx';
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
