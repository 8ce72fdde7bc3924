-- The version of the directory's units (api/scope.ts keeps the unit tree per process while it holds): the database
-- moves it on every insert, update and delete of "Unit", whoever writes them. PostgreSQL reads its snapshot's xmax
-- instead, as for the tasks (migration read_version): no table changes on either provider.
INSERT INTO "ReadVersion" ("key", "seq") VALUES ('units', 0);

CREATE TRIGGER "ReadVersion_Unit_insert" AFTER INSERT ON "Unit"
BEGIN
    UPDATE "ReadVersion" SET "seq" = "seq" + 1 WHERE "key" = 'units';
END;

CREATE TRIGGER "ReadVersion_Unit_update" AFTER UPDATE ON "Unit"
BEGIN
    UPDATE "ReadVersion" SET "seq" = "seq" + 1 WHERE "key" = 'units';
END;

CREATE TRIGGER "ReadVersion_Unit_delete" AFTER DELETE ON "Unit"
BEGIN
    UPDATE "ReadVersion" SET "seq" = "seq" + 1 WHERE "key" = 'units';
END;
