// Duplicates: the same household registered twice, the same person in
// two households (拆户拼户), and the aliases a merge leaves behind.

package engine

import (
	"encoding/json"
	"maps"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/syncproto"
)

// findRecord loads the record a mutation writes and, for a new household,
// a live household whose head has the same ID number (dup); for other
// collections dup is found later, if needed.
func (t *txn) findRecord(m *syncproto.Mutation, id string) (cur, dup *server.Record, err error) {
	if cur, err = t.get(m.Collection, id); err != nil || cur != nil {
		return cur, nil, err
	}
	if m.Collection == syncproto.CollHouseholds && m.Op == syncproto.OpUpsert {
		dup, err = t.tx.LiveHousehold(server.StringField(m.Fields, "head_id_number"), id)
	}
	return nil, dup, err
}

// canonicalID follows an alias left by a duplicate-household merge.
func (t *txn) canonicalID(collection, id string) (string, error) {
	return t.tx.CanonicalID(collection, id)
}

// rewriteRefs replaces a household_id naming an alias by the canonical id,
// in a copy of m's fields: the fields as sent stay for the mutation log.
func (t *txn) rewriteRefs(m *syncproto.Mutation) error {
	hh := server.StringField(m.Fields, "household_id")
	if hh == "" {
		return nil
	}
	canon, err := t.canonicalID(syncproto.CollHouseholds, hh)
	if err != nil || canon == hh {
		return err
	}
	b, _ := json.Marshal(canon)
	m.Fields = maps.Clone(m.Fields)
	m.Fields["household_id"] = b
	return nil
}

// findDuplicate finds a live member of the same household with the same ID
// number as a new member.
func (t *txn) findDuplicate(m *syncproto.Mutation, household string) (*server.Record, error) {
	key := server.StringField(m.Fields, "id_number")
	if key == "" {
		return nil, nil
	}
	return t.tx.LiveMember(key, household)
}

// mergeDuplicate merges a new record that duplicates a live one (the same
// household head, or the same person in the same household) into it: the
// device's id becomes an alias, fields the server lacks are applied and
// differing fields become conflicts. The result is merged, with
// canonical_id.
func (t *txn) mergeDuplicate(m *syncproto.Mutation, canon *server.Record, res syncproto.MutationResult, unit string) (syncproto.MutationResult, string, error) {
	kind := syncproto.KindDuplicateHousehold
	if m.Collection == syncproto.CollMembers {
		kind = syncproto.KindDuplicateMember
	}
	if !t.covers(canon.UnitID) {
		cid, err := t.recordConflictFor(&server.Record{Collection: m.Collection, ID: m.ID, UnitID: unit}, syncproto.KindDuplicateHousehold,
			"head_id_number", mustJSON(map[string]string{"household_id": canon.ID}), mustJSON(m.Fields),
			"the head is already registered in a household outside your jurisdiction; nothing was applied")
		return t.conflictResult(res, nil, cid), unit, err
	}
	t.wrote = true
	if err := t.tx.AddAlias(m.Collection, m.ID, canon.ID); err != nil {
		return res, "", err
	}
	res.CanonicalID = canon.ID
	fields := maps.Clone(m.Fields)
	for f, v := range fields {
		if merge.Equal(v, nil) {
			delete(fields, f) // null in a new record is an absent field, not a value that differs
		}
	}
	out := merge.Upsert(&canon.Record, 0, fields)
	out.ServerAhead = true
	if u, ok := out.Apply["unit_id"]; ok {
		// The canonical household stays where it is registered.
		out.Conflicts = append(out.Conflicts, merge.FieldConflict{Field: "unit_id", Server: mustJSON(canon.UnitID), Client: u})
		delete(out.Apply, "unit_id")
	}
	r, _, err := t.write(m, canon, out, canon.UnitID, canon.HouseholdID, "", res, kind)
	r.Status = syncproto.StatusMerged
	return r, canon.UnitID, err
}

// guardHeadChange turns a change of head_id_number to the head of another
// live household into a duplicate_household conflict.
func (t *txn) guardHeadChange(cur *server.Record, out *merge.Outcome) error {
	v, ok := out.Apply["head_id_number"]
	if !ok || !cur.Stored {
		return nil
	}
	var key string
	_ = json.Unmarshal(v, &key)
	other, err := t.tx.LiveHousehold(key, cur.ID)
	if err != nil || other == nil {
		return err
	}
	out.Conflicts = append(out.Conflicts, merge.FieldConflict{Field: "head_id_number", Server: cur.Fields["head_id_number"], Client: v,
		Kind: syncproto.KindDuplicateHousehold})
	delete(out.Apply, "head_id_number")
	return nil
}

// checkPersonUnique blocks a member whose ID number is a live member of
// another live household (拆户拼户): the whole mutation becomes a conflict.
func (t *txn) checkPersonUnique(m *syncproto.Mutation, cur *server.Record, household string) (string, bool, error) {
	if m.Collection != syncproto.CollMembers {
		return "", false, nil
	}
	key := server.StringField(m.Fields, "id_number")
	self := m.ID
	if cur != nil {
		if key == "" {
			key = cur.Field("id_number")
		}
		self = cur.ID // m.ID may be an alias of cur
	}
	if key == "" {
		return "", false, nil
	}
	dup, err := t.tx.MemberElsewhere(key, self, household)
	if err != nil || dup == nil {
		return "", false, err
	}
	other := map[string]string{"household_id": dup.HouseholdID, "member_id": dup.ID}
	const detail = "this ID number is already a member of another household (拆户拼户); nothing was applied"
	if cur != nil {
		cid, err := t.recordConflict(cur, syncproto.KindPersonInTwoHouseholds, "id_number", mustJSON(other), mustJSON(m.Fields), detail)
		if err == nil {
			err = t.save(cur)
		}
		return cid, true, err
	}
	hh, err := t.get(syncproto.CollHouseholds, household)
	if err != nil {
		return "", false, err
	}
	target := &server.Record{Collection: m.Collection, ID: m.ID, UnitID: hh.UnitID}
	cid, err := t.recordConflictFor(target, syncproto.KindPersonInTwoHouseholds, "id_number", mustJSON(other), mustJSON(m.Fields), detail)
	return cid, true, err
}

func dedupeKey(r *server.Record) string {
	switch r.Collection {
	case syncproto.CollHouseholds:
		return r.Field("head_id_number")
	case syncproto.CollMembers:
		return r.Field("id_number")
	}
	return ""
}
