// Package merge is ruhu's field-level three-way merge. It is pure: no I/O,
// no clock. The server keeps, per record, the version at which each field
// last changed; a device sends the fields it changed since the version it
// last saw (its base). A field the server changed after the base to a
// different value is a conflict; everything else merges.
package merge

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
)

// Record is the server's current state of a record.
type Record struct {
	Version       int64
	Deleted       bool
	Fields        map[string]json.RawMessage
	FieldVersions map[string]int64
}

// FieldConflict is one field whose server value won and whose client value
// must be kept for a person to decide.
type FieldConflict struct {
	Field  string
	Server json.RawMessage
	Client json.RawMessage
	// Kind, when set, is the kind of collision a check outside the merge
	// found; empty for a merge conflict.
	Kind string
}

// Outcome of merging an upsert into a record.
type Outcome struct {
	// Apply holds the fields to write (values that differ from the
	// server's and do not conflict).
	Apply map[string]json.RawMessage
	// Conflicts are sorted by field name.
	Conflicts []FieldConflict
	// ServerAhead is true when the server had changes after the base.
	ServerAhead bool
}

// Upsert merges the fields a device changed since base into cur (nil for a
// record the server does not have).
func Upsert(cur *Record, base int64, fields map[string]json.RawMessage) Outcome {
	out := Outcome{Apply: map[string]json.RawMessage{}}
	if cur == nil {
		for f, v := range fields {
			out.Apply[f] = v
		}
		return out
	}
	out.ServerAhead = cur.Version > base
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		client := fields[f]
		server, has := cur.Fields[f]
		if !has {
			server = json.RawMessage("null")
		}
		switch {
		case Equal(server, client):
			// Nothing to write: both sides agree.
		case cur.FieldVersions[f] > base:
			out.Conflicts = append(out.Conflicts, FieldConflict{Field: f, Server: server, Client: client})
		default:
			out.Apply[f] = client
		}
	}
	return out
}

// DeleteConflicts reports whether deleting cur, seen by the device at base,
// collides with a change made after base.
func DeleteConflicts(cur *Record, base int64) bool {
	return cur != nil && !cur.Deleted && cur.Version > base
}

// Equal reports whether two JSON values are equal as JSON: byte-identical,
// or equal after decoding (so 1 and 1.0, or reordered object keys, match).
// Absent and null are equal.
func Equal(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if len(a) == 0 {
		a = json.RawMessage("null")
	}
	if len(b) == 0 {
		b = json.RawMessage("null")
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// Apply writes changed fields into the record at version v: values are set
// (null removes the field) and their field versions become v.
func Apply(r *Record, changes map[string]json.RawMessage, v int64) {
	if r.Fields == nil {
		r.Fields = map[string]json.RawMessage{}
	}
	if r.FieldVersions == nil {
		r.FieldVersions = map[string]int64{}
	}
	for f, val := range changes {
		if len(val) == 0 || string(val) == "null" {
			delete(r.Fields, f)
		} else {
			r.Fields[f] = val
		}
		r.FieldVersions[f] = v
	}
	r.Version = v
}
