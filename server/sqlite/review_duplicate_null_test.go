package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A new record's null field is an absent field: when the record turns out
// to duplicate an existing household, that field does not differ from the
// existing household's value and is no conflict (choosing it would clear
// data nobody meant to clear).
func TestReviewDuplicateWithNullFieldsIsNoConflict(t *testing.T) {
	env := ruhutest.New(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	first := ruhutest.Household("t1-v1", 5)
	first["notes"], first["contact_phone"] = "长期透析", "13800000000"
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh-a", 0, first)), syncproto.StatusApplied, "")

	dup := ruhutest.Household("t1-v1", 5)
	dup["notes"], dup["contact_phone"], dup["bank_account"] = nil, nil, nil
	res := push1(w2, ruhutest.Upsert(hhs, "hh-b", 0, dup))
	wantResult(t, res, syncproto.StatusMerged, "")
	if res.CanonicalID != "hh-a" || len(res.ConflictIDs) != 0 {
		t.Fatalf("duplicate with null fields: %+v, want merged into hh-a without conflicts", res)
	}
	state, _ := stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, hhs, "hh-a")); f["notes"] != "长期透析" || f["contact_phone"] != "13800000000" {
		t.Fatalf("hh-a fields %v", f)
	}
}
