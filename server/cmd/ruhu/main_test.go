package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/sqlite"
	"github.com/ruhu-org/ruhu/syncproto"
)

// runCmd runs the binary's entry point and returns exit code, stdout and
// the error text ("" for none).
func runCmd(t *testing.T, ctx context.Context, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out bytes.Buffer
	code, err := run(ctx, args, strings.NewReader(stdin), &out)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return code, out.String(), msg
}

// loginVia logs in through the real router of an app opened on dir.
func loginVia(t *testing.T, dir, username, password string) (int, *syncproto.TokenResponse) {
	t.Helper()
	a, err := app.Open(context.Background(), app.Config{DataDir: dir, Hasher: auth.FastArgon2, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	defer a.Close()
	body, _ := json.Marshal(syncproto.LoginRequest{Username: username, Password: password, DeviceID: "dev-test"})
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/auth/login", bytes.NewReader(body)))
	if rec.Code != http.StatusOK {
		return rec.Code, nil
	}
	var tok syncproto.TokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
		t.Fatal(err)
	}
	return rec.Code, &tok
}

func TestUsage(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name string
		args []string
		code int
		want string // in stdout or the error
	}{
		{"no command", nil, 2, "usage:"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"help", []string{"help"}, 0, "ruhu audit verify"},
		{"audit without verify", []string{"audit"}, 2, "usage:"},
		{"audit typo", []string{"audit", "verfy"}, 2, "usage:"},
		{"bad serve flag", []string{"serve", "--nope"}, 2, "flag provided but not defined"},
		{"init without flags", []string{"init", "--data", t.TempDir()}, 2, "init needs --county-id"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			code, out, msg := runCmd(t, ctx, "", sc.args...)
			if code != sc.code || !strings.Contains(out+msg, sc.want) {
				t.Errorf("code %d (want %d), output %q, error %q; want %q", code, sc.code, out, msg, sc.want)
			}
		})
	}
}

func TestInit(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	args := []string{"init", "--data", dir, "--county-id", "c530121", "--county-name", "某某县", "--admin", "root"}
	code, out, msg := runCmd(t, ctx, "correct-horse-9\r\nignored second line\n", args...)
	if code != 0 || msg != "" {
		t.Fatalf("init: code %d, error %q", code, msg)
	}
	if !strings.Contains(out, "c530121") || !strings.Contains(out, "root") {
		t.Errorf("init output %q", out)
	}
	if strings.Contains(out, "correct-horse") {
		t.Errorf("init printed the password: %q", out)
	}

	st, tok := loginVia(t, dir, "root", "correct-horse-9")
	if st != 200 {
		t.Fatalf("login as the new admin: %d", st)
	}
	if tok.User.UnitID != "c530121" || len(tok.User.Roles) != 1 || tok.User.Roles[0] != syncproto.RoleAdmin {
		t.Errorf("admin %+v", tok.User)
	}
	if st, _ := loginVia(t, dir, "root", "correct-horse-9\r"); st != 401 {
		t.Errorf("password with the CR: %d, want 401 (the line ending is trimmed)", st)
	}

	// A second init refuses and leaves the data alone.
	code, _, msg = runCmd(t, ctx, "another-password\n", "init", "--data", dir, "--county-id", "other", "--county-name", "别县", "--admin", "root2")
	if code == 0 || !strings.Contains(msg, "already initialised") {
		t.Errorf("second init: code %d, error %q", code, msg)
	}
	if st, _ := loginVia(t, dir, "root", "correct-horse-9"); st != 200 {
		t.Errorf("first admin after a refused init: %d", st)
	}
	if st, _ := loginVia(t, dir, "root2", "another-password"); st != 401 {
		t.Errorf("second init's admin can log in: %d", st)
	}
}

func TestInitRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name   string
		stdin  string
		county string
		code   int
		want   string
	}{
		{"empty stdin", "", "c1", 2, "at least 8 characters"},
		{"short password", "short\n", "c1", 2, "at least 8 characters"},
		{"bad county id", "long-enough-1\n", "c/1", 1, "c/1"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			code, _, msg := runCmd(t, ctx, sc.stdin, "init", "--data", dir, "--county-id", sc.county, "--county-name", "县", "--admin", "root")
			if code != sc.code || !strings.Contains(msg, sc.want) {
				t.Fatalf("code %d (want %d), error %q (want %q)", code, sc.code, msg, sc.want)
			}
			// Nothing was initialised: a correct init still works.
			code, _, msg = runCmd(t, ctx, "long-enough-1\n", "init", "--data", dir, "--county-id", "c1", "--county-name", "县", "--admin", "root")
			if code != 0 {
				t.Fatalf("init after a refused one: %d %s", code, msg)
			}
		})
	}
}

// TestInitInvalidAdminLeavesDirUsable: an init whose admin is refused must
// not leave a county without an admin behind.
func TestInitInvalidAdminLeavesDirUsable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if code, _, _ := runCmd(t, ctx, "long-enough-1\n", "init", "--data", dir, "--county-id", "c1", "--county-name", "县", "--admin", "x"); code == 0 {
		t.Fatalf("init with admin %q succeeded", "x")
	}
	code, _, msg := runCmd(t, ctx, "long-enough-1\n", "init", "--data", dir, "--county-id", "c1", "--county-name", "县", "--admin", "root")
	if code != 0 {
		t.Fatalf("init after a refused admin: %d %s", code, msg)
	}
}

func TestDemo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	code, out, msg := runCmd(t, ctx, "", "demo", "--data", dir)
	if code != 0 {
		t.Fatalf("demo: %d %s", code, msg)
	}
	if !strings.Contains(out, app.DemoPassword) {
		t.Errorf("demo output lacks the password: %q", out)
	}
	for _, u := range app.DemoUsers {
		if !strings.Contains(out, u.Username) || !strings.Contains(out, u.Unit) {
			t.Errorf("demo output lacks %s (%s): %q", u.Username, u.Unit, out)
		}
	}
	if st, tok := loginVia(t, dir, "worker1", app.DemoPassword); st != 200 || tok.User.UnitID != "t1-v1" {
		t.Errorf("demo login worker1: %d", st)
	}

	// Again: nothing is seeded twice, the logins are printed.
	code, again, msg := runCmd(t, ctx, "", "demo", "--data", dir)
	if code != 0 || !strings.Contains(again, "already holds a county") || !strings.Contains(again, "reviewer2") {
		t.Errorf("second demo: %d %q %q", code, again, msg)
	}
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eng := engine.New(db)
	admin, err := eng.UserByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	units, err := eng.SubtreeUnits(ctx, admin.UnitPath)
	if err != nil || len(units) != 9 {
		t.Errorf("demo county has %d units (%v), want 9", len(units), err)
	}
}

// seeded returns a data directory holding the demo county and a few logins
// and key registrations, i.e. a real audit trail.
func seeded(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := app.SeedDemo(ctx, dir, auth.FastArgon2); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"worker1", "reviewer1", "inspector"} {
		if st, _ := loginVia(t, dir, u, app.DemoPassword); st != 200 {
			t.Fatalf("login %s: %d", u, st)
		}
	}
	loginVia(t, dir, "worker1", "wrong-password") // a failed login is audited too
	return dir
}

