package engine

import (
	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// scope works out where a record written by m lives: its village, its
// household and, for a signature, its investigation. It checks that all of
// it lies in the actor's subtree.
func (t *txn) scope(m *syncproto.Mutation, cur *server.Record) (unit, household, parent string, err error) {
	pick := func(field, old string) string {
		if v := server.StringField(m.Fields, field); v != "" {
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
		u, ok := t.units[unit]
		if !ok || u.Level != syncproto.LevelVillage {
			return "", "", "", server.Errorf(syncproto.CodeInvalidUnit, "unit_id %q is not a village", unit)
		}
		if !t.covers(unit) {
			return "", "", "", server.Errorf(syncproto.CodeOutOfScope, "village %q is outside your jurisdiction", unit)
		}
		if cur != nil {
			return unit, cur.ID, "", nil // m.ID may be an alias of cur
		}
		return unit, m.ID, "", nil
	case syncproto.CollSignatures:
		coll, field := signedCollection(m, cur)
		parent = pick(field, curParent)
		if cur == nil && server.StringField(m.Fields, "investigation_id") != "" && server.StringField(m.Fields, "review_id") != "" {
			return "", "", "", server.Errorf(syncproto.CodeInvalidField, "a signature signs an investigation or a review, not both")
		}
		if parent == "" {
			return "", "", "", server.Errorf(syncproto.CodeMissingField, "investigation_id (or review_id) is required")
		}
		target, err := t.get(coll, parent)
		if err != nil {
			return "", "", "", err
		}
		if target == nil || target.Deleted {
			return "", "", "", server.Errorf(syncproto.CodeUnknownInvestigation, "%s %q does not exist", coll, parent)
		}
		household = target.HouseholdID
	default:
		household = pick("household_id", curHH)
	}
	hh, err := t.get(syncproto.CollHouseholds, household)
	if err != nil {
		return "", "", "", err
	}
	if hh == nil || hh.Deleted {
		return "", "", "", server.Errorf(syncproto.CodeUnknownHousehold, "household %q does not exist", household)
	}
	if !t.covers(hh.UnitID) {
		return "", "", "", server.Errorf(syncproto.CodeOutOfScope, "household %q is outside your jurisdiction", household)
	}
	return hh.UnitID, household, parent, nil
}

// moveHousehold re-scopes a household's records after it moved village:
// each gets a new version in the new village and a scope exit from the old
// one, so readers of the old village receive tombstones.
func (t *txn) moveHousehold(hh *server.Record, fromUnit string) error {
	if err := t.scopeExit(hh, fromUnit); err != nil {
		return err
	}
	children, err := t.tx.Children(hh.ID)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := t.bump(c); err != nil {
			return err
		}
		c.UnitID = hh.UnitID
		if err := t.put(c); err != nil {
			return err
		}
		if err := t.scopeExit(c, fromUnit); err != nil {
			return err
		}
	}
	// Conflicts about the moved records follow them to the new village, and
	// so does a member of the household kept whole in a conflict because it
	// was never created (the person is in another household).
	t.wrote = true
	return t.tx.MoveHouseholdConflicts(hh.ID, hh.UnitID)
}

// moveRecord re-scopes a record that moved to another village on its own
// (a member or investigation moved to another household): a scope exit from
// the old village, and its conflicts follow it.
func (t *txn) moveRecord(r *server.Record, fromUnit string) error {
	if err := t.scopeExit(r, fromUnit); err != nil {
		return err
	}
	t.wrote = true
	return t.tx.MoveRecordConflicts(r.Collection, r.ID, r.UnitID)
}

// moveSignatures files an investigation's signatures under its household
// and village after the investigation moved to another household.
func (t *txn) moveSignatures(inv *server.Record) error {
	signatures, err := t.tx.Signatures(inv.ID)
	if err != nil {
		return err
	}
	for _, s := range signatures {
		fromUnit := s.UnitID
		if err := t.bump(s); err != nil {
			return err
		}
		s.UnitID, s.HouseholdID = inv.UnitID, inv.HouseholdID
		if err := t.put(s); err != nil {
			return err
		}
		if fromUnit != s.UnitID {
			if err := t.moveRecord(s, fromUnit); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *txn) scopeExit(r *server.Record, fromUnit string) error {
	t.wrote = true
	return t.tx.AddScopeExit(r.Version, r.Collection, r.ID, fromUnit)
}

// bump gives r the next version.
func (t *txn) bump(r *server.Record) error {
	v, err := t.nextVersion()
	if err != nil {
		return err
	}
	r.Version = v
	return nil
}

// signedCollection returns what a signature signs — an investigation or a
// democratic review — and the field naming it.
func signedCollection(m *syncproto.Mutation, cur *server.Record) (collection, field string) {
	if server.StringField(m.Fields, "review_id") != "" || (cur != nil && cur.Field("review_id") != "") {
		return syncproto.CollReviews, "review_id"
	}
	return syncproto.CollInvestigations, "investigation_id"
}
