package storetest

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The signing rules hold at submit time, and submission locks the record
// and its household (issue 13, class 4).

// submitWant submits inv1 as worker1 and checks the answer's status and code.
func submitWant(t *testing.T, w *sigWorld, status int, code string) {
	t.Helper()
	st, b := w.w1.Do(http.MethodPost, "/v1/investigations/inv1/submit", nil)
	if code == "" {
		if st != status {
			t.Fatalf("submit: %d %s", st, b)
		}
		return
	}
	wantProblem(t, st, b, status, code)
}

// signedWorld is a sigWorld whose inv1 worker1 and worker2 signed, with
// the commitment photo policy off.
func signedWorld(t *testing.T, newEnv NewEnv) *sigWorld {
	w := newSigWorld(t, newEnv)
	w.sign(t, w.w1, w.k1, "inv1", "sig1", "")
	w.sign(t, w.w2, w.k2, "inv1", "sig2", "")
	requireCommitment(t, w.env, false)
	return w
}

func testSubmitRechecksSigners(t *testing.T, newEnv NewEnv) {
	ctx := context.Background()
	t.Run("relative registered after signing", func(t *testing.T) {
		w := signedWorld(t, newEnv)
		w.env.Login("admin", "pc-admin").JSON(http.MethodPost, "/v1/admin/relatives", map[string]string{
			"user_id": userID(w.env, "worker2"), "id_number": ruhutest.IDNumber(memberN), "relation": "配偶"}, http.StatusCreated, nil)
		submitWant(t, w, http.StatusConflict, syncproto.CodeDualSignatureRequired)
	})
	t.Run("relative added to the household after signing", func(t *testing.T) {
		w := signedWorld(t, newEnv)
		w.env.Login("admin", "pc-admin").JSON(http.MethodPost, "/v1/admin/relatives", map[string]string{
			"user_id": userID(w.env, "worker2"), "id_number": ruhutest.IDNumber(95), "relation": "配偶"}, http.StatusCreated, nil)
		// Adding a member changes no investigation content: the signatures
		// stay valid, the interest appears only now.
		wantResult(t, push1(w.w1, ruhutest.Upsert(mems, "m95", 0, member("hh1", 95))), syncproto.StatusApplied, "")
		submitWant(t, w, http.StatusConflict, syncproto.CodeDualSignatureRequired)
	})
	t.Run("signer disabled after signing", func(t *testing.T) {
		w := signedWorld(t, newEnv)
		if _, err := adminService(w.env).SetUserDisabled(ctx, w.env.Actor("admin", "pc-admin"), userID(w.env, "worker2"), true); err != nil {
			t.Fatal(err)
		}
		submitWant(t, w, http.StatusConflict, syncproto.CodeDualSignatureRequired)
	})
	t.Run("two accounts of one person", func(t *testing.T) {
		w := newSigWorld(t, newEnv)
		requireCommitment(t, w.env, false)
		w1, err := authStore(w.env).UserByUsername(ctx, "worker1")
		if err != nil {
			t.Fatal(err)
		}
		root := w.env.Actor("admin", "pc-admin")
		_, err = adminService(w.env).CreateUser(ctx, root, syncproto.CreateUserRequest{Username: "worker1-twin", Password: "long-enough",
			DisplayName: "同一人", Roles: []string{syncproto.RoleVillageWorker}, UnitID: "t1-v1", IDNumber: w1.IDNumber}, "hash-twin")
		if err != nil {
			t.Fatal(err)
		}
		twin := newSigKey("twin")
		if _, _, err := w.env.App.Engine.RegisterKey(ctx, w.env.Actor("worker1-twin", "tab-01"),
			base64.StdEncoding.EncodeToString(twin.pub)); err != nil {
			t.Fatal(err)
		}
		w.sign(t, w.w1, w.k1, "inv1", "sig1", "")
		w.sign(t, w.w1, twin, "inv1", "sig-twin", "")
		_, m := sigState(t, w.w1, "inv1")
		if len(m.Signatures.ValidSigners) != 2 {
			t.Fatalf("signers %v", m.Signatures.ValidSigners)
		}
		submitWant(t, w, http.StatusConflict, syncproto.CodeDualSignatureRequired)
		// A second real person makes it two.
		w.sign(t, w.w2, w.k2, "inv1", "sig2", "")
		submitWant(t, w, http.StatusOK, "")
	})
}

func testSubmittedRecordIsLocked(t *testing.T, newEnv NewEnv) {
	w := signedWorld(t, newEnv)
	// Before submit, nobody rewrites another's signature.
	wantResult(t, push1(w.w2, ruhutest.Upsert(sigs, "sig1", 0, map[string]any{"role": "reviewer"})),
		syncproto.StatusRejected, syncproto.CodeForbidden)
	submitWant(t, w, http.StatusOK, "")
	_, before := sigState(t, w.w1, "inv1")

	r1 := w.env.Login("reviewer1", "pc-r1")
	kr1 := registerKey(r1, 1)
	w.sign(t, r1, kr1, "inv1", "sig-late", syncproto.CodeAlreadySubmitted)
	wantResult(t, push1(w.w1, ruhutest.Upsert(sigs, "sig1", 0, map[string]any{"role": "reviewer"})),
		syncproto.StatusRejected, syncproto.CodeAlreadySubmitted)
	state, _ := stateOf(w.w1, "")
	hh := live(t, state, hhs, "hh1")
	wantResult(t, push1(w.w1, ruhutest.Delete(hhs, "hh1", hh.Version)), syncproto.StatusRejected, syncproto.CodeSignedContentLocked)

	inv, after := sigState(t, w.w1, "inv1")
	if !after.Submitted || len(after.Signatures.ValidSigners) != len(before.Signatures.ValidSigners) {
		t.Fatalf("locked investigation changed: %s", inv.Meta)
	}
	state, _ = stateOf(w.w1, "")
	live(t, state, hhs, "hh1")
	if f := fieldsOf(t, live(t, state, sigs, "sig1")); f["role"] != "investigator" {
		t.Fatalf("signature rewritten: %v", f)
	}
}
