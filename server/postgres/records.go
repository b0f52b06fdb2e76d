package postgres

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server"
)

const recordCols = `r.version, r.collection, r.id, r.unit_id, r.household_id, r.parent_id, r.dedupe_key, r.deleted,
	r.fields, r.fields_s2, r.field_versions, r.meta, r.created_by, r.created_at`

func scanRecord(row pgx.CollectableRow) (*server.Record, error) {
	r := &server.Record{Stored: true}
	var plain, z, fv, meta []byte
	if err := row.Scan(&r.Version, &r.Collection, &r.ID, &r.UnitID, &r.HouseholdID, &r.ParentID, &r.DedupeKey,
		&r.Deleted, &plain, &z, &fv, &meta, &r.CreatedBy, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.OldVersion, r.CreatedAt = r.Version, r.CreatedAt.UTC()
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

// loadRecords runs a query on records (r), whose first argument is the
// county filter, and returns what it found without touching the cache.
func (t *tx) loadRecords(from string, args ...any) ([]*server.Record, error) {
	counties, err := t.counties()
	if err != nil {
		return nil, err
	}
	rows, err := t.pg.Query(t.ctx, `SELECT `+recordCols+` FROM `+from, append([]any{counties}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("find records: %w", err)
	}
	rs, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, fmt.Errorf("find records: %w", err)
	}
	return rs, nil
}

// findRecords flushes pending writes, loads the records matching where
// (after the county filter $1) in version order, and returns the cached
// copy of each.
func (t *tx) findRecords(where string, args ...any) ([]*server.Record, error) {
	if err := t.flush(); err != nil {
		return nil, err
	}
	rs, err := t.loadRecords(`records r WHERE r.county_id = ANY($1) AND `+where+` ORDER BY r.version`, args...)
	for i, r := range rs {
		rs[i] = t.cached(r)
	}
	return rs, err
}

// findRecord is the first of findRecords (by version), nil when none.
func (t *tx) findRecord(where string, args ...any) (*server.Record, error) {
	rs, err := t.findRecords(where, args...)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0], nil
}

// Record loads a record, deleted or not, through the cache: the same
// pointer every time; nil when there is none.
func (t *tx) Record(collection, id string) (*server.Record, error) {
	k := recKey{collection, id}
	if r, ok := t.cache[k]; ok {
		return r, nil
	}
	rs, err := t.loadRecords(`records r WHERE r.county_id = ANY($1) AND r.collection = $2 AND r.id = $3`, collection, id)
	if err != nil {
		return nil, err
	}
	var r *server.Record
	if len(rs) > 0 {
		r = rs[0]
	}
	t.cache[k] = r
	return r, nil
}

// Put writes r at its Version: it is cached at once and written to the
// database at the next flush.
func (t *tx) Put(r *server.Record) error {
	if err := t.writable(); err != nil {
		return err
	}
	k := recKey{r.Collection, r.ID}
	if !r.Stored && r.CreatedAt.IsZero() {
		r.CreatedAt = t.now
	}
	r.Stored, r.OldVersion = true, r.Version
	t.cache[k] = r
	if _, ok := t.pending[k]; !ok {
		t.pendingOrder = append(t.pendingOrder, k)
	}
	t.pending[k] = r
	t.trackHead(r)
	return nil
}
