package storetest

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Conflicts are filed with the records they are about: a move to another
// village takes them along.

func testConflictsFollowAMovedHousehold(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2, w3 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02"), env.Login("worker3", "tab-03")
	county := env.Login("county", "pc-county")
	res := w1.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)), ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)))
	hv, mv := res.Results[0].Version, res.Results[1].Version
	w1.Push(ruhutest.Upsert(hhs, "hh1", hv, map[string]any{"notes": "A"}), ruhutest.Upsert(mems, "m1", mv, map[string]any{"health": "良好"}))
	res = w2.Push(ruhutest.Upsert(hhs, "hh1", hv, map[string]any{"notes": "B"}), ruhutest.Upsert(mems, "m1", mv, map[string]any{"health": "重病"}))
	wantResult(t, res.Results[0], syncproto.StatusConflict, "")
	wantResult(t, res.Results[1], syncproto.StatusConflict, "")
	if n := len(conflicts(w1, "open")); n != 2 {
		t.Fatalf("worker1 sees %d conflicts, want 2", n)
	}

	cs, _ := stateOf(county, "")
	wantResult(t, push1(county, ruhutest.Upsert(hhs, "hh1", live(t, cs, hhs, "hh1").Version, map[string]any{"unit_id": "t2-v1"})), syncproto.StatusApplied, "")

	if list := conflicts(w1, "all"); len(list) != 0 {
		t.Fatalf("worker1 still sees %d conflicts of a household that left its village: %+v", len(list), list)
	}
	list := conflicts(w3, "open")
	if len(list) != 2 {
		t.Fatalf("worker3 sees %d conflicts of the household now in its village, want 2", len(list))
	}
	for _, c := range list {
		resolve(w3, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusOK)
	}
	state, _ := stateOf(w3, "")
	if f := fieldsOf(t, live(t, state, hhs, "hh1")); f["notes"] != "B" {
		t.Fatalf("notes %v after resolution", f["notes"])
	}
	if f := fieldsOf(t, live(t, state, mems, "m1")); f["health"] != "重病" {
		t.Fatalf("health %v after resolution", f["health"])
	}
}

// A member moved to a household of another village takes its open
// conflicts along, as a moved household does: the old village no longer
// lists them, the new one can resolve them.
func testConflictsFollowAMovedMember(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
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

// A member kept whole in a person_in_two_households conflict was never
// created, yet it belongs to its household: when that household moves to
// another village, the conflict (the person's whole record) goes with it.
func testConflictOfUncreatedMemberFollowsItsHousehold(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w3, county := env.Login("worker1", "tab-01"), env.Login("worker3", "tab-03"), env.Login("county", "pc-county")
	w1.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)), ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)),
		ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)))
	res := push1(w1, ruhutest.Upsert(mems, "m2", 0, member("hh2", 11)))
	wantResult(t, res, syncproto.StatusConflict, "")

	cs, _ := stateOf(county, "")
	wantResult(t, push1(county, ruhutest.Upsert(hhs, "hh2", live(t, cs, hhs, "hh2").Version, map[string]any{"unit_id": "t2-v1"})),
		syncproto.StatusApplied, "")

	for _, c := range conflicts(w1, "all") {
		if c.ID == res.ConflictID {
			t.Fatalf("worker1 still lists the conflict of a member of hh2, which left its village: %+v", c)
		}
	}
	c := conflictByID(t, conflicts(w3, "open"), res.ConflictID)
	if c.Kind != syncproto.KindPersonInTwoHouseholds || !jsonEq(t, c.ServerValue, map[string]any{"outside_jurisdiction": true}) {
		t.Fatalf("worker3 sees %+v", c)
	}
}
