package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// protocol.md: "Changing an existing household's head_id_number to the head
// of another live household is a duplicate_household conflict on that
// field."
func TestReviewHeadChangeToAnotherHeadIsDuplicateHousehold(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "tab-01")
	res := c.Push(ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)))
	got := push1(c, ruhutest.Upsert(hhs, "hh2", res.Results[1].Version, map[string]any{"head_id_number": ruhutest.IDNumber(1), "notes": "换户主"}))
	wantResult(t, got, syncproto.StatusConflict, "")
	k := conflictByID(t, conflicts(c, "open"), got.ConflictID)
	if k.Kind != syncproto.KindDuplicateHousehold || k.Field != "head_id_number" || k.RecordID != "hh2" ||
		!jsonEq(t, k.ServerValue, ruhutest.IDNumber(2)) || !jsonEq(t, k.ClientValue, ruhutest.IDNumber(1)) {
		t.Fatalf("head change conflict %+v, want duplicate_household on head_id_number", k)
	}
	state, _ := stateOf(c, "")
	if f := fieldsOf(t, live(t, state, hhs, "hh2")); f["head_id_number"] != ruhutest.IDNumber(2) || f["notes"] != "换户主" {
		t.Fatalf("hh2 fields %v", f)
	}
	// Choosing the device's value collides again, with the conflict's kind
	// as code.
	_, body := resolve(c, got.ConflictID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, 409)
	wantProblem(t, 409, body, 409, syncproto.CodeDuplicateHousehold)
}
