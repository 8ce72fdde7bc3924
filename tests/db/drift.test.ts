/**
 * Fails when a migrations folder drifts from prisma/schema.prisma: each folder is replayed on a scratch database and
 * compared with the schema (SQLite in memory; PostgreSQL on TEST_POSTGRES_URL's server, else PGlite). Fix with
 * `npm run db:migrate -- dev --name <change>`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { migrationsDir, pendingSchemaChanges, readMigrations, schemaFor } from '../../db/migrate';
import { startPglite } from '../../db/pglite';

// PGlite boots a whole Postgres in wasm: tens of seconds on a busy machine.
jest.setTimeout(300_000);

const probe = `${schemaFor('sqlite').content}\nmodel DriftProbe {\n  id String @id\n}\n`;

async function withPostgres<T>(run: (url: string, shadowUrl?: string) => Promise<T>): Promise<T> {
  const server = process.env.TEST_POSTGRES_URL;
  if (server) return run(server);
  // One PGlite serves one database: it is both the engine's main and (wiped) shadow database here.
  const pglite = await startPglite();
  try {
    return await run(pglite.url, pglite.url);
  } finally {
    await pglite.stop();
  }
}

describe('migrations drift', () => {
  it('has both folders, each with migrations and the right provider lock', () => {
    for (const provider of ['sqlite', 'postgresql'] as const) {
      const list = readMigrations(provider);
      expect(list.migrationDirectories.length).toBeGreaterThan(0);
      expect(list.lockfile.content).toContain(`provider = "${provider}"`);
      expect(fs.existsSync(path.join(migrationsDir(provider), 'migration_lock.toml'))).toBe(true);
    }
    // The same migration names in both folders: one `dev` run writes both.
    expect(readMigrations('postgresql').migrationDirectories.map((d) => d.path)).toEqual(
      readMigrations('sqlite').migrationDirectories.map((d) => d.path),
    );
  });

  it('keeps the committed PostgreSQL schema identical to its derivation from prisma/schema.prisma', () => {
    const derived = schemaFor('postgresql');
    expect(fs.readFileSync(derived.path, 'utf8')).toBe(derived.content);
    expect(derived.content).toContain('provider = "postgresql"');
  });

  it('SQLite: the migrations folder matches the schema', async () => {
    expect(await pendingSchemaChanges('file::memory:')).toBe('');
  });

  it('SQLite: a model missing from the migrations is reported', async () => {
    const sql = await pendingSchemaChanges('file::memory:', { schema: probe });
    expect(sql).toContain('CREATE TABLE "DriftProbe"');
  });

  it('PostgreSQL: the migrations folder matches the schema, and a missing model is reported', async () => {
    await withPostgres(async (url, shadowUrl) => {
      expect(await pendingSchemaChanges(url, { shadowUrl })).toBe('');
      const probePg = probe.replace('provider = "sqlite"', 'provider = "postgresql"');
      expect(await pendingSchemaChanges(url, { shadowUrl, schema: probePg })).toContain('CREATE TABLE "DriftProbe"');
    });
  });
});
