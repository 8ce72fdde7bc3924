/**
 * The load generator of `npm run bench:api` in a process of its own. In the server's process the clients' sockets,
 * parsers and timers ran on the server's event loop: ten loops of a read queued behind each other's client work as
 * well as behind the server's, and the CPU per request counted both. Real clients are browsers elsewhere.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TLoadResult } from './load';
import type { TLoadPlan } from './plan';

export interface TLoadProcess {
  pid: number;
  /** Runs one plan; `cpuMs` is what the generator's process spent on it. */
  run(plan: TLoadPlan): Promise<{ result: TLoadResult; cpuMs: number }>;
  stop(): void;
}

type TChildMessage = { ready: true } | { ok: true; result: TLoadResult; cpuMs: number } | { ok: false; error: string };

export async function startLoadProcess(): Promise<TLoadProcess> {
  const child: ChildProcess = fork(path.join(__dirname, 'loadChild.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: TChildMessage): void => {
      if ('ready' in m) {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`the load generator exited (${code}) before it was ready`)));
  });
  return {
    pid: child.pid!,
    run: (plan) =>
      new Promise((resolve, reject) => {
        const onExit = (code: number | null): void => reject(new Error(`the load generator exited (${code})`));
        child.once('exit', onExit);
        child.once('message', (m: TChildMessage) => {
          child.off('exit', onExit);
          if ('ready' in m) reject(new Error('unexpected message from the load generator'));
          else if (m.ok) resolve({ result: m.result, cpuMs: m.cpuMs });
          else reject(new Error(m.error));
        });
        child.send(plan);
      }),
    stop: () => {
      child.disconnect();
    },
  };
}
