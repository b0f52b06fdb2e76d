package storetest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Two devices changing one record from the same base: different fields
// merge, the same field is kept in a conflict with both values, and a
// delete against an edit (or an edit against a delete) is a conflict too.

func testTwoDevicesEditingDifferentFieldsMerge(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	base := push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1))).Version
	state, _ := stateOf(w2, "")
	if v := live(t, state, hhs, "hh1").Version; v != base {
		t.Fatalf("w2 pulled version %d, want %d", v, base)
	}

	r1 := push1(w1, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"address": "新地址 1号"}))
	wantResult(t, r1, syncproto.StatusApplied, "")
	r2 := push1(w2, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"contact_phone": "13800000000"}))
	wantResult(t, r2, syncproto.StatusMerged, "")
	if r2.Version <= r1.Version {
		t.Fatalf("merged version %d not after %d", r2.Version, r1.Version)
	}

	state, _ = stateOf(w1, "")
	hh := live(t, state, hhs, "hh1")
	f := fieldsOf(t, hh)
	if f["address"] != "新地址 1号" || f["contact_phone"] != "13800000000" || f["head_name"] != "户主1" {
		t.Fatalf("merged fields %v", f)
	}
	if hh.Version != r2.Version {
		t.Fatalf("pulled version %d, want %d", hh.Version, r2.Version)
	}
	if n := len(conflicts(w1, "all")); n != 0 {
		t.Fatalf("%d conflicts, want none", n)
	}
}

func testSameFieldConflictKeepsBothValues(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	base := push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1))).Version
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"notes": "A"})), syncproto.StatusApplied, "")

	res := push1(w2, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"notes": "B", "contact_phone": "139"}))
	wantResult(t, res, syncproto.StatusConflict, "")
	if res.ConflictID == "" || !reflect.DeepEqual(res.ConflictIDs, []string{res.ConflictID}) {
		t.Fatalf("conflict ids %q %v", res.ConflictID, res.ConflictIDs)
	}
	c := conflictByID(t, conflicts(w1, "open"), res.ConflictID)
	if c.Kind != syncproto.KindField || c.Collection != hhs || c.RecordID != "hh1" || c.Field != "notes" ||
		!jsonEq(t, c.ServerValue, "A") || !jsonEq(t, c.ClientValue, "B") || c.Status != syncproto.ConflictOpen ||
		c.BaseVersion != base || c.DeviceID != "tab-02" || c.UserID != userID(env, "worker2") || c.Op != syncproto.OpUpsert {
		t.Fatalf("conflict %+v", c)
	}
	state, _ := stateOf(w1, "")
	hh := live(t, state, hhs, "hh1")
	if f := fieldsOf(t, hh); f["notes"] != "A" || f["contact_phone"] != "139" {
		t.Fatalf("after conflict: fields %v (server value must stay, other field must apply)", f)
	}
	if m := metaOf(t, hh); m.OpenConflicts != 1 {
		t.Fatalf("open_conflicts %d, want 1", m.OpenConflicts)
	}

	// choice client: the device's value is written as a new version.
	done, _ := resolve(w1, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusOK)
	if done.Status != syncproto.ConflictResolved || done.ResolvedBy != userID(env, "worker1") || done.Version <= hh.Version {
		t.Fatalf("resolved %+v (pulled version was %d)", done, hh.Version)
	}
	state, _ = stateOf(w1, "")
	hh = live(t, state, hhs, "hh1")
	if f := fieldsOf(t, hh); f["notes"] != "B" {
		t.Fatalf("after choice client: notes %v", f["notes"])
	}
	if hh.Version != done.Version {
		t.Fatalf("pulled version %d, resolution says %d", hh.Version, done.Version)
	}
	if m := metaOf(t, hh); m.OpenConflicts != 0 {
		t.Fatalf("open_conflicts %d after resolution", m.OpenConflicts)
	}
	resolve(w1, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusConflict)

	// an explicit value.
	res = push1(w2, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"notes": "C"}))
	wantResult(t, res, syncproto.StatusConflict, "")
	done, _ = resolve(w2, res.ConflictID, map[string]any{"value": "D"}, http.StatusOK)
	state, _ = stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, hhs, "hh1")); f["notes"] != "D" {
		t.Fatalf("after value: notes %v, want D", f["notes"])
	}

	// choice server: nothing is written.
	res = push1(w2, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"notes": "E"}))
	wantResult(t, res, syncproto.StatusConflict, "")
	resolve(w2, res.ConflictID, syncproto.ResolveRequest{Choice: syncproto.ChoiceServer}, http.StatusOK)
	state, _ = stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, hhs, "hh1")); f["notes"] != "D" {
		t.Fatalf("after choice server: notes %v, want D", f["notes"])
	}

	// a null value clears the field.
	res = push1(w2, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"notes": "F"}))
	wantResult(t, res, syncproto.StatusConflict, "")
	resolve(w2, res.ConflictID, json.RawMessage(`{"value":null}`), http.StatusOK)
	state, _ = stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, hhs, "hh1")); f["notes"] != nil {
		t.Fatalf("after value null: notes %v, want absent", f["notes"])
	}

	if open := conflicts(w1, "open"); len(open) != 0 {
		t.Fatalf("%d open conflicts left", len(open))
	}
	resolved := conflicts(w1, "resolved")
	if len(resolved) != 4 {
		t.Fatalf("%d resolved conflicts, want 4", len(resolved))
	}
	for _, c := range resolved {
		if c.Status != syncproto.ConflictResolved || len(c.Resolution) == 0 || c.ResolvedAt == "" || c.Version == 0 {
			t.Fatalf("resolved conflict %+v", c)
		}
	}
	if !jsonEq(t, conflictByID(t, resolved, done.ID).Resolution, map[string]any{"value": "D"}) {
		t.Fatalf("resolution of the value conflict: %s", conflictByID(t, resolved, done.ID).Resolution)
	}
}

