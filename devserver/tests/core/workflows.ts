import {
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';

export interface TCoreActivities {
  echo(values: string[]): Promise<string>;
}

const { echo } = proxyActivities<TCoreActivities>({ startToCloseTimeout: '10s' });

export const addSignal = defineSignal<[string]>('add');
export const valuesQuery = defineQuery<string[]>('values');
export const stageQuery = defineQuery<string>('stage');
export const setUpdate = defineUpdate<number, [number]>('set');

/** Waits for two signals, sleeps, then runs an activity: every step must survive a server restart. */
export async function durableWorkflow(): Promise<string> {
  const values: string[] = [];
  let stage = 'waiting';
  let setTo = 0;
  setHandler(addSignal, (v) => {
    values.push(v);
  });
  setHandler(valuesQuery, () => values);
  setHandler(stageQuery, () => stage);
  setHandler(setUpdate, (n) => {
    setTo = n;
    return n * 2;
  });
  await condition(() => values.length >= 2);
  stage = 'sleeping';
  await sleep('3s');
  stage = 'activity';
  const out = await echo(values);
  return `${out}:${setTo}`;
}

/** Waits a month: used to measure how many such workflows the server holds. */
export async function monthWaitWorkflow(): Promise<void> {
  await sleep('30 days');
}

/** Start → one activity → complete: the throughput shape. */
export async function oneActivityWorkflow(value: string): Promise<string> {
  return await echo([value]);
}

/** Wakes every 30 days `months` times: time-skipping speed. */
export async function monthlyTimerWorkflow(months: number): Promise<number> {
  for (let i = 0; i < months; i++) await sleep('30 days');
  return months;
}
