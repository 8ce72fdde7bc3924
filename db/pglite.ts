/**
 * An in-process PostgreSQL (PGlite 0.4, Postgres 17) behind a loopback socket, so the PostgreSQL path can be
 * exercised with no server installed: the tests' fallback, and the scratch database for generating PostgreSQL
 * migrations. Development only (PGlite is a dev dependency). It runs in a child process (db/pglite-server.js).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export type TPgliteServer = { url: string; stop(): Promise<void> };

/** PGlite's first start unpacks and boots Postgres in wasm: up to minutes on a busy 2-core machine. */
const START_TIMEOUT_MS = 240_000;

export async function startPglite(): Promise<TPgliteServer> {
  const child = spawn(process.execPath, [path.join(__dirname, 'pglite-server.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = readline.createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('PGlite did not start in time')), START_TIMEOUT_MS);
    lines.once('line', (line: string) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`PGlite server: unexpected output ${line}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PGlite server exited with code ${code}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  lines.close();
  // The server must not keep its parent alive (Jest waits for open handles); it stops when the parent's end of its
  // stdin closes.
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // Closing stdin asks the server to shut down cleanly.
        child.stdin.end();
        await exited;
      }
    },
  };
}
