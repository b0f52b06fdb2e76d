package storetest

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A rejected mutation advances the device's counter, is kept for a person
// with its payload as sent, and leaves the rest of its batch applied.

func testRejectedMutationAdvancesCounter(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	c := env.Login("worker1", "tab-01")
	county := env.Login("county", "pc-county")
	bad := ruhutest.Household("t1-v1", 1)
	bad["head_id_number"] = badIDNumber(1)
	res := c.Push(ruhutest.Upsert(hhs, "hh1", 0, bad))
	wantResult(t, res.Results[0], syncproto.StatusRejected, syncproto.CodeInvalidIDNumber)
	if res.LastMutationID != 1 {
		t.Fatalf("last_mutation_id %d after a rejected mutation 1, want 1", res.LastMutationID)
	}
	if changes, _ := county.PullAll(""); len(changes) != 0 {
		t.Fatalf("pull after a rejected mutation: %+v", changes)
	}
	// The payload is kept for a person, and the rejection is audited.
	kept := rejections(c)
	if len(kept) != 1 {
		t.Fatalf("%d rejections kept, want 1: %+v", len(kept), kept)
	}
	if r := kept[0]; r.DeviceID != "tab-01" || r.UserID != userID(env, "worker1") || r.Mutation.MutationID != 1 ||
		r.Error == nil || r.Error.Code != syncproto.CodeInvalidIDNumber || !jsonEq(t, r.Mutation.Fields["head_id_number"], badIDNumber(1)) {
		t.Fatalf("kept rejection %+v (fields %s)", r, r.Mutation.Fields)
	}
	if a := auditOf(t, env, hhs, "hh1"); len(a) != 1 || a[0].Action != "mutation.rejected" || detailOf(t, a[0])["code"] != syncproto.CodeInvalidIDNumber {
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

func testBatchWithRejectedMutationsAppliesTheOthers(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	c := env.Login("worker1", "tab-01")
	c.Push(ruhutest.Upsert(hhs, "hh0", 0, ruhutest.Household("t1-v1", 50)),
		ruhutest.Upsert(invs, "inv0", 0, map[string]any{"household_id": "hh0"}))
	audit, _ := verifyAudit(t, env)
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
		{"missing field named before an unknown household", ruhutest.Upsert(mems, "r16", 0, map[string]any{"household_id": "nohh",
			"relation": "子女"}), syncproto.CodeMissingField},
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
	if got, broken := verifyAudit(t, env); got-audit != int64(len(batch)) || broken {
		t.Fatalf("%d audit rows (broken %v) for %d mutations", got-audit, broken, len(batch))
	}
}

// A required field cannot be cleared on an existing record: the record
// would stay filed under a village or household it no longer names.
func testRequiredFieldCannotBeCleared(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w := env.Login("worker1", "tab-01")
	v := w.Push(ruhutest.Upsert(hhs, "hh-q", 0, ruhutest.Household("t1-v1", 80))).Results[0].Version
	for _, f := range []string{"unit_id", "head_name", "head_id_number", "address"} {
		r := w.Push(ruhutest.Upsert(hhs, "hh-q", v, map[string]any{f: nil})).Results[0]
		if r.Status != syncproto.StatusRejected || r.Error.Code != syncproto.CodeMissingField {
			t.Errorf("clearing %s: %s %+v", f, r.Status, r.Error)
		}
	}
	if r := w.Push(ruhutest.Upsert(hhs, "hh-q", v, map[string]any{"notes": nil, "category": nil})).Results[0]; r.Status != syncproto.StatusApplied {
		t.Errorf("clearing optional fields: %s %+v", r.Status, r.Error)
	}
}

// A rejected mutation is kept exactly as the device sent it, even when it
// named a household by an alias the server rewrote while applying it.
func testRejectionKeepsPayloadAsSent(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh-a", 0, ruhutest.Household("t1-v1", 5))), syncproto.StatusApplied, "")
	dup := push1(w2, ruhutest.Upsert(hhs, "hh-b", 0, ruhutest.Household("t1-v1", 5)))
	if dup.CanonicalID != "hh-a" {
		t.Fatalf("duplicate %+v", dup)
	}
	bad := member("hh-b", 21)
	delete(bad, "relation")
	wantResult(t, push1(w2, ruhutest.Upsert(mems, "m1", 0, bad)), syncproto.StatusRejected, syncproto.CodeMissingField)

	list := rejections(w2)
	if len(list) != 1 {
		t.Fatalf("%d rejections, want 1", len(list))
	}
	if got := list[0].Mutation.Fields["household_id"]; string(got) != `"hh-b"` {
		t.Fatalf("kept household_id %s, want \"hh-b\" as sent", got)
	}
}
