package auth_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/server/sqlite"
	"github.com/ruhu-org/ruhu/syncproto"
)

// service returns an auth service over a fresh demo county, with the
// env's clock.
func service(t *testing.T, cfg auth.Config) (*ruhutest.Env, *auth.Service) {
	t.Helper()
	env := ruhutest.New(t)
	cfg.Key = []byte(strings.Repeat("k", 32))
	cfg.Hasher = auth.FastArgon2
	cfg.Now = env.Now
	s, err := auth.New(env.App.Engine, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return env, s
}

func TestNewRefusesShortKey(t *testing.T) {
	env := ruhutest.New(t)
	_, err := auth.New(env.App.Engine, auth.Config{Key: make([]byte, 31), Hasher: auth.FastArgon2})
	if err == nil {
		t.Fatal("a 31-byte key was accepted")
	}
}

func TestAccessTTLIsCapped(t *testing.T) {
	_, s := service(t, auth.Config{AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour})
	tok, err := s.Login(context.Background(), syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: "d"}, "a")
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresIn != 15*60 || tok.RefreshExpiresIn != 24*3600 {
		t.Errorf("expires_in %d, refresh_expires_in %d", tok.ExpiresIn, tok.RefreshExpiresIn)
	}
}

func TestLoginValidation(t *testing.T) {
	_, s := service(t, auth.Config{})
	ctx := context.Background()
	for _, sc := range []struct {
		name string
		req  syncproto.LoginRequest
		code string
	}{
		{"no username", syncproto.LoginRequest{Password: "x", DeviceID: "d"}, syncproto.CodeValidation},
		{"no password", syncproto.LoginRequest{Username: "worker1", DeviceID: "d"}, syncproto.CodeValidation},
		{"blank device", syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: "  "}, syncproto.CodeValidation},
		{"device too long", syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: strings.Repeat("d", 129)}, syncproto.CodeValidation},
	} {
		if _, err := s.Login(ctx, sc.req, "a"); server.ErrorCode(err) != sc.code {
			t.Errorf("%s: %v, want %s", sc.name, err, sc.code)
		}
	}
	tok, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: " tab-01 "}, "a")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Authenticate(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if a.DeviceID != "tab-01" || a.Username != "worker1" || a.UnitPath != "/demo-county/t1/t1-v1/" || a.SessionID == "" ||
		len(a.Roles) != 1 || a.Roles[0] != syncproto.RoleVillageWorker {
		t.Errorf("actor %+v", a)
	}
}

func TestFailedLoginsAreAudited(t *testing.T) {
	env, s := service(t, auth.Config{})
	ctx := context.Background()
	for _, u := range []string{"worker1", "ghost"} {
		if _, err := s.Login(ctx, syncproto.LoginRequest{Username: u, Password: "wrong-password", DeviceID: "d"}, "192.0.2.1"); server.ErrorCode(err) != syncproto.CodeInvalidCredentials {
			t.Fatalf("%s: %v", u, err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(env.Dir, sqlite.FileName)+"?_pragma=busy_timeout(5000)&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT actor_id, object_id, detail FROM audit_log WHERE action = 'auth.login_failed' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var actor, obj, detail string
		rows.Scan(&actor, &obj, &detail)
		got = append(got, actor+" "+obj+" "+detail)
	}
	w1 := env.Actor("worker1", "d").UserID
	want := []string{w1 + ` worker1 {"addr":"192.0.2.1"}`, `unknown ghost {"addr":"192.0.2.1"}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(strings.Join(got, ""), "wrong-password") {
		t.Error("a tried password reached the audit log")
	}
}

// TestGuessingRefreshTokensCountsAgainstAddress: an address that sends 30
// unknown refresh tokens is blocked from refreshing and logging in.
func TestGuessingRefreshTokensCountsAgainstAddress(t *testing.T) {
	env, s := service(t, auth.Config{})
	ctx := context.Background()
	good, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: "d"}, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 29 {
		if _, err := s.Refresh(ctx, "guess-"+string(rune('a'+i)), "192.0.2.1"); server.ErrorCode(err) != syncproto.CodeRefreshInvalid {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	// A good refresh does not count.
	next, err := s.Refresh(ctx, good.RefreshToken, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx, "guess-last", "192.0.2.1"); server.ErrorCode(err) != syncproto.CodeRefreshInvalid {
		t.Fatalf("30th guess: %v", err)
	}
	if _, err := s.Refresh(ctx, next.RefreshToken, "192.0.2.1"); server.ErrorCode(err) != syncproto.CodeRateLimited {
		t.Errorf("refresh from a blocked address: %v", err)
	}
	if _, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker2", Password: ruhutest.Password, DeviceID: "d"}, "192.0.2.1"); server.ErrorCode(err) != syncproto.CodeRateLimited {
		t.Errorf("login from a blocked address: %v", err)
	}
	if _, err := s.Refresh(ctx, next.RefreshToken, "192.0.2.2"); err != nil {
		t.Errorf("refresh from another address: %v", err)
	}
	env.Advance(15 * time.Minute)
	if _, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker2", Password: ruhutest.Password, DeviceID: "d"}, "192.0.2.1"); err != nil {
		t.Errorf("login after the window: %v", err)
	}
}

func TestRefreshAnswersCurrentUser(t *testing.T) {
	_, s := service(t, auth.Config{})
	ctx := context.Background()
	tok, err := s.Login(ctx, syncproto.LoginRequest{Username: "reviewer1", Password: ruhutest.Password, DeviceID: "d"}, "a")
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.Refresh(ctx, tok.RefreshToken, "a")
	if err != nil {
		t.Fatal(err)
	}
	if next.User.ID != tok.User.ID || next.User.UnitID != "t1" || next.User.Username != "reviewer1" ||
		len(next.User.Roles) != 1 || next.User.Roles[0] != syncproto.RoleTownshipReviewer {
		t.Errorf("refreshed user %+v, logged in as %+v", next.User, tok.User)
	}
	a, err := s.Authenticate(ctx, next.AccessToken)
	if err != nil || a.UserID != tok.User.ID || a.DeviceID != "d" {
		t.Errorf("refreshed access token: %+v %v", a, err)
	}
}
