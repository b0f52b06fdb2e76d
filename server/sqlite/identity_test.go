package sqlite

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// testClock is an injectable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// identityDB opens a county "c" with a county admin "root" and returns the
// database, its clock and root as an actor.
func identityDB(t *testing.T) (*DB, *testClock, *server.Actor) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &testClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	db.Now = clock.Now
	if _, err := db.InitCounty(ctx, "c", "县", syncproto.CreateUserRequest{Username: "root", Password: "long-enough",
		DisplayName: "Root", Roles: []string{syncproto.RoleAdmin}}, "hash-root"); err != nil {
		t.Fatal(err)
	}
	return db, clock, actorOf(t, db, "root", "dev-root")
}

func actorOf(t *testing.T, db *DB, username, device string) *server.Actor {
	t.Helper()
	u, err := db.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	return &server.Actor{UserID: u.ID, Username: u.Username, UnitID: u.UnitID, UnitPath: u.UnitPath, DeviceID: device, Roles: u.Roles}
}

// idNumber returns a valid ID number whose sequence digits are n (0–999).
func idNumber(n int) string {
	base := []byte("53012119900101000")
	copy(base[14:], []byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
	return string(base) + string(syncproto.IDCheckChar(string(base)))
}

func mustUnit(t *testing.T, db *DB, a *server.Actor, id, parent, level string) {
	t.Helper()
	if _, err := db.CreateUnit(context.Background(), a, syncproto.Unit{ID: id, ParentID: parent, Name: "单位" + id, Level: level}); err != nil {
		t.Fatalf("unit %s: %v", id, err)
	}
}

func mustUser(t *testing.T, db *DB, a *server.Actor, username, unit string, n int, roles ...string) *syncproto.UserDetail {
	t.Helper()
	u, err := db.CreateUser(context.Background(), a, syncproto.CreateUserRequest{Username: username, Password: "long-enough",
		DisplayName: "用户" + username, Roles: roles, UnitID: unit, IDNumber: idNumber(n)}, "hash-"+strings.TrimSpace(username))
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	return u
}

// TestSubtreeDoesNotMatchPrefixSiblings: townships "t1" and "t10" share an
// id prefix; an admin of t1 must see and touch nothing of t10.
func TestSubtreeDoesNotMatchPrefixSiblings(t *testing.T) {
	ctx := context.Background()
	db, _, root := identityDB(t)
	mustUnit(t, db, root, "t1", "c", "township")
	mustUnit(t, db, root, "t10", "c", "township")
	mustUnit(t, db, root, "t1-v1", "t1", "village")
	mustUnit(t, db, root, "t10-v1", "t10", "village")
	mustUser(t, db, root, "admin1", "t1", 1, syncproto.RoleAdmin)
	mustUser(t, db, root, "w1", "t1-v1", 2, syncproto.RoleVillageWorker)
	mustUser(t, db, root, "w10", "t10-v1", 3, syncproto.RoleVillageWorker)
	a1 := actorOf(t, db, "admin1", "dev-a1")
	if a1.UnitPath != "/c/t1/" {
		t.Fatalf("unit path %q", a1.UnitPath)
	}

	all, err := db.SubtreeUnits(ctx, "/c/")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, u := range all {
		paths = append(paths, u.Path)
	}
	if want := []string{"/c/", "/c/t1/", "/c/t1/t1-v1/", "/c/t10/", "/c/t10/t10-v1/"}; !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}

	units, err := db.ListUnits(ctx, a1)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range units {
		ids = append(ids, u.ID)
	}
	if !slices.Equal(ids, []string{"t1", "t1-v1"}) {
		t.Errorf("admin of t1 lists units %v", ids)
	}
	users, err := db.ListUsers(ctx, a1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
	}
	if !slices.Equal(names, []string{"admin1", "w1"}) {
		t.Errorf("admin of t1 lists users %v", names)
	}
	_, err = db.CreateUnit(ctx, a1, syncproto.Unit{ID: "t10-v2", ParentID: "t10", Name: "x", Level: "village"})
	if server.ErrorCode(err) != syncproto.CodeOutOfScope {
		t.Errorf("village under t10: %v", err)
	}
	_, err = db.CreateUser(ctx, a1, syncproto.CreateUserRequest{Username: "w11", Password: "long-enough", DisplayName: "x",
		Roles: []string{syncproto.RoleVillageWorker}, UnitID: "t10-v1", IDNumber: idNumber(4)}, "h")
	if server.ErrorCode(err) != syncproto.CodeOutOfScope {
		t.Errorf("user in t10-v1: %v", err)
	}
	w10 := actorOf(t, db, "w10", "d")
	if _, err := db.AddRelative(ctx, a1, syncproto.RelativeRequest{UserID: w10.UserID, IDNumber: idNumber(5), Relation: "配偶"}); server.ErrorCode(err) != syncproto.CodeOutOfScope {
		t.Errorf("relative of w10: %v", err)
	}
}

