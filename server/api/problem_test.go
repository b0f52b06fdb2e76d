package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/api"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// send issues a raw request against env's server and returns the response
// with its body read. Unlike env.Do it keeps the headers.
func send(t *testing.T, env *ruhutest.Env, method, path, token string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// wantProblem fails unless body is an RFC 9457 problem with the given status
// and code, and returns it.
func wantProblem(t *testing.T, gotStatus int, body []byte, status int, code string) syncproto.Problem {
	t.Helper()
	if gotStatus != status {
		t.Fatalf("status %d, want %d (%s): %s", gotStatus, status, code, body)
	}
	var p syncproto.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("not a problem body: %v: %s", err, body)
	}
	if p.Code != code {
		t.Fatalf("code %q, want %q: %s", p.Code, code, body)
	}
	if p.Status != status {
		t.Errorf("problem status %d, want %d", p.Status, status)
	}
	return p
}

// checkProblemShape checks the full problem+json contract of an error
// response: media type and every field.
func checkProblemShape(t *testing.T, res *http.Response, body []byte, status int, code string) {
	t.Helper()
	mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if err != nil || mt != syncproto.ProblemContentType {
		t.Errorf("Content-Type %q, want %s", res.Header.Get("Content-Type"), syncproto.ProblemContentType)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, body)
	}
	for _, f := range []string{"type", "title", "status", "detail", "code"} {
		if _, ok := raw[f]; !ok {
			t.Errorf("problem lacks %q: %s", f, body)
		}
	}
	p := wantProblem(t, res.StatusCode, body, status, code)
	if p.Type != "https://ruhu.dev/problems/"+code {
		t.Errorf("type %q", p.Type)
	}
	if p.Title != http.StatusText(status) {
		t.Errorf("title %q, want %q", p.Title, http.StatusText(status))
	}
	if p.Detail == "" {
		t.Errorf("empty detail")
	}
}

func TestProblemJSONShape(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "dev-1")
	scenarios := []struct {
		name   string
		method string
		path   string
		token  string
		body   string
		status int
		code   string
	}{
		{"unknown route", http.MethodGet, "/nope", "", "", 404, syncproto.CodeNotFound},
		{"unknown route under /v1 with a token", http.MethodGet, "/v1/nope", c.Token, "", 404, syncproto.CodeNotFound},
		// An unknown path is not found with or without a token: the routes
		// are public (docs/protocol.md).
		{"unknown route under /v1 without a token", http.MethodGet, "/v1/nope", "", "", 404, syncproto.CodeNotFound},
		{"wrong method", http.MethodDelete, "/healthz", "", "", 405, syncproto.CodeMethodNotAllowed},
		{"malformed JSON", http.MethodPost, "/v1/auth/login", "", `{"username":`, 400, syncproto.CodeInvalidJSON},
		{"empty body", http.MethodPost, "/v1/auth/login", "", ``, 400, syncproto.CodeInvalidJSON},
		{"two JSON values", http.MethodPost, "/v1/auth/login", "", `{} {}`, 400, syncproto.CodeInvalidJSON},
		{"wrong JSON type", http.MethodPost, "/v1/auth/login", "", `{"username":5}`, 400, syncproto.CodeInvalidJSON},
		{"malformed JSON, authenticated", http.MethodPost, "/v1/keys", c.Token, `[`, 400, syncproto.CodeInvalidJSON},
		{"no token", http.MethodGet, "/v1/me", "", "", 401, syncproto.CodeUnauthenticated},
		{"garbage token", http.MethodGet, "/v1/me", "not.a.jwt", "", 401, syncproto.CodeInvalidToken},
		{"role refused", http.MethodGet, "/v1/admin/users", c.Token, "", 403, syncproto.CodeForbidden},
		{"validation", http.MethodPost, "/v1/auth/login", "", `{"username":"worker1","password":"x"}`, 422, syncproto.CodeValidation},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			res, body := send(t, env, sc.method, sc.path, sc.token, []byte(sc.body), nil)
			checkProblemShape(t, res, body, sc.status, sc.code)
		})
	}
}

func TestUnauthenticatedSetsWWWAuthenticate(t *testing.T) {
	env := ruhutest.New(t)
	res, _ := send(t, env, http.MethodGet, "/v1/me", "", nil, nil)
	if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="ruhu"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
	res, _ = send(t, env, http.MethodGet, "/v1/me", "bad", nil, nil)
	if got := res.Header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q", got)
	}
}

