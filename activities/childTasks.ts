/**
 * Cascade (分解): creates the child task rows of a split task, one per lower-level unit, and returns each child's
 * workflow input (its own office in its sign-off chain, the parent's office as the higher level). Idempotent by the
 * split's request key: a retried activity returns the children it created the first time.
 */
import type { TDeadline } from '../domain/deadline';
import { ZCampaignPolicy } from '../domain/policy';
import { resolveSignOffChain } from '../domain/task';
import type { TTaskLifecycleInput } from '../workflows/taskLifecycle';
import { taskWorkflowId } from '../workflows/shared';
import { ValidationError, type ActivityDeps } from './types';
import type { Db } from '../db/client';

export interface TCreateChildTasksInput {
  parentTaskId: string;
  /** Unique per split decision. */
  requestKey: string;
  /** When the split was decided (workflow time, ISO). */
  at: string;
  children: { leadUnitId: string; leaderId: string; measure?: string }[];
}

export interface TCreateChildTasksResult {
  children: { taskId: string; workflowId: string; input: TTaskLifecycleInput }[];
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** The rectification office of a unit's level: the office unit under the nearest city/province/county ancestor. */
export async function findOfficeUnitId(tx: Tx | Db, unitId: string): Promise<string | null> {
  let current = await tx.unit.findUnique({ where: { id: unitId } });
  while (current) {
    if (current.kind === 'office') return current.id;
    if (current.level !== 'department') {
      const office = await tx.unit.findFirst({
        where: { parentId: current.id, kind: 'office' },
        orderBy: { id: 'asc' },
      });
      if (office) return office.id;
    }
    current = current.parentId ? await tx.unit.findUnique({ where: { id: current.parentId } }) : null;
  }
  return null;
}

export function createChildTasksActivity({ db }: ActivityDeps) {
  return async function createChildTasks(input: TCreateChildTasksInput): Promise<TCreateChildTasksResult> {
    return db.$transaction(async (tx) => {
      const parent = await tx.task.findUnique({ where: { id: input.parentTaskId }, include: { campaign: true } });
      if (!parent) throw new ValidationError(`Parent task ${input.parentTaskId} does not exist`);
      const parentOfficeUnitId = await findOfficeUnitId(tx, parent.leadUnitId);
      const policy = ZCampaignPolicy.parse(parent.campaign.policy ?? {});
      const children: TCreateChildTasksResult['children'] = [];
      for (const [i, spec] of input.children.entries()) {
        const id = `${input.parentTaskId}-c${i + 1}-${shortHash(input.requestKey)}`;
        const officeUnitId = await findOfficeUnitId(tx, spec.leadUnitId);
        if (!officeUnitId) throw new ValidationError(`Unit ${spec.leadUnitId} has no rectification office above it`);
        const deadline = parseStoredDeadline(parent.deadlineKind, parent.deadlineDate);
        const existing = await tx.task.findUnique({ where: { id } });
        if (!existing) {
          await tx.task.create({
            data: {
              id,
              campaignId: parent.campaignId,
              problemId: parent.problemId,
              parentTaskId: parent.id,
              measure: spec.measure ?? parent.measure,
              target: parent.target,
              leadUnitId: spec.leadUnitId,
              leaderId: spec.leaderId,
              deadlineKind: parent.deadlineKind,
              deadlineText: parent.deadlineText,
              deadlineDate: parent.deadlineDate,
              status: 'ASSIGNED',
              // Stale until the child's workflow projects it: reads recompute its light rather than trust the default.
              lightChangesAt: new Date(0),
              workflowId: taskWorkflowId(id),
              createdAt: new Date(input.at),
              updatedAt: new Date(input.at),
            },
          });
        }
        const chainParties = {
          leadUnitId: spec.leadUnitId,
          officeUnitId,
          leaderId: spec.leaderId,
          parentOfficeUnitId: parentOfficeUnitId ?? undefined,
        };
        const levels = [
          ...policy.signOffLevels,
          ...(parentOfficeUnitId
            ? [{ name: '上级整改办', role: 'office' as const, scope: 'parent_office' as const }]
            : []),
        ];
        children.push({
          taskId: id,
          workflowId: taskWorkflowId(id),
          input: {
            taskId: id,
            campaignId: parent.campaignId,
            title: spec.measure ?? parent.measure,
            leadUnitId: spec.leadUnitId,
            leaderId: spec.leaderId,
            officeUnitId,
            parentTaskId: parent.id,
            parentOfficeUnitId: parentOfficeUnitId ?? undefined,
            deadline,
            policy,
            signOffChain: resolveSignOffChain(levels, chainParties),
            assignedAt: input.at,
          },
        });
      }
      return { children };
    });
  };
}

function parseStoredDeadline(kind: string, date: string | null): TDeadline {
  switch (kind) {
    case 'long_term':
      return { kind: 'long_term' };
    case 'date':
    case 'immediate':
    case 'date_then_long_term':
    case 'immediate_then_long_term':
      if (!date) throw new ValidationError(`Deadline kind ${kind} needs a date`);
      return { kind, date } as TDeadline;
    default:
      throw new ValidationError(`Unknown deadline kind ${kind}`);
  }
}

/** Short, deterministic suffix so two splits of the same parent never collide on child IDs. */
function shortHash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(36);
}