func TestCreateUserStoresAndMasks(t *testing.T) {
	ctx := context.Background()
	db, clock, root := identityDB(t)
	mustUnit(t, db, root, "t1", "c", "township")
	mustUnit(t, db, root, "t1-v1", "t1", "village")
	roles := []string{syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee}
	d := mustUser(t, db, root, "  w1  ", "t1-v1", 7, roles...)
	full := idNumber(7)
	if d.Username != "w1" || d.IDNumber != syncproto.MaskIDNumber(full) || d.IDNumber == full || d.UnitID != "t1-v1" ||
		d.CreatedAt != clock.Now().Format(time.RFC3339) || d.ID == "" {
		t.Errorf("created %+v", d)
	}
	u, err := db.UserByUsername(ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(u.Roles)
	slices.Sort(got)
	want := slices.Clone(roles)
	slices.Sort(want)
	if u.ID != d.ID || u.PasswordHash != "hash-w1" || u.IDNumber != full || u.UnitPath != "/c/t1/t1-v1/" ||
		!slices.Equal(got, want) || u.Disabled || !u.CreatedAt.Equal(clock.Now()) {
		t.Errorf("stored %+v", u)
	}
	if byID, err := db.UserByID(ctx, d.ID); err != nil || byID.Username != "w1" {
		t.Errorf("UserByID: %+v %v", byID, err)
	}
	if _, err := db.UserByUsername(ctx, "W1"); server.ErrorCode(err) != syncproto.CodeNotFound {
		t.Errorf("usernames are case-sensitive: %v", err)
	}
	if _, err := db.AddRelative(ctx, root, syncproto.RelativeRequest{UserID: d.ID, IDNumber: idNumber(8), Relation: "子女"}); err != nil {
		t.Fatal(err)
	}

	// Neither the full ID numbers nor the password hash reach the audit log.
	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM audit_log WHERE detail LIKE '%' || ? || '%' OR detail LIKE '%' || ? || '%'
		OR detail LIKE '%hash-%'`, full, idNumber(8)).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d audit rows expose an ID number or hash (%v)", n, err)
	}
	var actions []string
	rows, err := db.read.Query(`SELECT action || ':' || actor_id || ':' || object_id FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		rows.Scan(&s)
		actions = append(actions, s)
	}
	wantActions := []string{"unit.create:system:c", "user.create:system:" + root.UserID, "unit.create:" + root.UserID + ":t1",
		"unit.create:" + root.UserID + ":t1-v1", "user.create:" + root.UserID + ":" + d.ID, "relative.create:" + root.UserID + ":" + d.ID}
	if !slices.Equal(actions, wantActions) {
		t.Errorf("audit %v\nwant %v", actions, wantActions)
	}
}

