package sqlite

import (
	"context"
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
	return syncproto.CompleteIDNumber(string(base))
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

// TestDisabledUserSessionRefused: a session of a user disabled behind the
// service's back (a raw row change, so the session is not revoked) is
// refused. The identity behaviour through the services is storetest's.
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
