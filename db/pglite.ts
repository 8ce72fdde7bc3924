/**
 * An in-process PostgreSQL (PGlite, Postgres 17 compiled to WebAssembly) behind a loopback socket, for tests and for
 * generating PostgreSQL migrations on machines without a PostgreSQL server. Development only: its packages are
 * devDependencies, so import this module lazily.
 *
 * PGlite is one database per instance and its socket server ignores the database name in the URL, so every caller
 * that needs a fresh database starts its own instance.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export type TPgliteServer = { url: string; stop(): Promise<void> };

// adapter-pg opens a pool of connections (default 10) and the engine a few more; the socket server queues their
// queries on the single instance, so a generous cap only avoids "Too many connections" refusals.
const MAX_CONNECTIONS = 32;

/** Starts an empty in-memory PostgreSQL on 127.0.0.1 (a free port); `stop()` closes it and discards its data. */
export async function startPglite(): Promise<TPgliteServer> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: MAX_CONNECTIONS });
  await server.start();
  const url = `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
