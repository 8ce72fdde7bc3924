/**
 * `npm run bench:simulate [-- --tasks 1000 --months 12 --concurrency 50]`: wall time of a whole simulated campaign
 * (goal: 1,000 tasks × 12 months in ≤ 60 s), with the dev server in its own process (its executable, time-skipping
 * form) so that the peak memory and CPU of the worker process (worker + client + SQLite) and of the dev server are
 * measured apart. Afterwards it reads every task's history to count the work the run took, and says what bounds it.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { BIN } from '../devserver/tests/helpers/process';
import { formatSummary, runSimulation } from '../simulate/run';
import { childPids, cpuMs } from './devserver/stats';

const ZArgs = z.object({
  tasks: z.coerce.number().int().min(1).max(100_000).default(1000),
  months: z.coerce.number().int().min(1).max(120).default(12),
  concurrency: z.coerce.number().int().min(1).max(1000).default(50),
});

const EventType = temporal.api.enums.v1.EventType;

/** Peak resident set (VmHWM) of a process in MB, from /proc (Linux). */
function peakRssMb(pid: number | 'self'): number {
  const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM for ${pid}`);
  return Number(match[1]) / 1024;
}

interface TWork {
  workflowTasks: number;
  activityTasks: number;
  localActivities: number;
  timersFired: number;
  updates: number;
  runs: number;
  events: number;
}

/** Counts, from the histories of every run of every task, the work the server and the worker did. */
async function countWork(testEnv: TestWorkflowEnvironment, workflowIds: string[]): Promise<TWork> {
  const work: TWork = {
    workflowTasks: 0,
    activityTasks: 0,
    localActivities: 0,
    timersFired: 0,
    updates: 0,
    runs: 0,
    events: 0,
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < workflowIds.length) {
      const workflowId = workflowIds[next++]!;
      // Every run: a task that continued-as-new has several.
      for await (const execution of testEnv.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        const history = await testEnv.client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
        work.runs += 1;
        for (const e of history.events ?? []) {
          work.events += 1;
          if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) work.workflowTasks += 1;
          else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) work.activityTasks += 1;
          else if (e.eventType === EventType.EVENT_TYPE_TIMER_FIRED) work.timersFired += 1;
          else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) work.updates += 1;
          else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') work.localActivities += 1;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, lane));
  return work;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { tasks: { type: 'string' }, months: { type: 'string' }, concurrency: { type: 'string' } },
  });
  const parsed = ZArgs.safeParse(values);
  if (!parsed.success) {
    console.error(`Invalid arguments:\n${z.prettifyError(parsed.error)}`);
    process.exit(2);
  }
  const { tasks, months, concurrency } = parsed.data;
  console.log(
    `bench:simulate — ${tasks} tasks × ${months} months (seed 1, ${concurrency} decisions in flight), ` +
      `${new Date().toISOString()}, ${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  const testEnv = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: BIN } },
  });
  try {
    const [serverPid] = childPids('temporal-devserver');
    if (serverPid === undefined) throw new Error('dev server process not found');
    const cpu0 = process.cpuUsage();
    const server0 = cpuMs(serverPid);
    const result = await runSimulation({
      tasks,
      months,
      seed: 1,
      concurrency,
      testEnv,
      log: (line) => console.log(`  ${line}`),
    });
    const cpu = process.cpuUsage(cpu0);
    const workerCpuS = (cpu.user + cpu.system) / 1e6;
    const serverCpuS = (cpuMs(serverPid) - server0) / 1000;
    const workerPeak = peakRssMb('self');
    const serverPeak = peakRssMb(serverPid);
    const seconds = result.wallMs / 1000;
    console.log(`\n${formatSummary(result)}\n`);
    console.log(`wall time: ${seconds.toFixed(1)} s (goal ≤ 60 s) ${seconds <= 60 ? 'OK' : 'MISSED'}`);
    console.log(
      `peak RSS: worker process ${workerPeak.toFixed(0)} MB (worker, client, SQLite), ` +
        `dev server ${serverPeak.toFixed(0)} MB`,
    );
    console.log(
      `CPU: worker process ${workerCpuS.toFixed(1)} s, dev server ${serverCpuS.toFixed(1)} s, ` +
        `over ${seconds.toFixed(1)} s wall on ${cpus().length} cores ` +
        `(${(((workerCpuS + serverCpuS) / (seconds * cpus().length)) * 100).toFixed(0)}% of the machine)`,
    );

    console.log('\ncounting the work from every task history …');
    const work = await countWork(testEnv, result.workflowIds);
    const decisions = result.decisions;
    console.log(
      `work: ${decisions} decisions sent (${work.updates} accepted updates), ${result.queries} state queries, ` +
        `${work.workflowTasks} workflow tasks, ${work.timersFired} timers fired, ${work.localActivities} local ` +
        `activities, ${work.activityTasks} activity tasks; ${work.runs} runs, ${work.events} history events; ` +
        `${result.totals.auditEvents} audit events written`,
    );
    const perTask = (cpuS: number) => ((cpuS * 1000) / work.workflowTasks).toFixed(2);
    console.log(
      `per workflow task: ${((seconds * 1000) / work.workflowTasks).toFixed(2)} ms wall; CPU ` +
        `${perTask(workerCpuS)} ms in the worker process, ${perTask(serverCpuS)} ms in the dev server`,
    );
    const busiest = workerCpuS >= serverCpuS ? 'worker process' : 'dev server';
    const share = Math.max(workerCpuS, serverCpuS) / seconds;
    console.log(
      `bound: ${work.workflowTasks} workflow tasks at ${perTask(workerCpuS)} + ${perTask(serverCpuS)} ms of CPU ` +
        `each; the ${busiest} used ${share.toFixed(2)} cores on average` +
        (share > 0.85
          ? ', so it is CPU-bound there.'
          : ', so neither process saturates a core: the run waits on round trips between them.'),
    );
  } finally {
    await testEnv.teardown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
