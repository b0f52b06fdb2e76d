-- ruhu on PostgreSQL. Every table of county data has county_id as the
-- first column of its primary key (the Citus distribution column); the
-- county of a unit is the first segment of its path '/county/township/village/'.
-- JSON is stored as text: it is read back verbatim and sent to clients, and
-- the few lookups inside it cast the handful of rows they touch.

-- Server-wide settings and secrets (a Citus reference table).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Names unique across counties: unit ids and usernames (a reference table;
-- a distributed table can only enforce uniqueness within a county).
CREATE TABLE global_names (
    kind      TEXT NOT NULL CHECK (kind IN ('unit', 'username')),
    name      TEXT NOT NULL,
    county_id TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);

-- One row per county: its version counter and audit chain head. A writer
-- locks it first and holds it to commit (see server/postgres/doc.go).
CREATE TABLE county_heads (
    county_id  TEXT PRIMARY KEY,
    version    BIGINT NOT NULL,
    audit_seq  BIGINT NOT NULL,
    audit_hash TEXT NOT NULL
);

CREATE TABLE units (
    county_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    parent_id  TEXT,
    name       TEXT NOT NULL,
    level      TEXT NOT NULL CHECK (level IN ('county', 'township', 'village')),
    path       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, path)
);
CREATE INDEX units_id ON units (id);

CREATE TABLE users (
    county_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    unit_id       TEXT NOT NULL,
    id_number     TEXT NOT NULL DEFAULT '',
    roles         TEXT[] NOT NULL DEFAULT '{}',
    disabled      BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, username),
    FOREIGN KEY (county_id, unit_id) REFERENCES units (county_id, id)
);
CREATE INDEX users_id ON users (id);
CREATE INDEX users_username ON users (username);
CREATE INDEX users_unit ON users (county_id, unit_id);

CREATE TABLE relatives (
    county_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    id_number  TEXT NOT NULL,
    relation   TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, user_id, id_number),
    FOREIGN KEY (county_id, user_id) REFERENCES users (county_id, id)
);
CREATE INDEX relatives_user ON relatives (user_id, id_number);

CREATE TABLE sessions (
    county_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    revoked_why TEXT,
    PRIMARY KEY (county_id, id),
    FOREIGN KEY (county_id, user_id) REFERENCES users (county_id, id)
);
CREATE INDEX sessions_id ON sessions (id);
CREATE INDEX sessions_user ON sessions (county_id, user_id);

CREATE TABLE refresh_tokens (
    county_id  TEXT NOT NULL,
    token_hash TEXT NOT NULL, -- hex SHA-256 of the opaque token
    session_id TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    PRIMARY KEY (county_id, token_hash),
    FOREIGN KEY (county_id, session_id) REFERENCES sessions (county_id, id)
);
CREATE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);

-- created_at and revoked_at are the wire strings (RFC 3339), kept verbatim.
CREATE TABLE signing_keys (
    county_id  TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    public_key TEXT NOT NULL, -- standard base64
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    PRIMARY KEY (county_id, key_id),
    FOREIGN KEY (county_id, user_id) REFERENCES users (county_id, id)
);
CREATE INDEX signing_keys_key ON signing_keys (key_id);
CREATE INDEX signing_keys_user ON signing_keys (user_id);

-- Current state of every record; a pull is a range scan of the primary key.
CREATE TABLE records (
    county_id      TEXT NOT NULL,
    version        BIGINT NOT NULL,
    collection     TEXT NOT NULL,
    id             TEXT NOT NULL,
    unit_id        TEXT NOT NULL,
    household_id   TEXT NOT NULL DEFAULT '',
    parent_id      TEXT NOT NULL DEFAULT '',
    dedupe_key     TEXT NOT NULL DEFAULT '',
    deleted        BOOLEAN NOT NULL DEFAULT false,
    fields         TEXT NOT NULL, -- JSON object, verbatim
    field_versions TEXT NOT NULL, -- JSON object: field -> version
    meta           TEXT NOT NULL DEFAULT '{}',
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_id, version),
    UNIQUE (county_id, collection, id)
);
CREATE INDEX records_unit ON records (county_id, unit_id, version);
CREATE INDEX records_household ON records (county_id, household_id, collection);
CREATE INDEX records_parent ON records (county_id, parent_id) WHERE parent_id <> '';
CREATE INDEX records_dedupe ON records (county_id, collection, dedupe_key) WHERE dedupe_key <> '' AND NOT deleted;

CREATE TABLE scope_exits (
    county_id    TEXT NOT NULL,
    version      BIGINT NOT NULL,
    collection   TEXT NOT NULL,
    id           TEXT NOT NULL,
    from_unit_id TEXT NOT NULL,
    PRIMARY KEY (county_id, version)
);
CREATE INDEX scope_exits_record ON scope_exits (county_id, collection, id, version);

CREATE TABLE aliases (
    county_id    TEXT NOT NULL,
    collection   TEXT NOT NULL,
    alias_id     TEXT NOT NULL,
    canonical_id TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_id, collection, alias_id)
);

CREATE TABLE devices (
    county_id        TEXT NOT NULL,
    device_id        TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    last_mutation_id BIGINT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_id, device_id, user_id)
);

CREATE TABLE mutation_log (
    county_id    TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    mutation_id  BIGINT NOT NULL,
    collection   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    base_version BIGINT NOT NULL,
    status       TEXT NOT NULL,
    error_code   TEXT NOT NULL DEFAULT '',
    unit_id      TEXT NOT NULL DEFAULT '',
    result       TEXT NOT NULL, -- JSON MutationResult
    payload      TEXT,          -- JSON Mutation, for rejected/conflict
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_id, device_id, user_id, mutation_id)
);
CREATE INDEX mutation_log_rejected ON mutation_log (county_id, unit_id, created_at) WHERE status = 'rejected';

-- client_household is client_value's household_id (a string), extracted
-- for MoveHouseholdConflicts.
CREATE TABLE conflicts (
    county_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    kind             TEXT NOT NULL,
    collection       TEXT NOT NULL,
    record_id        TEXT NOT NULL,
    field            TEXT NOT NULL DEFAULT '',
    server_value     TEXT NOT NULL, -- JSON
    client_value     TEXT NOT NULL, -- JSON
    client_household TEXT NOT NULL DEFAULT '',
    base_version     BIGINT NOT NULL,
    op               TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT '',
    device_id        TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    mutation_id      BIGINT NOT NULL,
    unit_id          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open',
    resolution       TEXT,
    resolved_by      TEXT,
    resolved_at      TEXT,
    version_after    BIGINT,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (county_id, id)
);
CREATE INDEX conflicts_unit_status ON conflicts (county_id, unit_id, status);
CREATE INDEX conflicts_record ON conflicts (county_id, collection, record_id);
CREATE INDEX conflicts_client_household ON conflicts (county_id, client_household)
    WHERE kind = 'person_in_two_households';

-- Append-only, hash-chained per county: hash = server.RowHash(prev_hash, row).
CREATE TABLE audit_log (
    county_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    at          TEXT NOT NULL, -- RFC 3339 with nanoseconds, as hashed
    actor_id    TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    detail      TEXT NOT NULL, -- JSON, as hashed
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (county_id, seq)
);
CREATE INDEX audit_object ON audit_log (county_id, object_type, object_id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
