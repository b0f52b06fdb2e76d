package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A member merged into an existing one (duplicate member) is later moved to
// another household under the device's own id, as the protocol allows: the
// person is not in two households, it is the same record.
func TestReviewMoveMemberThroughItsAlias(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "tab-01")
	c.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)),
		ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)))
	dup := push1(c, ruhutest.Upsert(mems, "mx", 0, member("hh1", 11)))
	wantResult(t, dup, syncproto.StatusMerged, "")
	if dup.CanonicalID != "m1" {
		t.Fatalf("canonical_id %q, want m1", dup.CanonicalID)
	}
	res := push1(c, ruhutest.Upsert(mems, "mx", dup.Version, map[string]any{"household_id": "hh2"}))
	wantResult(t, res, syncproto.StatusApplied, "")
	state, _ := stateOf(c, "")
	if f := fieldsOf(t, live(t, state, mems, "m1")); f["household_id"] != "hh2" {
		t.Fatalf("m1 fields %v, want household_id hh2", f)
	}
	if n := len(conflicts(c, "open")); n != 0 {
		t.Fatalf("%d open conflicts, want none: %+v", n, conflicts(c, "open"))
	}
}
