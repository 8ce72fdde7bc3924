/** Which provider a database URL names: `file:` is SQLite, `postgres://` / `postgresql://` is PostgreSQL. */
export type TDatabaseProvider = 'sqlite' | 'postgresql';

export function providerOf(url: string): TDatabaseProvider {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new Error(`Unsupported DATABASE_URL (expected file:… or postgresql://…): ${redactUrl(url)}`);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/:[^:@/]+@/, ':***@');
}

/**
 * node-postgres pool settings from a URL: `connection_limit=N` (Prisma's URL convention) sets the pool size and is
 * removed before the URL reaches the server, which would reject it as an unknown setting. PGlite needs 1: all its
 * connections share one session, so a second connection would see (and could roll back) another's transaction.
 */
export function pgPoolConfig(url: string): { connectionString: string; max?: number } {
  const u = new URL(url);
  const limit = u.searchParams.get('connection_limit');
  if (limit === null) return { connectionString: url };
  u.searchParams.delete('connection_limit');
  const max = Number(limit);
  if (!Number.isInteger(max) || max < 1) throw new Error(`connection_limit must be a positive integer, not ${limit}`);
  return { connectionString: u.toString(), max };
}
