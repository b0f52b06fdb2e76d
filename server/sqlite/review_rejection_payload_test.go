package sqlite_test

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A rejected mutation is kept exactly as the device sent it, even when it
// named a household by an alias the server rewrote while applying it.
func TestReviewRejectionKeepsPayloadAsSent(t *testing.T) {
	env := ruhutest.New(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh-a", 0, ruhutest.Household("t1-v1", 5))), syncproto.StatusApplied, "")
	dup := push1(w2, ruhutest.Upsert(hhs, "hh-b", 0, ruhutest.Household("t1-v1", 5)))
	if dup.CanonicalID != "hh-a" {
		t.Fatalf("duplicate %+v", dup)
	}
	bad := member("hh-b", 21)
	delete(bad, "relation")
	wantResult(t, push1(w2, ruhutest.Upsert(mems, "m1", 0, bad)), syncproto.StatusRejected, syncproto.CodeMissingField)

	var list syncproto.RejectionList
	w2.JSON(http.MethodGet, "/v1/rejections", nil, http.StatusOK, &list)
	if len(list.Rejections) != 1 {
		t.Fatalf("%d rejections, want 1", len(list.Rejections))
	}
	if got := list.Rejections[0].Mutation.Fields["household_id"]; string(got) != `"hh-b"` {
		t.Fatalf("kept household_id %s, want \"hh-b\" as sent", got)
	}
}
