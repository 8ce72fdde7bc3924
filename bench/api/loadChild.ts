/**
 * The load generator's own process (started by bench/api/loadProcess.ts): runs each plan it is sent and answers with
 * the result and the CPU it spent on it, so that the server's event loop is not also the clients'.
 */
import type { TLoadPlan } from './plan';
import { runPlan } from './plan';

process.on('message', (plan: TLoadPlan) => {
  const before = process.cpuUsage();
  runPlan(plan).then(
    (result) => {
      const used = process.cpuUsage(before);
      process.send?.({ ok: true, result, cpuMs: (used.user + used.system) / 1000 });
    },
    (err: unknown) => process.send?.({ ok: false, error: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
