-- Temporal's auto-setup creates its own schemas; the product uses the default database (POSTGRES_DB).
SELECT 1;
