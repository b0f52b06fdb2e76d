package engine

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
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
// tombstones of records that left the subtree. A page also stops once its
// changes' encoded size passes Limits.PullPageBytes (has_more is then
// true; it always holds at least one change). The context's
// server.PullFilter narrows it to one household and projects fields.
// Code invalid_cursor.
func (e *Engine) Pull(ctx context.Context, a *server.Actor, cursor string, limit int) (*syncproto.PullResponse, error) {
	after, err := DecodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	filter := server.PullFilterFrom(ctx)
	resp := &syncproto.PullResponse{}
	err = e.read(ctx, a, func(t *txn) error {
		var changes []syncproto.Change
		var err error
		if filter.HouseholdID != "" {
			changes, err = t.householdChanges(filter.HouseholdID, after, limit+1)
		} else {
			changes, err = t.scopeChanges(after, limit+1)
		}
		if err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		resp.Changes, resp.HasMore = boundPage(changes, limit, e.limits().PullPageBytes)
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
	if len(filter.Fields) > 0 {
		for i := range resp.Changes {
			resp.Changes[i].Fields = project(resp.Changes[i].Fields, filter.Fields)
		}
	}
	return resp, nil
}

// scopeChanges are the changes of the actor's whole subtree.
func (t *txn) scopeChanges(after int64, limit int) ([]syncproto.Change, error) {
	scope, all := t.scopeUnits()
	if len(scope) == 0 {
		return nil, nil
	}
	return t.tx.Changes(scope, all, after, limit)
}

// householdChanges are the changes of one household of the actor's
// subtree after version after: the household and every record filed under
// it, deleted ones as tombstones. A household that does not exist or lies
// outside the subtree yields nothing, whichever it is.
func (t *txn) householdChanges(id string, after int64, limit int) ([]syncproto.Change, error) {
	id, err := t.canonicalID(syncproto.CollHouseholds, id)
	if err != nil {
		return nil, err
	}
	h, err := t.get(syncproto.CollHouseholds, id)
	if err != nil || h == nil || !t.covers(h.UnitID) {
		return nil, err
	}
	children, err := t.tx.Children(id)
	if err != nil {
		return nil, err
	}
	var out []syncproto.Change
	for _, r := range append([]*server.Record{h}, children...) {
		if r.Version > after && t.covers(r.UnitID) {
			out = append(out, changeOf(r))
		}
	}
	slices.SortFunc(out, func(a, b syncproto.Change) int { return cmp.Compare(a.Version, b.Version) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// changeOf is the pull form of a stored record.
func changeOf(r *server.Record) syncproto.Change {
	c := syncproto.Change{Collection: r.Collection, ID: r.ID, Version: r.Version, Deleted: r.Deleted,
		Fields: r.FieldsJSON(), Meta: mustJSON(r.Meta)}
	if r.Deleted {
		c.Fields = json.RawMessage("{}")
	}
	return c
}

// boundPage cuts changes (up to limit+1 of them) to at most limit, and
// after the change whose encoded size makes the page pass maxBytes; more
// is true when anything was cut. The first change always stays, so a
// record larger than maxBytes still moves.
func boundPage(changes []syncproto.Change, limit, maxBytes int) (page []syncproto.Change, more bool) {
	size := 0
	for i := range changes {
		if i == limit {
			return changes[:i], true
		}
		c := &changes[i]
		size += changeOverhead + len(c.Collection) + len(c.ID) + len(c.Fields) + len(c.Meta)
		if size > maxBytes && i > 0 {
			return changes[:i], true
		}
	}
	return changes, false
}

// changeOverhead is the encoded size of a change besides its collection,
// id, fields and meta: its keys, punctuation and version.
const changeOverhead = 96

// project keeps only the named fields of a record's fields object.
func project(fields json.RawMessage, names []string) json.RawMessage {
	var all map[string]json.RawMessage
	if json.Unmarshal(fields, &all) != nil {
		return fields
	}
	kept := make(map[string]json.RawMessage, len(names))
	for _, n := range names {
		if v, ok := all[n]; ok {
			kept[n] = v
		}
	}
	return server.EncodeFields(kept)
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
