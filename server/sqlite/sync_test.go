package sqlite_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Issue #3: the sync core against the real server over HTTP.

const snapRecords = `SELECT version, collection, id, unit_id, household_id, deleted, fields, field_versions, meta FROM records ORDER BY version`

func resolve(c *ruhutest.Client, id string, body any, want int) (syncproto.Conflict, []byte) {
	c.E.T.Helper()
	st, b := c.Do(http.MethodPost, "/v1/conflicts/"+id+"/resolve", body)
	if st != want {
		c.E.T.Fatalf("resolve %s: status %d, want %d: %s", id, st, want, b)
	}
	var out syncproto.Conflict
	if st == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			c.E.T.Fatalf("resolve %s: %v", id, err)
		}
	}
	return out, b
}

func TestPushReplayReturnsIdenticalResults(t *testing.T) {
	env := ruhutest.New(t)
	db := readDB(t, env)
	c := env.Login("worker1", "tab-01")
	batch := []syncproto.Mutation{
		ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(mems, "m1", 0, member("hh1", 101)),
		// base 0 on a field the server set after 0: a conflict.
		ruhutest.Upsert(hhs, "hh1", 0, map[string]any{"address": "另一个地址"}),
		// the same head again under another id: merged into hh1.
		ruhutest.Upsert(hhs, "hh1-dup", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(mems, "m2", 0, map[string]any{"household_id": "hh1", "name": "坏", "id_number": badIDNumber(102), "relation": "子女"}),
	}
	first := c.Push(batch...)
	wantStatuses := []string{syncproto.StatusApplied, syncproto.StatusApplied, syncproto.StatusConflict,
		syncproto.StatusMerged, syncproto.StatusRejected}
	for i, st := range wantStatuses {
		wantResult(t, first.Results[i], st, "")
		if first.Results[i].Replayed {
			t.Fatalf("first push result %d replayed", i)
		}
	}
	if first.Results[3].CanonicalID != "hh1" {
		t.Fatalf("duplicate canonical_id %q, want hh1", first.Results[3].CanonicalID)
	}
	_, cursor := c.PullAll("")
	records := tableDigest(t, db, snapRecords)
	audit := count(t, db, `SELECT count(*) FROM audit_log`)
	logged := tableDigest(t, db, `SELECT device_id, mutation_id, status, result FROM mutation_log ORDER BY mutation_id`)
	nConflicts := count(t, db, `SELECT count(*) FROM conflicts`)

	for round := 0; round < 2; round++ {
		again := c.Push(batch...)
		if again.LastMutationID != first.LastMutationID {
			t.Fatalf("replay last_mutation_id %d, want %d", again.LastMutationID, first.LastMutationID)
		}
		for i := range first.Results {
			got := again.Results[i]
			if !got.Replayed {
				t.Fatalf("replayed result %d: replayed=false", i)
			}
			got.Replayed = false
			if !reflect.DeepEqual(got, first.Results[i]) {
				t.Fatalf("replayed result %d:\n got %+v\nwant %+v", i, got, first.Results[i])
			}
		}
	}
	if changes, _ := c.PullAll(cursor); len(changes) != 0 {
		t.Fatalf("pull after replay: %d new changes, want 0: %+v", len(changes), changes)
	}
	if got := tableDigest(t, db, snapRecords); got != records {
		t.Fatalf("records changed by the replay:\n%s\n%s", records, got)
	}
	if got := count(t, db, `SELECT count(*) FROM audit_log`); got != audit {
		t.Fatalf("audit rows %d after replay, want %d", got, audit)
	}
	if got := tableDigest(t, db, `SELECT device_id, mutation_id, status, result FROM mutation_log ORDER BY mutation_id`); got != logged {
		t.Fatalf("mutation log changed by the replay")
	}
	if got := count(t, db, `SELECT count(*) FROM conflicts`); got != nConflicts {
		t.Fatalf("conflicts %d after replay, want %d", got, nConflicts)
	}
}

func TestTwoDevicesEditingDifferentFieldsMerge(t *testing.T) {
	env := ruhutest.New(t)
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

func TestSameFieldConflictKeepsBothValues(t *testing.T) {
	env := ruhutest.New(t)
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

func TestDeleteOfEditedRecordConflicts(t *testing.T) {
	env := ruhutest.New(t)
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

func TestEditOfDeletedRecordConflicts(t *testing.T) {
	env := ruhutest.New(t)
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

func TestDuplicateHouseholdIsRemapped(t *testing.T) {
	env := ruhutest.New(t)
	db := readDB(t, env)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh-a", 0, ruhutest.Household("t1-v1", 5))), syncproto.StatusApplied, "")

	dup := ruhutest.Household("t1-v1", 5)
	dup["address"] = "平板二记录的地址"
	dup["contact_phone"] = "135"
	res := push1(w2, ruhutest.Upsert(hhs, "hh-b", 0, dup))
	wantResult(t, res, syncproto.StatusMerged, "")
	if res.CanonicalID != "hh-a" || len(res.ConflictIDs) != 1 {
		t.Fatalf("duplicate result %+v", res)
	}
	c := conflictByID(t, conflicts(w1, "open"), res.ConflictIDs[0])
	if c.Kind != syncproto.KindDuplicateHousehold || c.RecordID != "hh-a" || c.Field != "address" ||
		!jsonEq(t, c.ServerValue, "t1-v1 村道5号") || !jsonEq(t, c.ClientValue, "平板二记录的地址") {
		t.Fatalf("duplicate conflict %+v", c)
	}

	// References to the device's id and the id itself land on hh-a.
	wantResult(t, push1(w2, ruhutest.Upsert(mems, "m1", 0, member("hh-b", 201))), syncproto.StatusApplied, "")
	wantResult(t, push1(w2, ruhutest.Upsert(invs, "inv1", 0, map[string]any{"household_id": "hh-b", "findings": "x"})), syncproto.StatusApplied, "")
	later := push1(w2, ruhutest.Upsert(hhs, "hh-b", res.Version, map[string]any{"notes": "后来的修改"}))
	if later.Status != syncproto.StatusApplied && later.Status != syncproto.StatusMerged {
		t.Fatalf("upsert to the alias: %+v", later)
	}
	if later.CanonicalID != "hh-a" {
		t.Fatalf("upsert to the alias: canonical_id %q, want hh-a", later.CanonicalID)
	}

	all, _ := w1.PullAll("")
	var households []string
	for _, ch := range all {
		if ch.Collection == hhs {
			households = append(households, ch.ID)
		}
	}
	if !reflect.DeepEqual(households, []string{"hh-a"}) {
		t.Fatalf("households in pull %v, want [hh-a]", households)
	}
	state, _ := stateOf(w1, "")
	f := fieldsOf(t, live(t, state, hhs, "hh-a"))
	if f["address"] != "t1-v1 村道5号" || f["contact_phone"] != "135" || f["notes"] != "后来的修改" {
		t.Fatalf("canonical household %v", f)
	}
	if hh := fieldsOf(t, live(t, state, mems, "m1"))["household_id"]; hh != "hh-a" {
		t.Fatalf("member household_id %v, want hh-a", hh)
	}
	if hh := fieldsOf(t, live(t, state, invs, "inv1"))["household_id"]; hh != "hh-a" {
		t.Fatalf("investigation household_id %v, want hh-a", hh)
	}
	// A duplicate of a household outside the caller's jurisdiction is not
	// merged: nothing is applied; the pusher learns only that the head is
	// registered elsewhere, the county (over both) sees which household.
	w3 := env.Login("worker3", "tab-03")
	far := push1(w3, ruhutest.Upsert(hhs, "hh-c", 0, ruhutest.Household("t2-v1", 5)))
	wantResult(t, far, syncproto.StatusConflict, "")
	if far.CanonicalID != "" || far.Version != 0 {
		t.Fatalf("out-of-scope duplicate %+v", far)
	}
	fc := conflictByID(t, conflicts(w3, "open"), far.ConflictID)
	if fc.Kind != syncproto.KindDuplicateHousehold || fc.Field != "head_id_number" ||
		!jsonEq(t, fc.ServerValue, map[string]any{"outside_jurisdiction": true}) {
		t.Fatalf("out-of-scope duplicate conflict %+v", fc)
	}
	if fc := conflictByID(t, conflicts(env.Login("county", "dev-county"), "open"), far.ConflictID); !jsonEq(t, fc.ServerValue, map[string]any{"household_id": "hh-a"}) {
		t.Fatalf("county sees %s", fc.ServerValue)
	}
	if s3, _ := stateOf(w3, ""); len(s3) != 0 {
		t.Fatalf("worker3 pulls %v", keys(s3))
	}
	// The stored scope columns follow the canonical household too.
	if n := count(t, db, `SELECT count(*) FROM records WHERE household_id = 'hh-b' OR id = 'hh-b'`); n != 0 {
		t.Fatalf("%d stored rows still name hh-b: %s", n, tableDigest(t, db, `SELECT collection, id, household_id FROM records`))
	}
}

func TestPersonInTwoHouseholds(t *testing.T) {
	env := ruhutest.New(t)
	w1 := env.Login("worker1", "tab-01")
	w1.Push(
		ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)),
		ruhutest.Upsert(mems, "m1", 0, member("hh1", 300)),
		ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)),
		ruhutest.Upsert(mems, "m3", 0, member("hh2", 301)),
	)
	fields := member("hh2", 300)
	res := push1(w1, ruhutest.Upsert(mems, "m2", 0, fields))
	wantResult(t, res, syncproto.StatusConflict, "")
	if res.Version != 0 {
		t.Fatalf("version %d for a member that was never created", res.Version)
	}
	c := conflictByID(t, conflicts(w1, "open"), res.ConflictID)
	if c.Kind != syncproto.KindPersonInTwoHouseholds || c.RecordID != "m2" || c.Field != "id_number" ||
		!jsonEq(t, c.ServerValue, map[string]any{"household_id": "hh1", "member_id": "m1"}) || !jsonEq(t, c.ClientValue, fields) {
		t.Fatalf("conflict %+v", c)
	}

	// An existing member changed to the same ID number is not applied either.
	state, _ := stateOf(w1, "")
	m3 := live(t, state, mems, "m3")
	res3 := push1(w1, ruhutest.Upsert(mems, "m3", m3.Version, map[string]any{"id_number": ruhutest.IDNumber(300), "name": "改名"}))
	wantResult(t, res3, syncproto.StatusConflict, "")
	state, _ = stateOf(w1, "")
	if _, ok := state[mems+"/m2"]; ok {
		t.Fatal("m2 reached pull")
	}
	if f := fieldsOf(t, live(t, state, mems, "m3")); f["id_number"] != ruhutest.IDNumber(301) || f["name"] != member("hh2", 301)["name"] {
		t.Fatalf("m3 changed by a refused mutation: %v", f)
	}

	// While m1 is live the kept payload cannot be applied; once m1 is gone it can.
	_, b := resolve(w1, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusConflict)
	wantProblem(t, http.StatusConflict, b, http.StatusConflict, syncproto.CodePersonInTwoHouses)
	wantResult(t, push1(w1, ruhutest.Delete(mems, "m1", live(t, state, mems, "m1").Version)), syncproto.StatusApplied, "")
	resolve(w1, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusOK)
	state, _ = stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, mems, "m2")); f["household_id"] != "hh2" || f["id_number"] != ruhutest.IDNumber(300) {
		t.Fatalf("m2 after resolution: %v", f)
	}
}

