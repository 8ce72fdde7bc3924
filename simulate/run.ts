/**
 * A whole campaign on the embedded stack: the time-skipping dev server, a fresh SQLite database, the product's worker,
 * and the API's own task-creation use-case. Units behave at random but from a seed (on time, late or missing
 * reports, returned reports, extensions approved or refused, close-out with the odd return at sign-off), and the
 * clock skips month by month. The summary is read from the database the workflows project into.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createTasks } from '../api/tasks/create';
import { createDb, type Db } from '../db/client';
import { migrateDeploy } from '../db/migrate';
import { createTestEnvironment } from '../devserver/src/testing';
import { addMonthsToDate, addMonthsToPeriod, dateOf, dueInstant } from '../domain/calendar';
import { ZCampaignPolicy } from '../domain/policy';
import { WORKING_STATUSES, firstReportPeriod, type Actor, type TaskState } from '../domain/task';
import { seedDemo, type TDemoUser } from '../scripts/seed-demo';
import { createTaskWorker } from '../worker';
import {
  acknowledgeUpdate,
  decideExtensionUpdate,
  requestClosureUpdate,
  requestExtensionUpdate,
  reviewReportUpdate,
  signOffUpdate,
  submitReportUpdate,
  taskStateQuery,
} from '../workflows/messages';
import type { taskLifecycle } from '../workflows/taskLifecycle';
import { rngFor } from './prng';

export interface TSimulationOptions {
  tasks: number;
  months: number;
  seed: number;
  /** Decisions in flight at once (each is a workflow update). */
  concurrency?: number;
  log?: (line: string) => void;
  /**
   * A time-skipping environment to run on (e.g. a dev server in its own process, as the benchmark does, so that its
   * memory is measured apart); the caller keeps it. Default: an in-process dev server started and stopped here.
   */
  testEnv?: TestWorkflowEnvironment;
}

export interface TMonthSummary {
  period: string;
  open: number;
  closed: number;
  overdue: number;
  noticesIssued: number;
  reportsAccepted: number;
  reportsReturned: number;
  extensionsApproved: number;
  extensionsRefused: number;
}

export interface TSimulationResult {
  months: TMonthSummary[];
  totals: { tasks: number; closed: number; open: number; notices: number; auditEvents: number };
  wallMs: number;
  decisions: number;
  /** State queries sent (one per task per month). */
  queries: number;
  workflowIds: string[];
}

type Handle = WorkflowHandle<typeof taskLifecycle>;

interface TSimTask {
  index: number;
  id: string;
  handle: Handle;
  staff: Actor;
  head: Actor;
  /** The month (1-based) from which the unit considers the work done and applies for close-out. */
  doneMonth: number;
}

let runtimeInstalled = false;