func testDeleteOfEditedRecordConflicts(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	base := push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1))).Version
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh1", base, map[string]any{"address": "改过的地址"})), syncproto.StatusApplied, "")

	res := push1(w2, ruhutest.Delete(hhs, "hh1", base))
	wantResult(t, res, syncproto.StatusConflict, "")
	c := conflictByID(t, conflicts(w2, "open"), res.ConflictID)
	if c.Kind != syncproto.KindDeleteEdit || c.Field != "" || c.Op != syncproto.OpDelete || string(c.ClientValue) != "null" {
		t.Fatalf("conflict %+v", c)
	}
	var sv map[string]any
	if err := json.Unmarshal(c.ServerValue, &sv); err != nil || sv["address"] != "改过的地址" {
		t.Fatalf("server_value %s", c.ServerValue)
	}
	state, _ := stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, hhs, "hh1")); f["address"] != "改过的地址" {
		t.Fatalf("record after the refused delete: %v", f)
	}

	resolve(w2, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusOK)
	state, _ = stateOf(w1, "")
	if ch := state[hhs+"/hh1"]; !ch.Deleted || string(ch.Fields) != "{}" {
		t.Fatalf("after choice client the household must be a tombstone: %+v", ch)
	}
}

func testEditOfDeletedRecordConflicts(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	base := push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1))).Version
	wantResult(t, push1(w1, ruhutest.Delete(hhs, "hh1", base)), syncproto.StatusApplied, "")

	edit := map[string]any{"notes": "补充说明", "contact_phone": "137"}
	res := push1(w2, ruhutest.Upsert(hhs, "hh1", base, edit))
	wantResult(t, res, syncproto.StatusConflict, "")
	c := conflictByID(t, conflicts(w2, "open"), res.ConflictID)
	if c.Kind != syncproto.KindDeleteEdit || string(c.ServerValue) != "null" || !jsonEq(t, c.ClientValue, edit) {
		t.Fatalf("conflict %+v", c)
	}
	state, _ := stateOf(w1, "")
	if ch := state[hhs+"/hh1"]; !ch.Deleted {
		t.Fatalf("edit of a deleted record was applied: %+v", ch)
	}

	resolve(w1, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusOK)
	state, _ = stateOf(w1, "")
	f := fieldsOf(t, live(t, state, hhs, "hh1"))
	if f["notes"] != "补充说明" || f["contact_phone"] != "137" || f["head_name"] != "户主1" {
		t.Fatalf("revived record %v", f)
	}
}
