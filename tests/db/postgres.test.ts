/**
 * The database contract on PostgreSQL in every `npm test`: TEST_POSTGRES_URL's server when set (CI starts one, see
 * .ci/postgres.sh), otherwise an in-process PGlite, so the PostgreSQL migrations and client are always exercised.
 */
import { migrateDeploy, migrationStatus } from '../../db/migrate';
import { createPostgresTestDb, stopTestServers } from '../helpers/db';
import { describeDbContract } from './contract';

// PGlite boots a whole Postgres in wasm per database: slower than SQLite.
jest.setTimeout(300_000);

afterAll(stopTestServers);

describe(`database contract (PostgreSQL: ${process.env.TEST_POSTGRES_URL ? 'server' : 'PGlite'})`, () => {
  describeDbContract(createPostgresTestDb, {
    errorInsideTransaction: Boolean(process.env.TEST_POSTGRES_URL),
    concurrentWriters: Boolean(process.env.TEST_POSTGRES_URL),
  });

  it('leaves the database with every PostgreSQL migration applied', async () => {
    const t = await createPostgresTestDb();
    try {
      const status = await migrationStatus(t.url);
      expect(status).toMatchObject({ provider: 'postgresql', upToDate: true, pending: [], problems: [] });
    } finally {
      await t.cleanup();
    }
  });
});

describe('migrations and the event loop', () => {
  it('leaves no pending timer that keeps the process alive once migrations are applied', async () => {
    const t = await createPostgresTestDb();
    // Every timer started while migrations are applied, and whether it has fired or been cleared.
    const started = new Map<NodeJS.Timeout, { ms: number; done: boolean }>();
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const timer = realSetTimeout(
        (...a: unknown[]) => {
          started.get(timer)!.done = true;
          callback(...a);
        },
        ms,
        ...args,
      );
      started.set(timer, { ms: ms ?? 0, done: false });
      return timer;
    }) as typeof globalThis.setTimeout;
    globalThis.clearTimeout = ((timer: NodeJS.Timeout | undefined) => {
      if (timer && started.has(timer)) started.get(timer)!.done = true;
      realClearTimeout(timer);
    }) as typeof globalThis.clearTimeout;
    try {
      try {
        // Up to date already: the engine still connects, takes the migration lock and reads what was applied.
        await migrateDeploy(t.url);
      } finally {
        globalThis.setTimeout = realSetTimeout;
        globalThis.clearTimeout = realClearTimeout;
      }
      const holding = [...started].filter(([timer, s]) => !s.done && timer.hasRef()).map(([, s]) => s.ms);
      expect(started.size).toBeGreaterThan(0);
      expect(holding).toEqual([]);
    } finally {
      await t.cleanup();
    }
  });
});
