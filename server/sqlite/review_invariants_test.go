package sqlite_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// TestReviewStoredScopeMatchesFields pushes random mutations (moves, head
// changes, duplicates, deletes, stale bases) in random batches, resolves
// random conflicts in between, and then checks what every reader relies on:
// each live record is filed under the village and household its fields
// name, no head heads two live households and no person is a member of two
// live households.
func TestReviewStoredScopeMatchesFields(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0xfeed))
			ms := randomMutations(r, 100)
			for i := range ms {
				if r.IntN(3) == 0 && ms[i].BaseVersion == 0 && ms[i].Op == syncproto.OpUpsert {
					ms[i].BaseVersion = int64(1 + r.IntN(60)) // a base between the two extremes
				}
			}
			env := ruhutest.New(t)
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

func checkStoredScope(t *testing.T, env *ruhutest.Env) {
	t.Helper()
	rows, err := readDB(t, env).Query(`SELECT collection, id, unit_id, household_id, dedupe_key, deleted, fields FROM records`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type rec struct {
		coll, id, unit, hh, key string
		deleted                 bool
		fields                  map[string]any
	}
	var all []*rec
	byKey := map[string]*rec{}
	for rows.Next() {
		var x rec
		var fields string
		if err := rows.Scan(&x.coll, &x.id, &x.unit, &x.hh, &x.key, &x.deleted, &fields); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(fields), &x.fields); err != nil {
			t.Fatal(err)
		}
		all = append(all, &x)
		byKey[x.coll+"/"+x.id] = &x
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	heads, people := map[string]string{}, map[string]string{}
	for _, x := range all {
		if x.deleted {
			continue
		}
		field := func(n string) string { s, _ := x.fields[n].(string); return s }
		switch x.coll {
		case hhs:
			if u := field("unit_id"); u != "" && u != x.unit {
				t.Errorf("household %s is filed in %s, its unit_id is %s", x.id, x.unit, u)
			}
			if x.key != "" {
				if other, ok := heads[x.key]; ok {
					t.Errorf("head %s heads live households %s and %s", x.key, other, x.id)
				}
				heads[x.key] = x.id
			}
		case mems, invs:
			if h := field("household_id"); h != "" && h != x.hh {
				t.Errorf("%s/%s is filed under household %s, its household_id is %s", x.coll, x.id, x.hh, h)
			}
			hh := byKey[hhs+"/"+x.hh]
			if hh != nil && hh.unit != x.unit {
				t.Errorf("%s/%s is filed in %s, its household %s in %s", x.coll, x.id, x.unit, x.hh, hh.unit)
			}
			if x.coll == mems && x.key != "" && hh != nil && !hh.deleted {
				if other, ok := people[x.key]; ok && other != x.hh {
					t.Errorf("person %s is a member of live households %s and %s", x.key, other, x.hh)
				}
				people[x.key] = x.hh
			}
		}
	}
}
