package storetest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Submitting a signed investigation locks it.

func testSubmitNeedsTwoSignersAndLocks(t *testing.T, newEnv NewEnv) {
	w := newSigWorld(t, newEnv)
	submit := func(c *ruhutest.Client, id string, status int, code string) syncproto.SubmitResponse {
		t.Helper()
		st, b := c.Do(http.MethodPost, "/v1/investigations/"+id+"/submit", nil)
		var out syncproto.SubmitResponse
		if code != "" {
			wantProblem(t, st, b, status, code)
			return out
		}
		if st != status {
			t.Fatalf("submit: %d %s", st, b)
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	submit(w.w1, "inv1", http.StatusConflict, syncproto.CodeDualSignatureRequired)
	w.sign(t, w.w1, w.k1, "inv1", "sig1", "")
	submit(w.w1, "inv1", http.StatusConflict, syncproto.CodeDualSignatureRequired)
	w.sign(t, w.w2, w.k2, "inv1", "sig2", "")
	// The county's default policy wants the head's commitment photo.
	submit(w.w1, "inv1", http.StatusConflict, syncproto.CodeCommitmentRequired)
	requireCommitment(t, w.env, false)
	submit(w.env.Login("committee1", "tab-c"), "inv1", http.StatusForbidden, syncproto.CodeForbidden)
	submit(w.env.Login("worker3", "tab-03"), "inv1", http.StatusNotFound, syncproto.CodeNotFound)
	submit(w.w1, "no-such-inv", http.StatusNotFound, syncproto.CodeNotFound)

	before, _ := sigState(t, w.w1, "inv1")
	out := submit(w.w1, "inv1", http.StatusOK, "")
	if out.ID != "inv1" || out.SubmittedAt == "" || out.Version <= before.Version || !out.Signatures.Satisfied ||
		len(out.Signatures.ValidSigners) != 2 || out.Signatures.ContentHash != hashOf(t, before) {
		t.Fatalf("submit response %+v", out)
	}
	w.env.Advance(5 * time.Minute) // tokens live 15 minutes
	again := submit(w.w2, "inv1", http.StatusOK, "")
	if again.SubmittedAt != out.SubmittedAt || again.Version != out.Version {
		t.Fatalf("second submit %+v, first %+v", again, out)
	}
	inv, m := sigState(t, w.w1, "inv1")
	if !m.Submitted || m.SubmittedAt != out.SubmittedAt || inv.Version != out.Version {
		t.Fatalf("pulled meta after submit: %s (version %d)", inv.Meta, inv.Version)
	}

	// Locked: a later edit or delete is kept in a conflict, not applied.
	edit := map[string]any{"conclusion": "改结论"}
	res := push1(w.w2, ruhutest.Upsert(invs, "inv1", inv.Version, edit))
	wantResult(t, res, syncproto.StatusConflict, "")
	c := conflictByID(t, conflicts(w.w1, "open"), res.ConflictID)
	if c.Kind != syncproto.KindSignedContentLocked || !jsonEq(t, c.ClientValue, edit) || !jsonEq(t, c.ServerValue, json.RawMessage(inv.Fields)) {
		t.Fatalf("lock conflict %+v", c)
	}
	// The signed content again, unchanged, is no conflict (a re-sync).
	var same map[string]json.RawMessage
	if err := json.Unmarshal(inv.Fields, &same); err != nil {
		t.Fatal(err)
	}
	resend := ruhutest.Upsert(invs, "inv1", inv.Version, nil)
	resend.Fields = same
	wantResult(t, push1(w.w2, resend), syncproto.StatusApplied, "")
	del := push1(w.w2, ruhutest.Delete(invs, "inv1", inv.Version))
	wantResult(t, del, syncproto.StatusConflict, "")
	after, m := sigState(t, w.w1, "inv1")
	if string(after.Fields) != string(inv.Fields) || !m.Submitted {
		t.Fatalf("locked investigation changed: %s → %s", inv.Fields, after.Fields)
	}
	wantSigners(t, m, userID(w.env, "worker1"), userID(w.env, "worker2"))
	_, b := resolve(w.w1, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceClient}, http.StatusConflict)
	wantProblem(t, http.StatusConflict, b, http.StatusConflict, syncproto.CodeSignedContentLocked)
	resolve(w.w1, c.ID, syncproto.ResolveRequest{Choice: syncproto.ChoiceServer}, http.StatusOK)
	resolve(w.w1, del.ConflictID, syncproto.ResolveRequest{Choice: syncproto.ChoiceServer}, http.StatusOK)
	final, _ := sigState(t, w.w1, "inv1")
	if string(final.Fields) != string(inv.Fields) {
		t.Fatalf("locked investigation changed by resolution: %s", final.Fields)
	}
}

func testOfflineSigningInOneBatch(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	// Two investigators share tablet tab-07, each with their own key.
	w1 := env.Login("worker1", "tab-07")
	k1 := registerKey(w1, 1)
	k2 := registerKey(env.Login("worker2", "tab-07"), 1)

	invFields := map[string]any{"household_id": "hh-off", "date": "2024-03-18", "location": "城关镇东村三组17号",
		"investigators": []string{userID(env, "worker1"), userID(env, "worker2")},
		"findings":      "户主张建国，62岁，患尿毒症。", "per_capita_income": 3908.50,
		"income_items": []map[string]any{{"member_id": "m-off", "type": "basic_pension", "amount": 1476.00, "exempt": true}}}
	raw, err := json.Marshal(invFields)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := syncproto.ContentHash(invs, "inv-off", raw)
	if err != nil {
		t.Fatal(err)
	}
	res := w1.Push(
		ruhutest.Upsert(hhs, "hh-off", 0, ruhutest.Household("t1-v1", 70)),
		ruhutest.Upsert(mems, "m-off", 0, member("hh-off", 71)),
		ruhutest.Upsert(invs, "inv-off", 0, invFields),
		signHash("inv-off", hash, k1, "sig-off-1"),
		signHash("inv-off", hash, k2, "sig-off-2"),
	)
	for _, r := range res.Results {
		wantResult(t, r, syncproto.StatusApplied, "")
	}
	wantSigAudit(t, env, "sig-off-1", "")
	wantSigAudit(t, env, "sig-off-2", "")
	_, m := sigState(t, w1, "inv-off")
	if m.Signatures.ContentHash != hash {
		t.Fatalf("server content hash %s, device computed %s", m.Signatures.ContentHash, hash)
	}
	wantSigners(t, m, userID(env, "worker1"), userID(env, "worker2"))
	requireCommitment(t, env, false)
	w1.JSON(http.MethodPost, "/v1/investigations/inv-off/submit", nil, http.StatusOK, nil)
}
