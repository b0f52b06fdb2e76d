package engine

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"

	"github.com/ruhu-org/ruhu/server"
)

// fieldsDiff says how cur differs from prev: the previous values of the
// fields that changed or went, and the fields that are new.
func fieldsDiff(prev, cur map[string]json.RawMessage) (before map[string]json.RawMessage, added []string) {
	before = map[string]json.RawMessage{}
	for k, v := range prev {
		if c, ok := cur[k]; !ok || !bytes.Equal(c, v) {
			before[k] = v
		}
	}
	for k := range cur {
		if _, ok := prev[k]; !ok {
			added = append(added, k)
		}
	}
	slices.Sort(added)
	return before, added
}

// unapply returns the fields before a row that made them cur.
func unapply(cur, before map[string]json.RawMessage, added []string) map[string]json.RawMessage {
	prev := maps.Clone(cur)
	for _, k := range added {
		delete(prev, k)
	}
	maps.Copy(prev, before)
	return prev
}

// fieldsStep is what an audit row about a record says of its fields: the
// hash of them after the row and, for rows that carry it, how they
// changed (diff false: a row written before rows carried it).
type fieldsStep struct {
	hash   string
	diff   bool
	before map[string]json.RawMessage
	added  []string
}

// parseFieldsStep reads the fields keys of an audit detail; ok is false
// when it carries no fields hash.
func parseFieldsStep(detail []byte) (s fieldsStep, ok bool, err error) {
	if !bytes.Contains(detail, []byte(`"`+server.FieldsHashKey+`"`)) {
		return s, false, nil
	}
	var d struct {
		Hash   string                     `json:"fields_sha256"`
		Before map[string]json.RawMessage `json:"fields_before"`
		Added  []string                   `json:"fields_new"`
	}
	if err := json.Unmarshal(detail, &d); err != nil {
		return s, false, err
	}
	return fieldsStep{hash: d.Hash, diff: d.Before != nil, before: d.Before, added: d.Added}, d.Hash != "", nil
}

// withFieldsHash adds server.FieldsHashKey to the detail of an audit row
// about a record that exists in the transaction, committing the chain to
// the record's fields as they are now (after the write being audited),
// and what changed since the last row about it (server.FieldsBeforeKey,
// server.FieldsNewKey). set names the fields the write set, when it set
// some; they are added as "changed" when they are not exactly the fields
// that changed (a field set to the value it had).
func (t *txn) withFieldsHash(objType, objID string, detail any, set []string) (any, error) {
	if !recordCollections[objType] {
		return detail, nil
	}
	r, err := t.get(objType, objID)
	if err != nil || r == nil {
		return detail, err
	}
	b, err := server.AuditEntry{Detail: detail}.DetailJSON()
	if err != nil {
		return nil, err
	}
	before, added := fieldsDiff(r.Audited, r.Fields)
	r.Audited = maps.Clone(r.Fields)
	if set != nil && !slices.Equal(set, changedNames(before, added)) {
		b = server.WithDetailRaw(b, "changed", mustJSON(set))
	}
	if len(added) > 0 {
		b = server.WithDetailRaw(b, server.FieldsNewKey, mustJSON(added))
	}
	b = server.WithDetailRaw(b, server.FieldsBeforeKey, server.EncodeFields(before))
	return server.RawJSON(server.WithDetailKey(b, server.FieldsHashKey, server.FieldsHash(r.Fields))), nil
}

// changedNames are the fields a row's diff says changed, sorted.
func changedNames(before map[string]json.RawMessage, added []string) []string {
	names := append(slices.Collect(maps.Keys(before)), added...)
	slices.Sort(names)
	return names
}

// auditOf returns the audit entries about one object, oldest first, with
// the values of a record's edits filled in (fillTrail).
func (t *txn) auditOf(objType, objID string) ([]server.AuditEntry, error) {
	es, err := t.tx.AuditOf(objType, objID)
	if err != nil || !recordCollections[objType] {
		return es, err
	}
	r, err := t.get(objType, objID)
	if err != nil || r == nil {
		return es, err
	}
	return es, fillTrail(es, r.Fields)
}

// fillTrail walks a record's audit entries back from its fields now and
// gives each record.upsert row the values of the fields it set ("changed",
// else those that changed) after and before it, as "changes" and
// "previous", the way rows carried them before the values moved out of
// the chain's rows.
func fillTrail(es []server.AuditEntry, cur map[string]json.RawMessage) error {
	state := cur
	for i := len(es) - 1; i >= 0; i-- {
		detail, err := es[i].DetailJSON()
		if err != nil {
			return err
		}
		s, ok, err := parseFieldsStep(detail)
		if err != nil || !ok {
			continue
		}
		if !s.diff {
			break // an older row: it holds its values itself
		}
		prev := unapply(state, s.before, s.added)
		if es[i].Action == "record.upsert" {
			var d map[string]json.RawMessage
			if err := json.Unmarshal(detail, &d); err != nil {
				return err
			}
			names := changedNames(s.before, s.added)
			if d["changed"] != nil {
				err = json.Unmarshal(d["changed"], &names)
			}
			if err == nil && d["changes"] == nil {
				changes, previous := map[string]json.RawMessage{}, map[string]json.RawMessage{}
				for _, f := range names {
					changes[f], previous[f] = state[f], prev[f] // EncodeFields writes an absent one as null
				}
				d["changes"], d["previous"] = server.EncodeFields(changes), server.EncodeFields(previous)
				es[i].Detail = json.RawMessage(server.EncodeFields(d))
			}
		}
		state = prev
	}
	return nil
}