func TestScopeLimitsReadsAndWrites(t *testing.T) {
	env := ruhutest.New(t)
	w1, w3 := env.Login("worker1", "tab-01"), env.Login("worker3", "tab-03")
	county := env.Login("county", "pc-county")
	w1.Push(ruhutest.Upsert(hhs, "a1", 0, ruhutest.Household("t1-v1", 1)), ruhutest.Upsert(mems, "a1m", 0, member("a1", 401)))
	wantResult(t, push1(county, ruhutest.Upsert(hhs, "a2", 0, ruhutest.Household("t1-v2", 2))), syncproto.StatusApplied, "")
	wantResult(t, push1(county, ruhutest.Upsert(hhs, "b1", 0, ruhutest.Household("t2-v1", 3))), syncproto.StatusApplied, "")
	wantResult(t, push1(w3, ruhutest.Upsert(hhs, "b2", 0, ruhutest.Household("t2-v1", 4))), syncproto.StatusApplied, "")

	scenarios := []struct {
		user, device string
		want         []string
	}{
		{"worker1", "tab-01", []string{"households/a1", "members/a1m"}},
		{"worker3", "tab-03", []string{"households/b1", "households/b2"}},
		{"reviewer1", "pc-r1", []string{"households/a1", "members/a1m", "households/a2"}},
		{"reviewer2", "pc-r2", []string{"households/b1", "households/b2"}},
		{"county", "pc-county", []string{"households/a1", "members/a1m", "households/a2", "households/b1", "households/b2"}},
		{"inspector", "pc-insp", []string{"households/a1", "members/a1m", "households/a2", "households/b1", "households/b2"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.user, func(t *testing.T) {
			state, _ := stateOf(env.Login(sc.user, sc.device), "")
			if len(state) != len(sc.want) {
				t.Fatalf("%s pulled %d records, want %v: %v", sc.user, len(state), sc.want, keys(state))
			}
			for _, k := range sc.want {
				if ch, ok := state[k]; !ok || ch.Deleted {
					t.Fatalf("%s does not see %s live: %v", sc.user, k, keys(state))
				}
			}
		})
	}

	before, _ := stateOf(w1, "")
	writes := []struct {
		name string
		m    syncproto.Mutation
	}{
		{"update a household of another township", ruhutest.Upsert(hhs, "a1", before[hhs+"/a1"].Version, map[string]any{"notes": "越权"})},
		{"create a household in another township", ruhutest.Upsert(hhs, "x1", 0, ruhutest.Household("t1-v1", 9))},
		{"add a member to it", ruhutest.Upsert(mems, "x2", 0, member("a1", 402))},
		{"update its member", ruhutest.Upsert(mems, "a1m", before[mems+"/a1m"].Version, map[string]any{"name": "越权"})},
		{"delete it", ruhutest.Delete(hhs, "a1", before[hhs+"/a1"].Version)},
		{"move own household there", ruhutest.Upsert(hhs, "b2", 0, map[string]any{"unit_id": "t1-v1"})},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			wantResult(t, push1(w3, w.m), syncproto.StatusRejected, syncproto.CodeOutOfScope)
		})
	}
	after, _ := stateOf(w1, "")
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("refused writes changed worker1's view:\n%v\n%v", before, after)
	}
	state, _ := stateOf(w3, "")
	if f := fieldsOf(t, live(t, state, hhs, "b2")); f["unit_id"] != "t2-v1" {
		t.Fatalf("b2 moved: %v", f)
	}
	if n := len(conflicts(w3, "all")); n != 0 {
		t.Fatalf("worker3 sees %d conflicts", n)
	}
}

