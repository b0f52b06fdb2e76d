-- Issue #12: fields a county adds to its collections (households, members,
-- investigations). definition is the syncproto.ExtraField as JSON; removing
-- a field deletes its row and leaves the values stored in records alone.
CREATE TABLE schema_fields (
	county_id  TEXT NOT NULL,
	collection TEXT NOT NULL,
	name       TEXT NOT NULL,
	definition JSONB NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (county_id, collection, name)
);
