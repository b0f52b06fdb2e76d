package storetest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// One person is a member of one live household: a second membership is
// kept in a conflict, whatever path would lead to it.

func testPersonInTwoHouseholds(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1 := env.Login("worker1", "tab-01")
	w1.Push(
		ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(mems, "m1", 0, member("hh1", 300)),
		ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)),
		ruhutest.Upsert(mems, "m3", 0, member("hh2", 301)),
	)
	fields := member("hh2", 300)
	res := push1(w1, ruhutest.Upsert(mems, "m2", 0, fields))
	wantResult(t, res, syncproto.StatusConflict, "")
	if res.Version != 0 {
		t.Fatalf("version %d for a member that was never created", res.Version)
	}
	c := conflictByID(t, conflicts(w1, "open"), res.ConflictID)
	if c.Kind != syncproto.KindPersonInTwoHouseholds || c.RecordID != "m2" || c.Field != "id_number" ||
		!jsonEq(t, c.ServerValue, map[string]any{"household_id": "hh1", "member_id": "m1"}) || !jsonEq(t, c.ClientValue, fields) {
		t.Fatalf("conflict %+v", c)
	}

	// An existing member changed to the same ID number is not applied either.
	state, _ := stateOf(w1, "")
	m3 := live(t, state, mems, "m3")
	res3 := push1(w1, ruhutest.Upsert(mems, "m3", m3.Version, map[string]any{"id_number": ruhutest.IDNumber(300), "name": "改名"}))
	wantResult(t, res3, syncproto.StatusConflict, "")
	state, _ = stateOf(w1, "")
	if _, ok := state[mems+"/m2"]; ok {
		t.Fatal("m2 reached pull")
	}
	if f := fieldsOf(t, live(t, state, mems, "m3")); f["id_number"] != ruhutest.IDNumber(301) || f["name"] != member("hh2", 301)["name"] {
		t.Fatalf("m3 changed by a refused mutation: %v", f)
	}

	// While m1 is live the kept payload cannot be applied; once m1 is gone it can.
	_, b := resolve(w1, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusConflict)
	wantProblem(t, http.StatusConflict, b, http.StatusConflict, syncproto.CodePersonInTwoHouses)
	wantResult(t, push1(w1, ruhutest.Delete(mems, "m1", live(t, state, mems, "m1").Version)), syncproto.StatusApplied, "")
	resolve(w1, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusOK)
	state, _ = stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, mems, "m2")); f["household_id"] != "hh2" || f["id_number"] != ruhutest.IDNumber(300) {
		t.Fatalf("m2 after resolution: %v", f)
	}
}

// A person already in a household of another township: the pusher's
// conflict says so without naming that household; the county, which covers
// both, sees which household it is.
func testForeignHouseholdIsNotNamedInConflicts(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w3 := env.Login("worker3", "tab-3") // t2-v1
	w1 := env.Login("worker1", "tab-1") // t1-v1
	person := ruhutest.IDNumber(77)
	w3.Push(ruhutest.Upsert("households", "hh-t2", 0, ruhutest.Household("t2-v1", 70)),
		ruhutest.Upsert("members", "m-t2", 0, map[string]any{"household_id": "hh-t2", "name": "甲", "id_number": person, "relation": "子"}))
	res := w1.Push(ruhutest.Upsert("households", "hh-t1", 0, ruhutest.Household("t1-v1", 71)),
		ruhutest.Upsert("members", "m-t1", 0, map[string]any{"household_id": "hh-t1", "name": "甲", "id_number": person, "relation": "子"}))
	if r := res.Results[1]; r.Status != syncproto.StatusConflict {
		t.Fatalf("member result %+v", r)
	}
	list := func(c *ruhutest.Client) syncproto.Conflict {
		var l syncproto.ConflictList
		c.JSON(http.MethodGet, "/v1/conflicts", nil, http.StatusOK, &l)
		for _, x := range l.Conflicts {
			if x.Kind == syncproto.KindPersonInTwoHouseholds {
				return x
			}
		}
		t.Fatalf("no person_in_two_households conflict in %+v", l)
		return syncproto.Conflict{}
	}
	if got := string(list(w1).ServerValue); strings.Contains(got, "hh-t2") || !strings.Contains(got, "outside_jurisdiction") {
		t.Errorf("worker1 sees %s", got)
	}
	if got := string(list(env.Login("county", "dev-c")).ServerValue); !strings.Contains(got, "hh-t2") {
		t.Errorf("county sees %s", got)
	}
}

// A member merged into an existing one (duplicate member) is later moved to
// another household under the device's own id, as the protocol allows: the
// person is not in two households, it is the same record.
func testMoveMemberThroughItsAlias(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	c := env.Login("worker1", "tab-01")
	c.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)),
		ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)))
	dup := push1(c, ruhutest.Upsert(mems, "mx", 0, member("hh1", 11)))
	wantResult(t, dup, syncproto.StatusMerged, "")
	if dup.CanonicalID != "m1" {
		t.Fatalf("canonical_id %q, want m1", dup.CanonicalID)
	}
	res := push1(c, ruhutest.Upsert(mems, "mx", dup.Version, map[string]any{"household_id": "hh2"}))
	wantResult(t, res, syncproto.StatusApplied, "")
	state, _ := stateOf(c, "")
	if f := fieldsOf(t, live(t, state, mems, "m1")); f["household_id"] != "hh2" {
		t.Fatalf("m1 fields %v, want household_id hh2", f)
	}
	if n := len(conflicts(c, "open")); n != 0 {
		t.Fatalf("%d open conflicts, want none: %+v", n, conflicts(c, "open"))
	}
}

// Reviving a deleted household (choosing the device's edit of a
// delete_edit conflict) must not put a person back into a second live
// household: its member joined another household while it was deleted.
func testRevivedHouseholdKeepsOnePersonInOneHousehold(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	res := w1.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)), ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)))
	base := res.Results[0].Version
	wantResult(t, push1(w1, ruhutest.Delete(hhs, "hh1", base)), syncproto.StatusApplied, "")
	// The person moves to a new household (the old one is gone).
	res = w1.Push(ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)), ruhutest.Upsert(mems, "m2", 0, member("hh2", 11)))
	wantResult(t, res.Results[1], syncproto.StatusApplied, "")
	// A device that had not seen the delete edits hh1: kept in a conflict.
	edit := push1(w2, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"notes": "离线修改"}))
	wantResult(t, edit, syncproto.StatusConflict, "")

	_, body := resolve(w1, edit.ConflictID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusConflict)
	wantProblem(t, http.StatusConflict, body, http.StatusConflict, syncproto.CodePersonInTwoHouses)
	state, _ := stateOf(w1, "")
	if ch := state[hhs+"/hh1"]; !ch.Deleted {
		t.Fatalf("hh1 revived with m1 while the same person is a member of hh2: %+v", ch)
	}
	if c := conflictByID(t, conflicts(w1, "open"), edit.ConflictID); c.Status != syncproto.ConflictOpen {
		t.Fatalf("conflict %+v, want still open", c)
	}
}
