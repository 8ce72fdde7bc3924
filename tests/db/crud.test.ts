/**
 * Round trips through the generated client on a fresh, migrated database: SQLite by default, PostgreSQL with
 * TEST_DATABASE_PROVIDER=postgres (TEST_POSTGRES_URL's server, or PGlite). tests/db/postgres.test.ts runs the same
 * checks on PGlite in every `npm test`.
 */
import { createTestDb, stopTestServers, testProvider, type TTestDb } from '../helpers/db';
import { describeDbContract } from './contract';

afterAll(stopTestServers);

describe(`database contract (${process.env.TEST_DATABASE_PROVIDER ?? 'sqlite'})`, () => {
  describeDbContract(createTestDb, {
    errorInsideTransaction: testProvider() === 'sqlite' || Boolean(process.env.TEST_POSTGRES_URL),
    concurrentWriters: testProvider() !== 'sqlite' && Boolean(process.env.TEST_POSTGRES_URL),
  });
});

describe('createTestDb', () => {
  it('gives each caller its own empty database', async () => {
    const a: TTestDb = await createTestDb();
    const b: TTestDb = await createTestDb();
    try {
      expect(a.url).not.toBe(b.url);
      await a.db.unit.create({ data: { name: 'only in a', level: 'province' } });
      expect(await a.db.unit.count()).toBe(1);
      expect(await b.db.unit.count()).toBe(0);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});
