package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func testSigner(now time.Time) *signer {
	return &signer{key: testKey, ttl: 15 * time.Minute, now: func() time.Time { return now }}
}

func encodeSegment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// handToken builds a compact JWT: header {alg, typ}, claims, and an HMAC
// under alg with key ("" alg signs nothing).
func handToken(t *testing.T, alg string, key []byte, claims map[string]any) string {
	t.Helper()
	signing := encodeSegment(t, map[string]string{"alg": alg, "typ": "JWT"}) + "." + encodeSegment(t, claims)
	var h func() hash.Hash
	switch alg {
	case "HS256":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		return signing + "."
	}
	m := hmac.New(h, key)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestSignerRoundTrip(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	s := testSigner(now)
	tok, err := s.issue("u1", "s1", "tab-01")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "u1" || c.SessionID != "s1" || c.DeviceID != "tab-01" || c.Issuer != Issuer ||
		len(c.Audience) != 1 || c.Audience[0] != Issuer || !c.ExpiresAt.Equal(now.Add(15*time.Minute)) || c.ID == "" {
		t.Errorf("claims %+v", c)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if !strings.Contains(string(hdr), `"alg":"HS256"`) {
		t.Errorf("header %s", hdr)
	}
	other, _ := s.issue("u1", "s1", "tab-01")
	if other == tok {
		t.Error("two tokens are identical (no jti)")
	}
}

func TestSignerRefusesForgedTokens(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	s := testSigner(now)
	claims := map[string]any{"iss": Issuer, "aud": []string{Issuer}, "sub": "u1", "sid": "s1", "did": "d1",
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range claims {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	real, err := s.issue("u1", "s1", "d1")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(real, ".")
	var realClaims map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(b, &realClaims)
	realClaims["sub"] = "u2"
	tamperedSub := parts[0] + "." + encodeSegment(t, realClaims) + "." + parts[2]

	scenarios := []struct {
		name  string
		token string
		code  string // "" accepted
	}{
		{"control: hand-built HS256", handToken(t, "HS256", testKey, claims), ""},
		{"alg none", handToken(t, "none", nil, claims), syncproto.CodeInvalidToken},
		{"alg NONE", handToken(t, "NONE", nil, claims), syncproto.CodeInvalidToken},
		{"alg none with a signature", strings.TrimSuffix(handToken(t, "none", nil, claims), ".") + "." + parts[2], syncproto.CodeInvalidToken},
		{"HS384 with the right key", handToken(t, "HS384", testKey, claims), syncproto.CodeInvalidToken},
		{"HS512 with the right key", handToken(t, "HS512", testKey, claims), syncproto.CodeInvalidToken},
		{"HS256 with a wrong key", handToken(t, "HS256", []byte("another key, also 32 bytes long!"), claims), syncproto.CodeInvalidToken},
		{"tampered sub", tamperedSub, syncproto.CodeInvalidToken},
		{"expired", handToken(t, "HS256", testKey, with("exp", now.Add(-10*time.Second).Unix())), syncproto.CodeTokenExpired},
		{"within leeway", handToken(t, "HS256", testKey, with("exp", now.Add(-3*time.Second).Unix())), ""},
		{"no exp", handToken(t, "HS256", testKey, with("exp", nil)), syncproto.CodeInvalidToken},
		{"not yet valid", handToken(t, "HS256", testKey, with("nbf", now.Add(time.Minute).Unix())), syncproto.CodeInvalidToken},
		{"other issuer", handToken(t, "HS256", testKey, with("iss", "keycloak")), syncproto.CodeInvalidToken},
		{"no issuer", handToken(t, "HS256", testKey, with("iss", nil)), syncproto.CodeInvalidToken},
		{"other audience", handToken(t, "HS256", testKey, with("aud", "someone")), syncproto.CodeInvalidToken},
		{"no subject", handToken(t, "HS256", testKey, with("sub", nil)), syncproto.CodeInvalidToken},
		{"no session", handToken(t, "HS256", testKey, with("sid", nil)), syncproto.CodeInvalidToken},
		{"empty", "", syncproto.CodeInvalidToken},
		{"two segments", parts[0] + "." + parts[1], syncproto.CodeInvalidToken},
		{"garbage", "a.b.c", syncproto.CodeInvalidToken},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			c, err := s.parse(sc.token)
			if sc.code == "" {
				if err != nil || c.Subject != "u1" {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := server.ErrorCode(err); got != sc.code {
				t.Errorf("error %v, want code %s", err, sc.code)
			}
		})
	}
}

func TestSignerExpiry(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	tok, err := testSigner(now).issue("u1", "s1", "d1")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []struct {
		after time.Duration
		code  string
	}{
		{14*time.Minute + 59*time.Second, ""},
		{15*time.Minute + 4*time.Second, ""}, // 5 s leeway
		{15*time.Minute + 6*time.Second, syncproto.CodeTokenExpired},
		{24 * time.Hour, syncproto.CodeTokenExpired},
		{-2 * time.Minute, syncproto.CodeInvalidToken}, // before nbf (issued with nbf = now - 1 min)
	} {
		_, err := testSigner(now.Add(sc.after)).parse(tok)
		if got := server.ErrorCode(err); got != sc.code {
			t.Errorf("after %v: %v, want %q", sc.after, err, sc.code)
		}
	}
}

func TestHashTokenAndRandomToken(t *testing.T) {
	a, b := randomToken(32), randomToken(32)
	if a == b || len(a) != 43 || strings.ContainsAny(a, "+/=") {
		t.Errorf("random tokens %q %q", a, b)
	}
	if h := hashToken("abc"); h != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("hashToken = %s", h)
	}
}
