/**
 * `npm run bench:simulate [-- --tasks 1000 --months 12 --concurrency 50]`: wall time of a whole simulated campaign
 * (goal: 1,000 tasks × 12 months in ≤ 60 s), with the dev server in its own process (its executable, time-skipping
 * form) so that the peak memory and CPU of the worker process (worker + client + SQLite) and of the dev server are
 * measured apart. Afterwards it reads every task's history to count the work the run took, and says what bounds it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { BIN } from '../devserver/tests/helpers/process';
import { formatSummary, runSimulation } from '../simulate/run';
import { workflowBundle } from '../worker';
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

/** Resident set of a process now, in MB. */
function rssNowMb(pid: number | 'self'): number {
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/** CPU ms of this process's main thread and of all its other threads (workflow VM threads, SDK core, GC, pools). */
function threadCpuMs(): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(f[11]) + Number(f[12])) * 10;
      if (Number(tid) === process.pid) main += ms;
      else others += ms;
    } catch {
      // The thread ended while we looked; its time is lost from the split, not from process.cpuUsage().
    }
  }
  return { main, others };
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
    // The workflow bundle is built (webpack) before the run: its memory peak is a start-up cost, reported apart.
    await workflowBundle();
    const startupPeak = peakRssMb('self');
    let runPeak = 0;
    let serverRunPeak = 0;
    const sampler = setInterval(() => {
      runPeak = Math.max(runPeak, rssNowMb('self'));
      serverRunPeak = Math.max(serverRunPeak, rssNowMb(serverPid));
    }, 250);
    const cpu0 = process.cpuUsage();
    const threads0 = threadCpuMs();
    const server0 = cpuMs(serverPid);
    const result = await runSimulation({
      tasks,
      months,
      seed: 1,
      concurrency,
      testEnv,
      log: (line) => console.log(`  ${line}`),
    });
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpu0);
    const threads1 = threadCpuMs();
    const mainCpuS = (threads1.main - threads0.main) / 1000;
    const workerCpuS = (cpu.user + cpu.system) / 1e6;
    const serverCpuS = (cpuMs(serverPid) - server0) / 1000;
    const workerPeak = peakRssMb('self');
    const serverPeak = peakRssMb(serverPid);
    const seconds = result.wallMs / 1000;
    console.log(`\n${formatSummary(result)}\n`);
    console.log(`wall time: ${seconds.toFixed(1)} s (goal ≤ 60 s) ${seconds <= 60 ? 'OK' : 'MISSED'}`);
    console.log(
      `peak RSS during the run (sampled every 250 ms): worker process ${runPeak.toFixed(0)} MB (worker, client, ` +
        `SQLite), dev server ${serverRunPeak.toFixed(0)} MB`,
    );
    console.log(
      `peak RSS over the whole process life (VmHWM): worker process ${workerPeak.toFixed(0)} MB (of which start-up, ` +
        `bundling the workflow code: ${startupPeak.toFixed(0)} MB), dev server ${serverPeak.toFixed(0)} MB`,
    );
    console.log(
      `CPU: worker process ${workerCpuS.toFixed(1)} s (main thread ${mainCpuS.toFixed(1)} s: SDK bridge, client, ` +
        `Prisma; other threads ${(workerCpuS - mainCpuS).toFixed(1)} s: workflow VMs, SDK core, GC), ` +
        `dev server ${serverCpuS.toFixed(1)} s, ` +
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
    const mainShare = mainCpuS / seconds;
    console.log(
      `bound: ${work.workflowTasks} workflow tasks at ${perTask(workerCpuS)} + ${perTask(serverCpuS)} ms of CPU ` +
        `each; the ${busiest} used ${share.toFixed(2)} of ${cpus().length} cores on average, its main thread ` +
        `${(mainShare * 100).toFixed(0)}% of one` +
        (mainShare > 0.8
          ? ": the worker's single JavaScript main thread is the bottleneck."
          : share > 0.85 * cpus().length
            ? ': the machine is CPU-bound.'
            : ': no thread saturates a core, so the run also waits on round trips between the processes.'),
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
