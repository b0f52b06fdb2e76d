package sqlite_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Issue #4: dual signatures over the real server.

// sigKey is an Ed25519 key of a test signer.
type sigKey struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
}

// newSigKey derives a deterministic key from a name.
func newSigKey(name string) sigKey {
	seed := sha256.Sum256([]byte("ruhu test key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	return sigKey{priv: priv, pub: pub, id: syncproto.KeyID(pub)}
}

// registerKey registers a fresh key for the client's user (n tells keys of
// one user apart).
func registerKey(c *ruhutest.Client, n int) sigKey {
	c.E.T.Helper()
	k := newSigKey(fmt.Sprintf("%s-%d", c.Tokens.User.Username, n))
	var out syncproto.Key
	c.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(k.pub)}, http.StatusCreated, &out)
	if out.KeyID != k.id || out.UserID != c.Tokens.User.ID || out.DeviceID != c.Device {
		c.E.T.Fatalf("registered key %+v, want id %s", out, k.id)
	}
	return k
}

// hashOf is the content hash of a pulled investigation.
func hashOf(t *testing.T, inv syncproto.Change) string {
	t.Helper()
	h, err := syncproto.ContentHash(syncproto.CollInvestigations, inv.ID, inv.Fields)
	if err != nil {
		t.Fatalf("hash %s: %v", inv.ID, err)
	}
	return h
}

// signatureFor signs the pulled investigation with k as record sigID.
func signatureFor(t *testing.T, inv syncproto.Change, k sigKey, sigID string) syncproto.Mutation {
	t.Helper()
	return signHash(inv.ID, hashOf(t, inv), k, sigID)
}

func signHash(invID, hash string, k sigKey, sigID string) syncproto.Mutation {
	return ruhutest.Upsert(sigs, sigID, 0, map[string]any{"investigation_id": invID, "key_id": k.id,
		"content_hash": hash, "signature": syncproto.Sign(k.priv, hash), "signed_at": "2024-03-18T09:41:07+08:00",
		"role": "investigator"})
}

// sigState returns the signature state of an investigation from a fresh pull.
func sigState(t *testing.T, c *ruhutest.Client, invID string) (syncproto.Change, syncproto.RecordMeta) {
	t.Helper()
	state, _ := stateOf(c, "")
	inv := live(t, state, invs, invID)
	m := metaOf(t, inv)
	if m.Signatures == nil {
		t.Fatalf("%s has no signature state in meta: %s", invID, inv.Meta)
	}
	if m.Signatures.ContentHash != hashOf(t, inv) {
		t.Fatalf("meta content_hash %s, computed %s", m.Signatures.ContentHash, hashOf(t, inv))
	}
	return inv, m
}

// wantSigners checks valid_signers and satisfied.
func wantSigners(t *testing.T, m syncproto.RecordMeta, users ...string) {
	t.Helper()
	want := append([]string{}, users...)
	slices.Sort(want)
	got := m.Signatures.ValidSigners
	if got == nil {
		t.Fatal("valid_signers is null, want a list")
	}
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Fatalf("valid_signers %v, want %v", got, want)
	}
	if m.Signatures.Satisfied != (len(want) >= 2) {
		t.Fatalf("satisfied %v with %d signers", m.Signatures.Satisfied, len(want))
	}
}

// wantSigAudit checks that a signature record has exactly one audit row:
// record.upsert when accepted (code ""), mutation.rejected with the code
// otherwise.
func wantSigAudit(t *testing.T, db *sql.DB, sigID, code string) {
	t.Helper()
	rows := auditOf(t, db, sigs, sigID)
	if len(rows) != 1 {
		t.Fatalf("signature %s: %d audit rows, want 1: %+v", sigID, len(rows), rows)
	}
	r := rows[0]
	switch {
	case code == "" && (r.Action != "record.upsert" || r.Detail["status"] != syncproto.StatusApplied):
		t.Fatalf("accepted signature %s audited as %+v", sigID, r)
	case code != "" && (r.Action != "mutation.rejected" || r.Detail["code"] != code):
		t.Fatalf("rejected signature %s audited as %+v, want code %s", sigID, r, code)
	}
}

// sigWorld is a household in t1-v1 with a member and an investigation, and
// signing keys for worker1 and worker2.
type sigWorld struct {
	env    *ruhutest.Env
	db     *sql.DB
	w1, w2 *ruhutest.Client
	k1, k2 sigKey
}

const (
	headN   = 1  // the head's ID number is IDNumber(headN)
	memberN = 11 // the member's
)

