package storetest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"

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
func wantSigAudit(t *testing.T, env *ruhutest.Env, sigID, code string) {
	t.Helper()
	rows := auditOf(t, env, sigs, sigID)
	if len(rows) != 1 {
		t.Fatalf("signature %s: %d audit rows, want 1: %+v", sigID, len(rows), rows)
	}
	r, detail := rows[0], detailOf(t, rows[0])
	switch {
	case code == "" && (r.Action != "record.upsert" || detail["status"] != syncproto.StatusApplied):
		t.Fatalf("accepted signature %s audited as %+v", sigID, r)
	case code != "" && (r.Action != "mutation.rejected" || detail["code"] != code):
		t.Fatalf("rejected signature %s audited as %+v, want code %s", sigID, r, code)
	}
}

// sigWorld is a household in t1-v1 with a member and an investigation, and
// signing keys for worker1 and worker2.
type sigWorld struct {
	env    *ruhutest.Env
	w1, w2 *ruhutest.Client
	k1, k2 sigKey
}

const (
	headN   = 1  // the head's ID number is IDNumber(headN)
	memberN = 11 // the member's
)

func newSigWorld(t *testing.T, newEnv NewEnv) *sigWorld {
	t.Helper()
	env := newEnv(t)
	w := &sigWorld{env: env, w1: env.Login("worker1", "tab-01"), w2: env.Login("worker2", "tab-02")}
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
	wantSigAudit(t, w.env, sigID, code)
	return res
}
