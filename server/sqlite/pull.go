package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

var emptyObject = json.RawMessage("{}")

// Changes implements server.Tx: live records and tombstones in scope, and
// tombstones of records that left it, merged in version order.
func (t *tx) Changes(scope []string, all bool, after int64, limit int) ([]syncproto.Change, error) {
	live, err := pullRecords(t.ctx, t.tx, scope, all, after, limit)
	if err != nil {
		return nil, err
	}
	exits, err := pullExits(t.ctx, t.tx, scope, all, after, limit)
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

func pullRecords(ctx context.Context, tx *sql.Tx, scope []string, all bool, after int64, limit int) ([]syncproto.Change, error) {
	if len(scope) == 0 {
		return nil, nil
	}
	q := `SELECT version, collection, id, deleted, fields, fields_s2, meta FROM records WHERE version > ?`
	args := []any{after}
	if !all {
		marks, ids := inList(scope)
		q += ` AND unit_id IN (` + marks + `)`
		args = append(args, ids...)
	}
	q += ` ORDER BY version LIMIT ?`
	args = append(args, limit)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("pull records: %w", err)
	}
	defer rows.Close()
	out := make([]syncproto.Change, 0, min(limit, 1024))
	for rows.Next() {
		var c syncproto.Change
		var plain, z, meta []byte
		if err := rows.Scan(&c.Version, &c.Collection, &c.ID, &c.Deleted, &plain, &z, &meta); err != nil {
			return nil, err
		}
		c.Meta = meta
		if c.Deleted {
			c.Fields = emptyObject
		} else if len(z) == 0 {
			c.Fields = plain
		} else if c.Fields, err = server.LoadFields(nil, plain, z); err != nil {
			return nil, fmt.Errorf("pull %s/%s: %w", c.Collection, c.ID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// pullExits finds records that left the subtree and are not back in it.
func pullExits(ctx context.Context, tx *sql.Tx, scope []string, all bool, after int64, limit int) ([]syncproto.Change, error) {
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
	rows, err := tx.QueryContext(ctx, `SELECT e.version, e.collection, e.id FROM scope_exits e
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
