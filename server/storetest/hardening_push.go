package storetest

import (
	"context"
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// One push cannot hold the writer: a work budget per push, cheap checks
// first (issue 13, class 3).

func testPushStopsAtItsBudget(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	env.App.Engine.Limits.PushWork = 2
	w1 := env.Login("worker1", "tab-01")
	res := w1.Push(
		ruhutest.Upsert(hhs, "hb1", 0, ruhutest.Household("t1-v1", 81)),
		ruhutest.Upsert(hhs, "hb2", 0, ruhutest.Household("t1-v1", 82)),
		ruhutest.Upsert(hhs, "hb3", 0, ruhutest.Household("t1-v1", 83)),
		ruhutest.Upsert(hhs, "hb4", 0, ruhutest.Household("t1-v1", 84)),
	)
	if !res.Incomplete || res.LastMutationID != 2 || len(res.Results) != 4 {
		t.Fatalf("push over budget: incomplete %v, last %d, %d results", res.Incomplete, res.LastMutationID, len(res.Results))
	}
	wantResult(t, res.Results[0], syncproto.StatusApplied, "")
	wantResult(t, res.Results[1], syncproto.StatusApplied, "")
	// What clients already do with this code: push the mutation again.
	wantResult(t, res.Results[2], syncproto.StatusRejected, syncproto.CodeMutationOutOfOrder)
	wantResult(t, res.Results[3], syncproto.StatusRejected, syncproto.CodeMutationOutOfOrder)
	if _, _, ok := recordScope(t, env, hhs, "hb3"); ok {
		t.Fatal("a mutation past the budget was applied")
	}
	if n := len(rejections(env.Login("reviewer1", "pc-r1"))); n != 0 {
		t.Fatalf("%d rejections kept for mutations that were not processed", n)
	}
	// Pushed again, with the same ids: replays answer from the log, the
	// rest is applied.
	ms := []syncproto.Mutation{
		ruhutest.Upsert(hhs, "hb2", 0, ruhutest.Household("t1-v1", 82)),
		ruhutest.Upsert(hhs, "hb3", 0, ruhutest.Household("t1-v1", 83)),
		ruhutest.Upsert(hhs, "hb4", 0, ruhutest.Household("t1-v1", 84)),
	}
	for i := range ms {
		ms[i].MutationID = int64(i + 2)
	}
	again := w1.Push(ms...)
	if again.Incomplete || again.LastMutationID != 4 {
		t.Fatalf("second push: incomplete %v, last %d", again.Incomplete, again.LastMutationID)
	}
	if !again.Results[0].Replayed {
		t.Fatalf("mutation 2 not answered from the log: %+v", again.Results[0])
	}
	wantResult(t, again.Results[1], syncproto.StatusApplied, "")
	wantResult(t, again.Results[2], syncproto.StatusApplied, "")
}

func testDuplicateSignatureIsCheckedFirst(t *testing.T, newEnv NewEnv) {
	w := newSigWorld(t, newEnv)
	w.sign(t, w.w1, w.k1, "inv1", "sig1", "")
	// worker1 registers a relative who is a member of the household after
	// signing: a second signature of the same content is a duplicate,
	// found before any look at the household (and refused at submit).
	env := w.env
	env.Login("admin", "pc-admin").JSON(http.MethodPost, "/v1/admin/relatives", map[string]string{
		"user_id": userID(env, "worker1"), "id_number": ruhutest.IDNumber(memberN), "relation": "配偶"}, http.StatusCreated, nil)
	w.sign(t, w.w1, w.k1, "inv1", "sig1-again", syncproto.CodeDuplicateSignature)
}

func testRelativeIDNumbers(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	admin := env.Login("admin", "pc-admin")
	for _, n := range []int{91, 92} {
		admin.JSON(http.MethodPost, "/v1/admin/relatives", map[string]string{"user_id": userID(env, "worker1"),
			"id_number": ruhutest.IDNumber(n), "relation": "子女"}, http.StatusCreated, nil)
	}
	admin.JSON(http.MethodPost, "/v1/admin/relatives", map[string]string{"user_id": userID(env, "worker2"),
		"id_number": ruhutest.IDNumber(93), "relation": "子女"}, http.StatusCreated, nil)
	var got map[string]bool
	err := env.App.Store.Read(context.Background(), func(tx server.Tx) error {
		var err error
		got, err = tx.RelativeIDNumbers(userID(env, "worker1"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[ruhutest.IDNumber(91)] || !got[ruhutest.IDNumber(92)] {
		t.Fatalf("relatives of worker1: %v", got)
	}
}
