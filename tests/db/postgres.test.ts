/**
 * The database contract on PostgreSQL in every `npm test`: TEST_POSTGRES_URL's server when set (CI starts one, see
 * .ci/postgres.sh), otherwise an in-process PGlite, so the PostgreSQL migrations and client are always exercised.
 */
import { migrationStatus } from '../../db/migrate';
import { createPostgresTestDb, stopTestServers } from '../helpers/db';
import { describeDbContract } from './contract';

// PGlite boots a whole Postgres in wasm per database: slower than SQLite.
jest.setTimeout(300_000);

afterAll(stopTestServers);

describe(`database contract (PostgreSQL: ${process.env.TEST_POSTGRES_URL ? 'server' : 'PGlite'})`, () => {
  describeDbContract(createPostgresTestDb, { errorInsideTransaction: Boolean(process.env.TEST_POSTGRES_URL) });

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
