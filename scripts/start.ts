/**
 * `npm start`: the whole product on one machine.
 * - Embedded defaults: SQLite under data/, the embedded Temporal dev server (persistent, data/temporal.db), a worker
 *   and the API on PORT (default 3000); on an empty database, a demo organisation whose usernames, passwords and
 *   tokens are printed and written to data/demo-users.json (mode 0600).
 * - Production shape: with TEMPORAL_ADDRESS and DATABASE_URL set, it connects to a real Temporal cluster and
 *   PostgreSQL instead, and nothing of devserver/ is started. There (either variable set: `startupPolicy`) the demo
 *   organisation is seeded only with SEED_DEMO=true, and its passwords and tokens go to the 0600 file only, never to
 *   the log. ROLE=api or ROLE=worker runs one half only (as
 *   docker-compose does); a worker alone answers GET /health on PORT. The outbox relay runs in the worker process
 *   (ROLE=all or worker), or alone with ROLE=relay.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { backfillPendingActions } from '../activities/pendingActions';
import { createApp } from '../api/app';
import { reconcileWorkflows } from '../api/tasks/reconcile';
import { WEB_DIST } from '../api/web';
import { createDb } from '../db/client';
import { deliveryConfigFromEnv } from '../delivery/config';
import { migrateDeploy } from '../db/migrate';
import { TASK_QUEUE } from '../workflows/shared';
import { createTaskWorker } from '../worker';
import { relayUntilSignal, startRelay } from '../worker/relay';
import { createWorkerHealthServer } from '../worker/health';
import type { PayloadCodec } from '@temporalio/common';
import { payloadCodecForStart } from '../codec/config';
import { startDevServerProcess } from './devserver-process';
import { demoEmail, seedDemo } from './seed-demo';

const ZEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().min(1).optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Port of the embedded dev server (only when TEMPORAL_ADDRESS is unset). */
  DEVSERVER_PORT: z.coerce.number().int().min(0).max(65535).default(7233),
  /**
   * How old a task row must be before the reconciler counts its missing workflow as lost (creation commits the rows,
   * then starts the workflows; younger rows may be mid-creation). 30 s by default; the crash tests shorten it.
   */
  RECONCILE_OLDER_THAN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** 'true': the embedded dev server in this process, as before issue 10 (default: its own process). */
  DEVSERVER_IN_PROCESS: z.enum(['true', 'false']).default('false'),
  DATA_DIR: z.string().min(1).default('data'),
  /** 'relay': the outbox relay alone (the worker process runs it too, with ROLE=all or worker). */
  ROLE: z.enum(['all', 'api', 'worker', 'relay']).default('all'),
  /** Unset: seeded on the embedded default only (see startupPolicy). */
  SEED_DEMO: z.enum(['true', 'false']).optional(),
});

/**
 * What the environment's shape implies. Production is a real Temporal cluster or a PostgreSQL database: there the demo
 * organisation (with an admin whose password is printed) would be a back door, so it is seeded only when asked for
 * explicitly, and secrets are never printed (logs are collected and kept; the 0600 file is not).
 */
export function startupPolicy(env: {
  DATABASE_URL?: string;
  TEMPORAL_ADDRESS?: string;
  SEED_DEMO?: 'true' | 'false';
}): {
  production: boolean;
  seedDemo: boolean;
  printSecrets: boolean;
} {
  const production = env.TEMPORAL_ADDRESS !== undefined || /^postgres(ql)?:\/\//i.test(env.DATABASE_URL ?? '');
  return {
    production,
    seedDemo: env.SEED_DEMO === undefined ? !production : env.SEED_DEMO === 'true',
    printSecrets: !production,
  };
}

/** The reconciler's period (how old a row must be to count as lost: RECONCILE_OLDER_THAN_MS above). */
const RECONCILE_EVERY_MS = 5 * 60_000;

