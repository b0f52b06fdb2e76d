package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// txn is the engine's state inside one store transaction: the actor, the
// units of their county, the clock reading and, during a push, the
// mutation being applied.
type txn struct {
	e     *Engine
	tx    server.Tx
	a     *server.Actor
	units map[string]server.Unit
	now   time.Time
	// m is the mutation being applied, for conflict rows.
	m *syncproto.Mutation
	// wrote is set by every write, so a rejection after one is caught.
	wrote bool
	// results answers replays of ids pushed earlier in the same batch.
	results map[int64][]byte
	// schemas is the county's schema set once loaded (schemaSet).
	schemas syncproto.SchemaSet
	// quota counts the pushing user's kept rejected payloads today.
	quota *rejectedQuota
}

func (e *Engine) begin(tx server.Tx, a *server.Actor) (*txn, error) {
	t := &txn{e: e, tx: tx, a: a, units: map[string]server.Unit{}, now: e.now()}
	if a.UnitPath == "" {
		return t, nil
	}
	units, err := tx.Units("/" + CountyOf(a.UnitPath) + "/")
	if err != nil {
		return nil, fmt.Errorf("load units: %w", err)
	}
	for _, u := range units {
		t.units[u.ID] = u
	}
	return t, nil
}

// covers reports whether unit id lies in the actor's subtree.
func (t *txn) covers(unitID string) bool {
	u, ok := t.units[unitID]
	return ok && t.a.Covers(u.Path)
}

func (t *txn) nextVersion() (int64, error) {
	t.wrote = true
	return t.tx.NextVersion()
}

// get loads a record (nil when there is none).
func (t *txn) get(collection, id string) (*server.Record, error) {
	return t.tx.Record(collection, id)
}

// put writes a record and marks the mutation as having written.
func (t *txn) put(r *server.Record) error {
	t.wrote = true
	if !r.Stored {
		r.CreatedAt = t.now
	}
	if err := t.tx.Put(r); err != nil {
		return err
	}
	r.Stored, r.OldVersion = true, r.Version
	return nil
}

// audit appends an entry for the actor.
func (t *txn) audit(action, objType, objID string, detail any) error {
	return t.auditFields(action, objType, objID, detail, nil)
}

// auditFields is audit for a write that set the named fields of a record
// (some possibly to the value they had): withFieldsHash.
func (t *txn) auditFields(action, objType, objID string, detail any, set []string) error {
	t.wrote = true
	detail, err := t.withFieldsHash(objType, objID, detail, set)
	if err != nil {
		return err
	}
	return t.tx.AppendAudit(server.AuditEntry{At: t.now, ActorID: t.a.UserID, DeviceID: t.a.DeviceID, Action: action,
		ObjectType: objType, ObjectID: objID, Detail: detail})
}

// guarded runs fn, which applies one mutation. Every check that can reject
// a mutation (a *server.Error) runs before its first write, so a rejection
// normally leaves nothing to undo. Should a rejection ever follow a write,
// the whole push fails instead (its transaction rolls back), so nothing
// half-written can be committed.
func (t *txn) guarded(fn func() error) error {
	t.wrote = false
	err := fn()
	if err != nil && t.wrote && server.ErrorCode(err) != "" {
		return fmt.Errorf("mutation rejected after a write (%v): refusing to commit a partial change", err)
	}
	return err
}

// recordFields encodes v, a wire struct, as the fields of the record the
// server writes for it, leaving out the keys the record itself holds (its
// id, version, unit).
func recordFields(v any, drop ...string) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode record fields: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("encode record fields: %w", err)
	}
	for _, k := range drop {
		delete(fields, k)
	}
	return fields, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }
