package api_test

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// TestSecurityWeakSigningKeysAreRefused: a signature is credited to the
// key's owner whoever pushes it, so a key for which anyone can make a
// signature would let one investigator supply the second signature of the
// dual-signature rule alone (and let its owner disown what they signed).
// Ed25519 public keys of small order are such keys: with the identity
// point, R = identity and S = 0 verify for every message. An all-zero key,
// what a careless client sends, is one of them.
func TestSecurityWeakSigningKeysAreRefused(t *testing.T) {
	env := ruhutest.New(t)
	w2 := env.Login("worker2", "tab-02")
	for _, h := range []string{
		"0000000000000000000000000000000000000000000000000000000000000000", // order 4
		"0100000000000000000000000000000000000000000000000000000000000000", // identity
		"0100000000000000000000000000000000000000000000000000000000000080", // identity, sign bit set
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8, sign bit set
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p+1: identity, not canonical
	} {
		raw, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		st, b := w2.Do(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(raw)})
		wantProblem(t, st, b, 422, syncproto.CodeInvalidPublicKey)
	}
	if keys := listKeys(w2, ""); len(keys) != 0 {
		t.Errorf("weak keys registered: %+v", keys)
	}
	// A real key is still welcome.
	w2.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{
		PublicKey: base64.StdEncoding.EncodeToString(newPublicKey(t))}, http.StatusCreated, nil)
}

// TestSecurityPublicKeySpellings: a public key has one text form, as
// signatures.md says; other spellings encoding/base64 would accept are
// refused rather than silently rewritten.
func TestSecurityPublicKeySpellings(t *testing.T) {
	env := ruhutest.New(t)
	w2 := env.Login("worker2", "tab-02")
	b64 := base64.StdEncoding.EncodeToString(newPublicKey(t))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	flipped := []byte(b64)
	last := len(b64) - 2 // before the one '=': 4 bits of the key, 2 padding bits
	flipped[last] = alphabet[strings.IndexByte(alphabet, b64[last])|1]
	for name, key := range map[string]string{
		"line break":            b64[:20] + `\n` + b64[20:],
		"non-zero padding bits": string(flipped),
	} {
		if key == b64 {
			t.Fatalf("%s: spelling not changed", name)
		}
		st, b := w2.Do(http.MethodPost, "/v1/keys", []byte(`{"public_key":"`+key+`"}`))
		wantProblem(t, st, b, 422, syncproto.CodeInvalidPublicKey)
	}
}
