package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A member kept whole in a person_in_two_households conflict was never
// created, yet it belongs to its household: when that household moves to
// another village, the conflict (the person's whole record) goes with it.
func TestReviewConflictOfUncreatedMemberFollowsItsHousehold(t *testing.T) {
	env := ruhutest.New(t)
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
