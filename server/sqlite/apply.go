package sqlite

import (
	"encoding/json"
	"maps"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// apply applies one mutation. A *server.Error means rejected: the caller
// rolls back whatever was written. It returns the result and the village the
// record belongs to.
func (p *pushTx) apply(m *syncproto.Mutation) (syncproto.MutationResult, string, error) {
	res := syncproto.MutationResult{MutationID: m.MutationID}
	if err := rules.ValidateMutation(m); err != nil {
		return res, "", err
	}
	if m.Fields == nil {
		m.Fields = map[string]json.RawMessage{}
	}
	id, err := p.canonicalID(m.Collection, m.ID)
	if err != nil {
		return res, "", err
	}
	if id != m.ID {
		res.CanonicalID = id
	}
	if err := p.rewriteRefs(m.Fields); err != nil {
		return res, "", err
	}
	cur, dup, err := p.findRecord(m, id)
	if err != nil {
		return res, "", err
	}
	if cur != nil && !p.covers(cur.UnitID) {
		return res, "", server.Errorf(syncproto.CodeOutOfScope, "%s %q is outside your jurisdiction", m.Collection, id)
	}
	if m.Op == syncproto.OpDelete {
		return p.delete(m, cur, res)
	}
	return p.upsert(m, id, cur, dup, res)
}

// findRecord loads the record a mutation writes. For a new household it
// also finds, in the same query, a live household whose head has the same
// ID number (dup); for other collections dup is found later, if needed.
func (p *pushTx) findRecord(m *syncproto.Mutation, id string) (cur, dup *record, err error) {
	key := stringField(m.Fields, "head_id_number")
	if m.Collection != syncproto.CollHouseholds || m.Op != syncproto.OpUpsert || key == "" {
		cur, err = findRecord(p.ctx, p, m.Collection, id)
		return cur, nil, err
	}
	rs, err := findRecords(p.ctx, p, `version IN (
		SELECT version FROM records WHERE collection = 'households' AND id = ?
		UNION ALL
		SELECT version FROM records WHERE collection = 'households' AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0)`, id, key)
	for _, r := range rs {
		switch {
		case r.ID == id:
			cur = r
		case dup == nil:
			dup = r
		}
	}
	return cur, dup, err
}

// canonicalID follows an alias left by a duplicate-household merge.
func (p *pushTx) canonicalID(collection, id string) (string, error) {
	if !p.aliases {
		return id, nil
	}
	var canon string
	err := p.QueryRowContext(p.ctx, `SELECT canonical_id FROM aliases WHERE collection = ? AND alias_id = ?`,
		collection, id).Scan(&canon)
	if err != nil {
		return id, nil //nolint:nilerr // no alias: the id is canonical
	}
	return canon, nil
}

// rewriteRefs replaces a household_id naming an alias by the canonical id.
func (p *pushTx) rewriteRefs(fields map[string]json.RawMessage) error {
	hh := stringField(fields, "household_id")
	if hh == "" {
		return nil
	}
	canon, err := p.canonicalID(syncproto.CollHouseholds, hh)
	if err != nil || canon == hh {
		return err
	}
	b, _ := json.Marshal(canon)
	fields["household_id"] = b
	return nil
}

// scope works out where a record written by m lives: its village, its
// household and, for a signature, its investigation. It checks that all of
// it lies in the actor's subtree.
func (p *pushTx) scope(m *syncproto.Mutation, cur *record) (unit, household, parent string, err error) {
	pick := func(field, old string) string {
		if v := stringField(m.Fields, field); v != "" {
			return v
		}
		return old
	}
	var curUnit, curHH, curParent string
	if cur != nil {
		curUnit, curHH, curParent = cur.UnitID, cur.HouseholdID, cur.ParentID
	}
	switch m.Collection {
	case syncproto.CollHouseholds:
		unit = pick("unit_id", curUnit)
		u, ok := p.units[unit]
		if !ok || u.Level != syncproto.LevelVillage {
			return "", "", "", server.Errorf(syncproto.CodeInvalidUnit, "unit_id %q is not a village", unit)
		}
		if !p.covers(unit) {
			return "", "", "", server.Errorf(syncproto.CodeOutOfScope, "village %q is outside your jurisdiction", unit)
		}
		if cur != nil {
			return unit, cur.ID, "", nil // m.ID may be an alias of cur
		}
		return unit, m.ID, "", nil
	case syncproto.CollSignatures:
		parent = pick("investigation_id", curParent)
		inv, err := findRecord(p.ctx, p, syncproto.CollInvestigations, parent)
		if err != nil {
			return "", "", "", err
		}
		if inv == nil || inv.Deleted {
			return "", "", "", server.Errorf(syncproto.CodeUnknownInvestigation, "investigation %q does not exist", parent)
		}
		household = inv.HouseholdID
	default:
		household = pick("household_id", curHH)
	}
	hh, err := findRecord(p.ctx, p, syncproto.CollHouseholds, household)
	if err != nil {
		return "", "", "", err
	}
	if hh == nil || hh.Deleted {
		return "", "", "", server.Errorf(syncproto.CodeUnknownHousehold, "household %q does not exist", household)
	}
	if !p.covers(hh.UnitID) {
		return "", "", "", server.Errorf(syncproto.CodeOutOfScope, "household %q is outside your jurisdiction", household)
	}
	return hh.UnitID, household, parent, nil
}

func (p *pushTx) upsert(m *syncproto.Mutation, id string, cur, dup *record, res syncproto.MutationResult) (syncproto.MutationResult, string, error) {
	unit, household, parent, err := p.scope(m, cur)
	if err != nil {
		return res, "", err
	}
	if cur != nil && cur.Deleted {
		return p.wholeConflict(res, cur, syncproto.KindDeleteEdit, "", json.RawMessage("null"), mustJSON(m.Fields),
			"the record was deleted on the server; the edit is kept here")
	}
	if cur != nil && isLocked(cur) {
		return p.wholeConflict(res, cur, syncproto.KindSignedContentLocked, "", cur.fieldsJSON(), mustJSON(m.Fields),
			"the investigation was submitted and is locked; the edit is kept here")
	}
	if cur == nil {
		if err := rules.CheckRequired(m.Collection, m.Fields); err != nil {
			return res, "", err
		}
		if m.Collection == syncproto.CollMembers {
			if dup, err = p.findDuplicate(m, household); err != nil {
				return res, "", err
			}
		}
		if dup != nil {
			return p.mergeDuplicate(m, dup, res, unit)
		}
	} else if err := rules.CheckImmutable(m.Collection, changed(cur, m.Fields)); err != nil {
		return res, "", err
	}
	if m.Collection == syncproto.CollSignatures && cur == nil {
		if err := p.checkSignature(m, parent, household); err != nil {
			return res, "", err
		}
	}
	if cid, blocked, err := p.checkPersonUnique(m, cur, household); err != nil || blocked {
		if err != nil {
			return res, "", err
		}
		res.Status, res.ConflictID, res.ConflictIDs = syncproto.StatusConflict, cid, []string{cid}
		if cur != nil {
			res.Version = cur.Version
		}
		return res, unit, nil
	}
	if cur == nil {
		cur = &record{Collection: m.Collection, ID: id, CreatedBy: p.a.UserID}
	}
	out := merge.Upsert(recordOrNil(cur), m.BaseVersion, m.Fields)
	if m.Collection == syncproto.CollHouseholds {
		if err := p.guardHeadChange(cur, &out); err != nil {
			return res, "", err
		}
	}
	return p.write(m, cur, out, unit, household, parent, res, syncproto.KindField)
}

// write applies a merge outcome to cur and records its conflicts.
func (p *pushTx) write(m *syncproto.Mutation, cur *record, out merge.Outcome, unit, household, parent string,
	res syncproto.MutationResult, kind string) (syncproto.MutationResult, string, error) {
	prev := map[string]json.RawMessage{}
	for f := range out.Apply {
		prev[f] = cur.Fields[f]
	}
	oldUnit := cur.UnitID
	if len(out.Apply) > 0 || !cur.stored || unit != oldUnit {
		merge.Apply(&cur.Record, out.Apply, p.nextVersion())
		cur.UnitID, cur.HouseholdID, cur.ParentID = unit, household, parent
		cur.DedupeKey = dedupeKey(cur)
	}
	var ids []string
	for _, c := range out.Conflicts {
		id, err := p.recordConflict(cur, kind, c.Field, c.Server, c.Client, "")
		if err != nil {
			return res, "", err
		}
		ids = append(ids, id)
	}
	if cur.Version != cur.oldVersion || !cur.stored {
		if err := p.save(cur); err != nil {
			return res, "", err
		}
	}
	if cur.Collection == syncproto.CollSignatures && len(out.Apply) > 0 {
		if err := p.touchInvestigation(parent); err != nil {
			return res, "", err
		}
	}
	if cur.Collection == syncproto.CollHouseholds && oldUnit != "" && oldUnit != unit {
		if err := p.moveHousehold(cur, oldUnit); err != nil {
			return res, "", err
		}
	} else if oldUnit != "" && oldUnit != unit {
		// A member or investigation moved to a household of another village.
		if err := p.scopeExit(cur, oldUnit); err != nil {
			return res, "", err
		}
	}
	res.Version = cur.Version
	switch {
	case len(ids) > 0:
		res.Status, res.ConflictID, res.ConflictIDs = syncproto.StatusConflict, ids[0], ids
	case out.ServerAhead:
		res.Status = syncproto.StatusMerged
	default:
		res.Status = syncproto.StatusApplied
	}
	detail := (&objectBuilder{}).int("mutation_id", m.MutationID).int("base_version", m.BaseVersion).
		int("version", cur.Version).str("status", res.Status).raw("changes", encodeRawMap(out.Apply)).
		raw("previous", encodeRawMap(prev)).raw("conflicts", mustJSON(ids)).done()
	err := p.audit.append(p.ctx, server.AuditEntry{ActorID: p.a.UserID, DeviceID: p.a.DeviceID, Action: "record.upsert",
		ObjectType: cur.Collection, ObjectID: cur.ID, Detail: detail})
	return res, unit, err
}

// save stores a record, keeping derived state (signature meta) current.
func (p *pushTx) save(r *record) error {
	if r.Collection == syncproto.CollInvestigations && !r.Deleted {
		if err := p.refreshSignatureState(r); err != nil {
			return err
		}
	}
	return saveRecord(p.ctx, p, r, p.now)
}

// touchInvestigation gives an investigation a new version so that its
// refreshed signature state reaches every device.
func (p *pushTx) touchInvestigation(id string) error {
	inv, err := findRecord(p.ctx, p, syncproto.CollInvestigations, id)
	if err != nil || inv == nil {
		return err
	}
	inv.Version = p.nextVersion()
	return p.save(inv)
}

func recordOrNil(r *record) *merge.Record {
	if !r.stored {
		return nil
	}
	return &r.Record
}

// changed returns the fields of in whose value differs from r's.
func changed(r *record, in map[string]json.RawMessage) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for f, v := range in {
		if !merge.Equal(r.Fields[f], v) {
			out[f] = v
		}
	}
	return out
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

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

func (p *pushTx) delete(m *syncproto.Mutation, cur *record, res syncproto.MutationResult) (syncproto.MutationResult, string, error) {
	if cur == nil {
		return res, "", server.Errorf(syncproto.CodeNotFoundRecord, "%s %q does not exist", m.Collection, m.ID)
	}
	if cur.Deleted {
		res.Status, res.Version = syncproto.StatusApplied, cur.Version
		return res, cur.UnitID, nil
	}
	if cur.Collection == syncproto.CollSignatures {
		return res, "", server.Errorf(syncproto.CodeSignaturesAreImmutable, "a signature cannot be deleted; it stays for the audit trail")
	}
	if isLocked(cur) {
		return p.wholeConflict(res, cur, syncproto.KindSignedContentLocked, "", cur.fieldsJSON(), json.RawMessage("null"),
			"the investigation was submitted and is locked; the delete was not applied")
	}
	if merge.DeleteConflicts(&cur.Record, m.BaseVersion) {
		return p.wholeConflict(res, cur, syncproto.KindDeleteEdit, "", cur.fieldsJSON(), json.RawMessage("null"),
			"the record changed on the server after the device last saw it; the delete was not applied")
	}
	cur.Deleted = true
	cur.Version = p.nextVersion()
	cur.DedupeKey = ""
	if err := p.save(cur); err != nil {
		return res, "", err
	}
	res.Status, res.Version = syncproto.StatusApplied, cur.Version
	err := p.audit.append(p.ctx, server.AuditEntry{ActorID: p.a.UserID, DeviceID: p.a.DeviceID, Action: "record.delete",
		ObjectType: cur.Collection, ObjectID: cur.ID, Detail: map[string]any{"mutation_id": m.MutationID,
			"base_version": m.BaseVersion, "version": cur.Version, "previous": cur.Fields}})
	return res, cur.UnitID, err
}

// conflictResult is the result of a mutation that was kept whole in a
// conflict (nothing applied).
func (p *pushTx) conflictResult(res syncproto.MutationResult, cur *record, cid string) syncproto.MutationResult {
	res.Status, res.ConflictID, res.ConflictIDs = syncproto.StatusConflict, cid, []string{cid}
	if cur != nil {
		res.Version = cur.Version
	}
	return res
}

// liveByKey finds a live record of collection whose dedupe key is key,
// other than the record id except.
func (p *pushTx) liveByKey(collection, key, except string) (*record, error) {
	if key == "" {
		return nil, nil
	}
	rs, err := findRecords(p.ctx, p, `collection = ? AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0 AND id != ?`,
		collection, key, except)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0], nil
}

