-- Org units, users, roles, sessions, signing keys, relatives, audit log.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE units (
    id         TEXT PRIMARY KEY,
    parent_id  TEXT REFERENCES units(id),
    name       TEXT NOT NULL,
    level      TEXT NOT NULL CHECK (level IN ('county', 'township', 'village')),
    path       TEXT NOT NULL UNIQUE, -- '/county/township/village/'
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX units_parent ON units(parent_id);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    unit_id       TEXT NOT NULL REFERENCES units(id),
    id_number     TEXT NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX users_unit ON users(unit_id);
CREATE INDEX users_id_number ON users(id_number);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
) STRICT, WITHOUT ROWID;

CREATE TABLE relatives (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    id_number  TEXT NOT NULL,
    relation   TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, id_number)
) STRICT;
CREATE INDEX relatives_id_number ON relatives(id_number);

-- A session is one login on one device: a family of rotating refresh tokens.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    device_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_why TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY, -- hex SHA-256 of the opaque token
    session_id TEXT NOT NULL REFERENCES sessions(id),
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);

CREATE TABLE signing_keys (
    key_id     TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    device_id  TEXT NOT NULL,
    public_key TEXT NOT NULL, -- standard base64
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;
CREATE INDEX signing_keys_user ON signing_keys(user_id);

-- Append-only, hash-chained: hash = SHA-256(prev_hash || canonical row).
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    detail      TEXT NOT NULL, -- JSON
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;
CREATE INDEX audit_object ON audit_log(object_type, object_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
