package storetest

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A household, member or investigation moved to another village takes its
// records along: readers of the old village get left_scope tombstones, the
// new village gets the records live.

func testHouseholdMoveSendsTombstonesToTheOldVillage(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w3 := env.Login("worker1", "tab-01"), env.Login("worker3", "tab-03")
	county := env.Login("county", "pc-county")
	w1.Push(
		ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)),
		ruhutest.Upsert(mems, "m2", 0, member("hh1", 12)),
		ruhutest.Upsert(invs, "inv1", 0, map[string]any{"household_id": "hh1", "findings": "家中无劳动力"}),
		ruhutest.Upsert(hhs, "stay", 0, ruhutest.Household("t1-v1", 2)),
	)
	k1 := registerKey(w1, 1)
	state1, c1 := stateOf(w1, "")
	sig := signatureFor(t, live(t, state1, invs, "inv1"), k1, "sig1")
	wantResult(t, push1(w1, sig), syncproto.StatusApplied, "")
	state1, c1 = stateOf(w1, c1)
	if len(state1) != 2 { // the signature and the touched investigation
		t.Fatalf("after signing: %v", keys(state1))
	}
	_, c3 := stateOf(w3, "")
	r1 := env.Login("reviewer1", "pc-r1")
	_, cr1 := stateOf(r1, "")

	cs, _ := stateOf(county, "")
	res := push1(county, ruhutest.Upsert(hhs, "hh1", live(t, cs, hhs, "hh1").Version, map[string]any{"unit_id": "t2-v1"}))
	wantResult(t, res, syncproto.StatusApplied, "")

	moved := []string{hhs + "/hh1", mems + "/m1", mems + "/m2", invs + "/inv1", sigs + "/sig1"}
	for _, reader := range []struct {
		name   string
		c      *ruhutest.Client
		cursor string
	}{{"worker1", w1, c1}, {"reviewer1", r1, cr1}} {
		got, _ := stateOf(reader.c, reader.cursor)
		if len(got) != len(moved) {
			t.Fatalf("%s pulled %v after the move, want tombstones for %v", reader.name, keys(got), moved)
		}
		for _, k := range moved {
			ch, ok := got[k]
			if !ok || !ch.Deleted || string(ch.Fields) != "{}" || !metaOf(t, ch).LeftScope {
				t.Fatalf("%s: %s after the move: %+v, want a left_scope tombstone", reader.name, k, ch)
			}
		}
	}
	got3, _ := stateOf(w3, c3)
	if len(got3) != len(moved) {
		t.Fatalf("worker3 pulled %v, want %v", keys(got3), moved)
	}
	for _, k := range moved {
		if ch, ok := got3[k]; !ok || ch.Deleted {
			t.Fatalf("worker3: %s not live after the move", k)
		}
	}
	if f := fieldsOf(t, got3[hhs+"/hh1"]); f["unit_id"] != "t2-v1" || f["head_name"] != "户主1" {
		t.Fatalf("moved household %v", f)
	}
	if m := metaOf(t, got3[invs+"/inv1"]).Signatures; m == nil || len(m.ValidSigners) != 1 {
		t.Fatalf("moved investigation lost its signature state: %+v", m)
	}
	// worker1 starting afresh sees only what stayed.
	fresh, _ := stateOf(env.Login("worker1", "tab-09"), "")
	for k, ch := range fresh {
		if !ch.Deleted && k != hhs+"/stay" {
			t.Fatalf("worker1 still sees %s live", k)
		}
	}
	live(t, fresh, hhs, "stay")
	// and can no longer write there; worker3 can.
	wantResult(t, push1(w1, ruhutest.Upsert(mems, "m1", got3[mems+"/m1"].Version, map[string]any{"name": "x"})), syncproto.StatusRejected, syncproto.CodeOutOfScope)
	wantResult(t, push1(w3, ruhutest.Upsert(mems, "m1", got3[mems+"/m1"].Version, map[string]any{"name": "x"})), syncproto.StatusApplied, "")

	// Moving it back brings the records back to worker1 as live changes.
	cs, _ = stateOf(county, "")
	wantResult(t, push1(county, ruhutest.Upsert(hhs, "hh1", live(t, cs, hhs, "hh1").Version, map[string]any{"unit_id": "t1-v1"})), syncproto.StatusApplied, "")
	back, _ := stateOf(w1, c1)
	for _, k := range moved {
		if ch, ok := back[k]; !ok || ch.Deleted {
			t.Fatalf("worker1: %s not live after moving back: %+v", k, ch)
		}
	}
	gone3, _ := stateOf(w3, c3)
	for _, k := range moved {
		if ch := gone3[k]; !ch.Deleted {
			t.Fatalf("worker3: %s still live after moving back", k)
		}
	}
}

