package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/api"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

func login(env *ruhutest.Env, username, password, device string) (int, []byte) {
	return env.Do(http.MethodPost, "/v1/auth/login", "", syncproto.LoginRequest{Username: username, Password: password, DeviceID: device})
}

// refresh exchanges token and returns the new tokens (nil on an error
// status) with the raw answer.
func refresh(t *testing.T, env *ruhutest.Env, token string) (*syncproto.TokenResponse, int, []byte) {
	t.Helper()
	st, b := env.Do(http.MethodPost, "/v1/auth/refresh", "", syncproto.RefreshRequest{RefreshToken: token})
	if st != http.StatusOK {
		return nil, st, b
	}
	var tok syncproto.TokenResponse
	if err := json.Unmarshal(b, &tok); err != nil {
		t.Fatalf("refresh: %v: %s", err, b)
	}
	return &tok, st, b
}

// me calls GET /v1/me with token.
func me(env *ruhutest.Env, token string) (int, []byte) {
	return env.Do(http.MethodGet, "/v1/me", token, nil)
}

func wantMe(t *testing.T, env *ruhutest.Env, token, username string) {
	t.Helper()
	st, b := me(env, token)
	if st != http.StatusOK {
		t.Fatalf("/v1/me: %d %s", st, b)
	}
	var u syncproto.User
	if err := json.Unmarshal(b, &u); err != nil || u.Username != username {
		t.Fatalf("/v1/me = %s, want %s", b, username)
	}
}

func TestLoginAnswersTokensAndUser(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "dev-1")
	tok := c.Tokens
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 15*60 || tok.RefreshExpiresIn != 45*24*3600 {
		t.Errorf("token_type %q expires_in %d refresh_expires_in %d", tok.TokenType, tok.ExpiresIn, tok.RefreshExpiresIn)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.AccessToken == tok.RefreshToken {
		t.Errorf("tokens %q %q", tok.AccessToken, tok.RefreshToken)
	}
	u := tok.User
	if u.Username != "worker1" || u.UnitID != "t1-v1" || len(u.Roles) != 1 || u.Roles[0] != syncproto.RoleVillageWorker || u.ID == "" {
		t.Errorf("user %+v", u)
	}
	st, b := me(env, c.Token)
	var got syncproto.User
	if st != 200 || json.Unmarshal(b, &got) != nil || got.ID != u.ID || got.DisplayName != "村干部 张伟" {
		t.Errorf("/v1/me: %d %s", st, b)
	}
	res, _ := send(t, env, http.MethodPost, "/v1/auth/login", "",
		[]byte(`{"username":"worker2","password":"`+ruhutest.Password+`","device_id":"dev-2"}`), nil)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("login: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
}

func TestRefreshRotatesAndReuseRevokesFamily(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "dev-1")
	other := env.Login("worker1", "dev-2") // another session of the same user
	r0, a0 := c.Tokens.RefreshToken, c.Token

	t1, st, b := refresh(t, env, r0)
	if t1 == nil {
		t.Fatalf("refresh: %d %s", st, b)
	}
	if t1.RefreshToken == r0 || t1.AccessToken == a0 || t1.User.Username != "worker1" {
		t.Fatalf("refresh did not rotate: %+v", t1)
	}
	wantMe(t, env, t1.AccessToken, "worker1")
	t2, st, b := refresh(t, env, t1.RefreshToken)
	if t2 == nil {
		t.Fatalf("second refresh: %d %s", st, b)
	}
	wantMe(t, env, t2.AccessToken, "worker1")

	// r0 was already used: the whole family is revoked.
	_, st, b = refresh(t, env, r0)
	wantProblem(t, st, b, 401, syncproto.CodeRefreshReused)
	_, st, b = refresh(t, env, t2.RefreshToken)
	wantProblem(t, st, b, 401, syncproto.CodeRevoked)
	for _, access := range []string{a0, t1.AccessToken, t2.AccessToken} {
		st, b = me(env, access)
		wantProblem(t, st, b, 401, syncproto.CodeRevoked)
	}
	// Reusing again still says reused.
	_, st, b = refresh(t, env, t1.RefreshToken)
	wantProblem(t, st, b, 401, syncproto.CodeRefreshReused)

	// The other session is a different family and lives on.
	wantMe(t, env, other.Token, "worker1")
	if t3, st, b := refresh(t, env, other.Tokens.RefreshToken); t3 == nil {
		t.Fatalf("other session refresh: %d %s", st, b)
	}
}

func TestRefreshRefusesUnknownTokens(t *testing.T) {
	env := ruhutest.New(t)
	for _, tok := range []string{"", "nonsense", strings.Repeat("A", 43)} {
		_, st, b := refresh(t, env, tok)
		wantProblem(t, st, b, 401, syncproto.CodeRefreshInvalid)
	}
	c := env.Login("worker1", "dev-1")
	// An access token is not a refresh token.
	_, st, b := refresh(t, env, c.Token)
	wantProblem(t, st, b, 401, syncproto.CodeRefreshInvalid)
}

func TestAccessTokenExpiry(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "dev-1")
	env.Advance(14 * time.Minute)
	wantMe(t, env, c.Token, "worker1")
	env.Advance(2 * time.Minute)
	st, b := me(env, c.Token)
	wantProblem(t, st, b, 401, syncproto.CodeTokenExpired)
	// The refresh token outlives the access token.
	next, st, b := refresh(t, env, c.Tokens.RefreshToken)
	if next == nil {
		t.Fatalf("refresh after access expiry: %d %s", st, b)
	}
	wantMe(t, env, next.AccessToken, "worker1")
}

func TestRefreshTokenExpiry(t *testing.T) {
	const refreshTTL = 45 * 24 * time.Hour
	env := ruhutest.New(t)
	early := env.Login("worker1", "dev-1")
	late := env.Login("worker1", "dev-2")

	env.Advance(refreshTTL - time.Minute)
	next, st, b := refresh(t, env, early.Tokens.RefreshToken)
	if next == nil {
		t.Fatalf("refresh a minute before expiry: %d %s", st, b)
	}
	env.Advance(2 * time.Minute) // 45 days and a minute after login
	_, st, b = refresh(t, env, late.Tokens.RefreshToken)
	wantProblem(t, st, b, 401, syncproto.CodeRefreshExpired)

	// Rotation renews the lifetime: the token issued a minute before day
	// 45 is good until a minute before day 90.
	env.Advance(refreshTTL - 3*time.Minute)
	next, st, b = refresh(t, env, next.RefreshToken)
	if next == nil {
		t.Fatalf("refresh of a rotated token before its own expiry: %d %s", st, b)
	}
	env.Advance(refreshTTL + time.Second)
	_, st, b = refresh(t, env, next.RefreshToken)
	wantProblem(t, st, b, 401, syncproto.CodeRefreshExpired)
}

func TestLogoutRevokesSession(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "dev-1")
	other := env.Login("worker1", "dev-2")
	st, b := c.Do(http.MethodPost, "/v1/auth/logout", nil)
	if st != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("logout: %d %s", st, b)
	}
	st, b = me(env, c.Token)
	wantProblem(t, st, b, 401, syncproto.CodeRevoked)
	_, st, b = refresh(t, env, c.Tokens.RefreshToken)
	wantProblem(t, st, b, 401, syncproto.CodeRevoked)
	st, b = c.Do(http.MethodPost, "/v1/auth/logout", nil)
	wantProblem(t, st, b, 401, syncproto.CodeRevoked)
	wantMe(t, env, other.Token, "worker1")
}

func TestWrongCredentials(t *testing.T) {
	env := ruhutest.New(t)
	st, wrongPw := login(env, "worker1", "not-the-password", "dev-1")
	p := wantProblem(t, st, wrongPw, 401, syncproto.CodeInvalidCredentials)
	st, unknown := login(env, "nobody-here", "not-the-password", "dev-1")
	q := wantProblem(t, st, unknown, 401, syncproto.CodeInvalidCredentials)
	// An unknown username is answered exactly like a wrong password.
	if p != q {
		t.Errorf("unknown user answered differently:\n%s\n%s", wrongPw, unknown)
	}
	st, b := login(env, "Worker1", ruhutest.Password, "dev-1")
	wantProblem(t, st, b, 401, syncproto.CodeInvalidCredentials)
}

func TestLoginRateLimitPerUsername(t *testing.T) {
	env := ruhutest.New(t)
	for i := range 5 {
		st, b := login(env, "worker1", "wrong-password", "dev-1")
		if st != 401 {
			t.Fatalf("failure %d: %d %s", i+1, st, b)
		}
	}
	// The sixth attempt is refused even with the right password.
	st, b := login(env, "worker1", ruhutest.Password, "dev-1")
	wantProblem(t, st, b, 429, syncproto.CodeRateLimited)
	// Usernames are limited one by one.
	env.Login("worker2", "dev-2")
	// Unknown usernames are limited the same way.
	for range 5 {
		login(env, "ghost", "wrong-password", "dev-1")
	}
	st, b = login(env, "ghost", "wrong-password", "dev-1")
	wantProblem(t, st, b, 429, syncproto.CodeRateLimited)

	env.Advance(15 * time.Minute)
	env.Login("worker1", "dev-1")
}