func newSigWorld(t *testing.T) *sigWorld {
	t.Helper()
	env := ruhutest.New(t)
	w := &sigWorld{env: env, db: readDB(t, env), w1: env.Login("worker1", "tab-01"), w2: env.Login("worker2", "tab-02")}
	res := w.w1.Push(
		ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", headN)),
		ruhutest.Upsert(mems, "m1", 0, member("hh1", memberN)),
		ruhutest.Upsert(invs, "inv1", 0, map[string]any{"household_id": "hh1", "date": "2024-03-18",
			"investigators": []string{userID(env, "worker1"), userID(env, "worker2")},
			"findings":      "户主患尿毒症，每周透析两次。", "per_capita_income": 3908.50,
			"income_items": []map[string]any{{"member_id": "m1", "type": "basic_pension", "amount": 1476.00, "exempt": true}}}),
	)
	for _, r := range res.Results {
		wantResult(t, r, syncproto.StatusApplied, "")
	}
	w.k1, w.k2 = registerKey(w.w1, 1), registerKey(w.w2, 1)
	return w
}

func (w *sigWorld) policy(t *testing.T, requireCommitment bool) {
	t.Helper()
	if err := w.env.App.Engine.SetSetting(context.Background(), w.env.Actor("admin", "test"), engine.PolicyRequireCommitment,
		fmt.Sprint(requireCommitment)); err != nil {
		t.Fatal(err)
	}
}

// sign pushes a signature of the current content and checks its result.
func (w *sigWorld) sign(t *testing.T, c *ruhutest.Client, k sigKey, invID, sigID, code string) syncproto.MutationResult {
	t.Helper()
	state, _ := stateOf(c, "")
	res := push1(c, signatureFor(t, live(t, state, invs, invID), k, sigID))
	if code == "" {
		wantResult(t, res, syncproto.StatusApplied, "")
	} else {
		wantResult(t, res, syncproto.StatusRejected, code)
	}
	wantSigAudit(t, w.db, sigID, code)
	return res
}

func TestTwoValidSignersSatisfy(t *testing.T) {
	w := newSigWorld(t)
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

func TestSignatureRejections(t *testing.T) {
	w := newSigWorld(t)
	env := w.env
	admin := env.Login("admin", "pc-admin")
	addRelative := func(user string, idNumber string) {
		t.Helper()
		admin.JSON(http.MethodPost, "/v1/admin/relatives", map[string]string{"user_id": userID(env, user),
			"id_number": idNumber, "relation": "配偶"}, http.StatusCreated, nil)
	}
	idOf := func(user string) string {
		u, err := env.App.Engine.UserByUsername(context.Background(), user)
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
				wantSigAudit(t, w.db, sc.m.ID, sc.code)
			}
		})
	}
	after, _ := stateOf(w.w1, "")
	for k := range after {
		if strings.HasPrefix(k, sigs+"/rej") {
			t.Fatalf("rejected signature %s was stored", k)
		}
	}
	_, m := sigState(t, w.w1, "inv1")
	wantSigners(t, m, userID(env, "worker1"))
	if n := count(t, w.db, `SELECT count(*) FROM records WHERE collection = 'signatures'`); n != 1 {
		t.Fatalf("%d signature records stored, want 1", n)
	}

	// The refused signers were refused for who they are, not for the key:
	// a valid second signer still satisfies.
	w.sign(t, w.w2, w.k2, "inv1", "ok2", "")
	_, m = sigState(t, w.w1, "inv1")
	wantSigners(t, m, userID(env, "worker1"), userID(env, "worker2"))
	if n, brk, err := env.App.Engine.VerifyAudit(context.Background()); err != nil || brk != nil || n == 0 {
		t.Fatalf("audit chain: %d rows, break %+v, err %v", n, brk, err)
	}
}

func TestEditAfterSigningMakesSignaturesStale(t *testing.T) {
	w := newSigWorld(t)
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
	wantSigAudit(t, w.db, "late", syncproto.CodeStaleContent)
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

func TestSubmitNeedsTwoSignersAndLocks(t *testing.T) {
	w := newSigWorld(t)
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
	w.policy(t, false)
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

func TestOfflineSigningInOneBatch(t *testing.T) {
	env := ruhutest.New(t)
	db := readDB(t, env)
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
	wantSigAudit(t, db, "sig-off-1", "")
	wantSigAudit(t, db, "sig-off-2", "")
	_, m := sigState(t, w1, "inv-off")
	if m.Signatures.ContentHash != hash {
		t.Fatalf("server content hash %s, device computed %s", m.Signatures.ContentHash, hash)
	}
	wantSigners(t, m, userID(env, "worker1"), userID(env, "worker2"))
	if err := env.App.Engine.SetSetting(context.Background(), env.Actor("admin", "test"), engine.PolicyRequireCommitment, "false"); err != nil {
		t.Fatal(err)
	}
	w1.JSON(http.MethodPost, "/v1/investigations/inv-off/submit", nil, http.StatusOK, nil)
}
