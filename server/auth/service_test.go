package auth_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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

// TestRefreshIsNotRateLimitedByLogins: refresh tokens cannot be guessed,
// so refreshing is not limited; failed logins from an address (one office
// behind NAT) do not stop the devices there from refreshing, and bad
// refresh tokens do not stop logins.
func TestRefreshIsNotRateLimitedByLogins(t *testing.T) {
	_, s := service(t, auth.Config{})
	ctx := context.Background()
	const office = "192.0.2.1"
	good, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: "d"}, office)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if _, err := s.Refresh(ctx, fmt.Sprint("guess-", i), office); server.ErrorCode(err) != syncproto.CodeRefreshInvalid {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	for i := range 30 {
		if _, err := s.Login(ctx, syncproto.LoginRequest{Username: fmt.Sprint("nobody", i), Password: "wrong-password", DeviceID: "d"}, office); server.ErrorCode(err) != syncproto.CodeInvalidCredentials {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker2", Password: ruhutest.Password, DeviceID: "d"}, office); server.ErrorCode(err) != syncproto.CodeRateLimited {
		t.Errorf("login from an address with 30 failures: %v", err)
	}
	if _, err := s.Refresh(ctx, good.RefreshToken, office); err != nil {
		t.Errorf("refresh from that address: %v", err)
	}
}

// TestLockoutIsPerAddress: failures for a username from one address do not
// lock its owner out elsewhere, whatever the case of the name.
func TestLockoutIsPerAddress(t *testing.T) {
	env, s := service(t, auth.Config{})
	ctx := context.Background()
	const attacker, office = "198.51.100.7", "192.0.2.1"
	for i, name := range []string{"worker1", "WORKER1", "Worker1", "worker1", "wORKER1"} {
		if _, err := s.Login(ctx, syncproto.LoginRequest{Username: name, Password: "wrong-password", DeviceID: "d"}, attacker); server.ErrorCode(err) != syncproto.CodeInvalidCredentials {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	_, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: "d"}, attacker)
	if server.ErrorCode(err) != syncproto.CodeRateLimited {
		t.Fatalf("sixth try from the attacker: %v", err)
	}
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) || ra.RetryAfter() != 15*time.Minute {
		t.Errorf("rate_limited carries no Retry-After of 15 min: %#v", err)
	}
	if _, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: "d"}, office); err != nil {
		t.Errorf("the owner, from the office: %v", err)
	}
	// The attacker's other names still work until the address limit.
	if _, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker2", Password: ruhutest.Password, DeviceID: "d"}, attacker); err != nil {
		t.Errorf("another user from the attacker's address: %v", err)
	}
	env.Advance(15 * time.Minute)
	if _, err := s.Login(ctx, syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: "d"}, attacker); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

// gatedHasher counts password checks and how many run at once; each
// check takes a few milliseconds, as argon2id does.
type gatedHasher struct {
	auth.Argon2
	mu            sync.Mutex
	running, peak int
	calls         int
}

func (h *gatedHasher) Verify(hash, password string) (bool, error) {
	h.mu.Lock()
	h.calls++
	h.running++
	h.peak = max(h.peak, h.running)
	h.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	defer func() { h.mu.Lock(); h.running--; h.mu.Unlock() }()
	return h.Argon2.Verify(hash, password)
}

// gatedService is an auth service over a fresh demo county whose password
// checks go through a gatedHasher, at most maxHashing at once.
func gatedService(t *testing.T, maxHashing int) (*auth.Service, *gatedHasher) {
	t.Helper()
	h := &gatedHasher{Argon2: auth.FastArgon2}
	env := ruhutest.New(t)
	s, err := auth.New(env.App.Engine, auth.Config{Key: []byte(strings.Repeat("k", 32)), Hasher: h, Now: env.Now, MaxHashing: maxHashing})
	if err != nil {
		t.Fatal(err)
	}
	return s, h
}

// loginsAtOnce runs n logins at once, login(i) making the i-th, and
// counts their outcomes by error code ("" for a login that succeeded).
func loginsAtOnce(n int, login func(i int) error) map[string]int {
	var wg sync.WaitGroup
	codes := make(chan string, n)
	for i := range n {
		wg.Go(func() { codes <- server.ErrorCode(login(i)) })
	}
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	return count
}

// TestLoginBurst: 300 parallel wrong passwords from one address. The
// limit is reserved before the password is checked, so at most the
// address's 30 attempts are checked (not one per request: each check costs
// argon2id's memory), at most MaxHashing run at once, and every other
// request is refused quickly with rate_limited or server_busy.
func TestLoginBurst(t *testing.T) {
	s, h := gatedService(t, 2)
	h.mu.Lock()
	h.calls = 0 // New checked the dummy hash once
	h.mu.Unlock()
	count := loginsAtOnce(300, func(i int) error {
		_, err := s.Login(context.Background(), syncproto.LoginRequest{Username: fmt.Sprint("worker", i%3+1),
			Password: "wrong-password", DeviceID: "d"}, "203.0.113.5")
		return err
	})
	t.Logf("outcomes %v, %d password checks, at most %d at once", count, h.calls, h.peak)
	if h.calls > 30 || count[syncproto.CodeInvalidCredentials] != h.calls {
		t.Errorf("%d password checks, %d invalid_credentials; want at most 30, one per check", h.calls, count[syncproto.CodeInvalidCredentials])
	}
	if h.peak > 2 {
		t.Errorf("%d password checks at once, want at most MaxHashing = 2", h.peak)
	}
	if n := count[syncproto.CodeRateLimited] + count[syncproto.CodeServerBusy] + count[syncproto.CodeInvalidCredentials]; n != 300 {
		t.Errorf("outcomes %v: %d of 300 accounted for", count, n)
	}
}

