/**
 * No orphans (issue 11): a crash between creation's commit and its workflow starts leaves task rows without workflows.
 * The crash is played by writing the rows only (`writeTaskRows`, creation's first half); the reconciler must find those
 * rows and start their workflows, after which each task is assigned and answers decisions — and running it again, or
 * twice at once, starts nothing twice.
 */
import type { TApiActor } from '../../api/auth';
import type { TAppDeps } from '../../api/deps';
import { writeTaskRows } from '../../api/tasks/create';
import { reconcileWorkflows } from '../../api/tasks/reconcile';
import { taskWorkflowId } from '../../workflows/shared';
import { as, assigned, demoCast, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let campaignId: string;
let deps: Pick<TAppDeps, 'db' | 'client' | 'taskQueue' | 'now'>;
let office: TApiActor;

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
  // One task created the normal way: its workflow tells the harness's private task queue.
  const res = await as(stack.app, cast.office).post(
    `/api/campaigns/${campaignId}/tasks`,
    taskBody(cast.medicalStaff.unitId, cast.leader.userId),
  );
  expect(res.status).toBe(201);
  const normalId = res.body.tasks[0].id as string;
  await assigned(stack.app, cast.office, normalId);
  const { taskQueue } = await stack.testEnv.client.workflow.getHandle(taskWorkflowId(normalId)).describe();
  deps = { db: stack.db, client: stack.testEnv.client, taskQueue, now: () => new Date() };
  office = { userId: cast.office.userId, role: 'office', unitId: cast.office.unitId };
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

/** Creation's rows only: what a kill -9 right after the commit leaves behind. */
async function crashAfterCommit(count: number, idempotencyKey?: string): Promise<string[]> {
  const items = Array.from({ length: count }, (_, i) =>
    taskBody(cast.medicalStaff.unitId, cast.leader.userId, {
      measure: `崩溃后补启动的任务 ${i + 1}`,
      participatingUnitIds: [cast.financeStaff.unitId],
    }),
  );
  const planned = await writeTaskRows(
    { ...deps, logger: undefined },
    office,
    campaignId,
    items as Parameters<typeof writeTaskRows>[3],
    idempotencyKey,
  );
  return planned.map((t) => t.id);
}

describe('reconcileWorkflows', () => {
  it('When task rows were committed but their workflows never started, then the reconciler starts each once and the tasks work', async () => {
    const ids = await crashAfterCommit(3);
    // The orphan as the issue found it: listed, but every decision 404.
    const before = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${ids[0]}/acknowledge`);
    expect(before.status).toBe(404);

    // Too young to count as lost: a creation may still be starting them.
    const young = await reconcileWorkflows(deps, { olderThanMs: 60_000 });
    expect(young.started).toEqual([]);

    // Two reconcilers at once (two API processes): between them, each workflow starts exactly once.
    const [a, b] = await Promise.all([
      reconcileWorkflows(deps, { olderThanMs: 0 }),
      reconcileWorkflows(deps, { olderThanMs: 0 }),
    ]);
    expect([...a.started, ...b.started].sort()).toEqual([...ids].sort());
    expect([...a.failed, ...b.failed]).toEqual([]);

    for (const id of ids) {
      await assigned(stack.app, cast.office, id);
      const ack = await as(stack.app, cast.medicalStaff).post(`/api/tasks/${id}/acknowledge`);
      expect(ack.status).toBe(200);
      expect(ack.body.status).toBe('IN_PROGRESS');
    }

    // The input is the one creation builds: the same sign-off chain as a task created normally.
    const normal = await stack.db.task.findFirstOrThrow({
      where: { campaignId, id: { notIn: ids }, parentTaskId: null },
      select: { id: true },
    });
    const chainOf = async (id: string) =>
      (await as(stack.app, cast.office).get(`/api/tasks/${id}`)).body.signOffChain as unknown;
    expect(await chainOf(ids[0]!)).toEqual(await chainOf(normal.id));
    const detail = await as(stack.app, cast.office).get(`/api/tasks/${ids[1]}`);
    expect(detail.body.measure).toBe('崩溃后补启动的任务 2');

    // Again: every workflow is there now.
    const again = await reconcileWorkflows(deps, { olderThanMs: 0 });
    expect(again.started).toEqual([]);
    expect(again.checked).toBe(0);
  });

  it('When a keyed creation crashed and is retried after the reconciler ran, then no task or workflow is duplicated', async () => {
    const ids = await crashAfterCommit(2, 'crash-key-1');
    const run = await reconcileWorkflows(deps, { olderThanMs: 0 });
    expect(run.started.sort()).toEqual([...ids].sort());
    const retry = await as(stack.app, cast.office)
      .post(`/api/campaigns/${campaignId}/tasks`, {
        tasks: Array.from({ length: 2 }, (_, i) =>
          taskBody(cast.medicalStaff.unitId, cast.leader.userId, {
            measure: `崩溃后补启动的任务 ${i + 1}`,
            participatingUnitIds: [cast.financeStaff.unitId],
          }),
        ),
      })
      .set('Idempotency-Key', 'crash-key-1');
    expect(retry.status).toBe(201);
    expect((retry.body.tasks as { id: string }[]).map((t) => t.id).sort()).toEqual([...ids].sort());
    for (const id of ids) await assigned(stack.app, cast.office, id);
    expect(await stack.db.task.count({ where: { id: { in: ids } } })).toBe(2);
  });
});
