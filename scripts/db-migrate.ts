/**
 * Offline migrations for both providers (Prisma's own CLI needs a native engine it cannot download here):
 *
 *   npm run db:migrate -- deploy [--provider sqlite|postgresql]   apply pending migrations to DATABASE_URL
 *   npm run db:migrate -- status [--provider ...]                 compare DATABASE_URL with the folder (exit 1: behind)
 *   npm run db:migrate -- dev --name X [--provider ...] [--create-only]
 *                                  write a migration per provider for the schema's changes, then deploy
 *   npm run db:migrate -- diff [--provider ...]                   print what the folders lack (exit 2: schema changed)
 *
 * DATABASE_URL defaults to the app's SQLite file. dev/diff replay the PostgreSQL folder on MIGRATE_POSTGRES_URL (a
 * server where a scratch database may be created) or, without it, on an in-process PGlite. See prisma/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_DATABASE_URL, providerOf, type TDatabaseProvider } from '../db/client';
import { createMigration, migrateDeploy, migrationStatus, pendingSchemaChanges } from '../db/migrate';

const ZArgs = z.object({
  command: z.enum(['deploy', 'status', 'dev', 'diff']),
  name: z.string().min(1).optional(),
  provider: z.enum(['sqlite', 'postgresql']).optional(),
  createOnly: z.boolean(),
});
type TArgs = z.infer<typeof ZArgs>;

const USAGE = 'usage: db-migrate deploy|status|diff|dev --name NAME [--provider sqlite|postgresql] [--create-only]';

function parse(argv: string[]): TArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      provider: { type: 'string' },
      'create-only': { type: 'boolean', default: false },
    },
  });
  const parsed = ZArgs.safeParse({
    command: positionals[0],
    name: values.name,
    provider: values.provider === 'postgres' ? 'postgresql' : values.provider,
    createOnly: values['create-only'],
  });
  if (!parsed.success || positionals.length !== 1) throw new Error(`${USAGE}\n${parsed.error?.message ?? ''}`);
  if (parsed.data.command === 'dev' && !parsed.data.name) throw new Error(`dev needs --name\n${USAGE}`);
  return parsed.data;
}

function targetUrl(provider: TDatabaseProvider | undefined): string {
  const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (provider && providerOf(url) !== provider) {
    throw new Error(`--provider ${provider}: set DATABASE_URL to a ${provider} database (it is ${providerOf(url)})`);
  }
  return url;
}

type TScratch = { url: string; shadowUrl?: string; close(): Promise<void> };

/** A throwaway database of the provider on which the engine replays the migrations folder. */
async function scratch(provider: TDatabaseProvider): Promise<TScratch> {
  if (provider === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhenggai-migrate-'));
    return {
      url: `file:${path.join(dir, 'scratch.db')}`,
      close: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const server = process.env.MIGRATE_POSTGRES_URL;
  if (server) return { url: server, close: async () => undefined };
  // No server at hand: an in-process PGlite (a devDependency, hence the lazy import). It holds one database only, so
  // the engine uses it as its shadow database too.
  const { startPglite } = await import('../db/pglite');
  const pglite = await startPglite();
  return { url: pglite.url, shadowUrl: pglite.url, close: () => pglite.stop() };
}

async function withScratch<T>(provider: TDatabaseProvider, run: (s: TScratch) => Promise<T>): Promise<T> {
  const s = await scratch(provider);
  try {
    return await run(s);
  } finally {
    await s.close();
  }
}

function providers(args: TArgs): TDatabaseProvider[] {
  return args.provider ? [args.provider] : ['sqlite', 'postgresql'];
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const log = (m: string) => console.log(m);
  switch (args.command) {
    case 'deploy':
      await migrateDeploy(targetUrl(args.provider), { log });
      return 0;
    case 'status': {
      const status = await migrationStatus(targetUrl(args.provider));
      console.log(JSON.stringify(status, null, 2));
      return status.upToDate ? 0 : 1;
    }
    case 'diff': {
      let changed = false;
      for (const provider of providers(args)) {
        const sql = await withScratch(provider, (s) => pendingSchemaChanges(s.url, { shadowUrl: s.shadowUrl }));
        console.log(sql ? `-- ${provider}: the schema has changes without a migration\n${sql}` : `-- ${provider}: ok`);
        changed ||= sql !== '';
      }
      return changed ? 2 : 0;
    }
    case 'dev': {
      const now = new Date();
      for (const provider of providers(args)) {
        const folder = await withScratch(provider, (s) =>
          createMigration(s.url, args.name ?? '', { shadowUrl: s.shadowUrl, now }),
        );
        console.log(folder ? `[migrate] ${provider}: created ${folder}` : `[migrate] ${provider}: no schema changes`);
      }
      if (!args.createOnly) await migrateDeploy(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, { log });
      return 0;
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
