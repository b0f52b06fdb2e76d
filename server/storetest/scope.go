package storetest

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Every read and write is bounded by the caller's unit subtree and roles;
// a record is filed under the village and household its fields name.

func testScopeLimitsReadsAndWrites(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w3 := env.Login("worker1", "tab-01"), env.Login("worker3", "tab-03")
	county := env.Login("county", "pc-county")
	w1.Push(ruhutest.Upsert(hhs, "a1", 0, ruhutest.Household("t1-v1", 1)), ruhutest.Upsert(mems, "a1m", 0, member("a1", 401)))
	wantResult(t, push1(county, ruhutest.Upsert(hhs, "a2", 0, ruhutest.Household("t1-v2", 2))), syncproto.StatusApplied, "")
	wantResult(t, push1(county, ruhutest.Upsert(hhs, "b1", 0, ruhutest.Household("t2-v1", 3))), syncproto.StatusApplied, "")
	wantResult(t, push1(w3, ruhutest.Upsert(hhs, "b2", 0, ruhutest.Household("t2-v1", 4))), syncproto.StatusApplied, "")

	scenarios := []struct {
		user, device string
		want         []string
	}{
		{"worker1", "tab-01", []string{"households/a1", "members/a1m"}},
		{"worker3", "tab-03", []string{"households/b1", "households/b2"}},
		{"reviewer1", "pc-r1", []string{"households/a1", "members/a1m", "households/a2"}},
		{"reviewer2", "pc-r2", []string{"households/b1", "households/b2"}},
		{"county", "pc-county", []string{"households/a1", "members/a1m", "households/a2", "households/b1", "households/b2"}},
		{"inspector", "pc-insp", []string{"households/a1", "members/a1m", "households/a2", "households/b1", "households/b2"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.user, func(t *testing.T) {
			state, _ := stateOf(env.Login(sc.user, sc.device), "")
			if len(state) != len(sc.want) {
				t.Fatalf("%s pulled %d records, want %v: %v", sc.user, len(state), sc.want, keys(state))
			}
			for _, k := range sc.want {
				if ch, ok := state[k]; !ok || ch.Deleted {
					t.Fatalf("%s does not see %s live: %v", sc.user, k, keys(state))
				}
			}
		})
	}

	before, _ := stateOf(w1, "")
	writes := []struct {
		name string
		m    syncproto.Mutation
	}{
		{"update a household of another township", ruhutest.Upsert(hhs, "a1", before[hhs+"/a1"].Version, map[string]any{"notes": "越权"})},
		{"create a household in another township", ruhutest.Upsert(hhs, "x1", 0, ruhutest.Household("t1-v1", 9))},
		{"add a member to it", ruhutest.Upsert(mems, "x2", 0, member("a1", 402))},
		{"update its member", ruhutest.Upsert(mems, "a1m", before[mems+"/a1m"].Version, map[string]any{"name": "越权"})},
		{"delete it", ruhutest.Delete(hhs, "a1", before[hhs+"/a1"].Version)},
		{"move own household there", ruhutest.Upsert(hhs, "b2", 0, map[string]any{"unit_id": "t1-v1"})},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			wantResult(t, push1(w3, w.m), syncproto.StatusRejected, syncproto.CodeOutOfScope)
		})
	}
	after, _ := stateOf(w1, "")
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("refused writes changed worker1's view:\n%v\n%v", before, after)
	}
	state, _ := stateOf(w3, "")
	if f := fieldsOf(t, live(t, state, hhs, "b2")); f["unit_id"] != "t2-v1" {
		t.Fatalf("b2 moved: %v", f)
	}
	if n := len(conflicts(w3, "all")); n != 0 {
		t.Fatalf("worker3 sees %d conflicts", n)
	}
}

// Each role writes only what its work needs: the village committee reads,
// inspectors record their own visits and signatures, the county approver may
// correct a household.
func testWriteRolesPerCollection(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1 := env.Login("worker1", "tab-01")
	w1.Push(ruhutest.Upsert("households", "hh-r", 0, ruhutest.Household("t1-v1", 60)))
	scenarios := []struct {
		user, collection, id string
		fields               map[string]any
		want                 string
	}{
		{"committee1", "households", "hh-c1", ruhutest.Household("t1-v1", 61), syncproto.StatusRejected},
		{"committee1", "investigations", "inv-c1", map[string]any{"household_id": "hh-r"}, syncproto.StatusRejected},
		{"inspector", "households", "hh-i1", ruhutest.Household("t1-v1", 62), syncproto.StatusRejected},
		{"inspector", "members", "m-i1", map[string]any{"household_id": "hh-r", "name": "乙", "id_number": ruhutest.IDNumber(63), "relation": "子"}, syncproto.StatusRejected},
		{"inspector", "investigations", "inv-i1", map[string]any{"household_id": "hh-r", "findings": "抽查入户"}, syncproto.StatusApplied},
		{"county", "investigations", "inv-k1", map[string]any{"household_id": "hh-r"}, syncproto.StatusRejected},
		{"county", "households", "hh-k1", ruhutest.Household("t2-v1", 64), syncproto.StatusApplied},
		{"reviewer1", "investigations", "inv-r1", map[string]any{"household_id": "hh-r"}, syncproto.StatusApplied},
	}
	for _, sc := range scenarios {
		c := env.Login(sc.user, "dev-"+sc.id)
		r := c.Push(ruhutest.Upsert(sc.collection, sc.id, 0, sc.fields)).Results[0]
		if r.Status != sc.want {
			t.Errorf("%s pushing %s: %s %+v, want %s", sc.user, sc.collection, r.Status, r.Error, sc.want)
		}
		if sc.want == syncproto.StatusRejected && (r.Error == nil || r.Error.Code != syncproto.CodeForbidden) {
			t.Errorf("%s pushing %s: error %+v, want forbidden", sc.user, sc.collection, r.Error)
		}
	}
}

// A village the admin API accepts must be able to hold households.
func testVillageWithDotInIDHoldsHouseholds(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	admin := env.Login("admin", "pc-admin")
	var u syncproto.Unit
	admin.JSON(http.MethodPost, "/v1/admin/units", syncproto.Unit{ID: "t1.v4", ParentID: "t1", Name: "四村", Level: syncproto.LevelVillage},
		http.StatusCreated, &u)
	r := env.Login("reviewer1", "tab-r")
	res := push1(r, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1.v4", 1)))
	wantResult(t, res, syncproto.StatusApplied, "")
}

// A unit_id that collides is kept in a conflict and not applied: the
// household must stay in the village its fields name, with its members.
func testConflictingUnitDoesNotMoveHousehold(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
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
		if unit, _, _ := recordScope(t, env, r.coll, r.id); unit != "t1-v2" {
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
func testConflictingHouseholdDoesNotMoveMember(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
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
	if _, hh, _ := recordScope(t, env, mems, "m1"); hh != "hh2" {
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
