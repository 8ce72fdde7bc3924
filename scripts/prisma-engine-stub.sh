#!/bin/sh
# Stands in for Prisma's native schema engine, which cannot be downloaded offline. `prisma generate` never calls it;
# migrations go through scripts/db-migrate.ts (the WebAssembly engine) instead.
echo "The native Prisma schema engine is not installed here: use 'npm run db:migrate' (see prisma/README.md)." >&2
exit 1
