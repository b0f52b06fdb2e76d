package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
)

// CanonicalID implements server.Tx.
func (t *tx) CanonicalID(collection, id string) (string, error) {
	if !t.aliasesLoaded {
		if err := t.tx.QueryRowContext(t.ctx, `SELECT EXISTS (SELECT 1 FROM aliases)`).Scan(&t.aliases); err != nil {
			return "", fmt.Errorf("aliases: %w", err)
		}
		t.aliasesLoaded = true
	}
	if !t.aliases {
		return id, nil
	}
	var canon string
	err := t.queryRow(`SELECT canonical_id FROM aliases WHERE collection = ? AND alias_id = ?`, []any{collection, id}, &canon)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return id, nil // no alias: the id is canonical
	case err != nil:
		return "", fmt.Errorf("find alias: %w", err)
	}
	return canon, nil
}

// AddAlias implements server.Tx.
func (t *tx) AddAlias(collection, alias, canonical string) error {
	if err := t.exec(`INSERT INTO aliases (collection, alias_id, canonical_id, created_at) VALUES (?, ?, ?, ?)`,
		collection, alias, canonical, ts(t.db.Now())); err != nil {
		return err
	}
	t.aliases, t.aliasesLoaded = true, true
	return nil
}

// AddScopeExit implements server.Tx.
func (t *tx) AddScopeExit(version int64, collection, id, fromUnit string) error {
	return t.exec(`INSERT INTO scope_exits (version, collection, id, from_unit_id) VALUES (?, ?, ?, ?)`,
		version, collection, id, fromUnit)
}

// DeviceLast implements server.Tx.
func (t *tx) DeviceLast(device, user string) (int64, error) {
	var last int64
	err := t.queryRow(`SELECT last_mutation_id FROM devices WHERE device_id = ? AND user_id = ?`, []any{device, user}, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return last, err
}

// SetDeviceLast implements server.Tx.
func (t *tx) SetDeviceLast(device, user string, last int64, at time.Time) error {
	return t.exec(`INSERT INTO devices (device_id, user_id, last_mutation_id, updated_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (device_id, user_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id,
		updated_at = excluded.updated_at`, device, user, last, ts(at))
}

// LoggedResult implements server.Tx.
func (t *tx) LoggedResult(device, user string, mutationID int64) ([]byte, bool, error) {
	var res string
	err := t.queryRow(`SELECT result FROM mutation_log WHERE device_id = ? AND user_id = ? AND mutation_id = ?`,
		[]any{device, user, mutationID}, &res)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return []byte(res), true, nil
}

var mutationLogCols = []string{"device_id", "mutation_id", "user_id", "collection", "record_id", "op",
	"base_version", "status", "error_code", "unit_id", "result", "payload", "created_at"}

// LogMutation implements server.Tx: the row is written at the end of the
// transaction with the others.
func (t *tx) LogMutation(e server.MutationLogEntry) error {
	if t.readOnly {
		return errReadOnly
	}
	var payload any // NULL unless the input is kept for a person
	if e.Payload != nil {
		payload = string(e.Payload)
	}
	t.logged = append(t.logged, []any{e.DeviceID, e.MutationID, e.UserID, e.Collection, e.RecordID, e.Op, e.BaseVersion,
		e.Status, e.ErrorCode, e.UnitID, string(e.Result), payload, ts(e.CreatedAt)})
	return nil
}

// Rejections implements server.Tx. created_at compares as stored text,
// the same order as ORDER BY uses.
func (t *tx) Rejections(path string, after *server.RejectionKey, limit int) ([]server.MutationLogEntry, error) {
	where, args := `status = 'rejected' AND unit_id IN (SELECT id FROM units WHERE substr(path, 1, length(?)) = ?)`, []any{path, path}
	if after != nil {
		at := ts(after.CreatedAt)
		where += ` AND (created_at < ? OR (created_at = ? AND (device_id > ? OR (device_id = ? AND
			(user_id > ? OR (user_id = ? AND mutation_id < ?))))))`
		args = append(args, at, at, after.DeviceID, after.DeviceID, after.UserID, after.UserID, after.MutationID)
	}
	rows, err := t.query(`SELECT device_id, user_id, mutation_id, collection, record_id, op, base_version,
		payload, result, created_at FROM mutation_log WHERE `+where+`
		ORDER BY created_at DESC, device_id, user_id, mutation_id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []server.MutationLogEntry
	for rows.Next() {
		var e server.MutationLogEntry
		var payload sql.NullString
		var result, created string
		if err := rows.Scan(&e.DeviceID, &e.UserID, &e.MutationID, &e.Collection, &e.RecordID, &e.Op, &e.BaseVersion,
			&payload, &result, &created); err != nil {
			return nil, err
		}
		if payload.Valid {
			e.Payload = []byte(payload.String)
		}
		e.Result, e.CreatedAt = []byte(result), parseTS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Setting implements server.Tx.
func (t *tx) Setting(key string) (string, bool, error) {
	var v string
	err := t.queryRow(`SELECT value FROM settings WHERE key = ?`, []any{key}, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// SetSetting implements server.Tx.
func (t *tx) SetSetting(key, value string) error {
	return t.exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
}
