/**
 * Health probes for the processes' `/health` endpoints (the API's, and the worker's when it runs alone): a dependency
 * is up when its check answers within the time limit.
 */

// A probe that hangs is as bad as one that fails: give each dependency two seconds.
const PROBE_TIMEOUT_MS = 2000;

export async function probe(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export const up = (ok: boolean): 'up' | 'down' => (ok ? 'up' : 'down');
