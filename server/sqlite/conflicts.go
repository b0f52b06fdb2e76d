package sqlite

import (
	"encoding/json"

	"github.com/ruhu-org/ruhu/server"
)

const conflictCols = `id, kind, collection, record_id, field, server_value, client_value, base_version, op, detail,
	device_id, user_id, created_at, status, coalesce(resolution, ''), coalesce(resolved_by, ''), coalesce(resolved_at, ''),
	coalesce(version_after, 0), unit_id, mutation_id`

func scanConflict(sc interface{ Scan(...any) error }) (*server.StoredConflict, error) {
	var c server.StoredConflict
	var sv, cv, resolution string
	err := sc.Scan(&c.ID, &c.Kind, &c.Collection, &c.RecordID, &c.Field, &sv, &cv, &c.BaseVersion, &c.Op, &c.Detail,
		&c.DeviceID, &c.UserID, &c.CreatedAt, &c.Status, &resolution, &c.ResolvedBy, &c.ResolvedAt, &c.Version, &c.UnitID,
		&c.MutationID)
	if err != nil {
		return nil, err
	}
	c.ServerValue, c.ClientValue = json.RawMessage(sv), json.RawMessage(cv)
	if resolution != "" {
		c.Resolution = json.RawMessage(resolution)
	}
	return &c, nil
}

// AddConflict implements server.Tx.
func (t *tx) AddConflict(c *server.StoredConflict) error {
	return t.exec(`INSERT INTO conflicts (id, kind, collection, record_id, field, server_value, client_value,
		base_version, op, detail, device_id, user_id, mutation_id, unit_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Kind, c.Collection, c.RecordID, c.Field, string(c.ServerValue), string(c.ClientValue), c.BaseVersion, c.Op,
		c.Detail, c.DeviceID, c.UserID, c.MutationID, c.UnitID, c.CreatedAt)
}

// Conflict implements server.Tx.
func (t *tx) Conflict(id string) (*server.StoredConflict, error) {
	rows, err := t.query(`SELECT `+conflictCols+` FROM conflicts WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	return scanConflict(rows)
}

// Conflicts implements server.Tx.
func (t *tx) Conflicts(path, status, after string, limit int) ([]server.StoredConflict, error) {
	rows, err := t.query(`SELECT `+conflictCols+` FROM conflicts c
		WHERE (? = 'all' OR c.status = ?) AND c.unit_id IN (SELECT id FROM units WHERE substr(path, 1, length(?)) = ?)
		AND c.id > ? ORDER BY c.id LIMIT ?`, status, status, path, path, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []server.StoredConflict
	for rows.Next() {
		c, err := scanConflict(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// OpenConflicts implements server.Tx.
func (t *tx) OpenConflicts(collection, id string) (int, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM conflicts WHERE collection = ? AND record_id = ? AND status = 'open'`,
		[]any{collection, id}, &n)
	return n, err
}

// CloseConflict implements server.Tx.
func (t *tx) CloseConflict(c *server.StoredConflict) error {
	return t.exec(`UPDATE conflicts SET status = ?, resolution = ?, resolved_by = ?, resolved_at = ?, version_after = ?
		WHERE id = ?`, c.Status, string(c.Resolution), c.ResolvedBy, c.ResolvedAt, c.Version, c.ID)
}

// MoveRecordConflicts implements server.Tx.
func (t *tx) MoveRecordConflicts(collection, id, unit string) error {
	return t.exec(`UPDATE conflicts SET unit_id = ? WHERE collection = ? AND record_id = ?`, unit, collection, id)
}

// MoveHouseholdConflicts implements server.Tx.
func (t *tx) MoveHouseholdConflicts(household, unit string) error {
	if err := t.flush(); err != nil {
		return err
	}
	return t.exec(`UPDATE conflicts SET unit_id = ?
		WHERE (collection, record_id) IN (SELECT collection, id FROM records WHERE household_id = ?)
		OR (kind = 'person_in_two_households' AND json_extract(client_value, '$.household_id') = ?
			AND NOT EXISTS (SELECT 1 FROM records r WHERE r.collection = conflicts.collection AND r.id = conflicts.record_id))`,
		unit, household, household)
}
