/**
 * A cached run's memory stays flat under decisions whose state does not grow (issue 11's soak). In SDK 1.24 every
 * local activity started from the workflow's root scope left a handler on the root's "cancellation requested" promise,
 * and that handler's closure kept the activity's arguments — each decision's events and whole task state — for as
 * long as the run stayed cached: the soak's workflow threads grew ~2 MB a minute. Now the projections run in scopes
 * released once they settle (`workflows/scopes.ts`).
 * Real worker on the embedded dev server; the workflow threads' live heaps read through the inspector after a full
 * collection in each.
 */
import { addDaysToDate, dateOf, periodOf } from '../../domain/calendar';
import { ThreadHeaps } from '../../scripts/thread-heaps';
import { acknowledgeUpdate, reviewReportUpdate, submitReportUpdate } from '../../workflows/messages';
import { taskWorkflowId } from '../../workflows/shared';
import { taskLifecycle } from '../../workflows/taskLifecycle';
import { createOrg, createTaskRow, type TOrg } from '../helpers/fixtures';
import { startWorkflowStack, type TWorkflowStack } from '../helpers/stack';

jest.setTimeout(300_000);

let stack: TWorkflowStack;
let org: TOrg;
const heaps = new ThreadHeaps();

beforeAll(async () => {
  stack = await startWorkflowStack();
  org = await createOrg(stack.db, 0);
});

afterAll(async () => {
  heaps.close();
  await stack?.teardown();
});

it('keeps a cached run’s heap flat over many decisions that do not grow its state', async () => {
  const assignedAt = await stack.now();
  const input = await createTaskRow(stack.db, org, {
    deadline: { kind: 'date', date: addDaysToDate(dateOf(assignedAt), 900) },
    assignedAt,
  });
  const handle = await stack.testEnv.client.workflow.start(taskLifecycle, {
    taskQueue: stack.taskQueue,
    workflowId: taskWorkflowId(input.taskId),
    args: [input],
  });
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: org.staffA }] });
  const period = periodOf(await stack.now());

  // A report of 30,000 distinct characters, returned, reported again: the state keeps one entry (the latest version),
  // while each projection's input carried the new text (and the state with it).
  let round = 0;
  const cycle = async (): Promise<void> => {
    round++;
    const progress = `第${round}次报告：${String(round).repeat(30_000 / String(round).length)}`;
    await handle.executeUpdate(submitReportUpdate, {
      args: [{ actor: org.staffA, period, progress, reportId: 'r1' }],
    });
    await handle.executeUpdate(reviewReportUpdate, {
      args: [{ actor: org.office, period, decision: 'return', reason: '请补充佐证材料' }],
    });
  };

  // Warm-up: the SDK's and the rules' code compiled, the run's first events in place.
  for (let i = 0; i < 8; i++) await cycle();
  const { runId } = await handle.describe();
  const before = await heaps.sample();
  for (let i = 0; i < 20; i++) await cycle();
  const after = await heaps.sample();
  // Still the same run: a continue-as-new would have dropped whatever the old run kept and hidden a leak.
  expect((await handle.describe()).runId).toBe(runId);
  if (!before || !after) throw new Error('no workflow thread answered the inspector');

  // 40 decisions whose projections carried the 30,000-character text (in the events and in the state): kept, the
  // heap grew 1.53 MB; released, 0.18 MB (measured), most of it code compiled meanwhile.
  const grown = after.used - before.used;
  expect(grown).toBeLessThan(600_000);
});
