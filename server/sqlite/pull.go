package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// cursorPrefix versions the opaque cursor format.
const cursorPrefix = "v1:"

// EncodeCursor makes the opaque cursor for a version.
func EncodeCursor(version int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(version, 10)))
}

// DecodeCursor reads an opaque cursor ("" is the start). Code invalid_cursor.
func DecodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if s, ok := strings.CutPrefix(string(raw), cursorPrefix); ok {
			if v, err := strconv.ParseInt(s, 10, 64); err == nil && v >= 0 {
				return v, nil
			}
		}
	}
	return 0, server.Errorf(syncproto.CodeInvalidCursor, "the cursor is not one this server issued")
}

var emptyObject = json.RawMessage("{}")

// Pull returns up to limit changes after cursor in the actor's subtree, in
// version order: live records, tombstones of deleted records, and
// tombstones of records that left the subtree. Code invalid_cursor.
func (db *DB) Pull(ctx context.Context, a *server.Actor, cursor string, limit int) (*syncproto.PullResponse, error) {
	after, err := DecodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	resp := &syncproto.PullResponse{Changes: make([]syncproto.Change, 0, min(limit, 1024))}
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		scope, all, err := scopeUnits(ctx, tx, a)
		if err != nil {
			return err
		}
		live, err := pullRecords(ctx, tx, scope, all, after, limit+1)
		if err != nil {
			return err
		}
		exits, err := pullExits(ctx, tx, scope, all, after, limit+1)
		if err != nil {
			return err
		}
		merged := mergeByVersion(live, exits)
		resp.HasMore = len(merged) > limit
		if resp.HasMore {
			merged = merged[:limit]
		}
		resp.Changes = append(resp.Changes, merged...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	last := after
	if n := len(resp.Changes); n > 0 {
		last = resp.Changes[n-1].Version
	}
	resp.Cursor = EncodeCursor(last)
	return resp, nil
}

// scopeUnits lists the unit ids of the actor's subtree; all is true when
// the subtree is the whole tree (no filter needed).
func scopeUnits(ctx context.Context, tx *sql.Tx, a *server.Actor) (ids []string, all bool, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, path FROM units`)
	if err != nil {
		return nil, false, fmt.Errorf("scope: %w", err)
	}
	defer rows.Close()
	total := 0
	for rows.Next() {
		var id, path string
		if err := rows.Scan(&id, &path); err != nil {
			return nil, false, err
		}
		total++
		if a.Covers(path) {
			ids = append(ids, id)
		}
	}
	return ids, len(ids) == total && total > 0, rows.Err()
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
	q := `SELECT version, collection, id, deleted, fields, meta FROM records WHERE version > ?`
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
		var fields, meta []byte
		if err := rows.Scan(&c.Version, &c.Collection, &c.ID, &c.Deleted, &fields, &meta); err != nil {
			return nil, err
		}
		c.Fields, c.Meta = fields, meta
		if c.Deleted {
			c.Fields = emptyObject
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

func mergeByVersion(a, b []syncproto.Change) []syncproto.Change {
	if len(b) == 0 {
		return a
	}
	out := make([]syncproto.Change, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || (i < len(a) && a[i].Version < b[j].Version) {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}
