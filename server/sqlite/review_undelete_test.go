package sqlite_test

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Reviving a deleted household (choosing the device's edit of a
// delete_edit conflict) must not put a person back into a second live
// household: its member joined another household while it was deleted.
func TestReviewRevivedHouseholdKeepsOnePersonInOneHousehold(t *testing.T) {
	env := ruhutest.New(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	res := w1.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)), ruhutest.Upsert(mems, "m1", 0, member("hh1", 11)))
	base := res.Results[0].Version
	wantResult(t, push1(w1, ruhutest.Delete(hhs, "hh1", base)), syncproto.StatusApplied, "")
	// The person moves to a new household (the old one is gone).
	res = w1.Push(ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)), ruhutest.Upsert(mems, "m2", 0, member("hh2", 11)))
	wantResult(t, res.Results[1], syncproto.StatusApplied, "")
	// A device that had not seen the delete edits hh1: kept in a conflict.
	edit := push1(w2, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"notes": "离线修改"}))
	wantResult(t, edit, syncproto.StatusConflict, "")

	_, body := resolve(w1, edit.ConflictID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusConflict)
	wantProblem(t, http.StatusConflict, body, http.StatusConflict, syncproto.CodePersonInTwoHouses)
	state, _ := stateOf(w1, "")
	if ch := state[hhs+"/hh1"]; !ch.Deleted {
		t.Fatalf("hh1 revived with m1 while the same person is a member of hh2: %+v", ch)
	}
	if c := conflictByID(t, conflicts(w1, "open"), edit.ConflictID); c.Status != syncproto.ConflictOpen {
		t.Fatalf("conflict %+v, want still open", c)
	}
}
