-- The version of the reads cached from Task and TaskPendingAction (api/readCache.ts). On SQLite a counter row moved by
-- triggers. PostgreSQL reads its snapshot's xmax instead (a counter row would be a lock every projection takes, in an
-- order that differs between code paths): the table exists for one schema on both providers, unused here.
-- CreateTable
CREATE TABLE "ReadVersion" (
    "key" TEXT NOT NULL,
    "seq" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "ReadVersion_pkey" PRIMARY KEY ("key")
);

