package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// An investigation moved to a household of another village takes its
// signature records along, as a moved household does: readers of the old
// village get tombstones for both.
func TestReviewInvestigationMovedWithItsSignatures(t *testing.T) {
	w := newSigWorld(t)
	w.sign(t, w.w1, w.k1, "inv1", "sig1", "")
	_, cursor := stateOf(w.w1, "")

	r := w.env.Login("reviewer1", "tab-r")
	wantResult(t, push1(r, ruhutest.Upsert(hhs, "hh9", 0, ruhutest.Household("t1-v2", 9))), syncproto.StatusApplied, "")
	state, _ := stateOf(r, "")
	inv := live(t, state, invs, "inv1")
	wantResult(t, push1(r, ruhutest.Upsert(invs, "inv1", inv.Version, map[string]any{"household_id": "hh9"})), syncproto.StatusApplied, "")

	after, _ := stateOf(w.w1, cursor)
	for _, k := range []string{invs + "/inv1", sigs + "/sig1"} {
		if ch, ok := after[k]; !ok || !ch.Deleted {
			t.Fatalf("worker1 (t1-v1) still holds %s after the investigation moved to t1-v2: %+v", k, ch)
		}
	}
	if unit, hh := recordScope(t, w.env, sigs, "sig1"); unit != "t1-v2" || hh != "hh9" {
		t.Fatalf("sig1 filed in %s/%s, want t1-v2/hh9 with its investigation", unit, hh)
	}
}
