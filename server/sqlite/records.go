package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/syncproto"
)

// record is a stored record with its scope and bookkeeping columns.
type record struct {
	merge.Record
	Collection  string
	ID          string
	UnitID      string
	HouseholdID string
	ParentID    string
	DedupeKey   string
	Meta        syncproto.RecordMeta
	CreatedBy   string
	CreatedAt   string
	stored      bool  // a row exists (or is pending in a push's cache)
	oldVersion  int64 // the version as loaded or last saved
	dbVersion   int64 // the version of the row in the database, 0 for none
}

const recordCols = `version, collection, id, unit_id, household_id, parent_id, dedupe_key, deleted,
	fields, field_versions, meta, created_by, created_at`

func scanRecord(sc interface{ Scan(...any) error }) (*record, error) {
	r := &record{stored: true}
	var fields, fv, meta string
	if err := sc.Scan(&r.Version, &r.Collection, &r.ID, &r.UnitID, &r.HouseholdID, &r.ParentID, &r.DedupeKey,
		&r.Deleted, &fields, &fv, &meta, &r.CreatedBy, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.oldVersion, r.dbVersion = r.Version, r.Version
	if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
		return nil, fmt.Errorf("record %s/%s fields: %w", r.Collection, r.ID, err)
	}
	if err := json.Unmarshal([]byte(fv), &r.FieldVersions); err != nil {
		return nil, fmt.Errorf("record %s/%s field versions: %w", r.Collection, r.ID, err)
	}
	if err := json.Unmarshal([]byte(meta), &r.Meta); err != nil {
		return nil, fmt.Errorf("record %s/%s meta: %w", r.Collection, r.ID, err)
	}
	return r, nil
}

// findRecord loads a record, deleted or not; nil when there is none.
func findRecord(ctx context.Context, q querier, collection, id string) (*record, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, `SELECT `+recordCols+` FROM records WHERE collection = ? AND id = ?`, collection, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find %s/%s: %w", collection, id, err)
	}
	return r, nil
}

// findRecords loads the records matching a WHERE clause.
func findRecords(ctx context.Context, q querier, where string, args ...any) ([]*record, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+recordCols+` FROM records WHERE `+where+` ORDER BY version`, args...)
	if err != nil {
		return nil, fmt.Errorf("find records: %w", err)
	}
	defer rows.Close()
	var out []*record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// save writes r at its (new) Version, inserting or moving the row.
func saveRecord(ctx context.Context, tx querier, r *record, now string) error {
	fields, fv := encodeRawMap(r.Fields), encodeVersions(r.FieldVersions)
	meta, err := json.Marshal(r.Meta)
	if err != nil {
		return fmt.Errorf("marshal meta: %w", err)
	}
	if !r.stored {
		r.CreatedAt = now
		_, err = tx.ExecContext(ctx, `INSERT INTO records (`+recordCols+`, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Version, r.Collection, r.ID, r.UnitID, r.HouseholdID, r.ParentID, r.DedupeKey, r.Deleted,
			string(fields), string(fv), string(meta), r.CreatedBy, now, now)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE records SET version = ?, unit_id = ?, household_id = ?, parent_id = ?,
			dedupe_key = ?, deleted = ?, fields = ?, field_versions = ?, meta = ?, updated_at = ? WHERE version = ?`,
			r.Version, r.UnitID, r.HouseholdID, r.ParentID, r.DedupeKey, r.Deleted, string(fields), string(fv), string(meta), now, r.oldVersion)
	}
	if err != nil {
		return fmt.Errorf("save %s/%s: %w", r.Collection, r.ID, err)
	}
	r.stored, r.oldVersion, r.dbVersion = true, r.Version, r.Version
	return nil
}

// field returns a string field of r ("" when absent or not a string).
func (r *record) field(name string) string {
	return stringField(r.Fields, name)
}

func stringField(fields map[string]json.RawMessage, name string) string {
	v, ok := fields[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// fieldsJSON returns the record's fields as a JSON object.
func (r *record) fieldsJSON() json.RawMessage {
	return encodeRawMap(r.Fields)
}
