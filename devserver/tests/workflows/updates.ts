/**
 * Workflows for update and continue-as-new conformance tests.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineSignal,
  defineUpdate,
  setHandler,
} from '@temporalio/workflow';

export const addUpdate = defineUpdate<number, [number]>('add');
export const addWhenReleasedUpdate = defineUpdate<number, [number]>('addWhenReleased');
export const releaseSignal = defineSignal('release');
export const doneSignal = defineSignal('done');
export const addSignal = defineSignal<[number]>('addSignal');

/**
 * A counter changed by updates. `add` rejects negatives in its validator (never written to history) and fails for 13
 * in its handler (written as a failed update outcome). `addWhenReleased` is accepted at once and completes only after
 * the `release` signal: it lets tests observe the accepted-but-not-completed stage.
 */
export async function counterWorkflow(start: number): Promise<number> {
  let total = start;
  let released = false;
  let done = false;
  setHandler(
    addUpdate,
    (n) => {
      if (n === 13) {
        throw ApplicationFailure.create({ message: 'unlucky number', type: 'Unlucky', nonRetryable: true });
      }
      total += n;
      return total;
    },
    {
      validator: (n) => {
        if (n < 0) throw new Error('negative numbers are rejected');
      },
    },
  );
  setHandler(addWhenReleasedUpdate, async (n) => {
    await condition(() => released);
    total += n;
    return total;
  });
  setHandler(releaseSignal, () => {
    released = true;
  });
  setHandler(doneSignal, () => {
    done = true;
  });
  await condition(() => done && allHandlersFinished());
  return total;
}

export interface TChainState {
  total: number;
  seen: number;
  expected: number;
  perRun: number;
  runs: number;
  /** Keep continuing as new until this many runs, even once every value was seen (values may arrive in one batch). */
  minRuns: number;
}

/**
 * Adds every value received by signal or update and continues as new after `perRun` of them, until `expected`
 * values have been seen over at least `minRuns` runs. No value may be lost while a run hands over to the next one.
 */
export async function chainWorkflow(state: TChainState): Promise<TChainState> {
  let { total, seen } = state;
  let inThisRun = 0;
  const take = (n: number): number => {
    total += n;
    seen += 1;
    inThisRun += 1;
    return total;
  };
  setHandler(addSignal, (n) => {
    take(n);
  });
  setHandler(addUpdate, (n) => take(n));
  await condition(() => seen >= state.expected || inThisRun >= state.perRun);
  // Let running handlers finish so that their results are returned to callers before the run closes.
  await condition(allHandlersFinished);
  if (seen >= state.expected && state.runs >= state.minRuns) return { ...state, total, seen };
  return continueAsNew<typeof chainWorkflow>({ ...state, total, seen, runs: state.runs + 1 });
}