// leakyAuth is an AuthService whose every call fails with an error that
// carries no code, as a database failure would.
type leakyAuth struct{ server.AuthService }

func (leakyAuth) Login(context.Context, syncproto.LoginRequest, string) (*syncproto.TokenResponse, error) {
	return nil, errors.New("SELECT secret FROM users: disk I/O error")
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	var logged bytes.Buffer
	h := api.New(api.Deps{Auth: leakyAuth{}, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/v1/auth/login", strings.NewReader(`{"username":"a","password":"b","device_id":"d"}`))
	h.ServeHTTP(rec, req)
	checkProblemShape(t, rec.Result(), rec.Body.Bytes(), 500, syncproto.CodeInternal)
	if strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "disk") {
		t.Errorf("internal error text reached the client: %s", rec.Body)
	}
	if !strings.Contains(logged.String(), "disk I/O error") {
		t.Errorf("internal error was not logged: %q", logged.String())
	}
}

func TestBodyTooLarge(t *testing.T) {
	h := api.New(api.Deps{Auth: leakyAuth{}, MaxBody: 64, Log: slog.New(slog.DiscardHandler)})
	rec := httptest.NewRecorder()
	body := `{"username":"` + strings.Repeat("a", 200) + `","password":"b","device_id":"d"}`
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/auth/login", strings.NewReader(body)))
	checkProblemShape(t, rec.Result(), rec.Body.Bytes(), 413, syncproto.CodePayloadTooLarge)
}

func TestHealthAndReadiness(t *testing.T) {
	env := ruhutest.New(t)
	for _, sc := range []struct{ path, want string }{{"/healthz", "ok"}, {"/readyz", "ready"}} {
		res, body := send(t, env, http.MethodGet, sc.path, "", nil, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", sc.path, res.StatusCode, body)
		}
		var got struct{ Status string }
		if err := json.Unmarshal(body, &got); err != nil || got.Status != sc.want {
			t.Errorf("%s: body %s, want status %q", sc.path, body, sc.want)
		}
		if res.Header.Get("Ruhu-Protocol") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", sc.path, res.Header)
		}
	}
}

func TestReadyzReportsDatabaseDown(t *testing.T) {
	h := api.New(api.Deps{Ready: func(context.Context) error { return errors.New("database is closed") },
		Log: slog.New(slog.DiscardHandler)})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	checkProblemShape(t, rec.Result(), rec.Body.Bytes(), 503, "not_ready")
	if strings.Contains(rec.Body.String(), "closed") {
		t.Errorf("error text leaked: %s", rec.Body)
	}

	env := ruhutest.New(t)
	if err := env.App.Store.Close(); err != nil {
		t.Fatal(err)
	}
	res, body := send(t, env, http.MethodGet, "/readyz", "", nil, nil)
	checkProblemShape(t, res, body, 503, "not_ready")
	res, _ = send(t, env, http.MethodGet, "/healthz", "", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Errorf("/healthz with the database closed: %d, want 200 (liveness is not readiness)", res.StatusCode)
	}
}

func TestStatusOf(t *testing.T) {
	scenarios := []struct {
		code string
		want int
	}{
		{"", 500},
		{syncproto.CodeInternal, 500},
		{syncproto.CodeInvalidJSON, 400},
		{syncproto.CodeNotFound, 404},
		{syncproto.CodeInvalidCredentials, 401},
		{syncproto.CodeRefreshReused, 401},
		{syncproto.CodeRevoked, 401},
		{syncproto.CodeTokenExpired, 401},
		{syncproto.CodeForbidden, 403},
		{syncproto.CodeOutOfScope, 403},
		{syncproto.CodeRateLimited, 429},
		{syncproto.CodeInvalidIDNumber, 422},
		{syncproto.CodeInvalidUnit, 422},
		{syncproto.CodeInvalidPublicKey, 422},
		{syncproto.CodeAlreadyExists, 409},
		{syncproto.CodeUnknownKey, 404},
		{syncproto.CodePayloadTooLarge, 413},
		{"some_future_code", 422},
	}
	for _, sc := range scenarios {
		if got := api.StatusOf(sc.code); got != sc.want {
			t.Errorf("StatusOf(%q) = %d, want %d", sc.code, got, sc.want)
		}
	}
}