// rawDB opens the database file directly, bypassing the store.
func rawDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func auditRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAuditVerify(t *testing.T) {
	ctx := context.Background()
	dir := seeded(t)
	n := auditRows(t, rawDB(t, dir))
	if n < 20 {
		t.Fatalf("only %d audit rows after seeding and logins", n)
	}
	code, out, msg := runCmd(t, ctx, "", "audit", "verify", "--data", dir)
	if code != 0 || msg != "" || out != fmt.Sprintf("audit chain intact: %d rows verified\n", n) {
		t.Fatalf("verify: code %d, output %q, error %q", code, out, msg)
	}

	// The triggers stop an ordinary UPDATE or DELETE.
	db := rawDB(t, dir)
	if _, err := db.Exec(`UPDATE audit_log SET detail = '{}' WHERE seq = 1`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("update of the audit log: %v", err)
	}
	if _, err := db.Exec(`DELETE FROM audit_log WHERE seq = 1`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("delete from the audit log: %v", err)
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name    string
		trigger string
		sql     string
		want    string // in the output
	}{
		{"edited detail", "audit_log_no_update", `UPDATE audit_log SET detail = '{"tampered":true}' WHERE seq = 7`,
			"BROKEN at row 7: row content does not match its hash"},
		{"edited actor", "audit_log_no_update", `UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 3`,
			"BROKEN at row 3: row content does not match its hash"},
		{"edited time", "audit_log_no_update", `UPDATE audit_log SET at = '2020-01-01T00:00:00Z' WHERE seq = 12`,
			"BROKEN at row 12: row content does not match its hash"},
		{"deleted row", "audit_log_no_delete", `DELETE FROM audit_log WHERE seq = 5`,
			"BROKEN at row 6: expected row 5: a row is missing"},
		{"deleted first row", "audit_log_no_delete", `DELETE FROM audit_log WHERE seq = 1`,
			"BROKEN at row 2: expected row 1: a row is missing"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := seeded(t)
			db := rawDB(t, dir)
			if _, err := db.Exec(`DROP TRIGGER ` + sc.trigger); err != nil {
				t.Fatal(err)
			}
			res, err := db.Exec(sc.sql)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("%d rows changed", n)
			}
			code, out, msg := runCmd(t, ctx, "", "audit", "verify", "--data", dir)
			if code == 0 || msg != "" || !strings.Contains(out, sc.want) {
				t.Errorf("verify: code %d, output %q, error %q; want %q", code, out, msg, sc.want)
			}
		})
	}
}

func TestAuditVerifyWithoutDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	code, out, msg := runCmd(t, context.Background(), "", "audit", "verify", "--data", dir)
	if code == 0 || !strings.Contains(msg, "no ruhu database") {
		t.Errorf("verify of an empty directory: code %d, output %q, error %q", code, out, msg)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("verify created %s", dir)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServe(t *testing.T) {
	dir := seeded(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := run(ctx, []string{"serve", "--data", dir, "--addr", addr}, strings.NewReader(""), &out)
		done <- result{code, err}
	}()

	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		select {
		case r := <-done:
			t.Fatalf("serve returned early: %d %v\n%s", r.code, r.err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not answer /healthz: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	res, err := http.Get(base + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("/readyz: %v %v", res, err)
	}
	res.Body.Close()
	body, _ := json.Marshal(syncproto.LoginRequest{Username: "worker1", Password: app.DemoPassword, DeviceID: "tab-01"})
	res, err = http.Post(base+"/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()

	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if r.code != 0 || r.err != nil {
		t.Fatalf("serve: code %d, err %v\n%s", r.code, r.err, out.String())
	}
	logs := out.String()
	for _, want := range []string{"ruhu listening", addr, "shutting down", "stopped cleanly", `"path":"/v1/auth/login"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}

	// The database was closed cleanly: the WAL is checkpointed away and the
	// audit chain, with the login, verifies.
	if fi, err := os.Stat(filepath.Join(dir, sqlite.FileName+"-wal")); err == nil && fi.Size() != 0 {
		t.Errorf("WAL left with %d bytes", fi.Size())
	}
	db := rawDB(t, dir)
	var action string
	if err := db.QueryRow(`SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&action); err != nil || action != "auth.login" {
		t.Errorf("last audit action %q (%v), want auth.login", action, err)
	}
	code, vout, msg := runCmd(t, context.Background(), "", "audit", "verify", "--data", dir)
	if code != 0 {
		t.Errorf("verify after serve: %d %q %q", code, vout, msg)
	}
}

func TestServeRefusesUninitialised(t *testing.T) {
	dir := t.TempDir()
	code, _, msg := runCmd(t, context.Background(), "", "serve", "--data", dir, "--addr", freeAddr(t))
	if code != 1 || !strings.Contains(msg, "not initialised") {
		t.Errorf("serve of an empty dir: %d %q", code, msg)
	}
}

func TestServeAddressInUse(t *testing.T) {
	dir := seeded(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, msg := runCmd(t, context.Background(), "", "serve", "--data", dir, "--addr", ln.Addr().String())
	if code != 1 || !strings.Contains(msg, "address already in use") {
		t.Errorf("serve on a busy port: %d %q", code, msg)
	}
}
