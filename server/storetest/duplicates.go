package storetest

import (
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A household whose head is already registered is merged into the existing
// one (within the caller's jurisdiction); a change of head to another
// household's head is a conflict.

func testDuplicateHouseholdIsRemapped(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh-a", 0, ruhutest.Household("t1-v1", 5))), syncproto.StatusApplied, "")

	dup := ruhutest.Household("t1-v1", 5)
	dup["address"] = "平板二记录的地址"
	dup["contact_phone"] = "135"
	res := push1(w2, ruhutest.Upsert(hhs, "hh-b", 0, dup))
	wantResult(t, res, syncproto.StatusMerged, "")
	if res.CanonicalID != "hh-a" || len(res.ConflictIDs) != 1 {
		t.Fatalf("duplicate result %+v", res)
	}
	c := conflictByID(t, conflicts(w1, "open"), res.ConflictIDs[0])
	if c.Kind != syncproto.KindDuplicateHousehold || c.RecordID != "hh-a" || c.Field != "address" ||
		!jsonEq(t, c.ServerValue, "t1-v1 村道5号") || !jsonEq(t, c.ClientValue, "平板二记录的地址") {
		t.Fatalf("duplicate conflict %+v", c)
	}

	// References to the device's id and the id itself land on hh-a.
	wantResult(t, push1(w2, ruhutest.Upsert(mems, "m1", 0, member("hh-b", 201))), syncproto.StatusApplied, "")
	wantResult(t, push1(w2, ruhutest.Upsert(invs, "inv1", 0, map[string]any{"household_id": "hh-b", "findings": "x"})), syncproto.StatusApplied, "")
	later := push1(w2, ruhutest.Upsert(hhs, "hh-b", res.Version, map[string]any{"notes": "后来的修改"}))
	if later.Status != syncproto.StatusApplied && later.Status != syncproto.StatusMerged {
		t.Fatalf("upsert to the alias: %+v", later)
	}
	if later.CanonicalID != "hh-a" {
		t.Fatalf("upsert to the alias: canonical_id %q, want hh-a", later.CanonicalID)
	}

	all, _ := w1.PullAll("")
	var households []string
	for _, ch := range all {
		if ch.Collection == hhs {
			households = append(households, ch.ID)
		}
	}
	if !reflect.DeepEqual(households, []string{"hh-a"}) {
		t.Fatalf("households in pull %v, want [hh-a]", households)
	}
	state, _ := stateOf(w1, "")
	f := fieldsOf(t, live(t, state, hhs, "hh-a"))
	if f["address"] != "t1-v1 村道5号" || f["contact_phone"] != "135" || f["notes"] != "后来的修改" {
		t.Fatalf("canonical household %v", f)
	}
	if hh := fieldsOf(t, live(t, state, mems, "m1"))["household_id"]; hh != "hh-a" {
		t.Fatalf("member household_id %v, want hh-a", hh)
	}
	if hh := fieldsOf(t, live(t, state, invs, "inv1"))["household_id"]; hh != "hh-a" {
		t.Fatalf("investigation household_id %v, want hh-a", hh)
	}
	// A duplicate of a household outside the caller's jurisdiction is not
	// merged: nothing is applied; the pusher learns only that the head is
	// registered elsewhere, the county (over both) sees which household.
	w3 := env.Login("worker3", "tab-03")
	far := push1(w3, ruhutest.Upsert(hhs, "hh-c", 0, ruhutest.Household("t2-v1", 5)))
	wantResult(t, far, syncproto.StatusConflict, "")
	if far.CanonicalID != "" || far.Version != 0 {
		t.Fatalf("out-of-scope duplicate %+v", far)
	}
	fc := conflictByID(t, conflicts(w3, "open"), far.ConflictID)
	if fc.Kind != syncproto.KindDuplicateHousehold || fc.Field != "head_id_number" ||
		!jsonEq(t, fc.ServerValue, map[string]any{"outside_jurisdiction": true}) {
		t.Fatalf("out-of-scope duplicate conflict %+v", fc)
	}
	if fc := conflictByID(t, conflicts(env.Login("county", "dev-county"), "open"), far.ConflictID); !jsonEq(t, fc.ServerValue, map[string]any{"household_id": "hh-a"}) {
		t.Fatalf("county sees %s", fc.ServerValue)
	}
	if s3, _ := stateOf(w3, ""); len(s3) != 0 {
		t.Fatalf("worker3 pulls %v", keys(s3))
	}
	// No record is stored as hh-b, and every record is filed under the
	// canonical household.
	everything, _ := stateOf(env.Login("county", "pc-county"), "")
	if _, ok := everything[hhs+"/hh-b"]; ok {
		t.Fatalf("hh-b reached the county's pull: %v", keys(everything))
	}
	if _, _, ok := recordScope(t, env, hhs, "hh-b"); ok {
		t.Fatal("a household hh-b is stored")
	}
	for _, r := range []struct{ coll, id string }{{hhs, "hh-a"}, {mems, "m1"}, {invs, "inv1"}} {
		live(t, everything, r.coll, r.id)
		if _, hh, _ := recordScope(t, env, r.coll, r.id); hh != "hh-a" {
			t.Fatalf("%s/%s is filed under household %q, want hh-a", r.coll, r.id, hh)
		}
	}
}

// A new record's null field is an absent field: when the record turns out
// to duplicate an existing household, that field does not differ from the
// existing household's value and is no conflict (choosing it would clear
// data nobody meant to clear).
func testDuplicateWithNullFieldsIsNoConflict(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	first := ruhutest.Household("t1-v1", 5)
	first["notes"], first["contact_phone"] = "长期透析", "13800000000"
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh-a", 0, first)), syncproto.StatusApplied, "")

	dup := ruhutest.Household("t1-v1", 5)
	dup["notes"], dup["contact_phone"], dup["bank_account"] = nil, nil, nil
	res := push1(w2, ruhutest.Upsert(hhs, "hh-b", 0, dup))
	wantResult(t, res, syncproto.StatusMerged, "")
	if res.CanonicalID != "hh-a" || len(res.ConflictIDs) != 0 {
		t.Fatalf("duplicate with null fields: %+v, want merged into hh-a without conflicts", res)
	}
	state, _ := stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, hhs, "hh-a")); f["notes"] != "长期透析" || f["contact_phone"] != "13800000000" {
		t.Fatalf("hh-a fields %v", f)
	}
}

