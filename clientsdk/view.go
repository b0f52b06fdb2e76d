package clientsdk

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"

	"github.com/ruhu-org/ruhu/syncproto"
)

// fieldMap is a record's fields as raw JSON values.
type fieldMap = map[string]json.RawMessage

var jsonNull = json.RawMessage("null")

func decodeFields(s string) (fieldMap, error) {
	m := fieldMap{}
	if s == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode fields: %w", err)
	}
	return m, nil
}

func encodeFields(m fieldMap) string {
	if m == nil {
		m = fieldMap{}
	}
	b, _ := json.Marshal(m) // raw values are valid JSON
	return string(b)
}

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), jsonNull)
}

// overlay returns base with fields laid over it, the way the server stores
// an upsert: a null value removes the field.
func overlay(base, fields fieldMap) fieldMap {
	out := maps.Clone(base)
	if out == nil {
		out = fieldMap{}
	}
	for k, v := range fields {
		if isNull(v) {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// jsonEqual compares two JSON values as JSON (absent equals null), as the
// server's merge does.
func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if isNull(a) || isNull(b) {
		return isNull(a) && isNull(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// recordRow is a row of the records table.
type recordRow struct {
	Collection, ID string
	Version        int64
	ServerFields   fieldMap // nil: the server has not acknowledged it
	ServerDeleted  bool
	Meta           string
	View           fieldMap // nil: hidden
	exists         bool
}

func loadRow(ctx context.Context, q querier, collection, id string) (*recordRow, error) {
	r := &recordRow{Collection: collection, ID: id, Meta: "{}"}
	var server, view sql.NullString
	err := q.QueryRowContext(ctx, `SELECT version, server_fields, server_deleted, meta, view FROM records
		WHERE collection = ? AND id = ?`, collection, id).Scan(&r.Version, &server, &r.ServerDeleted, &r.Meta, &view)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load %s/%s: %w", collection, id, err)
	}
	r.exists = true
	if server.Valid {
		if r.ServerFields, err = decodeFields(server.String); err != nil {
			return nil, err
		}
	}
	if view.Valid {
		if r.View, err = decodeFields(view.String); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// recompute rebuilds a record's view from its server state and its queued
// mutations, and purges the row when nothing is left of it. A field still
// in the outbox always shows the local value, whatever the server sent.
func (c *Client) recompute(ctx context.Context, tx *sql.Tx, collection, id string) error {
	r, err := loadRow(ctx, tx, collection, id)
	if err != nil {
		return err
	}
	entries, err := entriesFor(ctx, tx, collection, id)
	if err != nil {
		return err
	}
	if len(entries) == 0 && (r.ServerDeleted || r.ServerFields == nil) {
		_, err := tx.ExecContext(ctx, `DELETE FROM records WHERE collection = ? AND id = ?`, collection, id)
		return err
	}
	r.View = nil
	if !r.ServerDeleted && r.ServerFields != nil {
		r.View = maps.Clone(r.ServerFields)
	}
	for _, e := range entries {
		switch {
		case e.Op == syncproto.OpDelete || r.ServerDeleted:
			r.View = nil
		default:
			r.View = overlay(r.View, e.Fields)
		}
	}
	return c.writeRow(ctx, tx, r)
}

// upsertRecordSQL inserts or replaces a row of the records table.
const upsertRecordSQL = `INSERT INTO records (collection, id, version, server_fields, server_deleted, meta,
	view, household_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (collection, id) DO UPDATE SET version = excluded.version, server_fields = excluded.server_fields,
	server_deleted = excluded.server_deleted, meta = excluded.meta, view = excluded.view,
	household_id = excluded.household_id, updated_at = excluded.updated_at`

// writeRow stores r (inserting or replacing the row).
func (c *Client) writeRow(ctx context.Context, tx *sql.Tx, r *recordRow) error {
	var server, view any
	if r.ServerFields != nil {
		server = encodeFields(r.ServerFields)
	}
	if r.View != nil {
		view = encodeFields(r.View)
	}
	_, err := tx.ExecContext(ctx, upsertRecordSQL, r.Collection, r.ID, r.Version, server, r.ServerDeleted, r.Meta, view, householdOf(r), c.nowString())
	if err != nil {
		return fmt.Errorf("write %s/%s: %w", r.Collection, r.ID, err)
	}
	return nil
}

// householdOf is the household a record belongs to, for listing.
func householdOf(r *recordRow) string {
	if r.Collection == syncproto.CollHouseholds {
		return r.ID
	}
	for _, m := range []fieldMap{r.View, r.ServerFields} {
		var s string
		if v, ok := m["household_id"]; ok && json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return ""
}
