package sqlite_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

func TestHouseholdMoveSendsTombstonesToTheOldVillage(t *testing.T) {
	env := ruhutest.New(t)
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

func TestPullRejectsInvalidCursor(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "tab-01")
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, cursor := range []string{"garbage!", "djE6", enc("v2:5"), enc("v1:-1"), enc("v1:abc"), enc("5"),
		base64.StdEncoding.EncodeToString([]byte("v1:5")) + "=="} {
		st, b := c.Do(http.MethodGet, "/v1/sync/pull?cursor="+url.QueryEscape(cursor), nil)
		wantProblem(t, st, b, http.StatusBadRequest, syncproto.CodeInvalidCursor)
	}
	for _, limit := range []string{"0", "-1", "x"} {
		st, b := c.Do(http.MethodGet, "/v1/sync/pull?limit="+limit, nil)
		wantProblem(t, st, b, http.StatusBadRequest, syncproto.CodeBadRequest)
	}
	var res syncproto.PullResponse
	c.JSON(http.MethodGet, "/v1/sync/pull?cursor="+engine.EncodeCursor(0), nil, http.StatusOK, &res)
	if len(res.Changes) != 0 || res.HasMore || res.Cursor != engine.EncodeCursor(0) {
		t.Fatalf("empty pull %+v", res)
	}
}

func TestPullPagination(t *testing.T) {
	env := ruhutest.New(t)
	w1 := env.Login("worker1", "tab-01")
	county := env.Login("county", "pc-county")
	var batch []syncproto.Mutation
	for i := 0; i < 12; i++ {
		hh := fmt.Sprintf("hh%02d", i)
		batch = append(batch, ruhutest.Upsert(hhs, hh, 0, ruhutest.Household("t1-v1", i+1)),
			ruhutest.Upsert(mems, hh+"m", 0, member(hh, 100+i)))
	}
	res := w1.Push(batch...)
	// Changes, deletes and a move out of worker1's village interleave
	// live records, tombstones and scope exits.
	w1.Push(ruhutest.Upsert(hhs, "hh00", res.Results[0].Version, map[string]any{"notes": "改"}),
		ruhutest.Delete(mems, "hh03m", res.Results[7].Version))
	wantResult(t, push1(county, ruhutest.Upsert(hhs, "hh05", res.Results[10].Version, map[string]any{"unit_id": "t1-v2"})), syncproto.StatusApplied, "")
	w1.Push(ruhutest.Upsert(hhs, "hh99", 0, ruhutest.Household("t1-v1", 99)))

	var whole syncproto.PullResponse
	w1.JSON(http.MethodGet, "/v1/sync/pull?limit=5000", nil, http.StatusOK, &whole)
	if whole.HasMore || len(whole.Changes) != 25 {
		t.Fatalf("whole pull: %d changes, has_more %v; want 25, false", len(whole.Changes), whole.HasMore)
	}
	for _, limit := range []int{1, 2, 5, 7, 24, 25, 26} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var pages []syncproto.Change
			cursor := ""
			for n := 0; ; n++ {
				if n > 100 {
					t.Fatal("pagination does not end")
				}
				var page syncproto.PullResponse
				w1.JSON(http.MethodGet, fmt.Sprintf("/v1/sync/pull?limit=%d&cursor=%s", limit, cursor), nil, http.StatusOK, &page)
				if len(page.Changes) > limit {
					t.Fatalf("page of %d changes for limit %d", len(page.Changes), limit)
				}
				if page.HasMore && len(page.Changes) != limit {
					t.Fatalf("has_more with a short page (%d of %d)", len(page.Changes), limit)
				}
				pages = append(pages, page.Changes...)
				cursor = page.Cursor
				if !page.HasMore {
					break
				}
			}
			if len(pages) != len(whole.Changes) {
				t.Fatalf("paged pull: %d changes, whole pull %d", len(pages), len(whole.Changes))
			}
			seen := map[string]bool{}
			for i, ch := range pages {
				w := whole.Changes[i]
				if ch.Version != w.Version || ch.Collection != w.Collection || ch.ID != w.ID || ch.Deleted != w.Deleted ||
					string(ch.Fields) != string(w.Fields) {
					t.Fatalf("change %d: paged %+v, whole %+v", i, ch, w)
				}
				if i > 0 && ch.Version <= pages[i-1].Version {
					t.Fatalf("versions out of order at %d: %d after %d", i, ch.Version, pages[i-1].Version)
				}
				if seen[ch.Collection+"/"+ch.ID] {
					t.Fatalf("%s/%s pulled twice", ch.Collection, ch.ID)
				}
				seen[ch.Collection+"/"+ch.ID] = true
			}
			// The last cursor is at the end: nothing more, same cursor.
			var end syncproto.PullResponse
			w1.JSON(http.MethodGet, "/v1/sync/pull?cursor="+cursor, nil, http.StatusOK, &end)
			if len(end.Changes) != 0 || end.HasMore || end.Cursor != cursor {
				t.Fatalf("pull at the end: %+v (cursor %s)", end, cursor)
			}
		})
	}
	var tomb, exits int
	for _, ch := range whole.Changes {
		if ch.Deleted {
			tomb++
			if metaOf(t, ch).LeftScope {
				exits++
			}
		}
	}
	if tomb != 3 || exits != 2 { // hh03m deleted; hh05 and hh05m left
		t.Fatalf("%d tombstones (%d scope exits), want 3 (2)", tomb, exits)
	}
}

func TestHouseholdMovedTwiceGivesOneTombstone(t *testing.T) {
	env := ruhutest.New(t)
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

func TestConflictsFollowAMovedHousehold(t *testing.T) {
	env := ruhutest.New(t)
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

func TestMemberMovedToAnotherVillageLeavesScope(t *testing.T) {
	env := ruhutest.New(t)
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
