/**
 * `npm run simulate -- --tasks N --months M [--seed S] [--concurrency C]`: a whole campaign on the embedded stack with
 * time skipping and seeded unit behaviour; prints progress, then a month-by-month summary. Same seed, same summary.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatSummary, runSimulation } from '../simulate/run';

const ZArgs = z.object({
  tasks: z.coerce.number().int().min(1).max(100_000).default(20),
  months: z.coerce.number().int().min(1).max(120).default(12),
  seed: z.coerce.number().int().min(0).default(1),
  concurrency: z.coerce.number().int().min(1).max(1000).default(50),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string' },
      months: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
    },
  });
  const parsed = ZArgs.safeParse(values);
  if (!parsed.success) {
    console.error(`Invalid arguments:\n${z.prettifyError(parsed.error)}`);
    process.exit(2);
  }
  const args = parsed.data;
  console.log(`simulating ${args.tasks} tasks × ${args.months} months (seed ${args.seed}) on the embedded stack`);
  const result = await runSimulation({ ...args, log: (line) => console.log(`  ${line}`) });
  console.log(`\n${formatSummary(result)}\n`);
  const t = result.totals;
  console.log(
    `tasks ${t.tasks}: closed ${t.closed}, open ${t.open}; supervision notices ${t.notices}; audit events ${t.auditEvents}; ` +
      `decisions ${result.decisions}; wall ${(result.wallMs / 1000).toFixed(1)} s`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('simulation failed:', err);
    process.exit(1);
  },
);
