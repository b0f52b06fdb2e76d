package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The AuthStore: sessions, where a refresh token is used once and its
// reuse revokes the whole session, and appends to the audit chain.

func testRefreshRotation(t *testing.T, newEnv NewEnv) {
	ctx := context.Background()
	env := newEnv(t)
	store, root := authStore(env), env.Actor("admin", "dev-root")
	newSession := func(id, token string, ttl time.Duration) server.Session {
		t.Helper()
		s := server.Session{ID: id, UserID: root.UserID, DeviceID: "dev-" + id, CreatedAt: env.Now()}
		if err := store.CreateSession(ctx, s, token, env.Now().Add(ttl)); err != nil {
			t.Fatal(err)
		}
		return s
	}
	rotate := func(old, next string) (*server.Session, string) {
		s, err := store.RotateRefresh(ctx, old, next, env.Now().Add(time.Hour))
		return s, server.ErrorCode(err)
	}
	actions := func(session string) []string {
		var out []string
		for _, e := range auditOf(t, env, "session", session) {
			out = append(out, e.Action)
		}
		return out
	}
	s := newSession("s1", "h0", time.Hour)
	if got, code := rotate("h0", "h1"); code != "" || got.ID != "s1" || got.UserID != root.UserID || got.DeviceID != "dev-s1" {
		t.Fatalf("rotate: %+v %s", got, code)
	}
	if _, code := rotate("h1", "h2"); code != "" {
		t.Fatalf("second rotate: %s", code)
	}
	if _, u, err := store.SessionUser(ctx, s.ID); err != nil || u.Username != "admin" {
		t.Fatalf("SessionUser: %v", err)
	}
	steps := []struct {
		old, next, code string
	}{
		{"h0", "hx", syncproto.CodeRefreshReused},
		{"h2", "h3", syncproto.CodeRevoked},
		{"h3", "h4", syncproto.CodeRefreshInvalid}, // h3 was never stored
		{"hx", "h5", syncproto.CodeRefreshInvalid},
		{"h1", "h6", syncproto.CodeRefreshReused},
	}
	for _, st := range steps {
		if _, code := rotate(st.old, st.next); code != st.code {
			t.Errorf("rotate %s: %q, want %q", st.old, code, st.code)
		}
	}
	if _, _, err := store.SessionUser(ctx, s.ID); server.ErrorCode(err) != syncproto.CodeRevoked {
		t.Errorf("session after reuse: %v", err)
	}
	// The revocation for reuse is audited once, however often the used
	// tokens come back.
	if got := actions("s1"); !slices.Equal(got, []string{"auth.login", "auth.refresh_reused"}) {
		t.Errorf("audit of s1 %v, want a login and one reuse", got)
	}

	// Expiry, at the exact instant.
	newSession("s2", "e0", time.Hour)
	env.Advance(time.Hour)
	if _, code := rotate("e0", "e1"); code != syncproto.CodeRefreshExpired {
		t.Errorf("expired token: %q", code)
	}
	if _, code := rotate("e1", "e2"); code != syncproto.CodeRefreshInvalid {
		t.Errorf("successor of an expired token: %q", code)
	}

	// Logout.
	s3 := newSession("s3", "l0", time.Hour)
	a := &server.Actor{UserID: root.UserID, DeviceID: s3.DeviceID, SessionID: s3.ID}
	if err := store.RevokeSession(ctx, a, "logout"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.SessionUser(ctx, s3.ID); server.ErrorCode(err) != syncproto.CodeRevoked {
		t.Errorf("session after logout: %v", err)
	}
	if _, code := rotate("l0", "l1"); code != syncproto.CodeRevoked {
		t.Errorf("token of a logged-out session: %q", code)
	}
	if got := actions("s3"); !slices.Equal(got, []string{"auth.login", "auth.logout"}) {
		t.Errorf("audit of s3 %v, want a login and a logout", got)
	}
	if _, _, err := store.SessionUser(ctx, "no-such-session"); server.ErrorCode(err) != syncproto.CodeRevoked {
		t.Errorf("unknown session: %v", err)
	}
	if n, broken := verifyAudit(t, env); broken || n == 0 {
		t.Errorf("audit after sessions: %d rows, broken %v", n, broken)
	}
}

// testConcurrentRotationOfOneToken: of many simultaneous uses of one
// refresh token exactly one wins; the others are reuse.
func testConcurrentRotationOfOneToken(t *testing.T, newEnv NewEnv) {
	ctx := context.Background()
	env := newEnv(t)
	store, root := authStore(env), env.Actor("admin", "dev-root")
	if err := store.CreateSession(ctx, server.Session{ID: "s", UserID: root.UserID, DeviceID: "d", CreatedAt: env.Now()},
		"t0", env.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	const n = 8
	codes := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := store.RotateRefresh(ctx, "t0", "next-"+string(rune('a'+i)), env.Now().Add(time.Hour))
			codes <- server.ErrorCode(err)
		})
	}
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	if count[""] != 1 || count[syncproto.CodeRefreshReused] != n-1 {
		t.Errorf("outcomes %v", count)
	}
}

// testAuditConcurrentAppends: appends racing from several goroutines all
// land in one unbroken chain; a detail that cannot be marshalled is refused
// and writes nothing.
func testAuditConcurrentAppends(t *testing.T, newEnv NewEnv) {
	ctx := context.Background()
	env := newEnv(t)
	store := authStore(env)
	before, broken := verifyAudit(t, env)
	if broken || before == 0 {
		t.Fatalf("seeded chain: %d rows, broken %v", before, broken)
	}
	const workers, each = 4, 25
	actor := env.Actor("worker1", "x").UserID // entries go to the chain of the actor's county
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				errs <- store.Audit(ctx, server.AuditEntry{ActorID: actor, DeviceID: fmt.Sprint(w), Action: "test.concurrent",
					ObjectType: "thing", ObjectID: fmt.Sprint(i)})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Audit(ctx, server.AuditEntry{Action: "x", Detail: func() {}}); err == nil {
		t.Error("unmarshallable detail accepted")
	}
	n, broken := verifyAudit(t, env)
	if n != before+workers*each || broken {
		t.Errorf("after %d appends: %d rows (broken %v), want %d", workers*each, n, broken, before+workers*each)
	}
	added := map[string]int{}
	for _, e := range auditAfter(t, env, before) {
		if e.Action != "test.concurrent" || e.ObjectType != "thing" {
			t.Fatalf("unexpected audit row %+v", e)
		}
		added[e.DeviceID]++
	}
	for w := range workers {
		if added[fmt.Sprint(w)] != each {
			t.Errorf("worker %d: %d rows, want %d (%v)", w, added[fmt.Sprint(w)], each, added)
		}
	}
}
