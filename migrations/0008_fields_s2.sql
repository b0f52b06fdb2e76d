-- Large record fields are stored S2-compressed in fields_s2, with fields
-- left '' (server.StoredFields); the collections whose fields SQL reads
-- (signatures, photos) or a report may (cases) are always stored plain.
-- The audit chain's fields_sha256 is over the fields themselves, so
-- records written before and after verify alike. field_versions may now
-- be stored compactly (server.StoredVersions, a leading "~").
ALTER TABLE records ADD COLUMN fields_s2 BLOB;
