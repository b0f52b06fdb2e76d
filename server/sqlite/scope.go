package sqlite

import (
	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

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
		inv, err := p.get(syncproto.CollInvestigations, parent)
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
	hh, err := p.get(syncproto.CollHouseholds, household)
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

// moveHousehold re-scopes a household's records after it moved village:
// each gets a new version in the new village and a scope exit from the old
// one, so readers of the old village receive tombstones.
func (p *pushTx) moveHousehold(hh *record, fromUnit string) error {
	if err := p.scopeExit(hh, fromUnit); err != nil {
		return err
	}
	children, err := p.findRecords(`household_id = ? AND collection != 'households'`, hh.ID)
	if err != nil {
		return err
	}
	for _, c := range children {
		c.UnitID = hh.UnitID
		c.Version = p.nextVersion()
		p.put(c)
		if err := p.scopeExit(c, fromUnit); err != nil {
			return err
		}
	}
	// Conflicts about the moved records follow them to the new village, and
	// so does a member of the household kept whole in a conflict because it
	// was never created (the person is in another household).
	_, err = p.ExecContext(p.ctx, `UPDATE conflicts SET unit_id = ?
		WHERE (collection, record_id) IN (SELECT collection, id FROM records WHERE household_id = ?)
		OR (kind = 'person_in_two_households' AND json_extract(client_value, '$.household_id') = ?
			AND NOT EXISTS (SELECT 1 FROM records r WHERE r.collection = conflicts.collection AND r.id = conflicts.record_id))`,
		hh.UnitID, hh.ID, hh.ID)
	return err
}

// moveRecord re-scopes a record that moved to another village on its own
// (a member or investigation moved to another household): a scope exit from
// the old village, and its conflicts follow it.
func (p *pushTx) moveRecord(r *record, fromUnit string) error {
	if err := p.scopeExit(r, fromUnit); err != nil {
		return err
	}
	_, err := p.ExecContext(p.ctx, `UPDATE conflicts SET unit_id = ? WHERE collection = ? AND record_id = ?`,
		r.UnitID, r.Collection, r.ID)
	return err
}

// moveSignatures files an investigation's signatures under its household
// and village after the investigation moved to another household.
func (p *pushTx) moveSignatures(inv *record) error {
	signatures, err := p.findRecords(`collection = 'signatures' AND parent_id = ?`, inv.ID)
	if err != nil {
		return err
	}
	for _, s := range signatures {
		fromUnit := s.UnitID
		s.UnitID, s.HouseholdID = inv.UnitID, inv.HouseholdID
		s.Version = p.nextVersion()
		p.put(s)
		if fromUnit != s.UnitID {
			if err := p.moveRecord(s, fromUnit); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *pushTx) scopeExit(r *record, fromUnit string) error {
	_, err := p.ExecContext(p.ctx, `INSERT INTO scope_exits (version, collection, id, from_unit_id) VALUES (?, ?, ?, ?)`,
		r.Version, r.Collection, r.ID, fromUnit)
	return err
}
