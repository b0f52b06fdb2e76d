package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Who may sign what: the signature rules, each refusal audited.

func testTwoValidSignersSatisfy(t *testing.T, newEnv NewEnv) {
	w := newSigWorld(t, newEnv)
	u1, u2 := userID(w.env, "worker1"), userID(w.env, "worker2")
	inv, m := sigState(t, w.w1, "inv1")
	wantSigners(t, m)
	before := inv.Version

	res := w.sign(t, w.w1, w.k1, "inv1", "sig1", "")
	inv, m = sigState(t, w.w1, "inv1")
	wantSigners(t, m, u1)
	if inv.Version <= before || inv.Version <= res.Version {
		t.Fatalf("an accepted signature must give the investigation a new version: %d (was %d, signature %d)", inv.Version, before, res.Version)
	}

	w.sign(t, w.w2, w.k2, "inv1", "sig2", "")
	_, m = sigState(t, w.w2, "inv1")
	wantSigners(t, m, u1, u2)

	state, _ := stateOf(w.w1, "")
	s := fieldsOf(t, live(t, state, sigs, "sig2"))
	if s["investigation_id"] != "inv1" || s["key_id"] != w.k2.id || s["content_hash"] != m.Signatures.ContentHash {
		t.Fatalf("pulled signature record %v", s)
	}
}

func testSignatureRejections(t *testing.T, newEnv NewEnv) {
	w := newSigWorld(t, newEnv)
	env := w.env
	admin := env.Login("admin", "pc-admin")
	addRelative := func(user string, idNumber string) {
		t.Helper()
		admin.JSON(http.MethodPost, "/v1/admin/relatives", map[string]string{"user_id": userID(env, user),
			"id_number": idNumber, "relation": "配偶"}, http.StatusCreated, nil)
	}
	idOf := func(user string) string {
		u, err := authStore(env).UserByUsername(context.Background(), user)
		if err != nil {
			t.Fatal(err)
		}
		return u.IDNumber
	}
	// Households where a signer is the head or a member.
	hh2 := ruhutest.Household("t1-v1", 2)
	hh3 := ruhutest.Household("t1-v1", 3)
	hh3["head_id_number"] = idOf("worker1")
	for _, r := range w.w1.Push(
		ruhutest.Upsert(hhs, "hh2", 0, hh2),
		ruhutest.Upsert(mems, "hh2-w2", 0, map[string]any{"household_id": "hh2", "name": "李娜", "id_number": idOf("worker2"), "relation": "女儿"}),
		ruhutest.Upsert(invs, "inv2", 0, map[string]any{"household_id": "hh2"}),
		ruhutest.Upsert(hhs, "hh3", 0, hh3),
		ruhutest.Upsert(invs, "inv3", 0, map[string]any{"household_id": "hh3"}),
	).Results {
		wantResult(t, r, syncproto.StatusApplied, "")
	}
	r1 := env.Login("reviewer1", "pc-r1")
	insp := env.Login("inspector", "pc-insp")
	w3 := env.Login("worker3", "tab-03")
	kr1, kin, kw3 := registerKey(r1, 1), registerKey(insp, 1), registerKey(w3, 1)
	kcom := registerKey(env.Login("committee1", "tab-c"), 1)
	kcounty := registerKey(env.Login("county", "pc-county"), 1)
	addRelative("reviewer1", ruhutest.IDNumber(memberN))
	addRelative("inspector", ruhutest.IDNumber(headN))
	k1b := registerKey(w.w1, 2)
	revoked := registerKey(w.w2, 2)
	st, b := w.w2.Do(http.MethodDelete, "/v1/keys/"+url.PathEscape(revoked.id), nil)
	if st != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", st, b)
	}
	unknown := newSigKey("never registered")

	// worker1 signs inv1 first: the duplicate cases need a valid signature.
	w.sign(t, w.w1, w.k1, "inv1", "ok1", "")

	inv1, _ := sigState(t, w.w1, "inv1")
	hash := hashOf(t, inv1)
	other := strings.Repeat("ab", 32)
	forged := signHash("inv1", hash, w.k2, "x")
	forged.Fields["key_id"], _ = json.Marshal(w.k1.id) // k2's signature under k1's id
	unpadded := signHash("inv1", hash, w.k2, "x")
	unpadded.Fields["signature"], _ = json.Marshal(strings.TrimRight(syncproto.Sign(w.k2.priv, hash), "="))
	wrongMsg := signHash("inv1", hash, w.k2, "x")
	wrongMsg.Fields["signature"], _ = json.Marshal(syncproto.Sign(w.k2.priv, other))
	otherSigner := signHash("inv1", hash, w.k2, "x")
	otherSigner.Fields["signer_id"], _ = json.Marshal(userID(env, "worker1"))
	noTime := signHash("inv1", hash, w.k2, "x")
	delete(noTime.Fields, "signed_at")
	extra := signHash("inv1", hash, w.k2, "x")
	extra.Fields["ip"], _ = json.Marshal("1.2.3.4")
	badTime := signHash("inv1", hash, w.k2, "x")
	badTime.Fields["signed_at"], _ = json.Marshal("yesterday")
	state, _ := stateOf(w.w1, "")

	scenarios := []struct {
		name string
		by   *ruhutest.Client
		m    syncproto.Mutation
		code string
	}{
		{"same key again", w.w1, signHash("inv1", hash, w.k1, "x"), syncproto.CodeDuplicateSignature},
		{"same user, another key", w.w1, signHash("inv1", hash, k1b, "x"), syncproto.CodeDuplicateSignature},
		{"relative of a member", r1, signHash("inv1", hash, kr1, "x"), syncproto.CodeConflictOfInterest},
		{"relative of the head", insp, signHash("inv1", hash, kin, "x"), syncproto.CodeConflictOfInterest},
		{"signer is a member", w.w2, signatureFor(t, live(t, state, invs, "inv2"), w.k2, "x"), syncproto.CodeConflictOfInterest},
		{"signer is the head", w.w1, signatureFor(t, live(t, state, invs, "inv3"), w.k1, "x"), syncproto.CodeConflictOfInterest},
		{"key of another township", w.w1, signHash("inv1", hash, kw3, "x"), syncproto.CodeSignerNotEligible},
		{"committee is not a signing role", w.w1, signHash("inv1", hash, kcom, "x"), syncproto.CodeSignerNotEligible},
		{"county approver is not a signing role", w.w1, signHash("inv1", hash, kcounty, "x"), syncproto.CodeSignerNotEligible},
		{"unknown key", w.w2, signHash("inv1", hash, unknown, "x"), syncproto.CodeUnknownKey},
		{"revoked key", w.w2, signHash("inv1", hash, revoked, "x"), syncproto.CodeUnknownKey},
		{"signer_id is not the key's owner", w.w2, otherSigner, syncproto.CodeUnknownKey},
		{"signature by another key", w.w2, forged, syncproto.CodeBadSignature},
		{"unpadded base64", w.w2, unpadded, syncproto.CodeBadSignature},
		{"signature of another hash", w.w2, wrongMsg, syncproto.CodeBadSignature},
		{"hash of other content", w.w2, signHash("inv1", other, w.k2, "x"), syncproto.CodeStaleContent},
		{"missing signed_at", w.w2, noTime, syncproto.CodeMissingField},
		{"unknown field", w.w2, extra, syncproto.CodeUnknownField},
		{"bad signed_at", w.w2, badTime, syncproto.CodeInvalidField},
		{"unknown investigation", w.w2, signHash("inv-none", hash, w.k2, "x"), syncproto.CodeUnknownInvestigation},
		{"investigation out of scope", w3, signHash("inv1", hash, kw3, "x"), syncproto.CodeOutOfScope},
		{"delete", w.w1, ruhutest.Delete(sigs, "ok1", 0), syncproto.CodeSignaturesAreImmutable},
		{"change an immutable field", w.w1, ruhutest.Upsert(sigs, "ok1", 0, map[string]any{"signed_at": "2024-03-19T00:00:00Z"}), syncproto.CodeImmutableField},
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.m.ID == "x" {
				sc.m.ID = fmt.Sprintf("rej%02d", i)
			}
			wantResult(t, push1(sc.by, sc.m), syncproto.StatusRejected, sc.code)
			if sc.m.Op == syncproto.OpUpsert && sc.m.ID != "ok1" {
				wantSigAudit(t, w.env, sc.m.ID, sc.code)
			}
		})
	}
	// No rejected signature was stored, wherever it would be filed.
	after, _ := stateOf(env.Login("county", "pc-county"), "")
	var stored []string
	for _, k := range keys(after) {
		if strings.HasPrefix(k, sigs+"/") {
			stored = append(stored, k)
		}
	}
	if len(stored) != 1 || stored[0] != sigs+"/ok1" {
		t.Fatalf("signature records %v, want only ok1", stored)
	}
	_, m := sigState(t, w.w1, "inv1")
	wantSigners(t, m, userID(env, "worker1"))

	// The refused signers were refused for who they are, not for the key:
	// a valid second signer still satisfies.
	w.sign(t, w.w2, w.k2, "inv1", "ok2", "")
	_, m = sigState(t, w.w1, "inv1")
	wantSigners(t, m, userID(env, "worker1"), userID(env, "worker2"))
	if n, broken := verifyAudit(t, env); broken || n == 0 {
		t.Fatalf("audit chain: %d rows, broken %v", n, broken)
	}
}

