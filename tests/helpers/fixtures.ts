/**
 * A small organisation and task rows for workflow tests: a province with its rectification office and leader, a
 * city with its own office, and departments with a staff member and a head each.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import type { TDeadline } from '../../domain/deadline';
import { ZCampaignPolicy, type TCampaignPolicy } from '../../domain/policy';
import { resolveSignOffChain, type Actor } from '../../domain/task';
import type { TTaskLifecycleInput } from '../../workflows/taskLifecycle';
import { taskWorkflowId } from '../../workflows/shared';

export interface TOrg {
  provinceId: string;
  officeUnitId: string;
  deptA: string;
  deptB: string;
  cities: { id: string; officeUnitId: string; deptId: string; staff: Actor; head: Actor; office: Actor }[];
  staffA: Actor;
  headA: Actor;
  staffB: Actor;
  headB: Actor;
  office: Actor;
  office2: Actor;
  leader: Actor;
  deputyLeader: Actor;
  supervisor: Actor;
}

export async function createOrg(db: Db, cityCount = 0): Promise<TOrg> {
  const unit = async (name: string, level: string, kind: string, parentId?: string) =>
    (await db.unit.create({ data: { name, level, kind, parentId: parentId ?? null } })).id;
  const user = async (name: string, role: Actor['role'], unitId: string): Promise<Actor> => {
    const u = await db.user.create({ data: { name, role, unitId } });
    return { userId: u.id, role, unitId };
  };
  const provinceId = await unit('省', 'province', 'government');
  const officeUnitId = await unit('省整改办', 'province', 'office', provinceId);
  const deptA = await unit('省卫健委', 'department', 'department', provinceId);
  const deptB = await unit('省医保局', 'department', 'department', provinceId);
  const cities: TOrg['cities'] = [];
  for (let i = 1; i <= cityCount; i++) {
    const cityId = await unit(`市${i}`, 'city', 'government', provinceId);
    const cityOffice = await unit(`市${i}整改办`, 'city', 'office', cityId);
    const cityDept = await unit(`市${i}卫健委`, 'department', 'department', cityId);
    cities.push({
      id: cityId,
      officeUnitId: cityOffice,
      deptId: cityDept,
      staff: await user(`市${i}经办`, 'unit_staff', cityDept),
      head: await user(`市${i}负责人`, 'unit_head', cityDept),
      office: await user(`市${i}整改办`, 'office', cityOffice),
    });
  }
  return {
    provinceId,
    officeUnitId,
    deptA,
    deptB,
    cities,
    staffA: await user('张经办', 'unit_staff', deptA),
    headA: await user('李主任', 'unit_head', deptA),
    staffB: await user('王经办', 'unit_staff', deptB),
    headB: await user('陈主任', 'unit_head', deptB),
    office: await user('赵整改办', 'office', officeUnitId),
    office2: await user('钱整改办', 'office', officeUnitId),
    leader: await user('孙领导', 'leader', provinceId),
    deputyLeader: await user('周副领导', 'leader', provinceId),
    supervisor: await user('吴纪检', 'supervisor', provinceId),
  };
}

export async function createTaskRow(
  db: Db,
  org: TOrg,
  opts: { deadline: TDeadline; assignedAt: string; policy?: Partial<TCampaignPolicy>; leadUnitId?: string },
): Promise<TTaskLifecycleInput> {
  // Due days as the plain rule gives them unless a test asks for the working-day rule: these tests compute due
  // instants with `nextReportDue` alone, which would be off whenever a 25th falls on a day off (the product's default
  // moves it; tests/workflows/reminders*.test.ts cover that).
  const policy = ZCampaignPolicy.parse({ dueDayRule: 'as_is', ...opts.policy });
  const campaign = await db.campaign.create({
    data: {
      name: '巡视整改',
      kind: 'xunshi',
      inspectingBody: '省委巡视组',
      inspectedUnitId: org.provinceId,
      feedbackDate: opts.assignedAt.slice(0, 10),
      policy,
      createdById: org.office.userId,
    },
  });
  const category = await db.category.create({ data: { campaignId: campaign.id, name: '党的领导' } });
  const problem = await db.problem.create({
    data: { campaignId: campaign.id, categoryId: category.id, title: '整改责任落实不到位' },
  });
  const taskId = randomUUID();
  const leadUnitId = opts.leadUnitId ?? org.deptA;
  await db.task.create({
    data: {
      id: taskId,
      campaignId: campaign.id,
      problemId: problem.id,
      measure: '建立整改台账，逐项销号',
      leadUnitId,
      leaderId: org.leader.userId,
      deadlineKind: opts.deadline.kind,
      deadlineDate: 'date' in opts.deadline ? opts.deadline.date : null,
      status: 'ASSIGNED',
      workflowId: taskWorkflowId(taskId),
    },
  });
  return {
    taskId,
    campaignId: campaign.id,
    title: problem.title,
    leadUnitId,
    leaderId: org.leader.userId,
    officeUnitId: org.officeUnitId,
    deadline: opts.deadline,
    policy,
    signOffChain: resolveSignOffChain(policy.signOffLevels, {
      leadUnitId,
      officeUnitId: org.officeUnitId,
      leaderId: org.leader.userId,
    }),
    assignedAt: opts.assignedAt,
  };
}