func TestCreateUserValidation(t *testing.T) {
	ctx := context.Background()
	db, _, root := identityDB(t)
	mustUnit(t, db, root, "t1", "c", "township")
	ok := syncproto.CreateUserRequest{Username: "w1", Password: "long-enough", DisplayName: "W", UnitID: "t1",
		Roles: []string{syncproto.RoleVillageWorker}, IDNumber: idNumber(1)}
	change := func(f func(*syncproto.CreateUserRequest)) syncproto.CreateUserRequest {
		r := ok
		r.Roles = slices.Clone(ok.Roles)
		f(&r)
		return r
	}
	scenarios := []struct {
		name string
		req  syncproto.CreateUserRequest
		code string
	}{
		{"one-letter username", change(func(r *syncproto.CreateUserRequest) { r.Username = "w" }), syncproto.CodeValidation},
		{"username with a space", change(func(r *syncproto.CreateUserRequest) { r.Username = "w 1" }), syncproto.CodeValidation},
		{"short password", change(func(r *syncproto.CreateUserRequest) { r.Password = "1234567" }), syncproto.CodeWeakPassword},
		{"long password", change(func(r *syncproto.CreateUserRequest) { r.Password = strings.Repeat("p", 257) }), syncproto.CodeWeakPassword},
		{"no display name", change(func(r *syncproto.CreateUserRequest) { r.DisplayName = "  " }), syncproto.CodeValidation},
		{"no roles", change(func(r *syncproto.CreateUserRequest) { r.Roles = nil }), syncproto.CodeInvalidRole},
		{"unknown role", change(func(r *syncproto.CreateUserRequest) { r.Roles = append(r.Roles, "root") }), syncproto.CodeInvalidRole},
		{"bad check digit", change(func(r *syncproto.CreateUserRequest) { r.IDNumber = r.IDNumber[:17] + "0" }), syncproto.CodeInvalidIDNumber},
		{"bad birth date", change(func(r *syncproto.CreateUserRequest) {
			r.IDNumber = "53012119901301000" + string(syncproto.IDCheckChar("53012119901301000"))
		}), syncproto.CodeInvalidIDNumber},
		{"signer without ID number", change(func(r *syncproto.CreateUserRequest) { r.IDNumber = "" }), syncproto.CodeInvalidIDNumber},
		{"unknown unit", change(func(r *syncproto.CreateUserRequest) { r.UnitID = "nowhere" }), syncproto.CodeInvalidUnit},
		{"taken username", change(func(r *syncproto.CreateUserRequest) { r.Username = "root" }), syncproto.CodeAlreadyExists},
	}
	if ok.IDNumber[17] == '0' {
		t.Fatal("fixture: pick another ID number")
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if _, err := db.CreateUser(ctx, root, sc.req, "h"); server.ErrorCode(err) != sc.code {
				t.Errorf("error %v, want %s", err, sc.code)
			}
		})
	}
	// A non-signer (committee member) may have no ID number.
	noID := change(func(r *syncproto.CreateUserRequest) {
		r.IDNumber = ""
		r.Roles = []string{syncproto.RoleVillageCommittee}
	})
	if d, err := db.CreateUser(ctx, root, noID, "h"); err != nil || d.IDNumber != "" {
		t.Errorf("committee member without ID: %+v %v", d, err)
	}
	users, err := db.ListUsers(ctx, root)
	if err != nil || len(users) != 2 {
		t.Errorf("after refused creations: %d users (%v), want root and w1", len(users), err)
	}
	worker := &server.Actor{UserID: "x", UnitPath: "/c/", Roles: []string{syncproto.RoleVillageWorker}}
	if _, err := db.CreateUser(ctx, worker, ok, "h"); server.ErrorCode(err) != syncproto.CodeForbidden {
		t.Errorf("non-admin: %v", err)
	}
	if _, err := db.ListUsers(ctx, worker); server.ErrorCode(err) != syncproto.CodeForbidden {
		t.Errorf("non-admin list: %v", err)
	}
}

