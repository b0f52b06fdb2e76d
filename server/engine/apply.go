package engine

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// apply applies one mutation. A *server.Error means rejected: the caller
// rolls back whatever was written. It returns the result and the village the
// record belongs to.
func (t *txn) apply(m *syncproto.Mutation) (syncproto.MutationResult, string, error) {
	res := syncproto.MutationResult{MutationID: m.MutationID}
	set, err := t.schemaSet()
	if err != nil {
		return res, "", err
	}
	if err := rules.ValidateMutation(set, m); err != nil {
		return res, "", err
	}
	if !t.a.HasAny(server.WriteRoles[m.Collection]...) {
		return res, "", server.Errorf(syncproto.CodeForbidden, "your role may not change %s", m.Collection)
	}
	if m.Fields == nil {
		m.Fields = map[string]json.RawMessage{}
	}
	id, err := t.canonicalID(m.Collection, m.ID)
	if err != nil {
		return res, "", err
	}
	if id != m.ID {
		res.CanonicalID = id
	}
	if err := t.rewriteRefs(m); err != nil {
		return res, "", err
	}
	cur, dup, err := t.findRecord(m, id)
	if err != nil {
		return res, "", err
	}
	if cur != nil && !t.covers(cur.UnitID) {
		return res, "", server.Errorf(syncproto.CodeOutOfScope, "%s %q is outside your jurisdiction", m.Collection, id)
	}
	if cur != nil && cur.Stored && cur.Collection == syncproto.CollInvestigations && cur.CreatedBy != t.a.UserID && t.ownWorkOnly() {
		return res, "", server.Errorf(syncproto.CodeForbidden, "your role may change only the investigations you recorded")
	}
	if m.Op == syncproto.OpDelete {
		return t.delete(m, cur, res)
	}
	return t.upsert(m, id, cur, dup, res)
}