func TestLoginSuccessResetsFailureCount(t *testing.T) {
	env := ruhutest.New(t)
	for range 4 {
		login(env, "worker1", "wrong-password", "dev-1")
	}
	env.Login("worker1", "dev-1")
	for range 5 {
		st, b := login(env, "worker1", "wrong-password", "dev-1")
		wantProblem(t, st, b, 401, syncproto.CodeInvalidCredentials)
	}
	st, b := login(env, "worker1", "wrong-password", "dev-1")
	wantProblem(t, st, b, 429, syncproto.CodeRateLimited)
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	env := ruhutest.New(t)
	// 30 attempts from one address, spread over usernames so the
	// per-username limit never trips.
	for i := range 30 {
		st, b := login(env, "user-"+string(rune('a'+i%26))+string(rune('a'+i/26)), "wrong-password", "dev-1")
		wantProblem(t, st, b, 401, syncproto.CodeInvalidCredentials)
	}
	st, b := login(env, "worker1", ruhutest.Password, "dev-1")
	wantProblem(t, st, b, 429, syncproto.CodeRateLimited)
	env.Advance(15 * time.Minute)
	env.Login("worker1", "dev-1")
}

// loginFrom posts a login to env's handler as if from remote with the given
// X-Forwarded-For.
func loginFrom(env *ruhutest.Env, remote, xff, username, password string) *httptest.ResponseRecorder {
	return loginVia(env.App.Handler, remote, xff, username, password)
}