func TestRefreshRotation(t *testing.T) {
	ctx := context.Background()
	db, clock, root := identityDB(t)
	newSession := func(id, token string, ttl time.Duration) server.Session {
		s := server.Session{ID: id, UserID: root.UserID, DeviceID: "dev-" + id, CreatedAt: clock.Now()}
		if err := db.CreateSession(ctx, s, token, clock.Now().Add(ttl)); err != nil {
			t.Fatal(err)
		}
		return s
	}
	rotate := func(old, next string) (*server.Session, string) {
		s, err := db.RotateRefresh(ctx, old, next, clock.Now().Add(time.Hour))
		return s, server.ErrorCode(err)
	}
	s := newSession("s1", "h0", time.Hour)
	if got, code := rotate("h0", "h1"); code != "" || got.ID != "s1" || got.UserID != root.UserID || got.DeviceID != "dev-s1" {
		t.Fatalf("rotate: %+v %s", got, code)
	}
	if _, code := rotate("h1", "h2"); code != "" {
		t.Fatalf("second rotate: %s", code)
	}
	if _, u, err := db.SessionUser(ctx, s.ID); err != nil || u.Username != "root" {
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
	if _, _, err := db.SessionUser(ctx, s.ID); server.ErrorCode(err) != syncproto.CodeRevoked {
		t.Errorf("session after reuse: %v", err)
	}
	var why string
	if err := db.read.QueryRow(`SELECT revoked_why FROM sessions WHERE id = 's1'`).Scan(&why); err != nil || why != "refresh_token_reused" {
		t.Errorf("revoked_why %q (%v)", why, err)
	}
	var reused int
	db.read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_reused' AND object_id = 's1'`).Scan(&reused)
	if reused != 1 {
		t.Errorf("%d auth.refresh_reused audit rows, want 1", reused)
	}

	// Expiry, at the exact instant.
	newSession("s2", "e0", time.Hour)
	clock.Advance(time.Hour)
	if _, code := rotate("e0", "e1"); code != syncproto.CodeRefreshExpired {
		t.Errorf("expired token: %q", code)
	}
	if _, code := rotate("e1", "e2"); code != syncproto.CodeRefreshInvalid {
		t.Errorf("successor of an expired token: %q", code)
	}

	// Logout.
	s3 := newSession("s3", "l0", time.Hour)
	a := &server.Actor{UserID: root.UserID, DeviceID: s3.DeviceID, SessionID: s3.ID}
	if err := db.RevokeSession(ctx, a, "logout"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, s3.ID); server.ErrorCode(err) != syncproto.CodeRevoked {
		t.Errorf("session after logout: %v", err)
	}
	if _, code := rotate("l0", "l1"); code != syncproto.CodeRevoked {
		t.Errorf("token of a logged-out session: %q", code)
	}
	if _, _, err := db.SessionUser(ctx, "no-such-session"); server.ErrorCode(err) != syncproto.CodeRevoked {
		t.Errorf("unknown session: %v", err)
	}
	if n, brk, err := db.VerifyAudit(ctx); brk != nil || err != nil || n == 0 {
		t.Errorf("audit after sessions: %d %+v %v", n, brk, err)
	}
}

// TestConcurrentRotationOfOneToken: of many simultaneous uses of one
// refresh token exactly one wins; the others are reuse.
func TestConcurrentRotationOfOneToken(t *testing.T) {
	ctx := context.Background()
	db, clock, root := identityDB(t)
	if err := db.CreateSession(ctx, server.Session{ID: "s", UserID: root.UserID, DeviceID: "d", CreatedAt: clock.Now()},
		"t0", clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	const n = 8
	codes := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := db.RotateRefresh(ctx, "t0", "next-"+string(rune('a'+i)), clock.Now().Add(time.Hour))
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

func TestDisabledUserSessionRefused(t *testing.T) {
	ctx := context.Background()
	db, clock, root := identityDB(t)
	mustUnit(t, db, root, "t1", "c", "township")
	mustUser(t, db, root, "r1", "t1", 1, syncproto.RoleTownshipReviewer)
	r1 := actorOf(t, db, "r1", "d")
	if err := db.CreateSession(ctx, server.Session{ID: "s", UserID: r1.UserID, DeviceID: "d", CreatedAt: clock.Now()},
		"t0", clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`UPDATE users SET disabled = 1 WHERE id = ?`, r1.UserID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, "s"); server.ErrorCode(err) != syncproto.CodeRevoked {
		t.Errorf("session of a disabled user: %v", err)
	}
}
