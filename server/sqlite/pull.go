package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"unsafe"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

var emptyObject = json.RawMessage("{}")

// Changes implements server.Tx: live records and tombstones in scope, and
// tombstones of records that left it, merged in version order.
func (t *tx) Changes(scope []string, all bool, after int64, limit int) ([]syncproto.Change, error) {
	live, err := t.pullRecords(scope, all, after, limit)
	if err != nil {
		return nil, err
	}
	exits, err := t.pullExits(scope, all, after, limit)
	if err != nil {
		return nil, err
	}
	merged := server.MergeByVersion(live, exits)
	if len(merged) > limit {
		merged = merged[:limit]
	}
	return merged, nil
}

// Counties implements server.Store.
func (db *DB) Counties(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM units WHERE parent_id IS NULL ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

// inList returns the placeholders and arguments of an IN (…) list of ids.
func inList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return placeholders(len(ids)), args
}

// maxInArgs bounds the values bound in one IN (…) list of a batched query.
const maxInArgs = 500

// placeholders returns n comma-separated ? placeholders.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// pullRecords reads up to limit records of the units scope (every unit
// when all) after version after, in version order. A scope of one unit or
// of a few is read as one index range per unit, merged by SQLite (MERGE
// UNION ALL), so that a page reads about limit rows however many records
// the scope holds; a longer list is one IN (…) filter, which SQLite sorts.
func (t *tx) pullRecords(scope []string, all bool, after int64, limit int) ([]syncproto.Change, error) {
	if len(scope) == 0 {
		return nil, nil
	}
	q, args := pullQuery(scope, all, after, limit)
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("pull records: %w", err)
	}
	defer rows.Close()
	out := make([]syncproto.Change, 0, min(limit, 1024))
	var sc changeScanner
	for rows.Next() {
		c, err := sc.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("pull records: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// pullCols are the columns changeScanner reads.
const pullCols = `SELECT version, collection, id, deleted, fields, fields_s2, meta FROM records`

// maxMergedUnits bounds the scope read as merged per-unit ranges (SQLite
// allows 500 terms in a compound SELECT).
var maxMergedUnits = 64

// pullQuery is the query of pullRecords and its arguments.
func pullQuery(scope []string, all bool, after int64, limit int) (string, []any) {
	switch {
	case all:
		return pullCols + ` WHERE version > ? ORDER BY version LIMIT ?`, []any{after, limit}
	case len(scope) <= maxMergedUnits:
		var q strings.Builder
		args := make([]any, 0, 2*len(scope)+1)
		for i, u := range scope {
			if i > 0 {
				q.WriteString(` UNION ALL `)
			}
			q.WriteString(pullCols + ` WHERE unit_id = ? AND version > ?`)
			args = append(args, u, after)
		}
		q.WriteString(` ORDER BY version LIMIT ?`)
		return q.String(), append(args, limit)
	}
	marks, ids := inList(scope)
	args := append([]any{after}, ids...)
	return pullCols + ` WHERE version > ? AND unit_id IN (` + marks + `) ORDER BY version LIMIT ?`, append(args, limit)
}

// changeScanner scans rows of pullCols into changes. This is the one
// place pull reads the stored fields.
type changeScanner struct {
	fields, meta string
	z            sql.RawBytes // the compressed fields, valid until the next row
	slab         []byte       // decompressed fields of many rows share one allocation
}

// scan reads a row. The driver hands over each text value as a string it
// allocated for this row alone; fields and meta view those bytes rather
// than copying them a second time (nothing writes a Change's Fields or
// Meta in place: masking and projection make new values). Compressed
// fields (server.StoredFields) are decompressed into the slab.
func (s *changeScanner) scan(rows *sql.Rows) (syncproto.Change, error) {
	var c syncproto.Change
	if err := rows.Scan(&c.Version, &c.Collection, &c.ID, &c.Deleted, &s.fields, &s.z, &s.meta); err != nil {
		return c, err
	}
	switch {
	case c.Deleted:
		c.Fields = emptyObject
	case len(s.z) == 0:
		c.Fields = rawJSON(s.fields)
	default:
		var err error
		if s.slab, c.Fields, err = server.SlabFields(s.slab, []byte(s.fields), s.z); err != nil {
			return c, fmt.Errorf("%s/%s: %w", c.Collection, c.ID, err)
		}
	}
	c.Meta = rawJSON(s.meta)
	return c, nil
}

// rawJSON views a string the driver allocated as JSON bytes, read-only.
func rawJSON(s string) json.RawMessage {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// pullExits finds records that left the subtree and are not back in it.
func (t *tx) pullExits(scope []string, all bool, after int64, limit int) ([]syncproto.Change, error) {
	if len(scope) == 0 || all {
		return nil, nil // nothing can leave the whole tree
	}
	marks, ids := inList(scope)
	args := append([]any{after}, ids...)
	args = append(args, ids...)
	args = append(args, ids...)
	args = append(args, limit)
	// Only a record's latest exit from the subtree: a record that left it
	// twice is one tombstone.
	rows, err := t.query(`SELECT e.version, e.collection, e.id FROM scope_exits e
		JOIN records r ON r.collection = e.collection AND r.id = e.id
		WHERE e.version > ? AND e.from_unit_id IN (`+marks+`) AND r.unit_id NOT IN (`+marks+`)
		AND NOT EXISTS (SELECT 1 FROM scope_exits l WHERE l.collection = e.collection AND l.id = e.id
			AND l.version > e.version AND l.from_unit_id IN (`+marks+`))
		ORDER BY e.version LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("pull exits: %w", err)
	}
	defer rows.Close()
	var out []syncproto.Change
	for rows.Next() {
		c := syncproto.Change{Deleted: true, Fields: emptyObject, Meta: json.RawMessage(`{"left_scope":true}`)}
		if err := rows.Scan(&c.Version, &c.Collection, &c.ID); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