func keys(m map[string]syncproto.Change) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestRejectedMutationAdvancesCounter(t *testing.T) {
	env := ruhutest.New(t)
	db := readDB(t, env)
	c := env.Login("worker1", "tab-01")
	bad := ruhutest.Household("t1-v1", 1)
	bad["head_id_number"] = badIDNumber(1)
	res := c.Push(ruhutest.Upsert(hhs, "hh1", 0, bad))
	wantResult(t, res.Results[0], syncproto.StatusRejected, syncproto.CodeInvalidIDNumber)
	if res.LastMutationID != 1 {
		t.Fatalf("last_mutation_id %d after a rejected mutation 1, want 1", res.LastMutationID)
	}
	if n := count(t, db, `SELECT count(*) FROM records`); n != 0 {
		t.Fatalf("%d records after a rejected mutation", n)
	}
	if changes, _ := c.PullAll(""); len(changes) != 0 {
		t.Fatalf("pull after a rejected mutation: %+v", changes)
	}
	// The payload is kept for a person, and the rejection is audited.
	var payload string
	if err := db.QueryRow(`SELECT payload FROM mutation_log WHERE device_id = 'tab-01' AND mutation_id = 1 AND status = 'rejected'
		AND error_code = 'invalid_id_number'`).Scan(&payload); err != nil {
		t.Fatalf("mutation log: %v", err)
	}
	var kept syncproto.Mutation
	if err := json.Unmarshal([]byte(payload), &kept); err != nil || !jsonEq(t, kept.Fields["head_id_number"], badIDNumber(1)) {
		t.Fatalf("kept payload %s", payload)
	}
	if a := auditOf(t, db, hhs, "hh1"); len(a) != 1 || a[0].Action != "mutation.rejected" || a[0].Detail["code"] != syncproto.CodeInvalidIDNumber {
		t.Fatalf("audit of the rejection: %+v", a)
	}

	// The counter continues; the rejected id is not applied again even if
	// its content is now fixed.
	res = c.Push(ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)))
	if res.Results[0].MutationID != 2 || res.LastMutationID != 2 {
		t.Fatalf("next push %+v", res)
	}
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	fixed := ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1))
	fixed.MutationID = 1
	res = c.Push(fixed)
	if r := res.Results[0]; !r.Replayed || r.Status != syncproto.StatusRejected || r.Error.Code != syncproto.CodeInvalidIDNumber {
		t.Fatalf("re-sent mutation 1: %+v", r)
	}
	if res.LastMutationID != 2 {
		t.Fatalf("last_mutation_id %d, want 2", res.LastMutationID)
	}
	state, _ := stateOf(c, "")
	if _, ok := state[hhs+"/hh1"]; ok || len(state) != 1 {
		t.Fatalf("pull %v, want only hh2", keys(state))
	}
}

