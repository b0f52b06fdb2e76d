package storetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/syncproto"
)

// A signature counts for its key's owner whoever pushes it, so a key for
// which anyone can make signatures must never be registered: Ed25519
// public keys of small order are such keys.

// smallOrderKeys are the canonical encodings of the 8 points of small
// order: 0 (order 4) and its negative, the identity, two points of order 8
// and their negatives, and p-1 (order 2). The identity and p-1 (x = 0) have
// no distinct negative.
var smallOrderKeys = []string{
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}

// nonCanonicalKeys are p and p+1, which decode to 0 and the identity.
var nonCanonicalKeys = []string{
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}

// forge looks for a signature made without a secret (S = 0, R a point of
// small order) that verifies some message under pub.
func forge(t *testing.T, pub []byte) bool {
	t.Helper()
	for i := range 64 {
		msg := []byte(fmt.Sprint("content hash ", i))
		for _, h := range smallOrderKeys {
			r, err := hex.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			if ed25519.Verify(pub, msg, append(r, make([]byte, 32)...)) {
				return true
			}
		}
	}
	return false
}

// testSmallOrderKeysAreRefused: every point of small order is refused,
// each admits signatures made without a secret, and real keys are not
// refused.
func testSmallOrderKeysAreRefused(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w2 := env.Login("worker2", "tab-02")
	register := func(pub []byte) (int, []byte) {
		t.Helper()
		return w2.Do(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(pub)})
	}
	refuse := func(h string) []byte {
		t.Helper()
		pub, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		st, b := register(pub)
		wantProblem(t, st, b, http.StatusUnprocessableEntity, syncproto.CodeInvalidPublicKey)
		return pub
	}
	for _, h := range smallOrderKeys {
		if pub := refuse(h); !forge(t, pub) {
			t.Errorf("%s: no signature without a secret found; is it of small order?", h)
		}
	}
	for _, h := range nonCanonicalKeys {
		refuse(h)
	}
	// Real keys are not refused.
	const real = 200
	for i := range real {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if i < 5 && forge(t, pub) {
			t.Fatalf("a signature without a secret verifies under the real key %x", pub)
		}
		if st, b := register(pub); st != http.StatusCreated {
			t.Fatalf("real key %x refused: %d %s", pub, st, b)
		}
	}
	var list syncproto.KeyList
	w2.JSON(http.MethodGet, "/v1/keys", nil, http.StatusOK, &list)
	if len(list.Keys) != real {
		t.Fatalf("%d keys registered, want the %d real ones", len(list.Keys), real)
	}
}
