package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A required field cannot be cleared on an existing record: the record
// would stay filed under a village or household it no longer names.
func TestRequiredFieldCannotBeCleared(t *testing.T) {
	env := ruhutest.New(t)
	w := env.Login("worker1", "tab-01")
	v := w.Push(ruhutest.Upsert("households", "hh-q", 0, ruhutest.Household("t1-v1", 80))).Results[0].Version
	for _, f := range []string{"unit_id", "head_name", "head_id_number", "address"} {
		r := w.Push(ruhutest.Upsert("households", "hh-q", v, map[string]any{f: nil})).Results[0]
		if r.Status != syncproto.StatusRejected || r.Error.Code != syncproto.CodeMissingField {
			t.Errorf("clearing %s: %s %+v", f, r.Status, r.Error)
		}
	}
	if r := w.Push(ruhutest.Upsert("households", "hh-q", v, map[string]any{"notes": nil, "category": nil})).Results[0]; r.Status != syncproto.StatusApplied {
		t.Errorf("clearing optional fields: %s %+v", r.Status, r.Error)
	}
}
