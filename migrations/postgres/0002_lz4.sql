-- Large JSON text is compressed with lz4 rather than pglz: a push writes
-- ~2 KB records and audit rows, and pglz cost a third of the database's CPU.
ALTER TABLE records ALTER COLUMN fields SET COMPRESSION lz4;
ALTER TABLE audit_log ALTER COLUMN detail SET COMPRESSION lz4;
ALTER TABLE mutation_log ALTER COLUMN result SET COMPRESSION lz4;
ALTER TABLE mutation_log ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE conflicts ALTER COLUMN client_value SET COMPRESSION lz4;
