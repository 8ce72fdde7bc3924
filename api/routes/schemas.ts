/**
 * Request and response shapes at the HTTP edge. Each route parses its input with one of these before doing
 * anything, so a malformed request is a 400 that changed nothing.
 */
import { z } from 'zod';
import { ZDeadlineInput as ZStructuredDeadlineInput } from '../../domain/deadline';
import { ZCampaignPolicy } from '../../domain/policy';
import { TASK_STATUSES, type TaskStatus } from '../../domain/task';

const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * The years a rectification date may fall in. A deadline, an extension or a delegation beyond them is a typing error
 * (or an attack: `9999-12-31` once drove the calendar past its range and wedged the task's workflow), never a plan.
 */
export const MIN_LIFECYCLE_DATE = '2000-01-01';
export const MAX_LIFECYCLE_DATE = '2199-12-31';

/** Whether a `YYYY-MM-DD` string (already matching the pattern) lies in the lifecycle range. */
export function inLifecycleRange(date: string): boolean {
  return date >= MIN_LIFECYCLE_DATE && date <= MAX_LIFECYCLE_DATE;
}

/** A calendar date `YYYY-MM-DD` that exists (2021-02-30 does not), between 2000 and 2199. */
export const ZIsoDate = z
  .string()
  .regex(DATE_RE, 'Expected a date as YYYY-MM-DD')
  .refine((s) => {
    // Runs even when the pattern failed (Zod reports every issue), so it must not throw on any string.
    const t = new Date(`${s}T00:00:00Z`);
    return DATE_RE.test(s) && !Number.isNaN(t.getTime()) && t.toISOString().startsWith(s);
  }, 'No such calendar date')
  .refine(
    (s) => !DATE_RE.test(s) || inLifecycleRange(s),
    `Expected a date between ${MIN_LIFECYCLE_DATE} and ${MAX_LIFECYCLE_DATE}`,
  );

/** A reporting period `YYYY-MM`. */
export const ZPeriod = z.string().regex(PERIOD_RE, 'Expected a period as YYYY-MM');

/** PostgreSQL refuses NUL in text: one in a report once failed the projection forever and froze the task. */
const noNul = (s: string) => !s.includes('\u0000');
const NUL_MESSAGE = 'Text must not contain NUL characters';
const ZId = z.string().trim().min(1).max(100).refine(noNul, NUL_MESSAGE);
const ZText = (max: number) => z.string().trim().min(1).max(max).refine(noNul, NUL_MESSAGE);
/** Optional free text: blank counts as absent. */
const ZOptionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((s) => s || undefined);

export const ZEvidenceInput = z.object({
  fileName: ZText(255),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'Expected a SHA-256 digest in hex')
    .transform((s) => s.toLowerCase()),
  sizeBytes: z
    .number()
    .int()
    .min(0)
    .max(10 * 1024 ** 3),
  mimeType: ZText(255).optional(),
  // Only web links: a `javascript:` or `data:` URL would run or render in the browser that opens the evidence.
  url: z
    .url({ protocol: /^https?$/, error: 'Expected an http(s) URL' })
    .max(2000)
    .optional(),
});
export type TEvidenceInputBody = z.infer<typeof ZEvidenceInput>;
/** Evidence uploaded through POST /api/files: the API resolves the id to the stored file's facts. */
export const ZEvidenceFileRef = z.object({ fileId: ZId });
/** The file reference first: an item naming a fileId is resolved from storage, whatever else it claims. */
export const ZEvidenceItem = z.union([ZEvidenceFileRef, ZEvidenceInput]);
export type TEvidenceItemBody = z.infer<typeof ZEvidenceItem>;
const ZEvidenceList = z.array(ZEvidenceItem).max(50).optional();

// ---- campaigns ----

export const ZCreateCampaignRequest = z.object({
  name: ZText(200),
  kind: z.enum(['xunshi', 'xuncha', 'ducha']),
  inspectingBody: ZText(200),
  inspectedUnitId: ZId,
  feedbackDate: ZIsoDate,
  /** Only the fields the campaign changes; the rest take the defaults (domain/policy.ts). */
  policy: ZCampaignPolicy.optional(),
});
export type TCreateCampaignRequest = z.infer<typeof ZCreateCampaignRequest>;

/**
 * Either structured (domain/deadline's input form: immediate kinds may give their date or let the policy derive
 * it), or the plan's own wording (`2020年12月31日前完成`, `立行立改，长期推进` ...). */
export const ZDeadlineInput = z.union([ZText(200), ZStructuredDeadlineInput]);
export type TDeadlineInput = z.infer<typeof ZDeadlineInput>;

export const ZCreateTaskItem = z.object({
  problem: z.object({ category: ZText(200), title: ZText(500), detail: ZText(5000).optional() }),
  measure: ZText(5000),
  target: ZText(5000).optional(),
  leadUnitId: ZId,
  participatingUnitIds: z.array(ZId).max(50).optional(),
  leaderId: ZId,
  responsiblePersonId: ZId.optional(),
  deadline: ZDeadlineInput,
});
export type TCreateTaskItem = z.infer<typeof ZCreateTaskItem>;

