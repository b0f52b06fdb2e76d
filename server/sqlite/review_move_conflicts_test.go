package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A member moved to a household of another village takes its open
// conflicts along, as a moved household does: the old village no longer
// lists them, the new one can resolve them.
func TestReviewConflictsFollowAMovedMember(t *testing.T) {
	env := ruhutest.New(t)
	w1, w2, w3 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02"), env.Login("worker3", "tab-03")
	county := env.Login("county", "pc-county")
	res := w1.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)), ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)))
	mv := res.Results[1].Version
	wantResult(t, push1(w1, ruhutest.Upsert(mems, "m1", mv, map[string]any{"health": "良好"})), syncproto.StatusApplied, "")
	wantResult(t, push1(w2, ruhutest.Upsert(mems, "m1", mv, map[string]any{"health": "重病"})), syncproto.StatusConflict, "")
	wantResult(t, push1(w3, ruhutest.Upsert(hhs, "hh3", 0, ruhutest.Household("t2-v1", 3))), syncproto.StatusApplied, "")

	cs, _ := stateOf(county, "")
	wantResult(t, push1(county, ruhutest.Upsert(mems, "m1", live(t, cs, mems, "m1").Version, map[string]any{"household_id": "hh3"})),
		syncproto.StatusApplied, "")

	if list := conflicts(w1, "all"); len(list) != 0 {
		t.Fatalf("worker1 still sees %d conflicts of a member that left its village: %+v", len(list), list)
	}
	list := conflicts(w3, "open")
	if len(list) != 1 {
		t.Fatalf("worker3 sees %d conflicts of the member now in its village, want 1", len(list))
	}
	resolve(w3, list[0].ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, 200)
	state, _ := stateOf(w3, "")
	if f := fieldsOf(t, live(t, state, mems, "m1")); f["health"] != "重病" {
		t.Fatalf("health %v after resolution", f["health"])
	}
}