// TestLoginBusyIsRefunded: a login refused for lack of a hashing slot does
// not count against the user or the address.
func TestLoginBusyIsRefunded(t *testing.T) {
	env := ruhutest.New(t)
	block, entered := make(chan struct{}), make(chan struct{}, 1)
	h := &blockingHasher{Argon2: auth.FastArgon2, entered: entered, release: block}
	s, err := auth.New(env.App.Engine, auth.Config{Key: []byte(strings.Repeat("k", 32)), Hasher: h, Now: env.Now,
		MaxHashing: 1, MaxHashWaiting: 1, FailuresPerUser: 1})
	if err != nil {
		t.Fatal(err)
	}
	h.armed.Store(true)
	ctx := context.Background()
	req := syncproto.LoginRequest{Username: "worker1", Password: ruhutest.Password, DeviceID: "d"}
	done := make(chan error, 3)
	go func() { _, err := s.Login(ctx, req, "192.0.2.1"); done <- err }()
	<-entered // the first check holds the only slot
	// Of the next two, one waits for the slot and the other finds the
	// queue full: it is answered before anything is released.
	go func() { _, err := s.Login(ctx, req, "192.0.2.2"); done <- err }()
	go func() { _, err := s.Login(ctx, req, "192.0.2.3"); done <- err }()
	if err := <-done; server.ErrorCode(err) != syncproto.CodeServerBusy {
		t.Fatalf("a login while the slot and the queue are full: %v", err)
	}
	h.armed.Store(false)
	close(block)
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("a waiting login failed: %v", err)
		}
	}
	// FailuresPerUser is 1: had the busy attempt counted as a failure,
	// a wrong password from its address would now be rate_limited, not
	// checked.
	for _, addr := range []string{"192.0.2.2", "192.0.2.3"} {
		bad := req
		bad.Password = "wrong-password"
		if _, err := s.Login(ctx, bad, addr); server.ErrorCode(err) != syncproto.CodeInvalidCredentials {
			t.Errorf("a wrong password from %s after the busy answer: %v", addr, err)
		}
	}
}

// blockingHasher holds each check, while armed, until release closes.
type blockingHasher struct {
	auth.Argon2
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (h *blockingHasher) Verify(hash, password string) (bool, error) {
	if h.armed.Load() {
		select {
		case h.entered <- struct{}{}:
		default:
		}
		<-h.release
	}
	return h.Argon2.Verify(hash, password)
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

// officeUsers are the demo county's users who log in from one office.
var officeUsers = []string{"worker1", "worker2", "worker3", "reviewer1", "reviewer2", "county", "inspector", "committee1"}

// TestOfficeBurstBehindOneAddress: 64 people of one township office,
// behind one NAT, log in at once with their right passwords. None is
// rate-limited (a 15-minute lockout); those who find the password checks
// busy are told to retry in a second, and all get in.
func TestOfficeBurstBehindOneAddress(t *testing.T) {
	s, _ := gatedService(t, 2)
	var busy atomic.Int64
	count := loginsAtOnce(64, func(i int) error {
		req := syncproto.LoginRequest{Username: officeUsers[i%len(officeUsers)], Password: ruhutest.Password, DeviceID: fmt.Sprint("tab-", i)}
		// A tablet told the server is busy tries again a little later,
		// for as long as it takes (a minute at most here).
		for deadline := time.Now().Add(time.Minute); ; {
			_, err := s.Login(context.Background(), req, "198.51.100.7")
			if server.ErrorCode(err) != syncproto.CodeServerBusy || time.Now().After(deadline) {
				return err
			}
			busy.Add(1)
			time.Sleep(5 * time.Millisecond)
		}
	})
	t.Logf("outcomes %v after %d server_busy answers", count, busy.Load())
	if count[""] != 64 || count[syncproto.CodeRateLimited] != 0 {
		t.Fatalf("outcomes %v: want 64 logins and no rate_limited", count)
	}
}

// TestOfficeQueuesBehindOneAddress: with the default queue, 64 people
// behind one address logging in at once all wait their turn: none is told
// the server is busy, and none is rate-limited, although more of them
// wait at once than the address may make attempts (30), because an
// attempt is counted only when its check runs.
func TestOfficeQueuesBehindOneAddress(t *testing.T) {
	s, h := gatedService(t, 1)
	count := loginsAtOnce(64, func(i int) error {
		_, err := s.Login(context.Background(), syncproto.LoginRequest{Username: officeUsers[i%len(officeUsers)],
			Password: ruhutest.Password, DeviceID: fmt.Sprint("tab-", i)}, "198.51.100.7")
		return err
	})
	if count[""] != 64 || h.peak > 1 {
		t.Fatalf("outcomes %v, %d checks at once: want 64 logins, one check at a time", count, h.peak)
	}
}