// findDuplicate finds a live member of the same household with the same ID
// number as a new member.
func (p *pushTx) findDuplicate(m *syncproto.Mutation, household string) (*record, error) {
	rs, err := findRecords(p.ctx, p, `collection = 'members' AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0
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
	out.Conflicts = append(out.Conflicts, merge.FieldConflict{Field: "head_id_number", Server: cur.Fields["head_id_number"], Client: v})
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
	if key == "" && cur != nil {
		key = cur.field("id_number")
	}
	rs, err := findRecords(p.ctx, p, `collection = 'members' AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0 AND id != ? AND household_id != ?
		AND household_id IN (SELECT id FROM records WHERE collection = 'households' AND deleted = 0)`, key, m.ID, household)
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
	hh, err := findRecord(p.ctx, p, syncproto.CollHouseholds, household)
	if err != nil {
		return "", false, err
	}
	target := &record{Collection: m.Collection, ID: m.ID, UnitID: hh.UnitID}
	cid, err := p.recordConflictFor(target, syncproto.KindPersonInTwoHouseholds, "id_number", mustJSON(other), mustJSON(m.Fields), detail)
	return cid, true, err
}

// moveHousehold re-scopes a household's records after it moved village:
// each gets a new version in the new village and a scope exit from the old
// one, so readers of the old village receive tombstones.
func (p *pushTx) moveHousehold(hh *record, fromUnit string) error {
	if err := p.scopeExit(hh, fromUnit); err != nil {
		return err
	}
	children, err := findRecords(p.ctx, p, `household_id = ? AND collection != 'households'`, hh.ID)
	if err != nil {
		return err
	}
	for _, c := range children {
		c.UnitID = hh.UnitID
		c.Version = p.nextVersion()
		if err := saveRecord(p.ctx, p, c, p.now); err != nil {
			return err
		}
		if err := p.scopeExit(c, fromUnit); err != nil {
			return err
		}
	}
	// Conflicts about the moved records follow them to the new village.
	_, err = p.ExecContext(p.ctx, `UPDATE conflicts SET unit_id = ?
		WHERE (collection, record_id) IN (SELECT collection, id FROM records WHERE household_id = ?)`, hh.UnitID, hh.ID)
	return err
}

func (p *pushTx) scopeExit(r *record, fromUnit string) error {
	_, err := p.ExecContext(p.ctx, `INSERT INTO scope_exits (version, collection, id, from_unit_id) VALUES (?, ?, ?, ?)`,
		r.Version, r.Collection, r.ID, fromUnit)
	return err
}

// isLocked reports whether r is a submitted investigation.
func isLocked(r *record) bool {
	return r.Collection == syncproto.CollInvestigations && r.Meta.Submitted
}
