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
