package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// recordCollections are the object types of audit rows about records:
// every collection of the schema (those pushed and those the server
// writes, cases and draws among them) and photos.
var recordCollections = func() map[string]bool {
	m := map[string]bool{syncproto.CollPhotos: true}
	for c := range syncproto.Schemas {
		m[c] = true
	}
	return m
}()

// VerifyAudit recomputes every county's hash chain. It returns the number
// of rows checked and the first break, or nil when every chain is intact.
func (e *Engine) VerifyAudit(ctx context.Context) (int64, *server.AuditBreak, error) {
	v, err := e.CheckAudit(ctx, nil)
	return v.Rows, v.Break, err
}

// CheckAudit recomputes every chain and, with anchor set, checks that the
// anchored head is still in its chain exactly. When the chains are intact
// it then cross-checks every live record against them: its fields must be
// what the last audit row about it made them, so a record row edited
// behind the engine's back is reported, by name. The verifier it returns
// holds the rows read, the records checked, the first break and the heads.
func (e *Engine) CheckAudit(ctx context.Context, anchor *server.AuditHead) (*server.ChainVerifier, error) {
	v := &server.ChainVerifier{Anchor: anchor}
	states := map[recordKey]*auditedState{}
	err := e.Store.AuditRows(ctx, "", func(r server.AuditRow) error {
		v.Add(r)
		if v.Break == nil && recordCollections[r.ObjectType] {
			return foldAudit(states, r)
		}
		return nil
	})
	v.Finish()
	if err != nil || v.Break != nil {
		return v, err
	}
	err = e.crossCheckRecords(ctx, v, states)
	return v, err
}

// recordKey names a record in one county's chain; county is "" in a store
// of one county whose audit rows name none (SQLite).
type recordKey struct{ county, collection, id string }

// auditedState is what a record's audit rows say its fields are: the
// rows that carry a fields hash (with how the fields changed, for rows
// that say it) or, for rows written before audit rows carried the hash,
// the record.upsert changes folded in order.
type auditedState struct {
	seq    int64 // the newest row about the record
	steps  []auditStep
	fields map[string]json.RawMessage // legacy rows only
}

// auditStep is one row about a record that carries a fields hash. A
// record's steps start at its newest row that does not say how the fields
// changed, or at its first.
type auditStep struct {
	seq int64
	fieldsStep
}

func foldAudit(states map[recordKey]*auditedState, r server.AuditRow) error {
	k := recordKey{r.County, r.ObjectType, r.ObjectID}
	s := states[k]
	if s == nil {
		s = &auditedState{}
		states[k] = s
	}
	s.seq = r.Seq
	step, ok, err := parseFieldsStep([]byte(r.Detail))
	if err != nil {
		return fmt.Errorf("audit row %d: detail: %w", r.Seq, err)
	}
	if ok {
		if !step.diff {
			s.steps = s.steps[:0]
		}
		s.steps, s.fields = append(s.steps, auditStep{r.Seq, step}), nil
		return nil
	}
	if r.Action != "record.upsert" {
		return nil
	}
	var d struct {
		Changes map[string]json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal([]byte(r.Detail), &d); err != nil {
		return fmt.Errorf("audit row %d: detail: %w", r.Seq, err)
	}
	if s.fields == nil {
		s.fields = map[string]json.RawMessage{}
	}
	for f, val := range d.Changes {
		s.fields[f] = val
	}
	return nil
}

// crossCheckRecords reads every live record of every county and sets
// v.Break at the first whose fields differ from its audit history.
func (e *Engine) crossCheckRecords(ctx context.Context, v *server.ChainVerifier, states map[recordKey]*auditedState) error {
	return e.Store.Read(ctx, func(tx server.Tx) error {
		units, err := tx.Units("/")
		if err != nil {
			return err
		}
		byCounty := map[string][]string{}
		for _, u := range units {
			c := CountyOf(u.Path)
			byCounty[c] = append(byCounty[c], u.ID)
		}
		for county, scope := range byCounty {
			for after := int64(0); ; {
				changes, err := tx.Changes(scope, false, after, 2000)
				if err != nil {
					return fmt.Errorf("cross-check records: %w", err)
				}
				for _, c := range changes {
					if !c.Deleted {
						v.Records++
						s := lookupState(states, county, c)
						if seq, reason := checkRecord(s, c); reason != "" {
							v.Break = &server.AuditBreak{County: county, Seq: seq, Reason: reason}
							return nil
						}
					}
				}
				if len(changes) < 2000 {
					break
				}
				after = changes[len(changes)-1].Version
			}
		}
		return nil
	})
}

func lookupState(states map[recordKey]*auditedState, county string, c syncproto.Change) *auditedState {
	if s := states[recordKey{county, c.Collection, c.ID}]; s != nil {
		return s
	}
	return states[recordKey{"", c.Collection, c.ID}]
}

// checkRecord says how a live record differs from its audit history s
// ("" when it does not) and the row it disagrees with. Walking back from
// the record through the rows that say how its fields changed, the fields
// after each row must hash as the row says.
func checkRecord(s *auditedState, c syncproto.Change) (int64, string) {
	name := c.Collection + "/" + c.ID
	if s == nil {
		return 0, fmt.Sprintf("record %s has no audit history: it was written outside ruhu", name)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(c.Fields, &fields); err != nil {
		return s.seq, fmt.Sprintf("record %s: its fields are not a JSON object: %v", name, err)
	}
	if len(s.steps) == 0 {
		if s.fields != nil && !bytes.Equal(server.EncodeFields(dropNulls(fields)), server.EncodeFields(dropNulls(s.fields))) {
			return s.seq, fmt.Sprintf("record %s does not match audit row %d: its fields differ from the audited changes (changed outside ruhu)", name, s.seq)
		}
		return 0, ""
	}
	for i := len(s.steps) - 1; i >= 0; i-- {
		st := s.steps[i]
		if server.FieldsHash(fields) != st.hash {
			if i == len(s.steps)-1 {
				return st.seq, fmt.Sprintf("record %s does not match audit row %d: its fields differ from what the audited writes made them (changed outside ruhu)", name, st.seq)
			}
			return st.seq, fmt.Sprintf("record %s: audit row %d does not agree with the rows after it: the fields they say it had then do not hash as it says (a row or the record changed outside ruhu)", name, st.seq)
		}
		if !st.diff {
			break
		}
		fields = unapply(fields, st.before, st.added)
	}
	return 0, ""
}

func dropNulls(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		if t := bytes.TrimSpace(v); len(t) > 0 && string(t) != "null" {
			out[k] = v
		}
	}
	return out
}

// AuditTrail returns the audit entries about one object, oldest first.
func (e *Engine) AuditTrail(ctx context.Context, objectType, objectID string) ([]server.AuditEntry, error) {
	var out []server.AuditEntry
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		var err error
		t := &txn{e: e, tx: tx}
		out, err = t.auditOf(objectType, objectID)
		return err
	})
	return out, err
}
