/**
 * Replay of committed histories of real task workflows (tests/histories/*.json, recorded from the dev server with
 * RECORD_HISTORIES=1 npx jest tests/workflows, after renaming the previous ones v1-*, v2-* …): today's workflow code must replay every one of them without a
 * non-determinism error, so a change that would break tasks already running fails the build. Use `patched()` for
 * behaviour changes, then record new histories beside the old ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../worker';
import { HISTORIES_DIR } from '../helpers/histories';
import { quietTemporalRuntime } from '../helpers/stack';

jest.setTimeout(120_000);

beforeAll(() => quietTemporalRuntime());

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

it('has recorded histories of the main lifecycles, from before and after each patch, to replay', () => {
  const names = new Set(files.map((f) => f.replace(/\.run\d+\.json$/, '')));
  // v1-*: recorded before the patch 'assign-before-handlers' (replayed, they take the unpatched path).
  expect([...names]).toEqual(
    expect.arrayContaining([
      'v1-monthly-cycle-closed',
      'v1-five-year-continue-as-new',
      'monthly-cycle-closed',
      'five-year-continue-as-new',
      'cascade-parent',
      'look-back-rebound',
    ]),
  );
  // The patch leaves its marker in new histories only.
  const markers = (file: string) =>
    (JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as { events: { eventType: string }[] }).events.filter(
      (e) => e.eventType === 'EVENT_TYPE_MARKER_RECORDED',
    ).length;
  expect(markers('monthly-cycle-closed.run1.json')).toBe(1);
  expect(markers('v1-monthly-cycle-closed.run1.json')).toBe(0);
});

it('replays every committed history with the current workflow code', async () => {
  const histories = files.map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8'))),
  }));
  const results: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    results.push(result.error ? `${result.workflowId}: ${String(result.error)}` : `${result.workflowId}: ok`);
  }
  expect(results).toEqual(histories.map((h) => `${h.workflowId}: ok`));
});