func testHouseholdMovedTwiceGivesOneTombstone(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, county := env.Login("worker1", "tab-01"), env.Login("county", "pc-county")
	r1 := env.Login("reviewer1", "pc-r1")
	w1.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)), ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)))
	_, c1 := stateOf(w1, "")
	_, cr1 := stateOf(r1, "")
	move := func(to string) {
		t.Helper()
		cs, _ := stateOf(county, "")
		wantResult(t, push1(county, ruhutest.Upsert(hhs, "hh1", live(t, cs, hhs, "hh1").Version, map[string]any{"unit_id": to})), syncproto.StatusApplied, "")
	}
	// reviewer1 covers t1-v1 and t1-v2: the first move stays in its
	// jurisdiction, the second leaves it. worker1's village is left twice.
	move("t1-v2")
	move("t2-v1")
	move("t1-v1")
	move("t2-v2")
	for _, reader := range []struct {
		name   string
		c      *ruhutest.Client
		cursor string
	}{{"worker1", w1, c1}, {"reviewer1", r1, cr1}, {"worker1 from scratch", w1, ""}} {
		all, _ := reader.c.PullAll(reader.cursor)
		seen := map[string]int{}
		for _, ch := range all {
			seen[ch.Collection+"/"+ch.ID]++
			if !ch.Deleted {
				t.Fatalf("%s: %s/%s live after leaving", reader.name, ch.Collection, ch.ID)
			}
		}
		if len(seen) != 2 {
			t.Fatalf("%s pulled %v", reader.name, seen)
		}
		for k, n := range seen {
			if n != 1 {
				t.Fatalf("%s: %s pulled %d times in one pull, want once", reader.name, k, n)
			}
		}
	}
}

func testMemberMovedToAnotherVillageLeavesScope(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, r1 := env.Login("worker1", "tab-01"), env.Login("reviewer1", "pc-r1")
	w1.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)), ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)))
	wantResult(t, push1(r1, ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v2", 2))), syncproto.StatusApplied, "")
	state, c1 := stateOf(w1, "")
	// The person moves to a household of another village (分户、迁居).
	res := push1(r1, ruhutest.Upsert(mems, "m1", live(t, state, mems, "m1").Version, map[string]any{"household_id": "hh2"}))
	wantResult(t, res, syncproto.StatusApplied, "")
	got, _ := stateOf(w1, c1)
	if ch, ok := got[mems+"/m1"]; !ok || !ch.Deleted || !metaOf(t, ch).LeftScope {
		t.Fatalf("worker1 after m1 moved to t1-v2: %+v, want a left_scope tombstone", ch)
	}
	rs, _ := stateOf(r1, "")
	if f := fieldsOf(t, live(t, rs, mems, "m1")); f["household_id"] != "hh2" {
		t.Fatalf("m1 %v", f)
	}
}

// An investigation moved to a household of another village takes its
// signature records along, as a moved household does: readers of the old
// village get tombstones for both.
func testInvestigationMovedWithItsSignatures(t *testing.T, newEnv NewEnv) {
	w := newSigWorld(t, newEnv)
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
	if unit, hh, _ := recordScope(t, w.env, sigs, "sig1"); unit != "t1-v2" || hh != "hh9" {
		t.Fatalf("sig1 filed in %s/%s, want t1-v2/hh9 with its investigation", unit, hh)
	}
}
