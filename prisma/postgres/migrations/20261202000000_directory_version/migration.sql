-- The version of the directory's units (api/scope.ts). On SQLite a counter row moved by triggers, while PostgreSQL
-- reads its current snapshot instead (api/readCache.ts), as for the tasks: the row is written for one content of the
-- table on both providers, and unused here.
INSERT INTO "ReadVersion" ("key", "seq") VALUES ('units', 0);
