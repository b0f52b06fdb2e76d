-- Issue #16: photos as evidence.
-- A photo's content may be filed under several households: each filing is
-- a record of collection photos whose field sha256 names the content.
CREATE INDEX records_photo_sha ON records (county_id, (fields::jsonb ->> 'sha256')) WHERE collection = 'photos';

-- A village's position (WGS-84 degrees), set by the admin: a photo taken far
-- from its household's village is flagged.
ALTER TABLE units ADD COLUMN lat DOUBLE PRECISION;
ALTER TABLE units ADD COLUMN lng DOUBLE PRECISION;
