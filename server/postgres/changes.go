package postgres

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

var (
	emptyObject = json.RawMessage(`{}`)
	leftScope   = json.RawMessage(`{"left_scope":true}`)
)

// Changes returns up to limit changes after version after, in version
// order, of the records in the units scope (every unit when all): live
// records, tombstones (fields {}) of deleted ones, and a left_scope
// tombstone for each record that left scope and is not back in it. The
// stored JSON is returned verbatim. Versions are per county: a read
// transaction works out the county from scope (from the only county when
// all) and fails when scope spans several.
func (t *tx) Changes(scope []string, all bool, after int64, limit int) ([]syncproto.Change, error) {
	if (!all && len(scope) == 0) || limit <= 0 {
		return nil, nil
	}
	if err := t.flush(); err != nil {
		return nil, err
	}
	county, err := t.changesCounty(scope, all)
	if err != nil || county == "" {
		return nil, err
	}
	live, err := t.liveChanges(county, scope, all, after, limit)
	if err != nil || all {
		return live, err
	}
	exits, err := t.exitChanges(county, scope, after, limit)
	if err != nil {
		return nil, err
	}
	merged := server.MergeByVersion(live, exits)
	return merged[:min(len(merged), limit)], nil
}

// changesCounty is the one county whose changes are asked for ("" when
// none has data).
func (t *tx) changesCounty(scope []string, all bool) (string, error) {
	if t.county != "" {
		return t.county, nil
	}
	var counties []string
	var err error
	if all {
		counties, err = t.counties()
	} else {
		var rows pgx.Rows
		rows, err = t.pg.Query(t.ctx, `SELECT DISTINCT county_id FROM units WHERE id = ANY($1)`, scope)
		if err == nil {
			counties, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
	}
	switch {
	case err != nil:
		return "", fmt.Errorf("changes: county of scope: %w", err)
	case len(counties) > 1:
		return "", errors.New("changes: the scope spans several counties, whose versions are unrelated")
	case len(counties) == 0:
		return "", nil
	}
	return counties[0], nil
}

// liveChanges reads records: live ones and tombstones of deleted ones.
func (t *tx) liveChanges(county string, scope []string, all bool, after int64, limit int) ([]syncproto.Change, error) {
	const cols = `SELECT version, collection, id, deleted, CASE WHEN deleted THEN '{}' ELSE fields END,
		CASE WHEN deleted THEN NULL ELSE fields_s2 END, meta FROM records`
	var rows pgx.Rows
	var err error
	if all {
		rows, err = t.pg.Query(t.ctx, cols+` WHERE county_id = $1 AND version > $2 ORDER BY version LIMIT $3`,
			county, after, limit)
	} else {
		rows, err = t.pg.Query(t.ctx, cols+` WHERE county_id = $1 AND version > $2 AND unit_id = ANY($3)
			ORDER BY version LIMIT $4`, county, after, scope, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer rows.Close()
	out := make([]syncproto.Change, 0, min(limit, 1024))
	var slab []byte // fields and meta of many rows share one allocation
	for rows.Next() {
		var c syncproto.Change
		var fields, z, meta []byte // the driver's memory, valid until Next
		if err := rows.Scan(&c.Version, &c.Collection, &c.ID, &c.Deleted, (*pgtype.DriverBytes)(&fields),
			(*pgtype.DriverBytes)(&z), (*pgtype.DriverBytes)(&meta)); err != nil {
			return nil, fmt.Errorf("changes: %w", err)
		}
		if slab, c.Fields, err = server.SlabFields(slab, fields, z); err != nil {
			return nil, fmt.Errorf("changes: %s/%s: %w", c.Collection, c.ID, err)
		}
		slab, c.Meta = carve(slab, meta)
		out = append(out, c)
	}
	return out, wrap("changes", rows.Err())
}

// exitChanges reads the latest exit of each record that left the scope
// and is not back in it.
func (t *tx) exitChanges(county string, scope []string, after int64, limit int) ([]syncproto.Change, error) {
	rows, err := t.pg.Query(t.ctx, `SELECT e.version, e.collection, e.id FROM scope_exits e
		JOIN records r ON r.county_id = e.county_id AND r.collection = e.collection AND r.id = e.id
		WHERE e.county_id = $1 AND e.version > $2 AND e.from_unit_id = ANY($3) AND NOT (r.unit_id = ANY($3))
		AND NOT EXISTS (SELECT 1 FROM scope_exits l WHERE l.county_id = e.county_id AND l.collection = e.collection
			AND l.id = e.id AND l.version > e.version AND l.from_unit_id = ANY($3))
		ORDER BY e.version LIMIT $4`, county, after, scope, limit)
	if err != nil {
		return nil, fmt.Errorf("changes: exits: %w", err)
	}
	defer rows.Close()
	var out []syncproto.Change
	for rows.Next() {
		c := syncproto.Change{Deleted: true, Fields: emptyObject, Meta: leftScope}
		if err := rows.Scan(&c.Version, &c.Collection, &c.ID); err != nil {
			return nil, fmt.Errorf("changes: exits: %w", err)
		}
		out = append(out, c)
	}
	return out, wrap("changes: exits", rows.Err())
}

// carve copies b into slab (growing it by whole chunks) and returns the
// copy, so that many small values share few allocations.
func carve(slab, b []byte) ([]byte, json.RawMessage) {
	if cap(slab)-len(slab) < len(b) {
		slab = make([]byte, 0, max(64<<10, len(b)))
	}
	start := len(slab)
	slab = append(slab, b...)
	return slab, json.RawMessage(slab[start:len(slab):len(slab)])
}
