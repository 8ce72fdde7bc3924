/** The PostgreSQL schema text derived from the SQLite one (prisma/schema.prisma): provider and output only. */
export function derivePostgresSchema(text: string): string;
