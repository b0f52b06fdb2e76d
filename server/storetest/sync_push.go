package storetest

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Issue #3: the sync core against the real server over HTTP. A push is
// replayed from its stored results; the mutation counter is per device and
// user.

func testPushReplayReturnsIdenticalResults(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	c := env.Login("worker1", "tab-01")
	county := env.Login("county", "pc-county")
	batch := []syncproto.Mutation{
		ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(mems, "m1", 0, member("hh1", 101)),
		// base 0 on a field the server set after 0: a conflict.
		ruhutest.Upsert(hhs, "hh1", 0, map[string]any{"address": "另一个地址"}),
		// the same head again under another id: merged into hh1.
		ruhutest.Upsert(hhs, "hh1-dup", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(mems, "m2", 0, map[string]any{"household_id": "hh1", "name": "坏", "id_number": badIDNumber(102), "relation": "子女"}),
	}
	first := c.Push(batch...)
	wantStatuses := []string{syncproto.StatusApplied, syncproto.StatusApplied, syncproto.StatusConflict,
		syncproto.StatusMerged, syncproto.StatusRejected}
	for i, st := range wantStatuses {
		wantResult(t, first.Results[i], st, "")
		if first.Results[i].Replayed {
			t.Fatalf("first push result %d replayed", i)
		}
	}
	if first.Results[3].CanonicalID != "hh1" {
		t.Fatalf("duplicate canonical_id %q, want hh1", first.Results[3].CanonicalID)
	}
	_, cursor := county.PullAll("")
	audit, _ := verifyAudit(t, env)
	kept := rejections(county)
	listed := conflicts(county, "all")
	if len(kept) != 1 || len(listed) != 1 { // m2; the address
		t.Fatalf("after the first push: %d rejections, %d conflicts; want 1, 1", len(kept), len(listed))
	}

	for round := 0; round < 2; round++ {
		again := c.Push(batch...)
		if again.LastMutationID != first.LastMutationID {
			t.Fatalf("replay last_mutation_id %d, want %d", again.LastMutationID, first.LastMutationID)
		}
		for i := range first.Results {
			got := again.Results[i]
			if !got.Replayed {
				t.Fatalf("replayed result %d: replayed=false", i)
			}
			got.Replayed = false
			if !reflect.DeepEqual(got, first.Results[i]) {
				t.Fatalf("replayed result %d:\n got %+v\nwant %+v", i, got, first.Results[i])
			}
		}
	}
	// Nothing was written again: no new version, audit row, rejection or
	// conflict.
	if changes, _ := county.PullAll(cursor); len(changes) != 0 {
		t.Fatalf("pull after replay: %d new changes, want 0: %+v", len(changes), changes)
	}
	if got, broken := verifyAudit(t, env); got != audit || broken {
		t.Fatalf("audit rows %d (broken %v) after replay, want %d", got, broken, audit)
	}
	if got := rejections(county); !reflect.DeepEqual(got, kept) {
		t.Fatalf("rejections changed by the replay:\n%+v\n%+v", kept, got)
	}
	if got := conflicts(county, "all"); !reflect.DeepEqual(got, listed) {
		t.Fatalf("conflicts changed by the replay:\n%+v\n%+v", listed, got)
	}
}

func testMutationIDsMustIncrease(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	c := env.Login("worker1", "tab-01")
	mut := func(id int64, n int) syncproto.Mutation {
		m := ruhutest.Upsert(hhs, "hh"+string(rune('a'+n)), 0, ruhutest.Household("t1-v1", n))
		m.MutationID = id
		return m
	}
	res := c.Push(mut(5, 1), mut(9, 2)) // gaps are allowed
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	wantResult(t, res.Results[1], syncproto.StatusApplied, "")
	if res.LastMutationID != 9 {
		t.Fatalf("last_mutation_id %d, want 9", res.LastMutationID)
	}
	for round := 0; round < 2; round++ { // never stored, so never replayed
		res = c.Push(mut(7, 3))
		wantResult(t, res.Results[0], syncproto.StatusRejected, syncproto.CodeMutationOutOfOrder)
		if res.Results[0].Replayed || res.LastMutationID != 9 {
			t.Fatalf("going backwards: %+v", res)
		}
	}
	res = c.Push(mut(11, 4), mut(10, 5), mut(5, 1))
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	wantResult(t, res.Results[1], syncproto.StatusRejected, syncproto.CodeMutationOutOfOrder)
	if r := res.Results[2]; !r.Replayed || r.Status != syncproto.StatusApplied {
		t.Fatalf("re-sent mutation 5: %+v", r)
	}
	if res.LastMutationID != 11 {
		t.Fatalf("last_mutation_id %d, want 11", res.LastMutationID)
	}
	state, _ := stateOf(c, "")
	if len(state) != 3 {
		t.Fatalf("pull %v, want hhb, hhc, hhe", keys(state))
	}
	for _, id := range []string{"hhb", "hhc", "hhe"} {
		live(t, state, hhs, id)
	}

	// The counter is kept per device and user: another user of the same
	// device id (a colleague on the shared tablet, or someone claiming the
	// id) neither advances it nor sees its stored results.
	w2 := env.Login("worker2", "tab-01")
	res = w2.Push(mut(12, 6))
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	if res.Results[0].Replayed {
		t.Fatal("worker2's mutation 12 answered as a replay")
	}
	w3 := env.Login("worker3", "tab-01")
	res = w3.Push(mut(13, 6)) // a household of t1-v1: outside worker3's village
	wantResult(t, res.Results[0], syncproto.StatusRejected, syncproto.CodeOutOfScope)
	res = c.Push(mut(13, 7))
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	if res.Results[0].Replayed {
		t.Fatal("worker1's mutation 13 was answered with worker3's stored result")
	}
	res = c.Push(syncproto.Mutation{MutationID: syncproto.MaxMutationID + 1, Collection: hhs, ID: "hhz", Op: syncproto.OpDelete})
	wantResult(t, res.Results[0], syncproto.StatusRejected, syncproto.CodeMutationOutOfOrder)
	if res.LastMutationID != 13 {
		t.Fatalf("an id over MaxMutationID moved the counter to %d", res.LastMutationID)
	}
	// Out-of-order mutations are not kept; worker3's out-of-scope one is.
	var kept []int64
	for _, r := range rejections(env.Login("county", "pc-county")) {
		kept = append(kept, r.Mutation.MutationID)
	}
	if !reflect.DeepEqual(kept, []int64{13}) {
		t.Fatalf("kept rejections of mutations %v, want only worker3's 13", kept)
	}
}

func testPushDeviceMismatch(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	c := env.Login("worker1", "tab-01")
	county := env.Login("county", "pc-county")
	audit, _ := verifyAudit(t, env)
	m := ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1))
	m.MutationID = 1
	st, b := c.Do(http.MethodPost, "/v1/sync/push", syncproto.PushRequest{DeviceID: "tab-02", Mutations: []syncproto.Mutation{m}})
	wantProblem(t, st, b, http.StatusForbidden, syncproto.CodeDeviceMismatch)
	// A refused push writes nothing: no record, no kept mutation, no audit
	// row, and the device's counter does not move.
	if changes, _ := county.PullAll(""); len(changes) != 0 {
		t.Fatalf("a refused push wrote %d records", len(changes))
	}
	if n := len(rejections(county)); n != 0 {
		t.Fatalf("a refused push kept %d rejections", n)
	}
	if got, _ := verifyAudit(t, env); got != audit {
		t.Fatalf("a refused push wrote %d audit rows", got-audit)
	}
	// The same mutation on the session's device is accepted as new.
	res := c.Push(m)
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	if res.Results[0].Replayed || res.LastMutationID != 1 {
		t.Fatalf("push after the refused one: %+v", res)
	}
}
