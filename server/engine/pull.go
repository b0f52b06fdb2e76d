package engine

import (
	"context"
	"encoding/base64"
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

// Pull returns up to limit changes after cursor in the actor's subtree, in
// version order: live records, tombstones of deleted records, and
// tombstones of records that left the subtree. Code invalid_cursor.
func (e *Engine) Pull(ctx context.Context, a *server.Actor, cursor string, limit int) (*syncproto.PullResponse, error) {
	after, err := DecodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	resp := &syncproto.PullResponse{}
	err = e.read(ctx, a, func(t *txn) error {
		scope, all := t.scopeUnits()
		if len(scope) == 0 {
			resp.Changes = []syncproto.Change{}
			return nil
		}
		changes, err := t.tx.Changes(scope, all, after, limit+1)
		if err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		resp.HasMore = len(changes) > limit
		if resp.HasMore {
			changes = changes[:limit]
		}
		maskChanges(a, changes)
		resp.Changes = changes
		return nil
	})
	if err != nil {
		return nil, err
	}
	if resp.Changes == nil {
		resp.Changes = []syncproto.Change{}
	}
	last := after
	if n := len(resp.Changes); n > 0 {
		last = resp.Changes[n-1].Version
	}
	resp.Cursor = EncodeCursor(last)
	return resp, nil
}

// scope lists the unit ids of the actor's subtree; all is true when the
// subtree is the whole county (no filter needed).
func (t *txn) scopeUnits() (ids []string, all bool) {
	for id, u := range t.units {
		if t.a.Covers(u.Path) {
			ids = append(ids, id)
		}
	}
	return ids, len(ids) == len(t.units) && len(ids) > 0
}
