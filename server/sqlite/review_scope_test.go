package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// recordScope reads the scope columns of a record: its village and
// household.
func recordScope(t *testing.T, env *ruhutest.Env, collection, id string) (unit, household string) {
	t.Helper()
	db := readDB(t, env)
	if err := db.QueryRow(`SELECT unit_id, household_id FROM records WHERE collection = ? AND id = ?`,
		collection, id).Scan(&unit, &household); err != nil {
		t.Fatalf("%s/%s: %v", collection, id, err)
	}
	return unit, household
}

// A unit_id that collides is kept in a conflict and not applied: the
// household must stay in the village its fields name, with its members.
func TestReviewConflictingUnitDoesNotMoveHousehold(t *testing.T) {
	env := ruhutest.New(t)
	a, b := env.Login("reviewer1", "tab-a"), env.Login("reviewer1", "tab-b")
	base := push1(a, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1))).Version
	wantResult(t, push1(a, ruhutest.Upsert(mems, "m1", 0, member("hh1", 11))), syncproto.StatusApplied, "")
	wantResult(t, push1(a, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"unit_id": "t1-v2"})), syncproto.StatusApplied, "")

	// Device b saw the household in t1-v1 and moves it to t1-v3 while
	// editing a note: the note merges, the village collides.
	res := push1(b, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"unit_id": "t1-v3", "notes": "b"}))
	wantResult(t, res, syncproto.StatusConflict, "")

	state, _ := stateOf(a, "")
	hh := live(t, state, hhs, "hh1")
	if f := fieldsOf(t, hh); f["unit_id"] != "t1-v2" || f["notes"] != "b" {
		t.Fatalf("household fields %v, want unit_id t1-v2 and notes b", f)
	}
	for _, r := range []struct{ coll, id string }{{hhs, "hh1"}, {mems, "m1"}} {
		if unit, _ := recordScope(t, env, r.coll, r.id); unit != "t1-v2" {
			t.Fatalf("%s/%s is filed in %s, want t1-v2 (the household's unit_id)", r.coll, r.id, unit)
		}
	}
	c := conflictByID(t, conflicts(a, "open"), res.ConflictID)
	if c.Field != "unit_id" || !jsonEq(t, c.ServerValue, "t1-v2") || !jsonEq(t, c.ClientValue, "t1-v3") {
		t.Fatalf("conflict %+v, want unit_id t1-v2 / t1-v3", c)
	}
}

// A member whose household_id collides stays in the household its fields
// name: moving that household takes the member along.
func TestReviewConflictingHouseholdDoesNotMoveMember(t *testing.T) {
	env := ruhutest.New(t)
	a, b := env.Login("worker1", "tab-a"), env.Login("worker2", "tab-b")
	a.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)),
		ruhutest.Upsert(hhs, "hh3", 0, ruhutest.Household("t1-v1", 3)))
	base := push1(a, ruhutest.Upsert(mems, "m1", 0, member("hh1", 11))).Version
	wantResult(t, push1(a, ruhutest.Upsert(mems, "m1", base, map[string]any{"household_id": "hh2"})), syncproto.StatusApplied, "")
	res := push1(b, ruhutest.Upsert(mems, "m1", base, map[string]any{"household_id": "hh3", "health": "良好"}))
	wantResult(t, res, syncproto.StatusConflict, "")

	state, cursor := stateOf(a, "")
	if f := fieldsOf(t, live(t, state, mems, "m1")); f["household_id"] != "hh2" || f["health"] != "良好" {
		t.Fatalf("member fields %v, want household_id hh2 and health 良好", f)
	}
	if _, hh := recordScope(t, env, mems, "m1"); hh != "hh2" {
		t.Fatalf("member filed under household %s, want hh2 (its household_id)", hh)
	}
	// The member's household moves out of worker1's village: worker1 must
	// lose the member with it.
	r := env.Login("reviewer1", "tab-r")
	hh2 := live(t, state, hhs, "hh2")
	wantResult(t, push1(r, ruhutest.Upsert(hhs, "hh2", hh2.Version, map[string]any{"unit_id": "t1-v2"})), syncproto.StatusApplied, "")
	after, _ := stateOf(a, cursor)
	if ch, ok := after[mems+"/m1"]; !ok || !ch.Deleted {
		t.Fatalf("worker1 still holds m1 after its household hh2 left the village: %+v", ch)
	}
}