func TestBatchWithRejectedMutationsAppliesTheOthers(t *testing.T) {
	env := ruhutest.New(t)
	db := readDB(t, env)
	c := env.Login("worker1", "tab-01")
	c.Push(ruhutest.Upsert(hhs, "hh0", 0, ruhutest.Household("t1-v1", 50)),
		ruhutest.Upsert(invs, "inv0", 0, map[string]any{"household_id": "hh0"}))
	audit := count(t, db, `SELECT count(*) FROM audit_log`)
	noHead := ruhutest.Household("t1-v1", 3)
	delete(noHead, "head_id_number")
	scenarios := []struct {
		name string
		m    syncproto.Mutation
		code string
	}{
		{"unknown collection", ruhutest.Upsert("photos", "p1", 0, map[string]any{"kind": "house"}), syncproto.CodeUnknownCollection},
		{"invalid op", syncproto.Mutation{Collection: hhs, ID: "r2", Op: "patch"}, syncproto.CodeInvalidOp},
		{"invalid record id", ruhutest.Upsert(hhs, "bad id!", 0, ruhutest.Household("t1-v1", 4)), syncproto.CodeInvalidID},
		{"unknown field", ruhutest.Upsert(hhs, "r4", 0, map[string]any{"unit_id": "t1-v1", "colour": "red"}), syncproto.CodeUnknownField},
		{"wrong type", ruhutest.Upsert(hhs, "r5", 0, map[string]any{"single_person": "yes"}), syncproto.CodeInvalidField},
		{"enum", ruhutest.Upsert(hhs, "r6", 0, map[string]any{"category": "rich"}), syncproto.CodeInvalidField},
		{"negative base", ruhutest.Upsert(hhs, "r7", -1, ruhutest.Household("t1-v1", 7)), syncproto.CodeInvalidField},
		{"missing field", ruhutest.Upsert(hhs, "r8", 0, noHead), syncproto.CodeMissingField},
		{"bad id number", ruhutest.Upsert(mems, "r9", 0, map[string]any{"household_id": "hh0", "name": "x", "id_number": "12345", "relation": "子女"}), syncproto.CodeInvalidIDNumber},
		{"unit is not a village", ruhutest.Upsert(hhs, "r10", 0, ruhutest.Household("t1", 10)), syncproto.CodeInvalidUnit},
		{"unknown household", ruhutest.Upsert(mems, "r11", 0, member("nohh", 11)), syncproto.CodeUnknownHousehold},
		{"delete unknown record", ruhutest.Delete(mems, "r12", 0), syncproto.CodeNotFoundRecord},
		{"unknown investigation", ruhutest.Upsert(sigs, "r13", 0, map[string]any{"investigation_id": "noinv", "key_id": "k",
			"content_hash": "h", "signature": "s", "signed_at": "2024-03-18T09:41:07+08:00"}), syncproto.CodeUnknownInvestigation},
		{"number out of range", ruhutest.Upsert(invs, "r14", 0, map[string]any{"household_id": "hh0", "per_capita_income": -1}), syncproto.CodeInvalidField},
		{"uncanonicalizable item", rawUpsert(invs, "r15", `{"household_id":"hh0","income_items":[{"amount":1e400}]}`), syncproto.CodeInvalidField},
		{"duplicate member name in an item", rawUpsert(invs, "inv0", `{"income_items":[{"a":1,"a":2}]}`), syncproto.CodeInvalidField},
	}
	var batch []syncproto.Mutation
	for i, sc := range scenarios {
		batch = append(batch, ruhutest.Upsert(hhs, "ok"+string(rune('a'+i)), 0, ruhutest.Household("t1-v1", 100+i)), sc.m)
	}
	res := c.Push(batch...)
	if len(res.Results) != len(batch) {
		t.Fatalf("%d results for %d mutations", len(res.Results), len(batch))
	}
	for i, sc := range scenarios {
		wantResult(t, res.Results[2*i], syncproto.StatusApplied, "")
		t.Run(sc.name, func(t *testing.T) {
			wantResult(t, res.Results[2*i+1], syncproto.StatusRejected, sc.code)
		})
	}
	if res.LastMutationID != batch[len(batch)-1].MutationID {
		t.Fatalf("last_mutation_id %d, want %d", res.LastMutationID, batch[len(batch)-1].MutationID)
	}
	state, _ := stateOf(c, "")
	if len(state) != len(scenarios)+2 {
		t.Fatalf("pull has %d records, want the %d applied ones: %v", len(state), len(scenarios)+2, keys(state))
	}
	for i := range scenarios {
		live(t, state, hhs, "ok"+string(rune('a'+i)))
	}
	if f := fieldsOf(t, live(t, state, invs, "inv0")); f["income_items"] != nil {
		t.Fatalf("inv0 changed by a rejected mutation: %v", f)
	}
	// One audit row per applied and per rejected mutation.
	if got := count(t, db, `SELECT count(*) FROM audit_log`) - audit; got != len(batch) {
		t.Fatalf("%d audit rows for %d mutations", got, len(batch))
	}
}

