/**
 * Prisma's schema engine (the part that diffs schemas and applies migrations), run offline: the npm package
 * `@prisma/schema-engine-wasm` is the engine compiled to WebAssembly and talks to the database through Prisma's
 * driver adapters, so no native binary is downloaded. See prisma/README.md.
 *
 * The package's entry imports `.wasm` as an ES module, which Node 20 (and Jest) cannot load, so the wasm-bindgen
 * glue module is evaluated here by hand and the `.wasm` file instantiated with it as the import object.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlQueryable,
  type Transaction,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';
import { pgPoolConfig, providerOf, type TDatabaseProvider } from './provider';

type TGlue = {
  SchemaEngine: typeof SchemaEngine;
  __wbg_set_wasm(exports: Record<string, unknown>): void;
  [name: string]: unknown;
};

/** The few WebAssembly APIs used here (the project's `lib` has no WebAssembly declarations). */
type TWebAssembly = {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
  RuntimeError: new (message?: string) => Error;
};
const wasmApi = (globalThis as unknown as { WebAssembly: TWebAssembly }).WebAssembly;

let loaded: Promise<TGlue> | undefined;

/** Readable engine panics: the engine's panic hook writes the message here. */
const panicRegistry = {
  message: '',
  set_message(message: string) {
    this.message = message;
  },
};

function loadGlue(): TGlue {
  const glueFile = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const source = fs.readFileSync(glueFile, 'utf8');
  const names: string[] = [];
  // The glue is generated code whose only module syntax is `export function|class NAME`: strip the keyword and
  // return the names from a plain function body.
  const body = source.replace(/^export (function|class) ([A-Za-z0-9_$]+)/gm, (_m, kind: string, name: string) => {
    names.push(name);
    return `${kind} ${name}`;
  });
  if (/^\s*(export|import)\s/m.test(body)) throw new Error(`${glueFile}: unexpected module syntax`);
  const factory = new Function(`"use strict";\n${body}\nreturn { ${names.join(', ')} };`) as () => TGlue;
  return factory();
}

type TSetTimeout = (callback: () => void, ms: number) => unknown;

/**
 * The engine races each PostgreSQL advisory-lock request against a 10 s timer and never clears it: ref'd, those timers
 * kept a process that had finished its migrations alive for 10 s (a Jest worker was force-exited for it). Unref'd,
 * they still fire while anything else runs; the lock query itself holds the process while it waits.
 */
function unrefTimers(setTimeoutImport: TSetTimeout): TSetTimeout {
  return (callback, ms) => {
    const timer = setTimeoutImport(callback, ms);
    (timer as { unref?: () => void } | undefined)?.unref?.();
    return timer;
  };
}

async function instantiate(): Promise<TGlue> {
  (globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY = panicRegistry;
  const glue = loadGlue();
  const wasmFile = path.join(
    path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
    'schema_engine_bg.wasm',
  );
  const imports: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(glue)) {
    if (typeof value !== 'function') continue;
    imports[name] = name.startsWith('__wbg_setTimeout_') ? unrefTimers(value as TSetTimeout) : value;
  }
  const { instance } = await wasmApi.instantiate(fs.readFileSync(wasmFile), {
    './schema_engine_bg.js': imports,
  });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return glue;
}

function engineModule(): Promise<TGlue> {
  loaded ??= instantiate().catch((error: unknown) => {
    loaded = undefined;
    throw error;
  });
  return loaded;
}

/** Turns an engine rejection (a JS error, a wasm panic, or the engine's own error object) into an Error. */
export function engineError(error: unknown): Error {
  if (error instanceof wasmApi.RuntimeError) {
    // A panic poisons the wasm instance: load a fresh one next time.
    loaded = undefined;
    return new Error(`Prisma schema engine panicked: ${panicRegistry.message || error.message}`);
  }
  if (error instanceof Error) return error;
  if (error && typeof error === 'object') {
    const e = error as { message?: unknown; error_code?: unknown; meta?: unknown };
    const code = typeof e.error_code === 'string' ? `${e.error_code}: ` : '';
    const wrapped = new Error(`${code}${typeof e.message === 'string' ? e.message : JSON.stringify(error)}`);
    Object.assign(wrapped, { code: e.error_code, meta: e.meta });
    return wrapped;
  }
  return new Error(String(error));
}

type TPerformIO = (query: SqlQuery) => Promise<{ fields: { dataTypeID: number }[] }>;

/** PostgreSQL's internal `"char"` type: the engine's catalog queries return it. */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/**
 * Adapter fixes needed by the engine only (never used by the application's client):
 * - SQLite: the engine replays multi-statement migration scripts through parameterless `executeRaw`, which
 *   better-sqlite3 limits to one statement; those go to `executeScript`.
 * - PostgreSQL: adapter-pg rejects the `"char"` columns of the engine's catalog queries; report them as text.
 */
