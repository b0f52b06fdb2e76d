package api_test

import (
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	_ "github.com/ruhu-org/ruhu/server/sqlite" // registers the "sqlite" driver
	"github.com/ruhu-org/ruhu/syncproto"
)

// auditCount counts the audit rows of action in env's database.
func auditCount(t *testing.T, env *ruhutest.Env, action string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+env.App.SQLite.Path()+"?_pragma=busy_timeout(5000)&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = ?`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSecurityLoginBoundsUnauthenticatedInput: login and refresh are open
// to anyone, so what they accept is bounded before it reaches the
// append-only audit log or the in-memory rate-limit tables. A username
// longer than any account's (64 bytes) is refused without an audit row; a
// body far larger than credentials is refused before it is decoded.
func TestSecurityLoginBoundsUnauthenticatedInput(t *testing.T) {
	env := ruhutest.New(t)
	scenarios := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
	}{
		{"username of 65 bytes", "/v1/auth/login", syncproto.LoginRequest{Username: strings.Repeat("u", 65),
			Password: "wrong-password", DeviceID: "dev-1"}, 422, syncproto.CodeValidation},
		{"username of 1 MiB", "/v1/auth/login", syncproto.LoginRequest{Username: strings.Repeat("u", 1<<20),
			Password: "wrong-password", DeviceID: "dev-1"}, 413, syncproto.CodePayloadTooLarge},
		{"password of 1 MiB", "/v1/auth/login", syncproto.LoginRequest{Username: "worker1",
			Password: strings.Repeat("p", 1<<20), DeviceID: "dev-1"}, 413, syncproto.CodePayloadTooLarge},
		{"refresh token of 1 MiB", "/v1/auth/refresh", syncproto.RefreshRequest{RefreshToken: strings.Repeat("r", 1<<20)},
			413, syncproto.CodePayloadTooLarge},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			st, b := env.Do(http.MethodPost, sc.path, "", sc.body)
			wantProblem(t, st, b, sc.status, sc.code)
		})
	}
	if n := auditCount(t, env, "auth.login_failed"); n != 0 {
		t.Errorf("%d failed logins audited for refused input, want 0", n)
	}
	// worker1's failure count was not touched by the oversized password.
	env.Login("worker1", "dev-1")
	// Control: an ordinary failure is still audited.
	st, b := login(env, strings.Repeat("u", 64), "wrong-password", "dev-1")
	wantProblem(t, st, b, 401, syncproto.CodeInvalidCredentials)
	if n := auditCount(t, env, "auth.login_failed"); n != 1 {
		t.Errorf("%d failed logins audited, want 1", n)
	}
}
