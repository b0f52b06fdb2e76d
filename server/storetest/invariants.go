package storetest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// testStoredScopeMatchesFields pushes random mutations (moves, head
// changes, duplicates, deletes, stale bases) in random batches, resolves
// random conflicts in between, and then checks what every reader relies on:
// each live record is filed under the village and household its fields
// name, no head heads two live households and no person is a member of two
// live households.
func testStoredScopeMatchesFields(t *testing.T, newEnv NewEnv) {
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0xfeed))
			ms := randomMutations(r, 100)
			for i := range ms {
				if r.IntN(3) == 0 && ms[i].BaseVersion == 0 && ms[i].Op == syncproto.OpUpsert {
					ms[i].BaseVersion = int64(1 + r.IntN(60)) // a base between the two extremes
				}
			}
			env := newEnv(t)
			c := env.Login("reviewer1", "tab-p")
			for i := 0; i < len(ms); {
				j := min(len(ms), i+1+r.IntN(10))
				c.Push(ms[i:j]...)
				i = j
				for _, k := range conflicts(c, "open") {
					if r.IntN(2) == 0 {
						continue
					}
					choice := []string{syncproto.ChoiceServer, syncproto.ChoiceClient}[r.IntN(2)]
					if st, b := c.Do(http.MethodPost, "/v1/conflicts/"+k.ID+"/resolve", syncproto.ResolveRequest{Choice: choice}); st >= 500 {
						t.Fatalf("resolve %s %s: %d %s", k.Kind, choice, st, b)
					}
				}
			}
			checkStoredScope(t, env)
		})
	}
}

// checkStoredScope checks the county's whole pull against where each live
// record is filed (recordScope).
func checkStoredScope(t *testing.T, env *ruhutest.Env) {
	t.Helper()
	all, _ := stateOf(env.Login("county", "pc-county"), "")
	type filed struct{ unit, hh string }
	scopes := map[string]filed{}
	scope := func(coll, id string) (filed, bool) {
		k := coll + "/" + id
		if f, ok := scopes[k]; ok {
			return f, true
		}
		unit, hh, ok := recordScope(t, env, coll, id)
		if ok {
			scopes[k] = filed{unit, hh}
		}
		return filed{unit, hh}, ok
	}
	heads, people := map[string]string{}, map[string]string{}
	for _, k := range keys(all) {
		ch := all[k]
		if ch.Deleted {
			continue
		}
		fields := fieldsOf(t, ch)
		field := func(n string) string { s, _ := fields[n].(string); return s }
		x, ok := scope(ch.Collection, ch.ID)
		if !ok {
			t.Errorf("%s is pulled live but not stored", k)
			continue
		}
		switch ch.Collection {
		case hhs:
			if u := field("unit_id"); u != "" && u != x.unit {
				t.Errorf("household %s is filed in %s, its unit_id is %s", ch.ID, x.unit, u)
			}
			if head := field("head_id_number"); head != "" {
				if other, ok := heads[head]; ok {
					t.Errorf("head %s heads live households %s and %s", head, other, ch.ID)
				}
				heads[head] = ch.ID
			}
		case mems, invs:
			if h := field("household_id"); h != "" && h != x.hh {
				t.Errorf("%s is filed under household %s, its household_id is %s", k, x.hh, h)
			}
			hh, ok := scope(hhs, x.hh)
			if ok && hh.unit != x.unit {
				t.Errorf("%s is filed in %s, its household %s in %s", k, x.unit, x.hh, hh.unit)
			}
			person := field("id_number")
			if hhLive := ok && !all[hhs+"/"+x.hh].Deleted; ch.Collection == mems && person != "" && hhLive {
				if other, ok := people[person]; ok && other != x.hh {
					t.Errorf("person %s is a member of live households %s and %s", person, other, x.hh)
				}
				people[person] = x.hh
			}
		}
	}
	if len(heads) == 0 {
		t.Fatalf("no live household to check among %d records", len(all))
	}
}
