package api_test

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Conflicts come in pages: each conflict once, in creation order.
func TestConflictsArePaged(t *testing.T) {
	env := ruhutest.New(t)
	a := env.Login("worker1", "tab-a")
	b := env.Login("worker2", "tab-b")
	var ms []syncproto.Mutation
	for i := range 5 {
		ms = append(ms, ruhutest.Upsert("households", "hh-p"+itoa(i), 0, ruhutest.Household("t1-v1", 90+i)))
	}
	res := a.Push(ms...)
	for i, r := range res.Results {
		b.Push(ruhutest.Upsert("households", "hh-p"+itoa(i), r.Version, map[string]any{"notes": "乙"}))
		a.Push(ruhutest.Upsert("households", "hh-p"+itoa(i), r.Version, map[string]any{"notes": "甲"}))
	}
	var seen []string
	after := ""
	for range 10 {
		var page syncproto.ConflictList
		a.JSON(http.MethodGet, "/v1/conflicts?limit=2&after="+after, nil, http.StatusOK, &page)
		for _, c := range page.Conflicts {
			seen = append(seen, c.ID)
		}
		if page.Next == "" {
			break
		}
		if len(page.Conflicts) != 2 {
			t.Fatalf("a page with next holds %d conflicts", len(page.Conflicts))
		}
		after = page.Next
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d conflicts, want 5: %v", len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("conflicts out of order or repeated: %v", seen)
		}
	}
	st, body := a.Do(http.MethodGet, "/v1/conflicts?limit=0", nil)
	wantProblem(t, st, body, http.StatusBadRequest, syncproto.CodeBadRequest)
}
