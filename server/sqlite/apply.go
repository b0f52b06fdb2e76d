package sqlite

import (
	"encoding/json"

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
	if !p.a.HasAny(server.WriteRoles[m.Collection]...) {
		return res, "", server.Errorf(syncproto.CodeForbidden, "your role may not change %s", m.Collection)
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
	if err := p.rewriteRefs(m); err != nil {
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
		if len(changed(cur, m.Fields)) == 0 {
			// The signed content again, unchanged: nothing to keep.
			res.Status, res.Version = syncproto.StatusApplied, cur.Version
			return res, cur.UnitID, nil
		}
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
	} else if err := rules.CheckUpdate(m.Collection, changed(cur, m.Fields)); err != nil {
		return res, "", err
	}
	if m.Collection == syncproto.CollSignatures && cur == nil {
		if err := p.checkSignature(m, parent, household); err != nil {
			return res, "", err
		}
	}
	cid, blocked, err := p.checkPersonUnique(m, cur, household)
	if err != nil {
		return res, "", err
	}
	if blocked {
		return p.conflictResult(res, cur, cid), unit, nil
	}
	if cur == nil {
		cur = &record{Collection: m.Collection, ID: id, CreatedBy: p.a.UserID}
	}
	out := merge.Upsert(recordOrNil(cur), m.BaseVersion, m.Fields)
	if cur.stored && placementCollides(m.Collection, out) {
		// The field that places the record was kept in a conflict, not
		// applied: the record stays where its fields say it is.
		unit, household, parent = cur.UnitID, cur.HouseholdID, cur.ParentID
	}
	if m.Collection == syncproto.CollHouseholds {
		if err := p.guardHeadChange(cur, &out); err != nil {
			return res, "", err
		}
	}
	return p.write(m, cur, out, unit, household, parent, res, syncproto.KindField)
}

// placementCollides reports whether the field that places a record — a
// household's unit_id, a member's or investigation's household_id — is
// one of the merge's conflicts.
func placementCollides(collection string, out merge.Outcome) bool {
	field := "household_id"
	if collection == syncproto.CollHouseholds {
		field = "unit_id"
	}
	for _, c := range out.Conflicts {
		if c.Field == field {
			return true
		}
	}
	return false
}

// write applies a merge outcome to cur and records its conflicts.
func (p *pushTx) write(m *syncproto.Mutation, cur *record, out merge.Outcome, unit, household, parent string,
	res syncproto.MutationResult, kind string) (syncproto.MutationResult, string, error) {
	prev := map[string]json.RawMessage{}
	for f := range out.Apply {
		prev[f] = cur.Fields[f]
	}
	oldUnit, oldHousehold := cur.UnitID, cur.HouseholdID
	if len(out.Apply) > 0 || !cur.stored || unit != oldUnit {
		merge.Apply(&cur.Record, out.Apply, p.nextVersion())
		cur.UnitID, cur.HouseholdID, cur.ParentID = unit, household, parent
		cur.DedupeKey = dedupeKey(cur)
	}
	var ids []string
	for _, c := range out.Conflicts {
		k := kind
		if c.Kind != "" {
			k = c.Kind
		}
		id, err := p.recordConflict(cur, k, c.Field, c.Server, c.Client, "")
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
		if err := p.moveRecord(cur, oldUnit); err != nil {
			return res, "", err
		}
	}
	if cur.Collection == syncproto.CollInvestigations && oldHousehold != "" && oldHousehold != household {
		if err := p.moveSignatures(cur); err != nil {
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
	p.put(r)
	return nil
}

// touchInvestigation gives an investigation a new version so that its
// refreshed signature state reaches every device.
func (p *pushTx) touchInvestigation(id string) error {
	inv, err := p.get(syncproto.CollInvestigations, id)
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

// isLocked reports whether r is a submitted investigation.
func isLocked(r *record) bool {
	return r.Collection == syncproto.CollInvestigations && r.Meta.Submitted
}
