/**
 * Regenerates the committed replay fixtures in devserver/tests/histories/ from a real run against the dev server:
 *   npx tsx devserver/tests/helpers/record-histories.ts
 * Workflow IDs equal the fixture names, so that the replay test can pass the right ID back. Rerun it only on purpose: the point of the fixtures is that today's workflow code still replays yesterday's
 * histories.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ActivityRecorder } from './activities';
import { startSuite } from './env';
import { addItemSignal, collectWorkflow, finishSignal } from '../workflows/basics';
import { runActivityWorkflow, sleepWorkflow } from '../workflows/activities';
import {
  addSignal,
  addUpdate,
  addWhenReleasedUpdate,
  chainWorkflow,
  counterWorkflow,
  doneSignal,
  releaseSignal,
} from '../workflows/updates';
import { childResultWorkflow } from '../workflows/lifecycle';

const DAY = 24 * 60 * 60 * 1000;

async function main(): Promise<void> {
  const recorder = new ActivityRecorder();
  const suite = await startSuite({
    workflowsPath: require.resolve('../workflows/index'),
    activities: recorder.createActivities(),
  });
  const { client, taskQueue } = suite;
  const fixtures: Array<[string, WorkflowHandle]> = [];
  try {
    const collector = await client.workflow.start(collectWorkflow, { taskQueue, workflowId: 'signals' });
    for (const item of ['a', 'b', 'c']) await collector.signal(addItemSignal, item);
    await collector.signal(finishSignal);
    await collector.result();
    fixtures.push(['signals', collector]);

    const counter = await client.workflow.start(counterWorkflow, { taskQueue, workflowId: 'updates', args: [0] });
    await counter.executeUpdate(addUpdate, { args: [2] });
    await counter.executeUpdate(addUpdate, { args: [-1] }).catch(() => undefined);
    await counter.executeUpdate(addUpdate, { args: [13] }).catch(() => undefined);
    const pending = await counter.startUpdate(addWhenReleasedUpdate, {
      args: [5],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    await counter.signal(releaseSignal);
    await pending.result();
    await counter.signal(doneSignal);
    await counter.result();
    fixtures.push(['updates', counter]);

    const retried = await client.workflow.start(runActivityWorkflow, {
      taskQueue,
      workflowId: 'activity-retries',
      args: ['flaky', ['fx', 2], { startToCloseTimeout: '10s', retry: { initialInterval: '1s' } }],
    });
    await retried.result();
    fixtures.push(['activity-retries', retried]);

    const sleeper = await client.workflow.start(sleepWorkflow, {
      taskQueue,
      workflowId: 'timer-30-days',
      args: [30 * DAY],
    });
    await sleeper.result();
    fixtures.push(['timer-30-days', sleeper]);

    const parent = await client.workflow.start(childResultWorkflow, { taskQueue, workflowId: 'child', args: ['x'] });
    await parent.result();
    fixtures.push(['child', parent]);

    const chain = await client.workflow.start(chainWorkflow, {
      taskQueue,
      workflowId: 'continue-as-new-first-run',
      args: [{ total: 0, seen: 0, expected: 2, perRun: 1, runs: 1, minRuns: 2 }],
    });
    await chain.signal(addSignal, 1);
    fixtures.push([
      'continue-as-new-first-run',
      client.workflow.getHandle(chain.workflowId, chain.firstExecutionRunId),
    ]);
    await chain.signal(addSignal, 2);
    await chain.result();

    for (const [name, handle] of fixtures) {
      const history = await handle.fetchHistory();
      writeFileSync(join(__dirname, '..', 'histories', `${name}.json`), `${historyToJSON(history)}\n`);
    }
  } finally {
    await suite.teardown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
