/** Starts bench/api/workerChild.ts (the product's worker alone in a process) and stops it. */
import { fork } from 'node:child_process';
import path from 'node:path';

export interface TWorkerProcess {
  pid: number;
  /** Starts a CPU profile of the worker's main thread. */
  profileStart(): Promise<void>;
  /** Stops it and writes it to `file`. */
  profileStop(file: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerProcess(databaseUrl: string, temporalAddress: string): Promise<TWorkerProcess> {
  const child = fork(path.join(__dirname, 'workerChild.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    void exited.then(() => reject(new Error('the worker process exited before it was ready')));
  });
  const answer = (expected: string, message: unknown): Promise<void> =>
    new Promise((resolve) => {
      const on = (m: unknown): void => {
        if (m !== expected) return;
        child.off('message', on);
        resolve();
      };
      child.on('message', on);
      child.send(message as object);
    });
  return {
    pid: child.pid!,
    profileStart: () => answer('profiling', { profileStart: true }),
    profileStop: (file) => answer('profiled', { profileStop: file }),
    stop: async () => {
      child.send('stop');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