func (t *txn) upsert(m *syncproto.Mutation, id string, cur, dup *server.Record, res syncproto.MutationResult) (syncproto.MutationResult, string, error) {
	if cur == nil {
		// What the record itself lacks is named before where it points.
		if err := rules.CheckRequired(t.schemas, m.Collection, m.Fields); err != nil {
			return res, "", err
		}
	}
	unit, household, parent, err := t.scope(m, cur)
	if err != nil {
		return res, "", err
	}
	if cur != nil && cur.Deleted {
		return t.wholeConflict(res, cur, syncproto.KindDeleteEdit, "", json.RawMessage("null"), mustJSON(m.Fields),
			"the record was deleted on the server; the edit is kept here")
	}
	var diff map[string]json.RawMessage // the fields m changes, computed once
	if cur != nil {
		diff = changed(cur, m.Fields)
	}
	if cur != nil && isLocked(cur) {
		if len(diff) == 0 {
			// The signed content again, unchanged: nothing to keep.
			res.Status, res.Version = syncproto.StatusApplied, cur.Version
			return res, cur.UnitID, nil
		}
		return t.wholeConflict(res, cur, syncproto.KindSignedContentLocked, "", cur.FieldsJSON(), mustJSON(m.Fields),
			"the investigation was submitted and is locked; the edit is kept here")
	}
	if cur == nil {
		if m.Collection == syncproto.CollMembers {
			if dup, err = t.findDuplicate(m, household); err != nil {
				return res, "", err
			}
		}
		if dup != nil {
			return t.mergeDuplicate(m, dup, res, unit)
		}
	} else if err := rules.CheckUpdate(t.schemas, m.Collection, diff); err != nil {
		return res, "", err
	} else if m.Collection == syncproto.CollSignatures && len(diff) > 0 {
		if err := t.checkSignatureEdit(cur); err != nil {
			return res, "", err
		}
	}
	if m.Collection == syncproto.CollSignatures && cur == nil {
		if err := t.checkSignature(m, parent, household); err != nil {
			return res, "", err
		}
	}
	cid, blocked, err := t.checkPersonUnique(m, cur, household)
	if err != nil {
		return res, "", err
	}
	if blocked {
		return t.conflictResult(res, cur, cid), unit, nil
	}
	if cur == nil {
		cur = &server.Record{Collection: m.Collection, ID: id, CreatedBy: t.a.UserID}
	}
	out := merge.Upsert(recordOrNil(cur), m.BaseVersion, m.Fields)
	if cur.Stored && placementCollides(m.Collection, out) {
		// The field that places the record was kept in a conflict, not
		// applied: the record stays where its fields say it is.
		unit, household, parent = cur.UnitID, cur.HouseholdID, cur.ParentID
	}
	if m.Collection == syncproto.CollHouseholds {
		if err := t.guardHeadChange(cur, &out); err != nil {
			return res, "", err
		}
	}
	return t.write(m, cur, out, unit, household, parent, res, syncproto.KindField)
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
func (t *txn) write(m *syncproto.Mutation, cur *server.Record, out merge.Outcome, unit, household, parent string,
	res syncproto.MutationResult, kind string) (syncproto.MutationResult, string, error) {
	oldUnit, oldHousehold := cur.UnitID, cur.HouseholdID
	if len(out.Apply) > 0 || !cur.Stored || unit != oldUnit {
		v, err := t.nextVersion()
		if err != nil {
			return res, "", err
		}
		merge.Apply(&cur.Record, out.Apply, v)
		cur.UnitID, cur.HouseholdID, cur.ParentID = unit, household, parent
		cur.DedupeKey = dedupeKey(cur)
	}
	var ids []string
	for _, c := range out.Conflicts {
		k := kind
		if c.Kind != "" {
			k = c.Kind
		}
		id, err := t.recordConflict(cur, k, c.Field, c.Server, c.Client, "")
		if err != nil {
			return res, "", err
		}
		ids = append(ids, id)
	}
	if cur.Version != cur.OldVersion || !cur.Stored {
		if err := t.save(cur); err != nil {
			return res, "", err
		}
	}
	if cur.Collection == syncproto.CollSignatures && len(out.Apply) > 0 {
		if err := t.touchSigned(cur, parent); err != nil {
			return res, "", err
		}
	}
	if cur.Collection == syncproto.CollHouseholds && oldUnit != "" && oldUnit != unit {
		if err := t.moveHousehold(cur, oldUnit); err != nil {
			return res, "", err
		}
	} else if oldUnit != "" && oldUnit != unit {
		// A member or investigation moved to a household of another village.
		if err := t.moveRecord(cur, oldUnit); err != nil {
			return res, "", err
		}
	}
	if cur.Collection == syncproto.CollInvestigations && oldHousehold != "" && oldHousehold != household {
		if err := t.moveSignatures(cur); err != nil {
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
	// The values changed are not repeated here: withFieldsHash records the
	// ones they replaced, the record holds the new ones, and the trail
	// shows both (fillTrail).
	b := (&server.ObjectBuilder{}).Int("mutation_id", m.MutationID).Int("base_version", m.BaseVersion).
		Int("version", cur.Version).Str("status", res.Status)
	if len(ids) > 0 {
		b.Raw("conflicts", mustJSON(ids))
	}
	return res, unit, t.auditFields("record.upsert", cur.Collection, cur.ID, b.Done(), slices.Sorted(maps.Keys(out.Apply)))
}

// save stores a record, keeping derived state (signature meta) current.
func (t *txn) save(r *server.Record) error {
	if signable(r.Collection) && !r.Deleted {
		if err := t.refreshSignatureState(r); err != nil {
			return err
		}
	}
	if err := t.put(r); err != nil {
		return err
	}
	return t.reflagForInvestigation(r) // photo_evidence.go
}

// touchSigned gives what sig signs (an investigation or a review) a new
// version so that its refreshed signature state reaches every device.
func (t *txn) touchSigned(sig *server.Record, id string) error {
	coll := syncproto.CollInvestigations
	if sig.Field("review_id") != "" {
		coll = syncproto.CollReviews
	}
	inv, err := t.get(coll, id)
	if err != nil || inv == nil {
		return err
	}
	if err := t.bump(inv); err != nil {
		return err
	}
	return t.save(inv)
}

func recordOrNil(r *server.Record) *merge.Record {
	if !r.Stored {
		return nil
	}
	return &r.Record
}

// changed returns the fields of in whose value differs from r's.
func changed(r *server.Record, in map[string]json.RawMessage) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for f, v := range in {
		if old := r.Fields[f]; plainStringsDiffer(old, v) || !merge.Equal(old, v) {
			out[f] = v
		}
	}
	return out
}

// plainStringsDiffer reports whether a and b are JSON strings without
// escapes and with different bytes: such strings differ in value too, so
// merge.Equal need not decode them (it decodes both whenever the bytes
// differ, which was most of an edit's cost).
func plainStringsDiffer(a, b json.RawMessage) bool {
	plain := func(s json.RawMessage) bool {
		return len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' && bytes.IndexByte(s, '\\') < 0
	}
	return plain(a) && plain(b) && !bytes.Equal(a, b)
}

func (t *txn) delete(m *syncproto.Mutation, cur *server.Record, res syncproto.MutationResult) (syncproto.MutationResult, string, error) {
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
	if cur.Collection == syncproto.CollHouseholds {
		if err := t.checkHouseholdDelete(cur); err != nil {
			return res, "", err
		}
	}
	if isLocked(cur) {
		return t.wholeConflict(res, cur, syncproto.KindSignedContentLocked, "", cur.FieldsJSON(), json.RawMessage("null"),
			"the investigation was submitted and is locked; the delete was not applied")
	}
	if merge.DeleteConflicts(&cur.Record, m.BaseVersion) {
		return t.wholeConflict(res, cur, syncproto.KindDeleteEdit, "", cur.FieldsJSON(), json.RawMessage("null"),
			"the record changed on the server after the device last saw it; the delete was not applied")
	}
	if err := t.bump(cur); err != nil {
		return res, "", err
	}
	cur.Deleted = true
	cur.DedupeKey = ""
	if err := t.save(cur); err != nil {
		return res, "", err
	}
	res.Status, res.Version = syncproto.StatusApplied, cur.Version
	return res, cur.UnitID, t.audit("record.delete", cur.Collection, cur.ID, map[string]any{"mutation_id": m.MutationID,
		"base_version": m.BaseVersion, "version": cur.Version, "previous": cur.Fields})
}

// conflictResult is the result of a mutation that was kept whole in a
// conflict (nothing applied).
func (t *txn) conflictResult(res syncproto.MutationResult, cur *server.Record, cid string) syncproto.MutationResult {
	res.Status, res.ConflictID, res.ConflictIDs = syncproto.StatusConflict, cid, []string{cid}
	if cur != nil {
		res.Version = cur.Version
	}
	return res
}

// ownWorkOnly reports whether the actor may change only their own
// investigations (server.OwnWorkOnlyRoles, and no role of the file keepers).
func (t *txn) ownWorkOnly() bool {
	return t.a.HasAny(server.OwnWorkOnlyRoles...) &&
		!t.a.HasAny(syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer)
}

// isLocked reports whether r is a submitted investigation or a democratic
// review a case rests on.
func isLocked(r *server.Record) bool {
	return signable(r.Collection) && r.Meta.Submitted
}

// signable reports whether records of collection are signed.
func signable(collection string) bool {
	return collection == syncproto.CollInvestigations || collection == syncproto.CollReviews
}
