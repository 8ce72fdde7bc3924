/**
 * Who may read a campaign's figures: the campaign exists (404), and it is in the caller's scope (403) — a unit of the
 * caller's level is inspected, or one of its tasks is in scope. The ledger and notices further require an office,
 * leader, admin or supervisor.
 */
import type { Db } from '../../db/client';
import type { TRole } from '../../domain/policy';
import type { TApiActor } from '../auth';
import { AppError } from '../errors';
import { scopeOf, taskScopeWhere, type TScope } from '../scope';

/** The roles that export the ledger and read notices. */
export const FIGURE_ROLES: readonly TRole[] = ['office', 'leader', 'admin', 'supervisor'];

function campaignScopeWhere(scope: TScope) {
  if (scope.all) return {};
  return { OR: [{ inspectedUnitId: { in: scope.unitIds } }, { tasks: { some: taskScopeWhere(scope) } }] };
}

export interface TVisibleCampaign {
  campaign: { id: string; name: string; inspectingBody: string; inspectedUnitId: string };
  scope: TScope;
}

/** The campaign and the caller's scope; 404 when it does not exist, 403 outside the caller's scope or roles. */
export async function requireVisibleCampaign(
  db: Db,
  actor: TApiActor,
  campaignId: string,
  roles?: readonly TRole[],
): Promise<TVisibleCampaign> {
  const campaign = await db.campaign.findUnique({
    where: { id: campaignId },
    select: { id: true, name: true, inspectingBody: true, inspectedUnitId: true },
  });
  if (!campaign) throw AppError.notFound(`整改轮次 ${campaignId} 不存在`);
  if (roles && !roles.includes(actor.role)) {
    throw AppError.forbidden('只有整改办、牵头领导、纪检监督和系统管理员可以查看');
  }
  const scope = await scopeOf(db, actor);
  const visible = await db.campaign.count({ where: { AND: [{ id: campaignId }, campaignScopeWhere(scope)] } });
  if (visible === 0) throw AppError.forbidden(`整改轮次 ${campaignId} 不在您的范围内`);
  return { campaign, scope };
}
