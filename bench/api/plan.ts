/**
 * A measure of `npm run bench:api` as data, so that it can be run by a load generator in another process
 * (bench/api/loadProcess.ts) as well as in this one: each loop's own requests in order (a loop stops at the end of
 * its list: the decisions, each user on its own tasks), or one list all loops take their next request from in turn
 * (the reads).
 */
import { runLoad, type TLoadResult, type TRequestSpec } from './load';

export interface TLoadPlan {
  name: string;
  port: number;
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  perLoop?: TRequestSpec[][];
  cycle?: TRequestSpec[];
}

/** Runs a plan with the generator of bench/api/load.ts in the calling process. */
export function runPlan(plan: TLoadPlan): Promise<TLoadResult> {
  let n = 0;
  return runLoad(plan.name, plan.port, plan, (loop, i) => {
    if (plan.perLoop) return plan.perLoop[loop]?.[i] ?? null;
    const cycle = plan.cycle ?? [];
    return cycle.length === 0 ? null : cycle[n++ % cycle.length]!;
  });
}