// loginVia posts a login to h as if from remote with the given
// X-Forwarded-For.
func loginVia(h http.Handler, remote, xff, username, password string) *httptest.ResponseRecorder {
	body, _ := json.Marshal(syncproto.LoginRequest{Username: username, Password: password, DeviceID: "dev-1"})
	req := httptest.NewRequest(http.MethodPost, "/v1/auth/login", strings.NewReader(string(body)))
	req.RemoteAddr = remote
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
		req.Header.Set("X-Real-IP", xff)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestForwardedForDoesNotEvadeAddressLimit sends logins from a
// non-loopback client, each claiming a different X-Forwarded-For: the
// header of a client that is not a local proxy must not buy it a fresh
// address.
func TestForwardedForDoesNotEvadeAddressLimit(t *testing.T) {
	env := ruhutest.New(t)
	for i := range 30 {
		rec := loginFrom(env, "203.0.113.7:40000", "198.51.100."+itoa(i), "user-"+itoa(i), "wrong-password")
		if rec.Code != 401 {
			t.Fatalf("attempt %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := loginFrom(env, "203.0.113.7:40000", "198.51.100.99", "worker1", ruhutest.Password)
	wantProblem(t, rec.Code, rec.Body.Bytes(), 429, syncproto.CodeRateLimited)
	// Another client address is not affected.
	if rec := loginFrom(env, "203.0.113.8:40000", "", "worker1", ruhutest.Password); rec.Code != 200 {
		t.Fatalf("login from another address: %d %s", rec.Code, rec.Body)
	}
}

// TestLocalProxyForwardedFor: behind a configured reverse proxy every
// request comes from the proxy, and the address the proxy appended to
// X-Forwarded-For is the one limited.
func TestLocalProxyForwardedFor(t *testing.T) {
	env := ruhutest.New(t)
	h := api.TrustProxies(env.App.Handler, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	for i := range 30 {
		// A client-supplied first entry is ignored; the proxy appended the
		// real address last.
		rec := loginVia(h, "127.0.0.1:5000", "10.9.9."+itoa(i)+", 198.51.100.1", "user-"+itoa(i), "wrong-password")
		if rec.Code != 401 {
			t.Fatalf("attempt %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := loginVia(h, "127.0.0.1:5000", "198.51.100.1", "worker1", ruhutest.Password)
	wantProblem(t, rec.Code, rec.Body.Bytes(), 429, syncproto.CodeRateLimited)
	if rec := loginVia(h, "127.0.0.1:5000", "198.51.100.2", "worker1", ruhutest.Password); rec.Code != 200 {
		t.Fatalf("login of another client behind the proxy: %d %s", rec.Code, rec.Body)
	}
	// A proxy chain: the rightmost address that is not a trusted proxy.
	if rec := loginVia(h, "127.0.0.1:5000", "198.51.100.1, 127.0.0.2", "worker1", ruhutest.Password); rec.Code != 429 {
		t.Fatalf("client behind two proxies: %d %s", rec.Code, rec.Body)
	}
}

// TestLoopbackIsNotTrustedByDefault: without configured proxies no peer's
// X-Forwarded-For is believed, not even loopback's (any local process, or
// an SSH tunnel, would otherwise get a fresh address per attempt).
func TestLoopbackIsNotTrustedByDefault(t *testing.T) {
	env := ruhutest.New(t)
	for i := range 30 {
		rec := loginFrom(env, "127.0.0.1:5000", "198.51.100."+itoa(i), "user-"+itoa(i), "wrong-password")
		if rec.Code != 401 {
			t.Fatalf("attempt %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := loginFrom(env, "127.0.0.1:5000", "198.51.100.99", "worker1", ruhutest.Password)
	wantProblem(t, rec.Code, rec.Body.Bytes(), 429, syncproto.CodeRateLimited)
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// Hand-built tokens ---------------------------------------------------------

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwtClaims decodes the payload of a compact JWT.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// hsToken signs header.claims with HMAC under alg (HS256/384/512).
func hsToken(t *testing.T, alg string, key []byte, claims map[string]any) string {
	t.Helper()
	var h func() hash.Hash
	switch alg {
	case "HS256":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		t.Fatalf("alg %s", alg)
	}
	signing := b64json(t, map[string]string{"alg": alg, "typ": "JWT"}) + "." + b64json(t, claims)
	m := hmac.New(h, key)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func with(c map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func TestHandBuiltTokens(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "dev-1")
	w2 := env.Login("worker2", "dev-2")
	key, err := env.App.Store.Secret(context.Background(), "jwt_hs256", 32)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwtClaims(t, c.Token)
	if claims["sub"] != c.Tokens.User.ID || claims["sid"] == "" || claims["did"] != "dev-1" {
		t.Fatalf("unexpected claims %v", claims)
	}
	parts := strings.Split(c.Token, ".")
	tampered := parts[0] + "." + b64json(t, with(claims, "sub", w2.Tokens.User.ID)) + "." + parts[2]
	none := func(alg string) string {
		return b64json(t, map[string]string{"alg": alg, "typ": "JWT"}) + "." + b64json(t, claims) + "."
	}
	wrongKey := []byte(strings.Repeat("k", 32))
	past := float64(env.Now().Add(-time.Hour).Unix())

	scenarios := []struct {
		name  string
		token string
		code  string // "" means accepted
	}{
		// The builder itself is right: the same claims, signed HS256 with
		// the server's key, are accepted.
		{"control: HS256 with the server key", hsToken(t, "HS256", key, claims), ""},
		{"alg none", none("none"), syncproto.CodeInvalidToken},
		{"alg None", none("None"), syncproto.CodeInvalidToken},
		{"alg none with the real signature", strings.TrimSuffix(none("none"), ".") + "." + parts[2], syncproto.CodeInvalidToken},
		{"HS256 with a wrong key", hsToken(t, "HS256", wrongKey, claims), syncproto.CodeInvalidToken},
		{"tampered sub, original signature", tampered, syncproto.CodeInvalidToken},
		{"HS384 with the server key", hsToken(t, "HS384", key, claims), syncproto.CodeInvalidToken},
		{"HS512 with the server key", hsToken(t, "HS512", key, claims), syncproto.CodeInvalidToken},
		{"validly signed, sub of another user", hsToken(t, "HS256", key, with(claims, "sub", w2.Tokens.User.ID)), syncproto.CodeInvalidToken},
		{"validly signed, other device", hsToken(t, "HS256", key, with(claims, "did", "dev-9")), syncproto.CodeInvalidToken},
		{"validly signed, no exp", hsToken(t, "HS256", key, with(claims, "exp", nil)), syncproto.CodeInvalidToken},
		{"validly signed, expired", hsToken(t, "HS256", key, with(claims, "exp", past)), syncproto.CodeTokenExpired},
		{"validly signed, other issuer", hsToken(t, "HS256", key, with(claims, "iss", "evil")), syncproto.CodeInvalidToken},
		{"validly signed, other audience", hsToken(t, "HS256", key, with(claims, "aud", []string{"evil"})), syncproto.CodeInvalidToken},
		{"validly signed, no sid", hsToken(t, "HS256", key, with(claims, "sid", nil)), syncproto.CodeInvalidToken},
		{"validly signed, unknown session", hsToken(t, "HS256", key, with(claims, "sid", "01JUNKNOWNSESSION000000000")), syncproto.CodeRevoked},
		{"truncated", parts[0] + "." + parts[1], syncproto.CodeInvalidToken},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			st, b := me(env, sc.token)
			if sc.code == "" {
				if st != 200 {
					t.Fatalf("%d %s", st, b)
				}
				return
			}
			wantProblem(t, st, b, 401, sc.code)
		})
	}
}
