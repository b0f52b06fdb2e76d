package sqlite_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/server/sqlite"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A township reviewer's scope is several units: pull reads them as
// per-unit ranges merged in version order (or, past maxMergedUnits, as
// one IN list). Both must page through the same changes, in version
// order, as one whole pull does, and see only the township.
func TestPullSeveralUnitsPagesInVersionOrder(t *testing.T) {
	env := ruhutest.New(t)
	county := env.Login("county", "pc-county")
	villages := []string{"t1-v1", "t1-v2", "t1-v3", "t2-v1"}
	var batch []syncproto.Mutation
	for i := range 24 {
		batch = append(batch, ruhutest.Upsert(syncproto.CollHouseholds, fmt.Sprintf("h%02d", i), 0,
			ruhutest.Household(villages[i%len(villages)], i+1)))
	}
	res := county.Push(batch...)
	// A move and a delete put an exit and a tombstone among them.
	county.Push(ruhutest.Upsert(syncproto.CollHouseholds, "h01", res.Results[1].Version, map[string]any{"unit_id": "t2-v1"}),
		ruhutest.Delete(syncproto.CollHouseholds, "h02", res.Results[2].Version))

	reviewer := env.Login("reviewer1", "pc-r1")
	for _, merged := range []int{64, 1} {
		restore := sqlite.SetMaxMergedUnits(merged)
		var whole syncproto.PullResponse
		reviewer.JSON(http.MethodGet, "/v1/sync/pull?limit=5000", nil, http.StatusOK, &whole)
		// 18 households in t1, h01 as an exit, h02 as a tombstone.
		if len(whole.Changes) != 18 || whole.HasMore {
			t.Fatalf("merged %d: whole pull of %d changes (has_more %v), want 18", merged, len(whole.Changes), whole.HasMore)
		}
		for i, c := range whole.Changes {
			if i > 0 && c.Version <= whole.Changes[i-1].Version {
				t.Fatalf("merged %d: version %d after %d", merged, c.Version, whole.Changes[i-1].Version)
			}
			if c.ID == "h03" || c.ID == "h07" { // t2-v1
				t.Fatalf("merged %d: the township reviewer pulled %s of another township", merged, c.ID)
			}
		}
		for _, limit := range []int{1, 2, 5, 7} {
			var paged []syncproto.Change
			cursor := ""
			for n := 0; ; n++ {
				if n > 100 {
					t.Fatal("pagination does not end")
				}
				var page syncproto.PullResponse
				reviewer.JSON(http.MethodGet, fmt.Sprintf("/v1/sync/pull?limit=%d&cursor=%s", limit, cursor), nil, http.StatusOK, &page)
				paged, cursor = append(paged, page.Changes...), page.Cursor
				if !page.HasMore {
					break
				}
			}
			if len(paged) != len(whole.Changes) {
				t.Fatalf("merged %d, limit %d: %d changes paged, %d whole", merged, limit, len(paged), len(whole.Changes))
			}
			for i := range paged {
				p, w := paged[i], whole.Changes[i]
				if p.Version != w.Version || p.ID != w.ID || p.Deleted != w.Deleted || string(p.Fields) != string(w.Fields) || string(p.Meta) != string(w.Meta) {
					t.Fatalf("merged %d, limit %d: change %d paged %+v, whole %+v", merged, limit, i, p, w)
				}
			}
		}
		restore()
	}
}

// Read transactions share statements prepared on the read pool. Many
// pulls at once on a fresh database, more than the pool has connections,
// all answer, and answer the same.
func TestConcurrentPullsShareStatements(t *testing.T) {
	env := ruhutest.New(t)
	w1 := env.Login("worker1", "tab-01")
	var batch []syncproto.Mutation
	for i := range 30 {
		batch = append(batch, ruhutest.Upsert(syncproto.CollHouseholds, fmt.Sprintf("h%02d", i), 0, ruhutest.Household("t1-v1", i+1)))
	}
	w1.Push(batch...)
	var wg sync.WaitGroup
	counts := make([]int, 24)
	for g := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				st, body := w1.Do(http.MethodGet, "/v1/sync/pull?limit=7", nil)
				if st != http.StatusOK {
					t.Errorf("pull: %d %s", st, body)
					return
				}
			}
			all, _ := w1.PullAll("")
			counts[g] = len(all)
		}()
	}
	wg.Wait()
	for g, n := range counts {
		if n != 30 {
			t.Fatalf("puller %d pulled %d changes, want 30", g, n)
		}
	}
}
