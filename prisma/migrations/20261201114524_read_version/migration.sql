-- The version of the reads cached from Task and TaskPendingAction (api/readCache.ts): the database moves it on every
-- insert, update and delete of those tables, whoever writes them. The table comes from the Prisma schema, the row and
-- the triggers are hand-written (triggers are not part of the Prisma schema, so no drift).
-- CreateTable
CREATE TABLE "ReadVersion" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "seq" BIGINT NOT NULL DEFAULT 0
);

INSERT INTO "ReadVersion" ("key", "seq") VALUES ('tasks', 0);

CREATE TRIGGER "ReadVersion_Task_insert" AFTER INSERT ON "Task"
BEGIN
    UPDATE "ReadVersion" SET "seq" = "seq" + 1 WHERE "key" = 'tasks';
END;

CREATE TRIGGER "ReadVersion_Task_update" AFTER UPDATE ON "Task"
BEGIN
    UPDATE "ReadVersion" SET "seq" = "seq" + 1 WHERE "key" = 'tasks';
END;

CREATE TRIGGER "ReadVersion_Task_delete" AFTER DELETE ON "Task"
BEGIN
    UPDATE "ReadVersion" SET "seq" = "seq" + 1 WHERE "key" = 'tasks';
END;

CREATE TRIGGER "ReadVersion_TaskPendingAction_insert" AFTER INSERT ON "TaskPendingAction"
BEGIN
    UPDATE "ReadVersion" SET "seq" = "seq" + 1 WHERE "key" = 'tasks';
END;

CREATE TRIGGER "ReadVersion_TaskPendingAction_update" AFTER UPDATE ON "TaskPendingAction"
BEGIN
    UPDATE "ReadVersion" SET "seq" = "seq" + 1 WHERE "key" = 'tasks';
END;

CREATE TRIGGER "ReadVersion_TaskPendingAction_delete" AFTER DELETE ON "TaskPendingAction"
BEGIN
    UPDATE "ReadVersion" SET "seq" = "seq" + 1 WHERE "key" = 'tasks';
END;
