/**
 * A small in-process HTTP load generator for `npm run bench:api`: node:http with a keep-alive agent, loopback only,
 * `concurrency` loops for at most `durationMs` and `maxRequests`. Latencies in ms; non-2xx answers are counted apart.
 */
import http from 'node:http';

export interface TRequestSpec {
  method: 'GET' | 'POST';
  path: string;
  token: string;
  body?: unknown;
}

export interface TLoadResult {
  name: string;
  count: number;
  errors: number;
  statuses: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  perSecond: number;
}

export function request(
  port: number,
  agent: http.Agent,
  spec: TRequestSpec,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: spec.method,
        path: spec.path,
        agent,
        headers: {
          Authorization: `Bearer ${spec.token}`,
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(120_000, () => req.destroy(new Error('client timeout')));
    req.end(payload);
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** `next(loop, i)` gives the next request of a loop, or null when that loop has nothing more to do. */
export async function runLoad(
  name: string,
  port: number,
  options: { concurrency: number; durationMs: number; maxRequests: number },
  next: (loop: number, i: number) => TRequestSpec | null,
): Promise<TLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, loop) => {
      for (let i = 0; performance.now() < deadline && issued < options.maxRequests; i++) {
        const spec = next(loop, i);
        if (!spec) return;
        issued++;
        const t0 = performance.now();
        try {
          const res = await request(port, agent, spec);
          const ms = performance.now() - t0;
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status >= 200 && res.status < 300) latencies.push(ms);
          else errors++;
        } catch {
          errors++;
          statuses.error = (statuses.error ?? 0) + 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    name,
    count: latencies.length,
    errors,
    statuses,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    perSecond: latencies.length / elapsed,
  };
}
