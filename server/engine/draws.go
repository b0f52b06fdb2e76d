package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A draw picks, reproducibly, the share of a township's (or county's)
// cases awaiting review in their current round that get a re-visit (or an
// inspectors' spot check). The selection is a pure function of the seed
// and the sorted candidates: each candidate's key is SHA-256(seed ‖ 0 ‖
// case id), the smallest keys win. The seed, the candidates and the
// selection are recorded in the draw record and the audit log, so anyone
// can draw again and compare.

// maxSeed bounds a caller's seed, in bytes.
const maxSeed = 128

// drawStages maps a stage to the state drawn from, the unit level drawn
// over and who may draw.
var drawStages = map[string]struct {
	state, level string
	roles        []string
}{
	syncproto.DrawTownship: {syncproto.StateTownshipReview, syncproto.LevelTownship, []string{syncproto.RoleTownshipReviewer}},
	syncproto.DrawCounty:   {syncproto.StateCountyReview, syncproto.LevelCounty, []string{syncproto.RoleCountyApprover, syncproto.RoleInspector}},
}

// Select returns the candidates a draw with seed selects: k of them, by
// the smallest SHA-256(seed ‖ 0 ‖ id), sorted.
func Select(seed string, candidates []string, k int) []string {
	type keyed struct{ key, id string }
	ks := make([]keyed, len(candidates))
	for i, id := range candidates {
		h := sha256.Sum256([]byte(seed + "\x00" + id))
		ks[i] = keyed{hex.EncodeToString(h[:]), id}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	out := make([]string, 0, k)
	for _, x := range ks[:min(k, len(ks))] {
		out = append(out, x.id)
	}
	sort.Strings(out)
	return out
}

// drawSize is ceil(n × share), at least one when there is a candidate.
func drawSize(n int, share policy.BP) int {
	k := (int64(n)*int64(share) + 9999) / 10000
	if k < 1 && n > 0 {
		k = 1
	}
	return int(k)
}

// Draw draws the cases of unit awaiting review at stage in their current
// round (those in no draw yet). Codes: forbidden, invalid_field,
// invalid_unit, out_of_scope, nothing_to_draw.
func (e *Engine) Draw(ctx context.Context, a *server.Actor, in syncproto.DrawRequest) (*syncproto.Draw, error) {
	st, ok := drawStages[in.Stage]
	if !ok {
		return nil, server.Errorf(syncproto.CodeInvalidField, "stage must be township or county")
	}
	if !a.HasAny(st.roles...) {
		return nil, server.Errorf(syncproto.CodeForbidden, "a %s draw is made by %v", in.Stage, st.roles)
	}
	if len(in.Seed) > maxSeed {
		return nil, server.Errorf(syncproto.CodeInvalidField, "seed: at most %d bytes", maxSeed)
	}
	var out *syncproto.Draw
	err := e.write(ctx, a, func(t *txn) error {
		u, ok := t.units[in.UnitID]
		if !ok || u.Level != st.level {
			return server.Errorf(syncproto.CodeInvalidUnit, "a %s draw is over a %s; %q is not one", in.Stage, st.level, in.UnitID)
		}
		if !a.Covers(u.Path) {
			return server.Errorf(syncproto.CodeOutOfScope, "unit %q is outside your jurisdiction", in.UnitID)
		}
		cases, err := t.casesUnder(u.ID)
		if err != nil {
			return err
		}
		var pending []*caseRec
		for _, cr := range cases {
			if cr.c.State == st.state && cr.c.Draws[in.Stage] == nil {
				pending = append(pending, cr)
			}
		}
		if len(pending) == 0 {
			return server.Errorf(syncproto.CodeNothingToDraw, "no case of %s awaits a %s draw", u.Name, in.Stage)
		}
		proc, err := t.procedure()
		if err != nil {
			return err
		}
		share := proc.RevisitShare
		if in.Stage == syncproto.DrawCounty {
			share = proc.SpotCheckShare
		}
		seed := in.Seed
		if seed == "" {
			b := make([]byte, 16)
			if _, err := rand.Read(b); err != nil {
				return err
			}
			seed = hex.EncodeToString(b)
		}
		ids := make([]string, len(pending))
		for i, cr := range pending {
			ids[i] = cr.rec.ID
		}
		sort.Strings(ids)
		d := syncproto.Draw{ID: t.e.NewID(), UnitID: u.ID, Stage: in.Stage, Seed: seed, ShareBP: int64(share),
			Candidates: ids, Selected: Select(seed, ids, drawSize(len(ids), share)), DrawnAt: ts(t.now), DrawnBy: a.UserID}
		v, err := t.storeDraw(&d)
		if err != nil {
			return err
		}
		for _, cr := range pending {
			sel := slices.Contains(d.Selected, cr.rec.ID)
			if cr.c.Draws == nil {
				cr.c.Draws = map[string]*syncproto.CaseDraw{}
			}
			cr.c.Draws[in.Stage] = &syncproto.CaseDraw{DrawID: d.ID, Selected: sel, Version: v}
			t.event(cr, "draw", cr.c.State, "", d.ID)
			if err := t.storeCase(cr, "draw", map[string]any{"draw_id": d.ID, "selected": sel}); err != nil {
				return err
			}
		}
		out = &d
		return nil
	})
	return out, err
}

// storeDraw writes the draw's record (filed under its unit: a township or
// the county, so village devices do not receive it) and audits it.
func (t *txn) storeDraw(d *syncproto.Draw) (int64, error) {
	fields, err := recordFields(d, "id")
	if err != nil {
		return 0, err
	}
	v, err := t.nextVersion()
	if err != nil {
		return 0, err
	}
	r := &server.Record{Collection: syncproto.CollDraws, ID: d.ID, UnitID: d.UnitID, CreatedBy: t.a.UserID,
		Record: merge.Record{Fields: map[string]json.RawMessage{}}}
	merge.Apply(&r.Record, fields, v)
	if err := t.put(r); err != nil {
		return 0, err
	}
	return v, t.audit("draw.create", syncproto.CollDraws, d.ID, d)
}

// GetDraw returns a draw of the actor's subtree, drawn again from its
// recorded seed and candidates to show it reproduces. Code not_found.
func (e *Engine) GetDraw(ctx context.Context, a *server.Actor, id string) (*syncproto.Draw, error) {
	var out *syncproto.Draw
	err := e.read(ctx, a, func(t *txn) error {
		r, err := t.get(syncproto.CollDraws, id)
		if err != nil {
			return err
		}
		if r == nil || r.Deleted || !t.covers(r.UnitID) {
			return server.Errorf(syncproto.CodeNotFound, "no draw %q", id)
		}
		var d syncproto.Draw
		if err := json.Unmarshal(r.FieldsJSON(), &d); err != nil {
			return fmt.Errorf("draw %s: %w", id, err)
		}
		d.ID = r.ID
		again := Select(d.Seed, d.Candidates, drawSize(len(d.Candidates), policy.BP(d.ShareBP)))
		same := slices.Equal(again, d.Selected)
		d.Reproduced = &same
		out = &d
		return nil
	})
	return out, err
}
