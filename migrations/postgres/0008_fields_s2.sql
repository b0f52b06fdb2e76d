-- Large record fields are stored S2-compressed in fields_s2, with fields
-- left '' (server.StoredFields), as on SQLite: TOAST compresses a value
-- only once its row passes ~2 KB, and a household's fields are ~1.5 KB.
-- The collections whose fields SQL reads (signatures, photos) or a report
-- may (cases) are always stored plain. field_versions may now be stored
-- compactly (server.StoredVersions, a leading "~").
ALTER TABLE records ADD COLUMN fields_s2 BYTEA;
ALTER TABLE records ALTER COLUMN fields_s2 SET STORAGE EXTERNAL;
