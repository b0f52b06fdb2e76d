-- Sync core: records, per-device mutation log, conflicts, aliases, scope exits.

-- The single server-wide version sequence.
CREATE TABLE version_seq (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
) STRICT;
INSERT INTO version_seq (id, value) VALUES (1, 0);

-- Current state of every record. version is the rowid: a pull is a range
-- scan in version order.
CREATE TABLE records (
    version        INTEGER PRIMARY KEY,
    collection     TEXT NOT NULL,
    id             TEXT NOT NULL,
    unit_id        TEXT NOT NULL,             -- the village whose subtree owns it
    household_id   TEXT NOT NULL DEFAULT '',  -- own id for a household
    parent_id      TEXT NOT NULL DEFAULT '',  -- investigation of a signature
    dedupe_key     TEXT NOT NULL DEFAULT '',  -- head_id_number / id_number
    deleted        INTEGER NOT NULL DEFAULT 0,
    fields         TEXT NOT NULL,             -- JSON object
    field_versions TEXT NOT NULL,             -- JSON object: field -> version
    meta           TEXT NOT NULL DEFAULT '{}',
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (collection, id)
) STRICT;
CREATE INDEX records_unit ON records(unit_id);
CREATE INDEX records_household ON records(household_id, collection);
CREATE INDEX records_parent ON records(parent_id) WHERE parent_id != '';
CREATE INDEX records_dedupe ON records(collection, dedupe_key) WHERE dedupe_key != '' AND deleted = 0;

-- A record that left a unit's subtree: readers of from_unit_id get a
-- tombstone for it unless it is still in their subtree.
CREATE TABLE scope_exits (
    version      INTEGER PRIMARY KEY,
    collection   TEXT NOT NULL,
    id           TEXT NOT NULL,
    from_unit_id TEXT NOT NULL
) STRICT;
CREATE INDEX scope_exits_unit ON scope_exits(from_unit_id);

-- A device id merged into another record (duplicate household).
CREATE TABLE aliases (
    collection   TEXT NOT NULL,
    alias_id     TEXT NOT NULL,
    canonical_id TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (collection, alias_id)
) STRICT, WITHOUT ROWID;

-- A device's mutation counter, per user of the device: two investigators
-- share a tablet, and a user who claims another's device id can neither
-- advance nor read the counter of the device's real users.
CREATE TABLE devices (
    device_id        TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    last_mutation_id INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (device_id, user_id)
) STRICT, WITHOUT ROWID;

-- Every mutation a device pushed, with its result (replays answer from here).
-- payload is kept for rejected and conflicting mutations.
CREATE TABLE mutation_log (
    device_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    mutation_id  INTEGER NOT NULL,
    collection   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    status       TEXT NOT NULL,
    error_code   TEXT NOT NULL DEFAULT '',
    unit_id      TEXT NOT NULL DEFAULT '',
    result       TEXT NOT NULL, -- JSON MutationResult
    payload      TEXT,          -- JSON Mutation, for rejected/conflict
    created_at   TEXT NOT NULL,
    PRIMARY KEY (device_id, user_id, mutation_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX mutation_log_rejected ON mutation_log(status, unit_id) WHERE status = 'rejected';

CREATE TABLE conflicts (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    collection    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    field         TEXT NOT NULL DEFAULT '',
    server_value  TEXT NOT NULL, -- JSON
    client_value  TEXT NOT NULL, -- JSON
    base_version  INTEGER NOT NULL,
    op            TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    device_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    mutation_id   INTEGER NOT NULL,
    unit_id       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open',
    resolution    TEXT,
    resolved_by   TEXT,
    resolved_at   TEXT,
    version_after INTEGER,
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX conflicts_unit_status ON conflicts(unit_id, status);
CREATE INDEX conflicts_record ON conflicts(collection, record_id);
