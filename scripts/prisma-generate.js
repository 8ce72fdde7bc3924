// Generates both Prisma clients offline: SQLite from prisma/schema.prisma (the source of truth) and PostgreSQL from
// prisma/postgres/schema.prisma, which this script derives mechanically (provider and output only).
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'prisma', 'schema.prisma');
const pgDir = path.join(root, 'prisma', 'postgres');
const pgSchema = path.join(pgDir, 'schema.prisma');

function derivePostgresSchema(text) {
  const out = text
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace(/output\s*=\s*"\.\/generated\/sqlite"/, 'output   = "../generated/postgres"');
  if (out === text) throw new Error('prisma/schema.prisma: could not derive the PostgreSQL schema');
  return '// GENERATED from prisma/schema.prisma by scripts/prisma-generate.js: do not edit.\n' + out;
}

function main() {
  const derived = derivePostgresSchema(fs.readFileSync(source, 'utf8'));
  fs.mkdirSync(pgDir, { recursive: true });
  if (!fs.existsSync(pgSchema) || fs.readFileSync(pgSchema, 'utf8') !== derived) fs.writeFileSync(pgSchema, derived);
  const prisma = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
  for (const schema of [source, pgSchema]) {
    execFileSync(process.execPath, [prisma, 'generate', '--schema', schema], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
    });
  }
  console.log('[prisma] generated clients: prisma/generated/sqlite, prisma/generated/postgres');
}

module.exports = { derivePostgresSchema };
if (require.main === module) main();
