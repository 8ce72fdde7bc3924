-- The audit trail is append-only (docs/audit.md): a row, once written, is never updated or deleted. Hand-written,
-- since triggers are not part of the Prisma schema (no schema change, no drift). TRUNCATE (a bulk reset by the table
-- owner, used by the test helpers) is not a row operation and is not refused: the chain heads show it.
-- No semicolon may appear in this file except at the end of a statement: the driver adapter that applies migrations
-- splits scripts on every semicolon, so the function body is an E-string with each of its semicolons written \073.
CREATE FUNCTION "audit_event_append_only"() RETURNS trigger LANGUAGE plpgsql AS
E'BEGIN RAISE EXCEPTION ''AuditEvent is append-only: % refused'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END\073';

CREATE TRIGGER "AuditEvent_append_only" BEFORE UPDATE OR DELETE ON "AuditEvent"
    FOR EACH ROW EXECUTE FUNCTION "audit_event_append_only"();
