-- Issue #16: photos as evidence.
-- A photo's content may be filed under several households: each filing is
-- a record of collection photos whose field sha256 names the content.
CREATE INDEX records_photo_sha ON records(json_extract(fields, '$.sha256')) WHERE collection = 'photos';

-- A village's position (WGS-84 degrees), set by the admin: a photo taken far
-- from its household's village is flagged.
ALTER TABLE units ADD COLUMN lat REAL;
ALTER TABLE units ADD COLUMN lng REAL;
