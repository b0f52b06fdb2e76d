package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/ruhu-org/ruhu/server"
)

const recordCols = `version, collection, id, unit_id, household_id, parent_id, dedupe_key, deleted,
	fields, fields_s2, field_versions, meta, created_by, created_at`

func scanRecord(sc interface{ Scan(...any) error }) (*server.Record, error) {
	r := &server.Record{Stored: true}
	var plain, z, fv, meta []byte
	var created string
	if err := sc.Scan(&r.Version, &r.Collection, &r.ID, &r.UnitID, &r.HouseholdID, &r.ParentID, &r.DedupeKey,
		&r.Deleted, &plain, &z, &fv, &meta, &r.CreatedBy, &created); err != nil {
		return nil, err
	}
	r.OldVersion, r.CreatedAt = r.Version, parseTS(created)
	fields, err := server.LoadFields(nil, plain, z)
	if err == nil {
		err = json.Unmarshal(fields, &r.Fields)
	}
	if err != nil {
		return nil, fmt.Errorf("record %s/%s fields: %w", r.Collection, r.ID, err)
	}
	if r.FieldVersions, err = server.LoadVersions(fv, r.Fields, r.Version); err != nil {
		return nil, fmt.Errorf("record %s/%s field versions: %w", r.Collection, r.ID, err)
	}
	r.Audited = maps.Clone(r.Fields)
	if err := json.Unmarshal(meta, &r.Meta); err != nil {
		return nil, fmt.Errorf("record %s/%s meta: %w", r.Collection, r.ID, err)
	}
	return r, nil
}

// findRecords loads the records matching a WHERE clause, in version order,
// returning the cached copy of each.
func (t *tx) findRecords(where string, args ...any) ([]*server.Record, error) {
	return t.scanRecords(t.cached, where, args...)
}

// scanRecords runs a query on records and passes each record read through
// keep, which returns the copy to use.
func (t *tx) scanRecords(keep func(*server.Record) *server.Record, where string, args ...any) ([]*server.Record, error) {
	rows, err := t.query(`SELECT `+recordCols+` FROM records WHERE `+where+` ORDER BY version`, args...)
	if err != nil {
		return nil, fmt.Errorf("find records: %w", err)
	}
	defer rows.Close()
	var out []*server.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, keep(r))
	}
	return out, rows.Err()
}

// findOne is findRecords for at most one record (nil when none).
func (t *tx) findOne(where string, args ...any) (*server.Record, error) {
	rs, err := t.findRecords(where, args...)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0], nil
}

// Record implements server.Tx.
func (t *tx) Record(collection, id string) (*server.Record, error) {
	k := recKey(collection, id)
	if r, ok := t.cache[k]; ok {
		return r, nil
	}
	s, err := t.stmt(`SELECT ` + recordCols + ` FROM records WHERE collection = ? AND id = ?`)
	if err != nil {
		return nil, err
	}
	r, err := scanRecord(s.QueryRowContext(t.ctx, collection, id))
	if errors.Is(err, sql.ErrNoRows) {
		r, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", k, err)
	}
	if r != nil {
		t.dbVersion[k] = r.Version
	}
	t.cache[k] = r
	return r, nil
}

// LiveMember implements server.Tx.
func (t *tx) LiveMember(key, household string) (*server.Record, error) {
	return t.findOne(`collection = 'members' AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0
		AND household_id = ?`, key, household)
}

// MemberElsewhere implements server.Tx.
func (t *tx) MemberElsewhere(key, self, household string) (*server.Record, error) {
	return t.findOne(`collection = 'members' AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0 AND id != ? AND household_id != ?
		AND household_id IN (SELECT id FROM records WHERE collection = 'households' AND deleted = 0)`, key, self, household)
}

// MembersElsewhere implements server.Tx.
func (t *tx) MembersElsewhere(household string) (int, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM records m WHERE m.collection = 'members' AND m.household_id = ?
		AND m.deleted = 0 AND m.dedupe_key != '' AND EXISTS (SELECT 1 FROM records o WHERE o.collection = 'members'
			AND o.dedupe_key = m.dedupe_key AND o.deleted = 0 AND o.household_id != m.household_id
			AND o.household_id IN (SELECT id FROM records WHERE collection = 'households' AND deleted = 0))`,
		[]any{household}, &n)
	return n, err
}

// Children implements server.Tx.
func (t *tx) Children(household string) ([]*server.Record, error) {
	return t.findRecords(`household_id = ? AND collection != 'households'`, household)
}

// LiveMembers implements server.Tx.
func (t *tx) LiveMembers(household string) ([]*server.Record, error) {
	return t.findRecords(`collection = 'members' AND household_id = ? AND deleted = 0`, household)
}

// Signatures implements server.Tx. The test that parent_id is not empty
// lets SQLite use the partial index records_parent; without it every
// signature of the county is read.
func (t *tx) Signatures(investigation string) ([]*server.Record, error) {
	return t.findRecords(`collection = 'signatures' AND parent_id = ? AND parent_id != ''`, investigation)
}

// ValidSigners implements server.Tx. As in Signatures, the test that
// parent_id is not empty makes records_parent usable, and the unary + keeps
// the planner (which has no statistics) from preferring
// records_collection_unit, a scan of every live signature.
func (t *tx) ValidSigners(investigation, contentHash string) ([]string, error) {
	rows, err := t.query(`SELECT DISTINCT k.user_id FROM records s
		JOIN signing_keys k ON k.key_id = json_extract(s.fields, '$.key_id')
		WHERE s.parent_id = ? AND s.parent_id != '' AND +s.collection = 'signatures' AND s.deleted = 0
		AND json_extract(s.fields, '$.content_hash') = ? ORDER BY k.user_id`, investigation, contentHash)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

// HasCommitmentPhoto implements server.Tx.
func (t *tx) HasCommitmentPhoto(household string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM records WHERE collection = 'photos' AND household_id = ?
		AND deleted = 0 AND json_extract(fields, '$.kind') = 'commitment'`, []any{household}, &n)
	return n > 0, err
}

// PhotoFilings implements server.Tx.
func (t *tx) PhotoFilings(shas []string) ([]*server.Record, error) {
	var out []*server.Record
	for start := 0; start < len(shas); start += maxInArgs {
		marks, args := inList(shas[start:min(start+maxInArgs, len(shas))])
		rs, err := t.findRecords(`collection = 'photos' AND (id IN (`+marks+`)
			OR json_extract(fields, '$.sha256') IN (`+marks+`))`, append(args, args...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// scanStrings reads a one-column result and closes rows.
func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
