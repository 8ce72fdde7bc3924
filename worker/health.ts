/**
 * `GET /health` for a process that runs the worker alone (ROLE=worker, as in docker-compose): 200 while the worker
 * is RUNNING and the database answers, 503 otherwise, so an orchestrator restarts a worker whose polling has stopped.
 */
import http from 'node:http';
import type { State } from '@temporalio/worker';
import type { Db } from '../db/client';
import { probe, up } from '../db/probe';

export interface TWorkerHealthDeps {
  db: Pick<Db, '$queryRaw'>;
  workerState: () => State;
}

export function createWorkerHealthServer(deps: TWorkerHealthDeps): http.Server {
  return http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/health') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Only GET /health is served here' } }));
      return;
    }
    void (async () => {
      const db = await probe(() => deps.db.$queryRaw`SELECT 1`);
      const worker = deps.workerState();
      const ok = db && worker === 'RUNNING';
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'degraded', db: up(db), worker }));
    })();
  });
}