export async function runSimulation(options: TSimulationOptions): Promise<TSimulationResult> {
  const log = options.log ?? (() => undefined);
  const concurrency = options.concurrency ?? 50;
  const started = Date.now();
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    // Worker logs at WARN only: the simulation prints its own progress.
    try {
      Runtime.install({
        logger: new DefaultLogger('WARN'),
        telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
      });
    } catch {
      // Already installed by the host process (a test runner): keep that one.
    }
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-sim-'));
  const url = `file:${path.join(dir, 'sim.db')}`;
  await migrateDeploy(url);
  const db = createDb(url);
  const own = options.testEnv ? undefined : await createTestEnvironment();
  const testEnv = options.testEnv ?? own?.testEnv;
  if (!testEnv) throw new Error('no time-skipping environment');
  const taskQueue = `simulate-${randomUUID()}`;
  const worker = await createTaskWorker({ connection: testEnv.nativeConnection, taskQueue, deps: { db } });
  const running = worker.run();
  let decisions = 0;
  let queries = 0;

  try {
    const nowIso = async () => new Date(await testEnv.currentTimeMs()).toISOString();
    const users = await seedDemo(db);
    const office = actorOf(users, (u) => u.role === 'office' && u.name.includes('省'));
    const leader = actorOf(users, (u) => u.role === 'leader' && u.name.includes('牵头'));
    const departments = departmentsOf(users);
    const province = (await db.unit.findFirstOrThrow({ where: { level: 'province', kind: 'government' } })).id;
    const policy = ZCampaignPolicy.parse({});
    const assignedAt = await nowIso();
    const campaign = await db.campaign.create({
      data: {
        name: '模拟巡视整改',
        kind: 'xunshi',
        inspectingBody: '省委巡视组',
        inspectedUnitId: province,
        feedbackDate: dateOf(assignedAt),
        policy,
        createdById: office.userId,
      },
    });

    // Tasks through the API's own use-case: rows, audit and workflow starts exactly as `POST /tasks` makes them.
    log(`creating ${options.tasks} tasks …`);
    const items = Array.from({ length: options.tasks }, (_, i) => {
      const rng = rngFor(options.seed, 'task', i);
      const dept = departments[i % departments.length]!;
      return {
        problem: { category: `第${(i % 5) + 1}类`, title: `问题${i + 1}` },
        measure: `整改措施${i + 1}`,
        leadUnitId: dept.unitId,
        leaderId: leader.userId,
        deadline: { kind: 'date' as const, date: addMonthsToDate(dateOf(assignedAt), rng.int(2, options.months + 2)) },
      };
    });
    const frozenNow = new Date(assignedAt);
    const created = await createTasks(
      { db, client: testEnv.client, taskQueue, now: () => frozenNow },
      { userId: office.userId, role: 'office', unitId: office.unitId },
      campaign.id,
      items,
      `simulate-${options.seed}`,
    );
    const tasks: TSimTask[] = created.map((t, index) => {
      const dept = departments[index % departments.length]!;
      return {
        index,
        id: t.id,
        handle: testEnv.client.workflow.getHandle<typeof taskLifecycle>(t.workflowId),
        staff: dept.staff,
        head: dept.head,
        doneMonth: rngFor(options.seed, 'done', index).int(1, options.months + 1),
      };
    });
    await pool(tasks, concurrency, async (t) => {
      await t.handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: t.staff }] });
      decisions++;
    });

    const months: TMonthSummary[] = [];
    let period = firstReportPeriod(assignedAt, policy);
    for (let month = 1; month <= options.months; month++, period = addMonthsToPeriod(period, 1)) {
      // Act a few days before the due day (after the reminder), then let the due day pass.
      await sleepUntil(testEnv, nowIso, new Date(Date.parse(dueInstant(period, policy.reportDueDay)) - 2 * 86_400_000));
      const states = await pool(tasks, concurrency, (t) => t.handle.query(taskStateQuery));
      queries += tasks.length;
      await pool(tasks, concurrency, async (t) => {
        const state = states[t.index]!;
        const sent = await actForMonth(t, state, period, month, options.seed, office, leader);
        decisions += sent;
      });
      await sleepUntil(testEnv, nowIso, new Date(Date.parse(dueInstant(period, policy.reportDueDay)) + 86_400_000));
      const summary = await summarise(db, campaign.id, period);
      months.push(summary);
      log(
        `month ${String(month).padStart(3)} ${period}: open ${summary.open}, closed ${summary.closed}, overdue ${summary.overdue}, notices ${summary.noticesIssued}`,
      );
    }

    const [closed, notices, auditEvents] = await Promise.all([
      db.task.count({ where: { campaignId: campaign.id, status: { in: ['CLOSED', 'VERIFIED', 'LONG_TERM'] } } }),
      db.supervisionNotice.count({ where: { task: { campaignId: campaign.id } } }),
      db.auditEvent.count({ where: { campaignId: campaign.id } }),
    ]);
    return {
      months,
      totals: { tasks: tasks.length, closed, open: tasks.length - closed, notices, auditEvents },
      wallMs: Date.now() - started,
      decisions,
      queries,
      workflowIds: tasks.map((t) => t.handle.workflowId),
    };
  } finally {
    worker.shutdown();
    await running;
    await own?.teardown();
    await db.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One unit's behaviour for one month, drawn from the seed; returns the number of decisions sent. */
async function actForMonth(
  t: TSimTask,
  state: TaskState,
  period: string,
  month: number,
  seed: number,
  office: Actor,
  leader: Actor,
): Promise<number> {
  if (!WORKING_STATUSES.includes(state.status)) return 0;
  const rng = rngFor(seed, 'month', t.index, month);
  let sent = 0;
  const send = async <T>(p: Promise<T>): Promise<T> => {
    sent++;
    return p;
  };
  const behaviour = rng.pick([
    ['on_time', 70],
    ['missing', 20],
    ['returned', 10],
  ] as const);
  if (behaviour !== 'missing') {
    await send(
      t.handle.executeUpdate(submitReportUpdate, {
        args: [{ actor: t.staff, period, progress: `${period}进展`, reportId: `${t.id}-${period}` }],
      }),
    );
    if (behaviour === 'returned') {
      await send(
        t.handle.executeUpdate(reviewReportUpdate, {
          args: [{ actor: office, period, decision: 'return', reason: '材料不全' }],
        }),
      );
      await send(
        t.handle.executeUpdate(submitReportUpdate, {
          args: [{ actor: t.staff, period, progress: `${period}进展（补充）`, reportId: `${t.id}-${period}` }],
        }),
      );
    }
    await send(t.handle.executeUpdate(reviewReportUpdate, { args: [{ actor: office, period, decision: 'accept' }] }));
  }
  // A unit that is behind asks for more time now and then; the office and the leader decide.
  if (state.overdue && !state.pendingExtension && rng.chance(0.3)) {
    const current = 'date' in state.deadline ? state.deadline.date : undefined;
    if (current) {
      const newDate = addMonthsToDate(dateOf(state.assignedAt), month + 3);
      await send(
        t.handle.executeUpdate(requestExtensionUpdate, { args: [{ actor: t.staff, newDate, reason: '需协调多部门' }] }),
      );
      if (rng.chance(0.6)) {
        await send(t.handle.executeUpdate(decideExtensionUpdate, { args: [{ actor: office, decision: 'approve' }] }));
        await send(t.handle.executeUpdate(decideExtensionUpdate, { args: [{ actor: leader, decision: 'approve' }] }));
      } else {
        await send(
          t.handle.executeUpdate(decideExtensionUpdate, {
            args: [{ actor: office, decision: 'refuse', reason: '理由不充分' }],
          }),
        );
      }
    }
  }
  if (month >= t.doneMonth) {
    await send(
      t.handle.executeUpdate(requestClosureUpdate, {
        args: [{ actor: t.staff, applicationId: `${t.id}-m${month}`, summary: '整改完成' }],
      }),
    );
    await send(t.handle.executeUpdate(signOffUpdate, { args: [{ actor: t.head, decision: 'approve' }] }));
    if (rng.chance(0.15)) {
      // Returned at the office's level: the unit tries again next month.
      await send(
        t.handle.executeUpdate(signOffUpdate, { args: [{ actor: office, decision: 'return', reason: '整改不到位' }] }),
      );
    } else {
      await send(t.handle.executeUpdate(signOffUpdate, { args: [{ actor: office, decision: 'approve' }] }));
      await send(t.handle.executeUpdate(signOffUpdate, { args: [{ actor: leader, decision: 'approve' }] }));
    }
  }
  return sent;
}

async function summarise(db: Db, campaignId: string, period: string): Promise<TMonthSummary> {
  const from = new Date(`${period}-01T00:00:00+08:00`);
  const to = new Date(`${addMonthsToPeriod(period, 1)}-01T00:00:00+08:00`);
  const inMonth = { gte: from, lt: to };
  const [statuses, overdue, noticesIssued, reviews, extensions] = await Promise.all([
    db.task.groupBy({ by: ['status'], where: { campaignId }, _count: { _all: true } }),
    db.task.count({ where: { campaignId, overdue: true, status: { notIn: ['CLOSED', 'VERIFIED', 'LONG_TERM'] } } }),
    db.supervisionNotice.count({ where: { task: { campaignId }, issuedAt: inMonth } }),
    db.reviewDecision.groupBy({
      by: ['decision'],
      where: { report: { task: { campaignId } }, decidedAt: inMonth },
      _count: { _all: true },
    }),
    db.auditEvent.groupBy({
      by: ['action'],
      where: { campaignId, at: inMonth, action: { in: ['DeadlineExtended', 'ExtensionRefused'] } },
      _count: { _all: true },
    }),
  ]);
  const count = (rows: { _count: { _all: number } }[]) => rows.reduce((n, r) => n + r._count._all, 0);
  const closedStatuses = ['CLOSED', 'VERIFIED', 'LONG_TERM'];
  return {
    period,
    open: count(statuses.filter((s) => !closedStatuses.includes(s.status))),
    closed: count(statuses.filter((s) => closedStatuses.includes(s.status))),
    overdue,
    noticesIssued,
    reportsAccepted: count(reviews.filter((r) => r.decision === 'accept')),
    reportsReturned: count(reviews.filter((r) => r.decision === 'return')),
    extensionsApproved: count(extensions.filter((e) => e.action === 'DeadlineExtended')),
    extensionsRefused: count(extensions.filter((e) => e.action === 'ExtensionRefused')),
  };
}

export function formatSummary(result: TSimulationResult): string {
  const header = ['period', 'open', 'closed', 'overdue', 'notices', 'accepted', 'returned', 'ext+', 'ext-'];
  const rows = result.months.map((m) => [
    m.period,
    m.open,
    m.closed,
    m.overdue,
    m.noticesIssued,
    m.reportsAccepted,
    m.reportsReturned,
    m.extensionsApproved,
    m.extensionsRefused,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padStart(widths[i]!)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

async function sleepUntil(
  testEnv: { sleep(ms: number): Promise<void> },
  nowIso: () => Promise<string>,
  target: Date,
): Promise<void> {
  const ms = target.getTime() - Date.parse(await nowIso());
  if (ms > 0) await testEnv.sleep(ms);
}

/** Runs `fn` over the items with at most `limit` in flight; results in item order. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

function actorOf(users: TDemoUser[], predicate: (u: TDemoUser) => boolean): Actor {
  const user = users.find(predicate);
  if (!user) throw new Error('the demo organisation lacks a user the simulation needs');
  return { userId: user.userId, role: user.role, unitId: user.unitId };
}

/** The province's departments (staff + head each): the lead units of the simulated campaign. */
function departmentsOf(users: TDemoUser[]): { unitId: string; staff: Actor; head: Actor }[] {
  const staff = users.filter((u) => u.role === 'unit_staff');
  const provinceStaff = staff.filter((u) => !u.name.includes('市'));
  return provinceStaff.map((s) => ({
    unitId: s.unitId,
    staff: actorOf(users, (u) => u.userId === s.userId),
    head: actorOf(users, (u) => u.role === 'unit_head' && u.unitId === s.unitId),
  }));
}
