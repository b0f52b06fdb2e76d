package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// randomMutations generates n mutations over a small pool of ids, ID
// numbers and villages, so that merges, conflicts, duplicates, people in two
// households, deletes, moves and rejections all happen.
func randomMutations(r *rand.Rand, n int) []syncproto.Mutation {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	base := func() int64 {
		if r.IntN(2) == 0 {
			return 0 // conflicts with every change since creation
		}
		return 1 << 40 // the device saw everything
	}
	var out []syncproto.Mutation
	for i := 0; i < n; i++ {
		hh := fmt.Sprintf("h%d", r.IntN(5))
		var m syncproto.Mutation
		switch op := r.IntN(10); {
		case op < 2:
			f := ruhutest.Household(pick("t1-v1", "t1-v2"), 1+r.IntN(4))
			f["notes"] = pick("a", "b", "c")
			m = ruhutest.Upsert(hhs, hh, 0, f)
		case op < 4:
			f := map[string]any{}
			b := base()
			switch r.IntN(5) {
			case 0:
				f["unit_id"] = pick("t1-v1", "t1-v2", "t1-v3", "t2-v1")
				// A move from a stale base collides and does not move
				// anything; moves must happen for left_scope to be tested.
				b = 1 << 40
			case 1:
				f["head_id_number"] = ruhutest.IDNumber(1 + r.IntN(4))
			default:
				f[pick("notes", "address", "contact_phone")] = pick("x", "y", "z")
				if r.IntN(3) == 0 {
					f["category"] = pick("dibao", "tekun", "nonsense")
				}
			}
			m = ruhutest.Upsert(hhs, hh, b, f)
		case op < 7:
			f := member(hh, 100+r.IntN(5))
			if r.IntN(2) == 0 {
				f = map[string]any{pick("name", "health", "relation"): pick("甲", "乙")}
				if r.IntN(3) == 0 {
					f["id_number"] = ruhutest.IDNumber(100 + r.IntN(5))
				}
			}
			if r.IntN(8) == 0 {
				f["id_number"] = badIDNumber(100)
			}
			m = ruhutest.Upsert(mems, fmt.Sprintf("m%d", r.IntN(7)), base(), f)
		case op < 8:
			m = ruhutest.Upsert(invs, fmt.Sprintf("i%d", r.IntN(3)), base(),
				map[string]any{"household_id": hh, "findings": pick("甲", "乙", "丙")})
		default:
			coll := pick(hhs, mems, invs)
			id := map[string]string{hhs: hh, mems: fmt.Sprintf("m%d", r.IntN(7)), invs: fmt.Sprintf("i%d", r.IntN(3))}[coll]
			m = ruhutest.Delete(coll, id, base())
		}
		m.MutationID = int64(i + 1)
		out = append(out, m)
	}
	return out
}

// replayWorld pushes the mutations in the given batches from a fresh
// server and returns what can be compared: the results without conflict
// ids, the pulls of two jurisdictions and the conflicts.
func replayWorld(t *testing.T, newEnv NewEnv, ms []syncproto.Mutation, cuts []int) string {
	t.Helper()
	env := newEnv(t)
	c := env.Login("reviewer1", "tab-p")
	var results []syncproto.MutationResult
	from := 0
	for _, to := range append(cuts, len(ms)) {
		batch := append([]syncproto.Mutation{}, ms[from:to]...)
		res := c.Push(batch...)
		if res.LastMutationID != int64(to) {
			t.Fatalf("batch %d..%d: last_mutation_id %d", from, to, res.LastMutationID)
		}
		for _, r := range res.Results {
			r.ConflictID = ""
			r.ConflictIDs = make([]string, len(r.ConflictIDs))
			results = append(results, r)
		}
		from = to
	}
	pullR, _ := c.PullAll("")
	pullW, _ := env.Login("worker1", "tab-w").PullAll("")
	var cs []string // conflict ids, users and times differ between servers
	for _, k := range conflicts(c, "all") {
		k.ID, k.CreatedAt, k.UserID = "", "", ""
		b, _ := json.Marshal(k)
		cs = append(cs, string(b))
	}
	slices.Sort(cs)
	out, err := json.Marshal(map[string]any{"results": results, "reviewer1": pullR, "worker1": pullW, "conflicts": cs})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// testPushBatchingDoesNotChangeTheOutcome pushes the same mutations in one
// batch and split into random batches: results, pulled state and conflicts
// must be identical.
func testPushBatchingDoesNotChangeTheOutcome(t *testing.T, newEnv NewEnv) {
	seen := map[string]int{}
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0x5eed))
			ms := randomMutations(r, 100)
			var cuts []int
			for i := 1; i < len(ms); i++ {
				if r.IntN(6) == 0 {
					cuts = append(cuts, i)
				}
			}
			whole := replayWorld(t, newEnv, ms, nil)
			split := replayWorld(t, newEnv, ms, cuts)
			if whole != split {
				i := 0
				for i < len(whole) && i < len(split) && whole[i] == split[i] {
					i++
				}
				lo := max(0, i-300)
				t.Fatalf("seed %d: one batch and batches split at %v differ at byte %d:\n%s\n%s", seed, cuts, i,
					whole[lo:min(len(whole), i+300)], split[lo:min(len(split), i+300)])
			}
			var st struct {
				Results []syncproto.MutationResult `json:"results"`
				Worker1 []syncproto.Change         `json:"worker1"`
			}
			if err := json.Unmarshal([]byte(whole), &st); err != nil {
				t.Fatal(err)
			}
			for _, res := range st.Results {
				seen[res.Status]++
				if res.CanonicalID != "" {
					seen["canonical"]++
				}
			}
			for _, ch := range st.Worker1 {
				if metaOf(t, ch).LeftScope {
					seen["left_scope"]++
				}
			}
		})
	}
	t.Logf("outcomes over all seeds: %v", seen)
	// The generator must exercise the interesting paths.
	for _, s := range []string{syncproto.StatusApplied, syncproto.StatusMerged, syncproto.StatusConflict,
		syncproto.StatusRejected, "canonical", "left_scope"} {
		if seen[s] == 0 {
			t.Fatalf("no seed produced %s: %v", s, seen)
		}
	}
}
