/**
 * The task-list import, first half: read the file, recognise the sheet, match every name against the directory and
 * parse every deadline — a preview stored as an Import row. Nothing of the campaign changes until commit.ts runs.
 *
 * `parseTaskSheet(buffer, fileName, directory, options)` is the reusable core (the ledger export's round-trip test
 * calls it): bytes in, preview out, or a 400 naming what is wrong with the file.
 */
import { dateOf } from '../../domain/calendar';
import {
  findHeader,
  previewTaskRows,
  type TDirectorySnapshot,
  type TPreviewOptions,
  type TPreviewRow,
  type TPreviewSummary,
} from '../../domain/import';
import { ZCampaignPolicy } from '../../domain/policy';
import type { Db } from '../../db/client';
import type { TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { loadDirectorySnapshot } from '../directory/snapshot';
import { AppError } from '../errors';
import { scopeOf, unitInScope } from '../scope';
import { IMPORT_MAX_ROWS, readSpreadsheet } from './read';

export interface TTaskSheetPreview {
  sheetName: string;
  summary: TPreviewSummary;
  rows: TPreviewRow[];
}

/**
 * Reads a task list (.xlsx or .csv) into its preview. The sheet used is the first whose header is recognised.
 * Throws AppError VALIDATION (400) for a file that is not a readable list: not a spreadsheet, encrypted, empty, no
 * header, a formula in the list, too many rows.
 */
export async function parseTaskSheet(
  buffer: Buffer,
  fileName: string,
  directory: TDirectorySnapshot,
  options: Partial<TPreviewOptions> = {},
): Promise<TTaskSheetPreview> {
  const sheets = await readSpreadsheet(buffer, fileName);
  const sheet = sheets.find((s) => findHeader(s.grid) !== null);
  if (!sheet) {
    const empty = sheets.every((s) => s.grid.rows.every((r) => r.every((t) => t.trim() === '')));
    throw bad(
      empty
        ? '表格是空的：没有任何内容'
        : '没有找到表头：请在前 30 行中写明列名，至少含“整改措施”和“具体问题”“责任单位”“整改时限”之一',
    );
  }
  if (sheet.formulaCells.length > 0) {
    const cells = sheet.formulaCells.slice(0, 5).join('、');
    throw bad(
      `工作表“${sheet.name}”含有公式（${cells}${sheet.formulaCells.length > 5 ? ' 等' : ''}）：请复制后“粘贴为数值”再导入`,
    );
  }
  const result = previewTaskRows(sheet.grid, directory, {
    assignedOn: options.assignedOn ?? dateOf(new Date().toISOString()),
    immediateDays: options.immediateDays ?? 15,
    defaultLeadUnitId: options.defaultLeadUnitId ?? null,
    defaultLeaderId: options.defaultLeaderId ?? null,
    maxRows: options.maxRows ?? IMPORT_MAX_ROWS,
    ...(options.feedbackDate ? { feedbackDate: options.feedbackDate } : {}),
  });
  if (!result.ok) throw bad(result.message);
  return { sheetName: sheet.name, summary: result.summary, rows: result.rows };
}

function bad(message: string): AppError {
  return AppError.validation(message, [{ code: 'custom', path: ['file'], message }]);
}

/**
 * The campaign an import targets, checked: it exists (404), and the caller is an admin or an office of its level
 * (403) — the same rule as adding tasks by hand.
 */
export async function requireCampaignOffice(db: Db, actor: TApiActor, campaignId: string) {
  if (actor.role !== 'admin' && actor.role !== 'office')
    throw AppError.forbidden('只有整改办或系统管理员可以导入任务清单');
  const campaign = await db.campaign.findUnique({ where: { id: campaignId } });
  if (!campaign) throw AppError.notFound(`Campaign ${campaignId} not found`);
  if (!unitInScope(await scopeOf(db, actor), campaign.inspectedUnitId)) {
    throw AppError.forbidden('这一轮整改属于其他层级：只有本级整改办可以导入任务');
  }
  return campaign;
}

/**
 * The campaign's default leader, for rows whose 牵头领导 is blank or names nobody in the directory: the one given
 * with the upload (`defaultLeaderId`), else the first leader (by creation) of the inspected unit — the leader a
 * campaign opened for that unit answers to. Rows that use it carry a warning when they named someone else.
 */
export async function campaignDefaultLeaderId(db: Db, inspectedUnitId: string): Promise<string | null> {
  const leader = await db.user.findFirst({
    where: { unitId: inspectedUnitId, role: 'leader', active: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true },
  });
  return leader?.id ?? null;
}

export interface TImportFields {
  defaultLeadUnitId?: string;
  defaultLeaderId?: string;
}

/** What every import answer shows. */
export function importView(row: {
  id: string;
  kind: string;
  campaignId: string | null;
  fileName: string;
  status: string;
  summary: unknown;
  rows: unknown;
  total: number;
  rowsWritten: number;
  workflowsStarted: number;
  error: string | null;
  createdAt: Date;
  committedAt: Date | null;
}) {
  const summary = { ...((row.summary ?? {}) as Record<string, unknown>) };
  delete summary.assignedOn;
  return {
    id: row.id,
    kind: row.kind,
    campaignId: row.campaignId,
    fileName: row.fileName,
    status: row.status,
    summary,
    rows: row.rows,
    total: row.total,
    rowsWritten: row.rowsWritten,
    workflowsStarted: row.workflowsStarted,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    committedAt: row.committedAt?.toISOString() ?? null,
  };
}

/** POST /api/campaigns/:id/imports: the preview, stored. */
export async function createTaskImport(
  deps: TAppDeps,
  actor: TApiActor,
  campaignId: string,
  upload: { buffer: Buffer; fileName: string },
  fields: TImportFields,
) {
  const { db } = deps;
  const campaign = await requireCampaignOffice(db, actor, campaignId);
  const directory = await loadDirectorySnapshot(db);
  const unitIds = new Set(directory.units.map((u) => u.id));
  if (fields.defaultLeadUnitId !== undefined && !unitIds.has(fields.defaultLeadUnitId)) {
    throw AppError.validation(`默认牵头单位不存在：${fields.defaultLeadUnitId}`, [
      { code: 'custom', path: ['defaultLeadUnitId'], message: '没有这个单位' },
    ]);
  }
  if (fields.defaultLeaderId !== undefined) {
    const leader = directory.users.find((u) => u.id === fields.defaultLeaderId);
    if (!leader || leader.role !== 'leader' || !leader.active) {
      throw AppError.validation('默认牵头领导必须是在职的领导', [
        { code: 'custom', path: ['defaultLeaderId'], message: '没有这位领导' },
      ]);
    }
  }
  const policy = ZCampaignPolicy.parse(campaign.policy ?? {});
  const assignedOn = dateOf(deps.now().toISOString());
  const preview = await parseTaskSheet(upload.buffer, upload.fileName, directory, {
    assignedOn,
    immediateDays: policy.immediateDays,
    defaultLeadUnitId: fields.defaultLeadUnitId ?? null,
    defaultLeaderId: fields.defaultLeaderId ?? (await campaignDefaultLeaderId(db, campaign.inspectedUnitId)),
    feedbackDate: campaign.feedbackDate,
  });
  const row = await db.import.create({
    data: {
      kind: 'tasks',
      campaignId,
      fileName: upload.fileName.slice(0, 255) || 'upload',
      status: 'preview',
      defaultLeadUnitId: fields.defaultLeadUnitId ?? null,
      summary: JSON.parse(JSON.stringify(preview.summary)) as object,
      rows: JSON.parse(JSON.stringify(preview.rows)) as object,
      total: preview.rows.length,
      createdById: actor.userId,
    },
  });
  return importView(row);
}
