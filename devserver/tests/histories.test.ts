/**
 * Replay of committed histories (devserver/tests/histories/*.json, recorded against the dev server by
 * helpers/record-histories.ts): today's workflow code must replay them without non-determinism errors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { bundleFor, quietRuntime } from './helpers/env';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const EventType = temporal.api.enums.v1.EventType;

beforeAll(() => {
  quietRuntime();
});

it('has fixtures covering signals, updates, retries, timers, children and continue-as-new', () => {
  expect(files.sort()).toEqual(
    [
      'activity-retries.json',
      'child.json',
      'continue-as-new-first-run.json',
      'signals.json',
      'timer-30-days.json',
      'updates.json',
    ].sort(),
  );
  const updates = historyFromJSON(JSON.parse(readFileSync(join(dir, 'updates.json'), 'utf8')));
  const types = (updates.events ?? []).map((e) => e.eventType);
  expect(types).toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
});

it('replays every committed history with the current workflow code', async () => {
  const bundle = await bundleFor(require.resolve('./workflows/index'));
  const histories = files.map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8'))),
  }));
  const results: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    results.push(result.error ? `${result.workflowId}: ${String(result.error)}` : `${result.workflowId}: ok`);
  }
  expect(results.sort()).toEqual(histories.map((h) => `${h.workflowId}: ok`).sort());
});