/** One task, or many under `tasks`; both normalise to a list. */
export const ZCreateTaskRequest = z.union([
  z.object({ tasks: z.array(ZCreateTaskItem).min(1).max(500) }),
  ZCreateTaskItem.transform((task) => ({ tasks: [task] })),
]);
export type TCreateTaskRequest = z.infer<typeof ZCreateTaskRequest>;

// ---- task lists ----

export const TRAFFIC_LIGHTS = ['green', 'yellow', 'red'] as const;
/** Columns the task list sorts by (each backed by an index or cheap on the page's scope). */
export const TASK_SORTS = ['createdAt', 'deadline', 'updatedAt', 'status'] as const;

export const ZListTasksQuery = z.object({
  campaignId: ZId.optional(),
  unitId: ZId.optional(),
  status: z.enum(TASK_STATUSES as [TaskStatus, ...TaskStatus[]]).optional(),
  trafficLight: z.enum(TRAFFIC_LIGHTS).optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  /** Text searched in the problem's title and the measure. */
  q: z.string().trim().max(200).optional(),
  sort: z.enum(TASK_SORTS).default('createdAt'),
  order: z.enum(['asc', 'desc']).default('asc'),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});
export type TListTasksQuery = z.infer<typeof ZListTasksQuery>;

// ---- decisions ----

/** A reason is required when something is sent back or refused: the unit must know what to fix. */
function reasonRequiredFor<T extends { decision: string; reason?: string }>(negative: string) {
  return (value: T, ctx: z.RefinementCtx) => {
    if (value.decision === negative && !value.reason) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `A reason is required to ${negative}` });
    }
  };
}

export const ZAcknowledgeRequest = z.object({ comment: ZText(2000).optional() }).default({});
export type TAcknowledgeRequest = z.infer<typeof ZAcknowledgeRequest>;

export const ZSubmitReportRequest = z.object({
  period: ZPeriod,
  progress: ZText(20000),
  /** 存在问题 (a form left blank sends ''; that means none). */
  problems: ZOptionalText(20000),
  /** 下步计划 */
  nextPlan: ZOptionalText(20000),
  evidence: ZEvidenceList,
});
export type TSubmitReportRequest = z.infer<typeof ZSubmitReportRequest>;

export const ZReviewReportRequest = z
  .object({ decision: z.enum(['accept', 'return']), reason: ZText(2000).optional() })
  .superRefine(reasonRequiredFor('return'));
export type TReviewReportRequest = z.infer<typeof ZReviewReportRequest>;

export const ZReviewReportParams = z.object({ id: ZId, period: ZPeriod });

export const ZRequestClosureRequest = z.object({ summary: ZText(20000), evidence: ZEvidenceList });
export type TRequestClosureRequest = z.infer<typeof ZRequestClosureRequest>;

export const ZSignOffRequest = z
  .object({ decision: z.enum(['approve', 'return']), reason: ZText(2000).optional() })
  .superRefine(reasonRequiredFor('return'));
export type TSignOffRequest = z.infer<typeof ZSignOffRequest>;

export const ZRequestExtensionRequest = z.object({ newDate: ZIsoDate, reason: ZText(2000) });
export type TRequestExtensionRequest = z.infer<typeof ZRequestExtensionRequest>;

export const ZDecideExtensionRequest = z
  .object({ decision: z.enum(['approve', 'refuse']), reason: ZText(2000).optional() })
  .superRefine(reasonRequiredFor('refuse'));
export type TDecideExtensionRequest = z.infer<typeof ZDecideExtensionRequest>;

export const ZReassignRequest = z
  .object({ leadUnitId: ZId.optional(), leaderId: ZId.optional(), reason: ZText(2000).optional() })
  .refine((v) => v.leadUnitId !== undefined || v.leaderId !== undefined, {
    message: 'Give leadUnitId, leaderId or both',
  });
export type TReassignRequest = z.infer<typeof ZReassignRequest>;

export const ZLookBackRequest = z
  .object({
    verdict: z.enum(['consolidated', 'rebound']),
    reason: ZText(2000).optional(),
    /** On a rebound: the reopened round's deadline (without it the old, likely past, one applies). */
    newDeadlineDate: ZIsoDate.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.verdict === 'rebound' && !v.reason) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'A reason is required for a rebound' });
    }
  });
export type TLookBackRequest = z.infer<typeof ZLookBackRequest>;

export const ZEndLongTermRequest = z.object({ reason: ZText(2000).optional() }).default({});
export type TEndLongTermRequest = z.infer<typeof ZEndLongTermRequest>;

export const ZUrgeRequest = z.object({ message: ZText(2000) });
export type TUrgeRequest = z.infer<typeof ZUrgeRequest>;

export const ZSplitTaskRequest = z.object({
  children: z
    .array(z.object({ leadUnitId: ZId, leaderId: ZId, measure: ZText(5000).optional() }))
    .min(1)
    .max(100),
});
export type TSplitTaskRequest = z.infer<typeof ZSplitTaskRequest>;

/** Delegation of a signer's sign-off to a deputy for a period (inclusive dates). */
export const ZCreateDelegationRequest = z
  .object({ taskId: ZId, toUserId: ZId, from: ZIsoDate, to: ZIsoDate })
  .refine((v) => v.from <= v.to, { path: ['to'], message: '`to` must not be before `from`' });
export type TCreateDelegationRequest = z.infer<typeof ZCreateDelegationRequest>;

export const ZTaskParams = z.object({ id: ZId });
