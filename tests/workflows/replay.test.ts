/**
 * Replay of committed histories of real task workflows (tests/histories/*.json, recorded from the dev server with
 * RECORD_HISTORIES=1 npx jest tests/workflows, after renaming the previous ones v1-*, v2-* …): today's workflow code
 * must replay every one of them without a non-determinism error, so a change that would break tasks already running
 * fails the build. Use `patched()` for behaviour changes, then record new histories beside the old ones.
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
  // v1-*: recorded before the patch 'assign-before-handlers'; v2-*: after it, before 'local-projection'; v3-*: after
  // that, before 'first-signer-not-applicant'; v4-*: after that, before 'four-eyes' and 'stored-light'; v5-*: after
  // those, before 'workday-calendar' and 'escalation-step-reached'; v6-*: after those, before 'released-scopes',
  // 'moved-due-day' and 'shorter-runs'; v7-*: after those, before 'timer-not-early'; unprefixed: today's code. Replayed, each takes the path it was recorded with.
  expect([...names]).toEqual(
    expect.arrayContaining([
      'v1-monthly-cycle-closed',
      'v1-five-year-continue-as-new',
      'v2-monthly-cycle-closed',
      'v2-five-year-continue-as-new',
      'v3-monthly-cycle-closed',
      'v3-five-year-continue-as-new',
      // Recorded before 'first-signer-not-applicant': the unit head's application was accepted then, and must still
      // be on replay (without the patch's switch this history fails with a nondeterminism error).
      'v3-head-applied',
      'v4-monthly-cycle-closed',
      'v4-five-year-continue-as-new',
      'v4-delegated-sign-off',
      'v5-monthly-cycle-closed',
      'v5-five-year-continue-as-new',
      'v5-stored-light-window',
      'v6-monthly-cycle-closed',
      'v6-five-year-continue-as-new',
      'v6-stored-light-window',
      'v6-workday-due-day',
      'v6-delegated-sign-off',
      'v7-workday-due-day',
      'stored-light-window',
      // Recorded with a calendar answer in its history (the due day moved from Sunday 2026-10-25 to Monday the 26th),
      // and a timer that fired before its instant and waited out the rest ('timer-not-early', checked below).
      'workday-due-day',
      'monthly-cycle-closed',
      'delegated-sign-off',
      'five-year-continue-as-new',
      'cascade-parent',
      'look-back-rebound',
    ]),
  );
  const events = (file: string) =>
    (
      JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as {
        events: { eventType: string; markerRecordedEventAttributes?: { markerName: string } }[];
      }
    ).events;
  const count = (file: string, type: string, marker?: string) =>
    events(file).filter(
      (e) => e.eventType === type && (!marker || e.markerRecordedEventAttributes?.markerName === marker),
    ).length;
  const MARKER = 'EVENT_TYPE_MARKER_RECORDED';
  // Each patch leaves its marker in the histories recorded after it only.
  expect(count('v1-monthly-cycle-closed.run1.json', MARKER, 'core_patch')).toBe(0);
  expect(count('v2-monthly-cycle-closed.run1.json', MARKER, 'core_patch')).toBe(1);
  expect(count('v3-monthly-cycle-closed.run1.json', MARKER, 'core_patch')).toBe(2);
  expect(count('v4-monthly-cycle-closed.run1.json', MARKER, 'core_patch')).toBe(3);
  expect(count('v5-monthly-cycle-closed.run1.json', MARKER, 'core_patch')).toBe(5);
  expect(count('v6-monthly-cycle-closed.run1.json', MARKER, 'core_patch')).toBe(7);
  expect(count('monthly-cycle-closed.run1.json', MARKER, 'core_patch')).toBe(10);
  // 'timer-not-early' is asked only when a timer fires early: in the history recorded where one did, not elsewhere.
  const patchIds = (file: string) =>
    (
      JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as {
        events: { markerRecordedEventAttributes?: { details?: Record<string, { payloads?: { data?: string }[] }> } }[];
      }
    ).events.flatMap((e) =>
      Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((p) =>
        (p.payloads ?? []).map((x) => Buffer.from(x.data ?? '', 'base64').toString('utf8')),
      ),
    );
  expect(patchIds('workday-due-day.run1.json').some((t) => t.includes('"timer-not-early"'))).toBe(true);
  expect(patchIds('v7-workday-due-day.run1.json').some((t) => t.includes('"timer-not-early"'))).toBe(false);
  expect(patchIds('monthly-cycle-closed.run1.json').some((t) => t.includes('"timer-not-early"'))).toBe(false);
  // Before 'local-projection' projections were activity tasks; after it they are local activities (markers).
  expect(count('v2-monthly-cycle-closed.run1.json', 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')).toBeGreaterThan(0);
  expect(count('v3-monthly-cycle-closed.run1.json', 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')).toBe(0);
  expect(count('monthly-cycle-closed.run1.json', 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')).toBe(0);
  expect(count('monthly-cycle-closed.run1.json', MARKER, 'core_local_activity')).toBeGreaterThan(0);
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
