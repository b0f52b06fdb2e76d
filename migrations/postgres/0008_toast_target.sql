-- Compress records' fields in the row: TOAST compresses a row's long
-- values (lz4, 0002_lz4.sql) only once the row passes toast_tuple_target,
-- by default ~2 KB, and a household's fields are ~1.5 KB, so they were
-- stored as they are. From 256 bytes on, they are compressed in place.
-- field_versions may now be stored compactly (server.StoredVersions, a
-- leading "~"), as on SQLite.
ALTER TABLE records SET (toast_tuple_target = 256);
ALTER TABLE audit_log SET (toast_tuple_target = 256);
