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

	if open := conflicts(w1, "open"); len(open) != 0 {
		t.Fatalf("%d open conflicts left", len(open))
	}
	resolved := conflicts(w1, "resolved")
	if len(resolved) != 3 {
		t.Fatalf("%d resolved conflicts, want 3", len(resolved))
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
