-- Issue #16: a queued photo is a filing (content, household, kind); the
-- same picture may be queued for several households, each uploaded and
-- confirmed on its own.
CREATE TABLE photos_new (
    sha256       TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    household_id TEXT NOT NULL,
    kind         TEXT NOT NULL,
    filename     TEXT NOT NULL,
    path         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    upload_url   TEXT NOT NULL DEFAULT '',
    uploaded     INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'queued',
    error        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    PRIMARY KEY (sha256, household_id, kind)
) STRICT;
INSERT INTO photos_new (sha256, user_id, household_id, kind, filename, path, size, width, height, upload_url,
    uploaded, status, error, created_at)
SELECT sha256, user_id, household_id, kind, filename, path, size, width, height, upload_url,
    uploaded, status, error, created_at FROM photos;
DROP TABLE photos;
ALTER TABLE photos_new RENAME TO photos;