// rawUpsert builds an upsert from a raw JSON field object, keeping its bytes.
func rawUpsert(collection, id, fields string) syncproto.Mutation {
	m := syncproto.Mutation{Collection: collection, ID: id, Op: syncproto.OpUpsert}
	if err := json.Unmarshal([]byte(fields), &m.Fields); err != nil {
		panic(err)
	}
	return m
}

func TestMutationIDsMustIncrease(t *testing.T) {
	env := ruhutest.New(t)
	db := readDB(t, env)
	c := env.Login("worker1", "tab-01")
	mut := func(id int64, n int) syncproto.Mutation {
		m := ruhutest.Upsert(hhs, "hh"+string(rune('a'+n)), 0, ruhutest.Household("t1-v1", n))
		m.MutationID = id
		return m
	}
	res := c.Push(mut(5, 1), mut(9, 2)) // gaps are allowed
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	wantResult(t, res.Results[1], syncproto.StatusApplied, "")
	if res.LastMutationID != 9 {
		t.Fatalf("last_mutation_id %d, want 9", res.LastMutationID)
	}
	for round := 0; round < 2; round++ { // never stored, so never replayed
		res = c.Push(mut(7, 3))
		wantResult(t, res.Results[0], syncproto.StatusRejected, syncproto.CodeMutationOutOfOrder)
		if res.Results[0].Replayed || res.LastMutationID != 9 {
			t.Fatalf("going backwards: %+v", res)
		}
	}
	res = c.Push(mut(11, 4), mut(10, 5), mut(5, 1))
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	wantResult(t, res.Results[1], syncproto.StatusRejected, syncproto.CodeMutationOutOfOrder)
	if r := res.Results[2]; !r.Replayed || r.Status != syncproto.StatusApplied {
		t.Fatalf("re-sent mutation 5: %+v", r)
	}
	if res.LastMutationID != 11 {
		t.Fatalf("last_mutation_id %d, want 11", res.LastMutationID)
	}
	state, _ := stateOf(c, "")
	if len(state) != 3 {
		t.Fatalf("pull %v, want hhb, hhc, hhe", keys(state))
	}
	for _, id := range []string{"hhb", "hhc", "hhe"} {
		live(t, state, hhs, id)
	}
	if n := count(t, db, `SELECT count(*) FROM mutation_log WHERE mutation_id IN (7, 10)`); n != 0 {
		t.Fatalf("%d out-of-order mutations logged", n)
	}
	if n := count(t, db, `SELECT max(last_mutation_id) FROM devices WHERE device_id = 'tab-01'`); n != 11 {
		t.Fatalf("device counter %d, want 11", n)
	}

	// The counter is kept per device and user: another user of the same
	// device id (a colleague on the shared tablet, or someone claiming the
	// id) neither advances it nor sees its stored results.
	w2 := env.Login("worker2", "tab-01")
	res = w2.Push(mut(12, 6))
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	if res.Results[0].Replayed {
		t.Fatal("worker2's mutation 12 answered as a replay")
	}
	w3 := env.Login("worker3", "tab-01")
	res = w3.Push(mut(13, 6)) // a household of t1-v1: outside worker3's village
	wantResult(t, res.Results[0], syncproto.StatusRejected, syncproto.CodeOutOfScope)
	res = c.Push(mut(13, 7))
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	if res.Results[0].Replayed {
		t.Fatal("worker1's mutation 13 was answered with worker3's stored result")
	}
	res = c.Push(syncproto.Mutation{MutationID: syncproto.MaxMutationID + 1, Collection: hhs, ID: "hhz", Op: syncproto.OpDelete})
	wantResult(t, res.Results[0], syncproto.StatusRejected, syncproto.CodeMutationOutOfOrder)
	if res.LastMutationID != 13 {
		t.Fatalf("an id over MaxMutationID moved the counter to %d", res.LastMutationID)
	}
}

func TestPushDeviceMismatch(t *testing.T) {
	env := ruhutest.New(t)
	db := readDB(t, env)
	c := env.Login("worker1", "tab-01")
	m := ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1))
	m.MutationID = 1
	st, b := c.Do(http.MethodPost, "/v1/sync/push", syncproto.PushRequest{DeviceID: "tab-02", Mutations: []syncproto.Mutation{m}})
	wantProblem(t, st, b, http.StatusForbidden, syncproto.CodeDeviceMismatch)
	if n := count(t, db, `SELECT count(*) FROM records`) + count(t, db, `SELECT count(*) FROM mutation_log`) +
		count(t, db, `SELECT count(*) FROM devices`); n != 0 {
		t.Fatalf("a refused push wrote %d rows", n)
	}
	// The same mutation on the session's device is accepted as new.
	res := c.Push(m)
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
}
