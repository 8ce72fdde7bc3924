/**
 * Prisma CLI configuration. The CLI insists on downloading its native schema engine even for `generate`, which
 * fails offline; pointing PRISMA_SCHEMA_ENGINE_BINARY at a stub (set here, because this file is loaded before Prisma
 * looks for its engine) lets `prisma generate` work with no network. Migrations do not use the CLI: see
 * prisma/README.md (scripts/db-migrate.ts drives the WebAssembly schema engine).
 */
import path from 'node:path';
import { defineConfig } from 'prisma/config';

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(__dirname, 'scripts', 'prisma-engine-stub.sh');

export default defineConfig({
  schema: process.env.PRISMA_SCHEMA ?? path.join('prisma', 'schema.prisma'),
});
