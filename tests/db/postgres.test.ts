/**
 * The database contract on PostgreSQL in every `npm test`: TEST_POSTGRES_URL's server when set (CI starts one, see
 * .ci/postgres.sh), otherwise an in-process PGlite, so the PostgreSQL migrations and client are always exercised.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { newestUnread, notificationsPage, INBOX_NOTIFICATIONS } from '../../api/inbox/notifications';
import { pgPoolConfig, type Db } from '../../db/client';
import { migrateDeploy, migrationStatus } from '../../db/migrate';
import { PrismaClient as PgPrismaClient } from '../../prisma/generated/postgres/client';
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

describe('query plans on PostgreSQL', () => {
  /**
   * A person with 20,000 notifications (a quarter read) among another's, and the planner's statistics as autovacuum
   * leaves them: the inbox's newest unread and every form of the notifications page must come from an index in order,
   * the database stopping at the page — no Sort node (before: every unread row sorted, 32 ms at 16,501; every
   * notification sorted for each page, 60 ms at 50,000).
   */
  it('gives the newest notifications from an index, without sorting all of them', async () => {
    const t = await createPostgresTestDb();
    const logged = new PgPrismaClient({
      adapter: new PrismaPg(pgPoolConfig(t.url)),
      log: [{ emit: 'event', level: 'query' }],
    });
    const sent: { sql: string; params: unknown[] }[] = [];
    (logged as unknown as { $on(event: 'query', cb: (e: { query: string; params: string }) => void): void }).$on(
      'query',
      (e) => sent.push({ sql: e.query, params: JSON.parse(e.params) as unknown[] }),
    );
    try {
      await t.db.$executeRawUnsafe(`
        INSERT INTO "Notification" ("id", "idempotencyKey", "userId", "kind", "title", "body", "createdAt", "readAt")
        SELECT 'n' || g, 'k' || g, CASE WHEN g % 5 = 0 THEN 'someone-else' ELSE 'me' END, 'report_reminder', '提醒',
               repeat('正文', 40), now() - g * interval '1 minute',
               CASE WHEN g % 4 = 1 THEN now() ELSE NULL END
        FROM generate_series(1, 25000) AS g`);
      await t.db.$executeRawUnsafe('ANALYZE "Notification"');
      const db = logged as unknown as Db;
      const plans: { sql: string; plan: string }[] = [];
      const explain = async (run: () => Promise<unknown>) => {
        sent.length = 0;
        await run();
        for (const { sql, params } of sent.filter((s) => /^\s*SELECT/i.test(s.sql) && !/COUNT\(/i.test(s.sql))) {
          const rows = await t.db.$queryRawUnsafe<{ 'QUERY PLAN': unknown }[]>(
            `EXPLAIN (FORMAT JSON) ${sql}`,
            ...params,
          );
          plans.push({ sql: sql.slice(0, 160), plan: JSON.stringify(rows[0]!['QUERY PLAN']) });
        }
      };
      const unread = await newestUnread(db, 'me');
      expect(unread).toHaveLength(INBOX_NOTIFICATIONS);
      expect(unread.every((n) => n.userId === 'me' && n.readAt === null)).toBe(true);
      expect(unread.map((n) => n.createdAt.getTime())).toEqual(
        [...unread.map((n) => n.createdAt.getTime())].sort((a, b) => b - a),
      );
      await explain(() => newestUnread(db, 'me'));
      for (const unreadOnly of [undefined, true, false]) {
        await explain(() => notificationsPage(db, 'me', { unread: unreadOnly, page: 3, pageSize: 50 }));
      }
      expect(plans).toHaveLength(4);
      for (const { sql, plan } of plans) {
        expect({
          sql,
          usesIndex: /Index (Only )?Scan/.test(plan),
          sorts: /"Node Type":\s*"(Incremental )?Sort"/.test(plan),
        }).toEqual({
          sql,
          usesIndex: true,
          sorts: false,
        });
      }
    } finally {
      await logged.$disconnect();
      await t.cleanup();
    }
  });
});