function patchQueryable<T extends SqlQueryable>(q: T, provider: TDatabaseProvider): T {
  if (provider === 'sqlite') {
    const executeRaw = q.executeRaw.bind(q);
    const script = (q as unknown as Partial<SqlDriverAdapter>).executeScript?.bind(q);
    q.executeRaw = async (query: SqlQuery) => {
      if (query.args.length === 0 && script) {
        await script(query.sql);
        return 0;
      }
      return executeRaw(query);
    };
  } else {
    const target = q as unknown as { performIO?: TPerformIO };
    const performIO = target.performIO?.bind(q);
    if (!performIO) throw new Error('adapter-pg changed: performIO is missing (pin @prisma/adapter-pg)');
    target.performIO = async (query: SqlQuery) => {
      const result = await performIO(query);
      for (const field of result.fields) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
      return result;
    };
  }
  return q;
}

function patchAdapter(adapter: SqlDriverAdapter, provider: TDatabaseProvider): SqlDriverAdapter {
  patchQueryable(adapter, provider);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => {
    const tx: Transaction = await startTransaction(isolationLevel);
    return patchQueryable(tx, provider);
  };
  let disposed = false;
  const dispose = adapter.dispose.bind(adapter);
  // The engine and our own cleanup may both dispose an adapter; pg pools throw on a second end().
  adapter.dispose = async () => {
    if (disposed) return;
    disposed = true;
    await dispose();
  };
  return adapter;
}

function pgDatabaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Opens and closes a temporary PostgreSQL database for the engine's shadow database. */
async function createPgShadow(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `zhenggai_shadow_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: pgPoolConfig(url).connectionString });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const shadowUrl = pgDatabaseUrl(url, name);
  // Some servers (PGlite's socket server) ignore the database name and would hand back the main database, where the
  // engine's reset would destroy data: refuse unless the connection really is the new database.
  const check = new pg.Client({ connectionString: pgPoolConfig(shadowUrl).connectionString });
  await check.connect();
  let current: string | undefined;
  try {
    current = (await check.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db;
  } finally {
    await check.end();
  }
  const drop = async () => {
    const c = new pg.Client({ connectionString: pgPoolConfig(url).connectionString });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS "${name}"`);
    } finally {
      await c.end();
    }
  };
  if (current !== name) {
    await drop().catch(() => undefined);
    throw new Error('This PostgreSQL server cannot open a second database: set SHADOW_DATABASE_URL to an empty one.');
  }
  return { url: shadowUrl, drop };
}

export type TEngineOptions = {
  /** The database the engine works on. */
  url: string;
  /** PostgreSQL: an empty database the engine may wipe, for commands that replay migrations (diff, dev, status). */
  shadowUrl?: string;
  /** Prisma schema text (the provider must match the URL's). */
  schema: string;
  schemaPath: string;
};

export type TEngineSession = { engine: SchemaEngine; provider: TDatabaseProvider; close(): Promise<void> };

/** Starts a schema engine on a database; `close()` frees it and every connection it opened. */
export async function openEngine(options: TEngineOptions): Promise<TEngineSession> {
  const provider = providerOf(options.url);
  const adapters: SqlDriverAdapter[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const track = (adapter: SqlDriverAdapter) => {
    adapters.push(patchAdapter(adapter, provider));
    return adapter;
  };
  let factory: SqlMigrationAwareDriverAdapterFactory;
  if (provider === 'sqlite') {
    const main = new PrismaBetterSqlite3({ url: options.url });
    factory = {
      provider: main.provider,
      adapterName: main.adapterName,
      connect: async () => track(await main.connect()),
      connectToShadowDb: async () => track(await new PrismaBetterSqlite3({ url: ':memory:' }).connect()),
    };
  } else {
    const main = new PrismaPg(pgPoolConfig(options.url));
    factory = {
      provider: main.provider,
      adapterName: main.adapterName,
      connect: async () => track(await main.connect()),
      // adapter-pg's own connectToShadowDb keeps the connection string's database (pg lets it win over `database`),
      // so its "shadow" would be the main database: make a real temporary one instead.
      connectToShadowDb: async () => {
        let shadowUrl = options.shadowUrl;
        if (!shadowUrl) {
          const shadow = await createPgShadow(options.url);
          shadowUrl = shadow.url;
          cleanups.push(shadow.drop);
        }
        const adapter = track(await new PrismaPg(pgPoolConfig(shadowUrl)).connect());
        // Drop the temporary database only after the pool has closed its connections.
        cleanups.unshift(() => adapter.dispose());
        return adapter;
      },
    };
  }
  const glue = await engineModule();
  let engine: SchemaEngine;
  try {
    engine = await glue.SchemaEngine.new(
      { datamodels: [[options.schemaPath, options.schema]] },
      () => undefined,
      bindMigrationAwareSqlAdapterFactory(factory),
    );
  } catch (error) {
    throw engineError(error);
  }
  return {
    engine,
    provider,
    async close() {
      engine.free();
      for (const adapter of adapters) await adapter.dispose();
      for (const cleanup of cleanups) await cleanup();
    },
  };
}
