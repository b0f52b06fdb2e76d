// Duplicates: the same household registered twice, the same person in
// two households (拆户拼户), and the aliases a merge leaves behind.

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/syncproto"
)

// findRecord loads the record a mutation writes and, for a new household,
// a live household whose head has the same ID number (dup); for other
// collections dup is found later, if needed.
func (p *pushTx) findRecord(m *syncproto.Mutation, id string) (cur, dup *record, err error) {
	if cur, err = p.get(m.Collection, id); err != nil || cur != nil {
		return cur, nil, err
	}
	if m.Collection == syncproto.CollHouseholds && m.Op == syncproto.OpUpsert {
		dup, err = p.liveHead(stringField(m.Fields, "head_id_number"), id)
	}
	return nil, dup, err
}

// canonicalID follows an alias left by a duplicate-household merge.
func (p *pushTx) canonicalID(collection, id string) (string, error) {
	if !p.aliases {
		return id, nil
	}
	return canonicalID(p.ctx, p, collection, id)
}

// canonicalID returns the id an alias stands for, or id itself when it is
// no alias.
func canonicalID(ctx context.Context, q querier, collection, id string) (string, error) {
	var canon string
	err := q.QueryRowContext(ctx, `SELECT canonical_id FROM aliases WHERE collection = ? AND alias_id = ?`,
		collection, id).Scan(&canon)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return id, nil // no alias: the id is canonical
	case err != nil:
		return "", fmt.Errorf("find alias: %w", err)
	}
	return canon, nil
}

// rewriteRefs replaces a household_id naming an alias by the canonical id,
// in a copy of m's fields: the fields as sent stay for the mutation log.
func (p *pushTx) rewriteRefs(m *syncproto.Mutation) error {
	hh := stringField(m.Fields, "household_id")
	if hh == "" {
		return nil
	}
	canon, err := p.canonicalID(syncproto.CollHouseholds, hh)
	if err != nil || canon == hh {
		return err
	}
	b, _ := json.Marshal(canon)
	m.Fields = maps.Clone(m.Fields)
	m.Fields["household_id"] = b
	return nil
}

// liveByKey finds a live record of collection whose dedupe key is key,
// other than the record id except.
func (p *pushTx) liveByKey(collection, key, except string) (*record, error) {
	if key == "" {
		return nil, nil
	}
	if collection == syncproto.CollHouseholds {
		return p.liveHead(key, except)
	}
	rs, err := p.findRecords(`collection = ? AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0 AND id != ?`,
		collection, key, except)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0], nil
}

// findDuplicate finds a live member of the same household with the same ID
// number as a new member.
func (p *pushTx) findDuplicate(m *syncproto.Mutation, household string) (*record, error) {
	rs, err := p.findRecords(`collection = 'members' AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0
		AND household_id = ?`, stringField(m.Fields, "id_number"), household)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0], nil
}

// mergeDuplicate merges a new record that duplicates a live one (the same
// household head, or the same person in the same household) into it: the
// device's id becomes an alias, fields the server lacks are applied and
// differing fields become conflicts. The result is merged, with
// canonical_id.
func (p *pushTx) mergeDuplicate(m *syncproto.Mutation, canon *record, res syncproto.MutationResult, unit string) (syncproto.MutationResult, string, error) {
	kind := syncproto.KindDuplicateHousehold
	if m.Collection == syncproto.CollMembers {
		kind = syncproto.KindDuplicateMember
	}
	if !p.covers(canon.UnitID) {
		cid, err := p.recordConflictFor(&record{Collection: m.Collection, ID: m.ID, UnitID: unit}, syncproto.KindDuplicateHousehold,
			"head_id_number", mustJSON(map[string]string{"household_id": canon.ID}), mustJSON(m.Fields),
			"the head is already registered in a household outside your jurisdiction; nothing was applied")
		return p.conflictResult(res, nil, cid), unit, err
	}
	if _, err := p.ExecContext(p.ctx, `INSERT INTO aliases (collection, alias_id, canonical_id, created_at) VALUES (?, ?, ?, ?)`,
		m.Collection, m.ID, canon.ID, p.now); err != nil {
		return res, "", err
	}
	p.aliases = true
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
	r, _, err := p.write(m, canon, out, canon.UnitID, canon.HouseholdID, "", res, kind)
	r.Status = syncproto.StatusMerged
	return r, canon.UnitID, err
}

// guardHeadChange turns a change of head_id_number to the head of another
// live household into a duplicate_household conflict.
func (p *pushTx) guardHeadChange(cur *record, out *merge.Outcome) error {
	v, ok := out.Apply["head_id_number"]
	if !ok || !cur.stored {
		return nil
	}
	var key string
	_ = json.Unmarshal(v, &key)
	other, err := p.liveByKey(syncproto.CollHouseholds, key, cur.ID)
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
func (p *pushTx) checkPersonUnique(m *syncproto.Mutation, cur *record, household string) (string, bool, error) {
	if m.Collection != syncproto.CollMembers {
		return "", false, nil
	}
	key := stringField(m.Fields, "id_number")
	self := m.ID
	if cur != nil {
		if key == "" {
			key = cur.field("id_number")
		}
		self = cur.ID // m.ID may be an alias of cur
	}
	rs, err := p.findRecords(`collection = 'members' AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0 AND id != ? AND household_id != ?
		AND household_id IN (SELECT id FROM records WHERE collection = 'households' AND deleted = 0)`, key, self, household)
	if err != nil || len(rs) == 0 {
		return "", false, err
	}
	other := map[string]string{"household_id": rs[0].HouseholdID, "member_id": rs[0].ID}
	const detail = "this ID number is already a member of another household (拆户拼户); nothing was applied"
	if cur != nil {
		cid, err := p.recordConflict(cur, syncproto.KindPersonInTwoHouseholds, "id_number", mustJSON(other), mustJSON(m.Fields), detail)
		if err == nil {
			err = p.save(cur)
		}
		return cid, true, err
	}
	hh, err := p.get(syncproto.CollHouseholds, household)
	if err != nil {
		return "", false, err
	}
	target := &record{Collection: m.Collection, ID: m.ID, UnitID: hh.UnitID}
	cid, err := p.recordConflictFor(target, syncproto.KindPersonInTwoHouseholds, "id_number", mustJSON(other), mustJSON(m.Fields), detail)
	return cid, true, err
}

func dedupeKey(r *record) string {
	switch r.Collection {
	case syncproto.CollHouseholds:
		return r.field("head_id_number")
	case syncproto.CollMembers:
		return r.field("id_number")
	}
	return ""
}
