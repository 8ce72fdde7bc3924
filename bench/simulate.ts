/**
 * `npm run bench:simulate [-- --tasks 1000 --months 12]`: wall time of a whole simulated campaign on the embedded
 * stack (goal: 1,000 tasks × 12 months in ≤ 60 s), its throughput, and the peak memory of this process (worker +
 * in-process dev server + SQLite). Prints what bounds it.
 */
import { parseArgs } from 'node:util';
import { formatSummary, runSimulation } from '../simulate/run';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tasks: { type: 'string' }, months: { type: 'string' } } });
  const tasks = Number(values.tasks ?? 1000);
  const months = Number(values.months ?? 12);
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  const cpuStart = process.cpuUsage();
  console.log(
    `bench:simulate — ${tasks} tasks × ${months} months (seed 1), embedded stack, ${new Date().toISOString()}`,
  );
  const result = await runSimulation({ tasks, months, seed: 1, log: (line) => console.log(`  ${line}`) });
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuStart);
  const seconds = result.wallMs / 1000;
  console.log(`\n${formatSummary(result)}\n`);
  console.log(`wall time: ${seconds.toFixed(1)} s (goal ≤ 60 s) ${seconds <= 60 ? 'OK' : 'MISSED'}`);
  console.log(`decisions (workflow updates): ${result.decisions}, ${(result.decisions / seconds).toFixed(0)}/s`);
  console.log(
    `audit events written: ${result.totals.auditEvents}, ${(result.totals.auditEvents / seconds).toFixed(0)}/s`,
  );
  console.log(
    `process CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${seconds.toFixed(1)} s wall (2 cores)`,
  );
  console.log(`peak RSS (worker + dev server + SQLite, one process): ${(peakRss / 1048576).toFixed(0)} MB`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
