-- The tablet's local store: records as last seen from the server plus the
-- local view, the outbox of pending mutations, sessions, signing keys,
-- photos waiting for upload, and what the last syncs reported.

-- Device-wide settings: device_id, server_url, next_mutation_id,
-- current_user, last_sync_at, last_sync_error.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- One login session per user who logged in on this device. The pull
-- cursor is per user: two users of one tablet may see different subtrees.
CREATE TABLE sessions (
    user_id         TEXT PRIMARY KEY,
    username        TEXT NOT NULL,
    user_json       TEXT NOT NULL,
    access_token    TEXT NOT NULL DEFAULT '',
    access_expires  TEXT NOT NULL DEFAULT '',
    refresh_token   TEXT NOT NULL DEFAULT '',
    refresh_expires TEXT NOT NULL DEFAULT '',
    cursor          TEXT NOT NULL DEFAULT '',
    logged_in_at    TEXT NOT NULL
) STRICT;

-- Records. server_fields/version are the server's state as last known
-- (NULL/0 for a record the server has not acknowledged); view is what the
-- device shows: server_fields with the pending outbox fields laid over them
-- (NULL when hidden: deleted locally or on the server).
CREATE TABLE records (
    collection     TEXT NOT NULL,
    id             TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 0,
    server_fields  TEXT,
    server_deleted INTEGER NOT NULL DEFAULT 0,
    meta           TEXT NOT NULL DEFAULT '{}',
    view           TEXT,
    household_id   TEXT NOT NULL DEFAULT '',
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (collection, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX records_household ON records(household_id, collection);

-- Pending mutations, in mutation_id order. before holds the values the
-- changed fields had in the view when edited (the whole view for a
-- delete). sent = 1 once the entry went out in a push request: from then
-- on it is never changed, because the server may already have applied it.
CREATE TABLE outbox (
    mutation_id  INTEGER PRIMARY KEY,
    user_id      TEXT NOT NULL,
    collection   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    fields       TEXT NOT NULL DEFAULT '{}',
    before       TEXT NOT NULL DEFAULT '{}',
    sent         INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX outbox_record ON outbox(collection, record_id);

-- Results the user must see: conflicts and rejections of pushed mutations.
CREATE TABLE issues (
    mutation_id  INTEGER PRIMARY KEY,
    user_id      TEXT NOT NULL,
    collection   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    status       TEXT NOT NULL,
    code         TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL DEFAULT '',
    conflict_ids TEXT NOT NULL DEFAULT '[]',
    fields       TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL,
    dismissed    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Ids the server merged into another record (duplicate household/member).
CREATE TABLE aliases (
    collection   TEXT NOT NULL,
    alias_id     TEXT NOT NULL,
    canonical_id TEXT NOT NULL,
    PRIMARY KEY (collection, alias_id)
) STRICT, WITHOUT ROWID;

-- The last conflict list fetched from the server, for offline display.
CREATE TABLE conflicts (
    id         TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    body       TEXT NOT NULL,
    fetched_at TEXT NOT NULL
) STRICT;

-- One Ed25519 key per user on this device. The seed never leaves it.
CREATE TABLE signing_keys (
    user_id       TEXT PRIMARY KEY,
    key_id        TEXT NOT NULL UNIQUE,
    seed          BLOB NOT NULL,
    public_key    TEXT NOT NULL,
    registered_at TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
) STRICT;

-- Prepared photos and their tus upload state.
CREATE TABLE photos (
    sha256       TEXT PRIMARY KEY,
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
    created_at   TEXT NOT NULL
) STRICT;
