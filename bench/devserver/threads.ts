/** Per-thread CPU of a process, from /proc (Linux): which thread is busy when a chain runs one step at a time. */
import { readdirSync, readFileSync } from 'node:fs';

export type TThreadCpu = Map<number, { name: string; ms: number }>;

/** CPU time (user + system) in ms of each live thread of `pid`, keyed by thread id. */
export function threadCpuMs(pid: number): TThreadCpu {
  const threads: TThreadCpu = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks (100 per second), as in stats.ts's cpuMs.
      threads.set(Number(tid), { name, ms: (Number(fields[11]) + Number(fields[12])) * 10 });
    } catch {
      // The thread ended while we looked.
    }
  }
  return threads;
}

/**
 * The `top` busiest threads between two snapshots, as "name tid NN %" of `wallMs`. A thread near 100 % is the step
 * that serialises the chain, whatever the cores left idle.
 */
export function busiestThreads(before: TThreadCpu, after: TThreadCpu, wallMs: number, top = 4): string {
  return [...after]
    .map(([tid, t]) => ({ tid, name: t.name, ms: t.ms - (before.get(tid)?.ms ?? 0) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((t) => `${t.name} ${t.tid} ${((t.ms / wallMs) * 100).toFixed(0)} %`)
    .join(', ');
}
