package engine

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// noticeStates maps a notice stage to its state.
var noticeStates = map[string]string{
	"village":  syncproto.StateVillageNotice,
	"township": syncproto.StateTownshipNotice,
	"county":   syncproto.StateCountyNotice,
}

// Notice returns the public notice list (公示名单) of a unit's cases in the
// stage's notice: name, village, category, monthly amount. A household
// whose head is a minor or confidential is withheld (only counted); no
// minor and no confidential member is named; ID numbers are masked (first
// 6, last 4). Codes: forbidden, invalid_field, out_of_scope.
func (e *Engine) Notice(ctx context.Context, a *server.Actor, unitID, stage string) (*syncproto.NoticeList, error) {
	if !a.HasAny(officialRoles...) && !a.Has(syncproto.RoleInspector) {
		return nil, server.Errorf(syncproto.CodeForbidden, "your role does not publish notices")
	}
	state, ok := noticeStates[stage]
	if !ok {
		return nil, server.Errorf(syncproto.CodeInvalidField, "stage must be village, township or county")
	}
	var out *syncproto.NoticeList
	err := e.read(ctx, a, func(t *txn) error {
		if unitID == "" {
			unitID = a.UnitID
		}
		cases, err := t.casesUnder(unitID)
		if err != nil {
			return err
		}
		u := t.units[unitID]
		today := server.CivilDate(t.now)
		out = &syncproto.NoticeList{UnitID: u.ID, UnitName: u.Name, Stage: stage, AsOf: today, Rows: []syncproto.NoticeRow{}}
		for _, cr := range cases {
			if cr.c.State != state {
				continue
			}
			row, ok, err := t.noticeRow(cr, today)
			if err != nil {
				return err
			}
			if !ok {
				out.Withheld++
				continue
			}
			out.Rows = append(out.Rows, row)
		}
		return nil
	})
	return out, err
}

// noticeRow is the public line of one case; ok false when it must not be
// published (the head is a minor or confidential).
func (t *txn) noticeRow(cr *caseRec, today string) (syncproto.NoticeRow, bool, error) {
	hh, err := t.get(syncproto.CollHouseholds, cr.c.HouseholdID)
	if err != nil || hh == nil {
		return syncproto.NoticeRow{}, false, err
	}
	members, err := t.tx.LiveMembers(hh.ID)
	if err != nil {
		return syncproto.NoticeRow{}, false, err
	}
	headID := hh.Field("head_id_number")
	if hidden(headID, "", false, today) {
		return syncproto.NoticeRow{}, false, nil
	}
	row := syncproto.NoticeRow{CaseNumber: cr.c.Number, HeadName: hh.Field("head_name"),
		HeadID: syncproto.MaskIDNumber(headID), Village: t.units[hh.UnitID].Name, Category: cr.c.Category,
		Size: len(members), Members: []string{}}
	if cr.c.Benefit != nil {
		row.MonthlyFen = cr.c.Benefit.Monthly
		if cr.c.Benefit.Size > 0 {
			row.Size = cr.c.Benefit.Size
		}
	}
	if n := cr.c.Notice; n != nil {
		row.NoticeStart, row.NoticeEnd = n.StartedAt, n.EndsAt
	}
	for _, m := range members {
		var confidential bool
		_ = json.Unmarshal(m.Fields["confidential"], &confidential)
		id := m.Field("id_number")
		if id == headID {
			if hidden(id, m.Field("birth_date"), confidential, today) {
				return syncproto.NoticeRow{}, false, nil
			}
			continue
		}
		if !hidden(id, m.Field("birth_date"), confidential, today) {
			row.Members = append(row.Members, m.Field("name"))
		}
	}
	slices.Sort(row.Members)
	return row, true, nil
}

// hidden reports whether a person never appears on a notice: confidential
// (e.g. AIDS, mental illness), or a minor on today's date (the birth date
// recorded, else the one the ID number carries; unknown counts as a minor,
// the side that never exposes a child).
func hidden(idNumber, birth string, confidential bool, today string) bool {
	if confidential {
		return true
	}
	if birth == "" {
		birth = syncproto.BirthDateOf(idNumber)
	}
	b, err := time.Parse(time.DateOnly, birth)
	if err != nil {
		return true
	}
	on, _ := time.Parse(time.DateOnly, today)
	return policy.AgeOn(b, on) < 18
}

// Roster returns the approved households (and those in gradual exit) under
// unit, by case number, with amounts and their breakdown: the 花名册. Full ID
// numbers are shown, for payment; township reviewers and county approvers
// only. Codes: forbidden, out_of_scope.
func (e *Engine) Roster(ctx context.Context, a *server.Actor, unitID string) ([]syncproto.RosterRow, error) {
	if !a.HasAny(syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover) {
		return nil, server.Errorf(syncproto.CodeForbidden, "the roster is kept by township reviewers and county approvers")
	}
	out := []syncproto.RosterRow{}
	err := e.read(ctx, a, func(t *txn) error {
		cases, err := t.casesUnder(unitID)
		if err != nil {
			return err
		}
		for _, cr := range cases {
			if cr.c.State != syncproto.StateApproved && cr.c.State != syncproto.StateExiting {
				continue
			}
			hh, err := t.get(syncproto.CollHouseholds, cr.c.HouseholdID)
			if err != nil {
				return err
			}
			if hh == nil {
				continue
			}
			village := t.units[hh.UnitID]
			row := syncproto.RosterRow{CaseNumber: cr.c.Number, Township: t.units[village.ParentID].Name,
				Village: village.Name, HeadName: hh.Field("head_name"), HeadID: hh.Field("head_id_number"),
				Category: cr.c.Category, State: cr.c.State, ApprovedAt: cr.c.ApprovedAt, ExitUntil: cr.c.ExitUntil,
				Terms: json.RawMessage("[]")}
			if b := cr.c.Benefit; b != nil {
				row.Size, row.Standard, row.PerCapitaIncome, row.Monthly, row.Terms = b.Size, b.Standard, b.PerCapitaIncome, b.Monthly, b.Terms
				row.Breakdown = breakdownText(b.Terms)
			}
			out = append(out, row)
		}
		return nil
	})
	return out, err
}

// breakdownText joins a benefit's terms into one line for a spreadsheet
// cell: "name: formula; …".
func breakdownText(terms json.RawMessage) string {
	var ts []policy.Term
	if json.Unmarshal(terms, &ts) != nil {
		return ""
	}
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		parts = append(parts, t.Name+": "+t.Formula)
	}
	return strings.Join(parts, "; ")
}