async function main(): Promise<void> {
  const parsed = ZEnv.safeParse(process.env);
  if (!parsed.success) {
    console.error('Invalid environment:', z.prettifyError(parsed.error));
    process.exit(2);
  }
  const env = parsed.data;
  try {
    // Checked at start-up in every role (the API reads the preferences, the worker fans out, the relay sends).
    deliveryConfigFromEnv(process.env);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  }
  const policy = startupPolicy(env);
  const dataDir = path.resolve(env.DATA_DIR);
  // Owner only: the databases, the evidence files and the demo tokens live here (chmod too, for an older directory).
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);

  const databaseUrl = env.DATABASE_URL ?? `file:${path.join(dataDir, 'zhenggai.db')}`;
  console.log(`[start] database: ${redact(databaseUrl)} — applying migrations`);
  await migrateDeploy(databaseUrl);
  const db = createDb(databaseUrl);
  if (env.ROLE === 'relay') {
    // The relay needs only the database: no Temporal, no API.
    relayUntilSignal(db);
    return;
  }
  if (env.ROLE !== 'worker') {
    // Once, for a database projected before the inbox's pending-action rows existed. Before the worker starts, so no
    // projection can make the table non-empty first (a separate ROLE=worker should start after the API once).
    await backfillPendingActions(db, { log: (line) => console.log(`[start] ${line}`) });
  }

  // Before the dev server starts: the embedded default's key file is made for a data directory without history.
  let payloadCodec: PayloadCodec | undefined;
  try {
    payloadCodec = payloadCodecForStart({
      env: process.env,
      dataDir,
      production: policy.production,
      log: (line) => console.warn(`[start] ${line}`),
    });
  } catch (err) {
    console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  const dataConverter = payloadCodec ? { payloadCodecs: [payloadCodec] } : undefined;

  const stops: (() => Promise<void>)[] = [];
  let address = env.TEMPORAL_ADDRESS;
  if (!address) {
    const dbFile = path.join(dataDir, 'temporal.db');
    if (env.DEVSERVER_IN_PROCESS === 'true') {
      // Imported lazily: production (TEMPORAL_ADDRESS set) never loads the embedded server.
      const { startDevServer } = await import('../devserver/src/index');
      const server = await startDevServer({ port: env.DEVSERVER_PORT, namespace: env.TEMPORAL_NAMESPACE, dbFile });
      address = server.address;
      stops.push(() => server.stop());
    } else {
      // Its own process by default: it no longer shares the API's and the worker's event loop (issue 10).
      const server = await startDevServerProcess({
        port: env.DEVSERVER_PORT,
        namespace: env.TEMPORAL_NAMESPACE,
        dbFile,
        log: (line) => console.warn(`[start] ${line}`),
        onGiveUp: (reason) => {
          console.error(`[start] ${reason}: stopping`);
          process.kill(process.pid, 'SIGTERM');
        },
      });
      address = server.address;
      stops.push(() => server.stop());
    }
    console.log(`[start] embedded Temporal dev server on ${address} (persistent: ${dbFile})`);
  } else {
    console.log(`[start] Temporal cluster at ${address}, namespace ${env.TEMPORAL_NAMESPACE}`);
  }

  if (env.ROLE !== 'api') {
    const workerConnection = await NativeConnection.connect({ address });
    const worker = await createTaskWorker({
      connection: workerConnection,
      namespace: env.TEMPORAL_NAMESPACE,
      deps: { db },
      payloadCodec,
    });
    const running = worker.run();
    stops.unshift(async () => {
      // The SDK's worker already shuts itself down on SIGINT/SIGTERM; only ask when it is still running.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await workerConnection.close();
    });
    console.log('[start] worker polling');
    // The outbox relay lives in the worker process (delivery/relay.ts); stopped before the worker.
    const relay = startRelay({ db });
    stops.unshift(() => relay.stop());
    if (env.ROLE === 'worker') {
      // Alone, the worker has no API to be probed through: it answers GET /health on PORT itself.
      const health = createWorkerHealthServer({ db, workerState: () => worker.getState() });
      health.listen(env.PORT, () => console.log(`[start] worker health on http://localhost:${env.PORT}/health`));
      stops.unshift(() => new Promise<void>((resolve) => health.close(() => resolve())));
    }
  }

  if (env.ROLE !== 'worker') {
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter });
    stops.push(() => connection.close());
    if (policy.seedDemo) {
      const users = await seedDemo(db);
      if (users.length > 0) {
        const file = path.join(dataDir, 'demo-users.json');
        // Passwords and tokens in clear: readable by the owner only (chmod too, for a file left by an older run).
        const withEmail = users.map((u) => ({ ...u, email: demoEmail(u.username) }));
        fs.writeFileSync(file, JSON.stringify(withEmail, null, 2) + '\n', { mode: 0o600 });
        fs.chmodSync(file, 0o600);
        if (policy.printSecrets) {
          console.log(`[start] demo organisation created; sign-in names, passwords and API tokens (also in ${file}):`);
          for (const u of users) {
            console.log(
              `  ${u.role.padEnd(10)} ${u.name.padEnd(16)} ${u.username.padEnd(16)} ${u.password}  ${u.token}`,
            );
          }
        } else {
          console.log(`[start] demo organisation created; passwords and API tokens are in ${file} (mode 0600) only`);
        }
      }
    }
    ensureWebBuilt();
    const app = createApp({ db, client, payloadCodec });
    // Rows whose workflow a crash kept from starting (between creation's commit and its starts): found and started
    // now and every few minutes. Unref'd: it never keeps the process alive.
    const reconcile = async (): Promise<void> => {
      const result = await reconcileWorkflows(
        { db, client, taskQueue: TASK_QUEUE, now: () => new Date() },
        { olderThanMs: env.RECONCILE_OLDER_THAN_MS, log: (line) => console.warn(`[start] ${line}`) },
      );
      if (result.started.length > 0 || result.failed.length > 0) {
        console.log(
          `[start] reconciler: ${result.started.length} missing workflow(s) started, ${result.failed.length} failed`,
        );
      }
    };
    const runReconcile = (): void => {
      reconcile().catch((err: unknown) => console.error('[start] reconciler failed:', err));
    };
    runReconcile();
    // Again once the rows a crash left just before this start are old enough to count, not 5 minutes later.
    const firstRetry = setTimeout(runReconcile, env.RECONCILE_OLDER_THAN_MS + 5_000);
    firstRetry.unref();
    const reconcileTimer = setInterval(runReconcile, RECONCILE_EVERY_MS);
    reconcileTimer.unref();
    stops.unshift(async () => {
      clearTimeout(firstRetry);
      clearInterval(reconcileTimer);
    });
    const http = app.listen(env.PORT, () => console.log(`[start] API listening on http://localhost:${env.PORT}`));
    stops.unshift(
      () =>
        new Promise<void>((resolve) => {
          http.close(() => resolve());
        }),
    );
  }
  stops.push(() => db.$disconnect());

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`[start] ${signal}: shutting down`);
    void (async () => {
      for (const stop of stops) {
        await stop().catch((err: unknown) => console.error('[start] shutdown step failed:', err));
      }
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * The browser application is built by `npm ci` (postinstall); a checkout whose build is missing (a fresh clone
 * installed with --ignore-scripts, or web/ edited without rebuilding) is built here, once, before the API listens.
 */
function ensureWebBuilt(): void {
  if (fs.existsSync(path.join(WEB_DIST, 'index.html'))) return;
  const root = path.resolve(__dirname, '..');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!fs.existsSync(vite)) {
    console.warn('[start] web/dist is missing and Vite is not installed: the browser application is not served');
    return;
  }
  console.log('[start] building the browser application (web/ → web/dist)');
  execFileSync(process.execPath, [vite, 'build', 'web', '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}

// Run as a program only: tests import `startupPolicy` without starting anything.
if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('[start] failed:', err);
    process.exit(1);
  });
}