func testEditAfterSigningMakesSignaturesStale(t *testing.T, newEnv NewEnv) {
	w := newSigWorld(t, newEnv)
	u1, u2 := userID(w.env, "worker1"), userID(w.env, "worker2")
	w.sign(t, w.w1, w.k1, "inv1", "sig1", "")
	w.sign(t, w.w2, w.k2, "inv1", "sig2", "")
	inv, m := sigState(t, w.w1, "inv1")
	wantSigners(t, m, u1, u2)
	oldHash := m.Signatures.ContentHash

	wantResult(t, push1(w.w1, ruhutest.Upsert(invs, "inv1", inv.Version, map[string]any{"conclusion": "建议纳入低保"})), syncproto.StatusApplied, "")
	_, m = sigState(t, w.w1, "inv1")
	if m.Signatures.ContentHash == oldHash {
		t.Fatal("the edit did not change the content hash")
	}
	wantSigners(t, m)

	r1 := w.env.Login("reviewer1", "pc-r1")
	kr1 := registerKey(r1, 1)
	wantResult(t, push1(r1, signHash("inv1", oldHash, kr1, "late")), syncproto.StatusRejected, syncproto.CodeStaleContent)
	wantSigAudit(t, w.env, "late", syncproto.CodeStaleContent)
	// The old signatures stay on record and are still pulled.
	state, _ := stateOf(w.w1, "")
	live(t, state, sigs, "sig1")
	live(t, state, sigs, "sig2")

	// Signing the new content counts again, from the same people.
	w.sign(t, w.w1, w.k1, "inv1", "sig1b", "")
	_, m = sigState(t, w.w1, "inv1")
	wantSigners(t, m, u1)
	st, b := w.w1.Do(http.MethodPost, "/v1/investigations/inv1/submit", nil)
	wantProblem(t, st, b, http.StatusConflict, syncproto.CodeDualSignatureRequired)
}