// protocol.md: "Changing an existing household's head_id_number to the head
// of another live household is a duplicate_household conflict on that
// field."
func testHeadChangeToAnotherHeadIsDuplicateHousehold(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	c := env.Login("worker1", "tab-01")
	res := c.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)))
	got := push1(c, ruhutest.Upsert(hhs, "hh2", res.Results[1].Version, map[string]any{"head_id_number": ruhutest.IDNumber(1), "notes": "换户主"}))
	wantResult(t, got, syncproto.StatusConflict, "")
	k := conflictByID(t, conflicts(c, "open"), got.ConflictID)
	if k.Kind != syncproto.KindDuplicateHousehold || k.Field != "head_id_number" || k.RecordID != "hh2" ||
		!jsonEq(t, k.ServerValue, ruhutest.IDNumber(2)) || !jsonEq(t, k.ClientValue, ruhutest.IDNumber(1)) {
		t.Fatalf("head change conflict %+v, want duplicate_household on head_id_number", k)
	}
	state, _ := stateOf(c, "")
	if f := fieldsOf(t, live(t, state, hhs, "hh2")); f["head_id_number"] != ruhutest.IDNumber(2) || f["notes"] != "换户主" {
		t.Fatalf("hh2 fields %v", f)
	}
	// Choosing the device's value collides again, with the conflict's kind
	// as code.
	_, body := resolve(c, got.ConflictID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, 409)
	wantProblem(t, 409, body, 409, syncproto.CodeDuplicateHousehold)
}
