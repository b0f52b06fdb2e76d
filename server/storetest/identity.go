package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Units, users and relatives through the AdminService, always within the
// calling admin's subtree. The demo county is "demo-county" with
// townships t1 and t2 of villages t1-v1…t2-v3.

func mustUnit(t *testing.T, env *ruhutest.Env, a *server.Actor, id, parent, level string) {
	t.Helper()
	if _, err := adminService(env).CreateUnit(context.Background(), a, syncproto.Unit{ID: id, ParentID: parent, Name: "单位" + id, Level: level}); err != nil {
		t.Fatalf("unit %s: %v", id, err)
	}
}

func mustUser(t *testing.T, env *ruhutest.Env, a *server.Actor, username, unit string, n int, roles ...string) *syncproto.UserDetail {
	t.Helper()
	u, err := adminService(env).CreateUser(context.Background(), a, syncproto.CreateUserRequest{Username: username, Password: "long-enough",
		DisplayName: "用户" + username, Roles: roles, UnitID: unit, IDNumber: ruhutest.IDNumber(n)}, "hash-"+strings.TrimSpace(username))
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	return u
}

// testSubtreeDoesNotMatchPrefixSiblings: townships "t1" and "t10" share an
// id prefix; an admin of t1 must see and touch nothing of t10.
func testSubtreeDoesNotMatchPrefixSiblings(t *testing.T, newEnv NewEnv) {
	ctx := context.Background()
	env := newEnv(t)
	admin, root := adminService(env), env.Actor("admin", "dev-root")
	mustUnit(t, env, root, "t10", "demo-county", syncproto.LevelTownship)
	mustUnit(t, env, root, "t10-v1", "t10", syncproto.LevelVillage)
	mustUser(t, env, root, "admin1", "t1", 901, syncproto.RoleAdmin)
	mustUser(t, env, root, "w10", "t10-v1", 903, syncproto.RoleVillageWorker)
	a1 := env.Actor("admin1", "dev-a1")
	if a1.UnitPath != "/demo-county/t1/" {
		t.Fatalf("unit path %q", a1.UnitPath)
	}
	unitIDs := func(a *server.Actor) []string {
		t.Helper()
		units, err := admin.ListUnits(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range units {
			ids = append(ids, u.ID)
		}
		return ids
	}
	// Tree order: a unit's path ends in '/', which sorts before any digit.
	if want := []string{"demo-county", "t1", "t1-v1", "t1-v2", "t1-v3", "t10", "t10-v1", "t2", "t2-v1", "t2-v2", "t2-v3"}; !slices.Equal(unitIDs(root), want) {
		t.Errorf("county lists units %v, want %v", unitIDs(root), want)
	}
	if ids := unitIDs(a1); !slices.Equal(ids, []string{"t1", "t1-v1", "t1-v2", "t1-v3"}) {
		t.Errorf("admin of t1 lists units %v", ids)
	}
	users, err := admin.ListUsers(ctx, a1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
	}
	if want := []string{"admin1", "committee1", "reviewer1", "worker1", "worker2"}; !slices.Equal(names, want) {
		t.Errorf("admin of t1 lists users %v, want %v", names, want)
	}
	_, err = admin.CreateUnit(ctx, a1, syncproto.Unit{ID: "t10-v2", ParentID: "t10", Name: "x", Level: syncproto.LevelVillage})
	if server.ErrorCode(err) != syncproto.CodeOutOfScope {
		t.Errorf("village under t10: %v", err)
	}
	_, err = admin.CreateUser(ctx, a1, syncproto.CreateUserRequest{Username: "w11", Password: "long-enough", DisplayName: "x",
		Roles: []string{syncproto.RoleVillageWorker}, UnitID: "t10-v1", IDNumber: ruhutest.IDNumber(904)}, "h")
	if server.ErrorCode(err) != syncproto.CodeOutOfScope {
		t.Errorf("user in t10-v1: %v", err)
	}
	w10 := env.Actor("w10", "d")
	if _, err := admin.AddRelative(ctx, a1, syncproto.RelativeRequest{UserID: w10.UserID, IDNumber: ruhutest.IDNumber(905), Relation: "配偶"}); server.ErrorCode(err) != syncproto.CodeOutOfScope {
		t.Errorf("relative of w10: %v", err)
	}
}

func testCreateUserStoresAndMasks(t *testing.T, newEnv NewEnv) {
	ctx := context.Background()
	env := newEnv(t)
	root := env.Actor("admin", "dev-root")
	seq, _ := verifyAudit(t, env)
	mustUnit(t, env, root, "t3", "demo-county", syncproto.LevelTownship)
	mustUnit(t, env, root, "t3-v1", "t3", syncproto.LevelVillage)
	roles := []string{syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee}
	d := mustUser(t, env, root, "  w1  ", "t3-v1", 907, roles...)
	full := ruhutest.IDNumber(907)
	if d.Username != "w1" || d.IDNumber != syncproto.MaskIDNumber(full) || d.IDNumber == full || d.UnitID != "t3-v1" ||
		d.CreatedAt != env.Now().Format(time.RFC3339) || d.ID == "" {
		t.Errorf("created %+v", d)
	}
	store := authStore(env)
	u, err := store.UserByUsername(ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(u.Roles)
	slices.Sort(got)
	want := slices.Clone(roles)
	slices.Sort(want)
	if u.ID != d.ID || u.PasswordHash != "hash-w1" || u.IDNumber != full || u.UnitPath != "/demo-county/t3/t3-v1/" ||
		!slices.Equal(got, want) || u.Disabled || u.CreatedAt.Sub(env.Now()).Abs() > time.Millisecond { // PostgreSQL keeps microseconds
		t.Errorf("stored %+v", u)
	}
	if byID, err := store.UserByID(ctx, d.ID); err != nil || byID.Username != "w1" {
		t.Errorf("UserByID: %+v %v", byID, err)
	}
	if _, err := store.UserByUsername(ctx, "W1"); server.ErrorCode(err) != syncproto.CodeNotFound {
		t.Errorf("usernames are case-sensitive: %v", err)
	}
	relative := ruhutest.IDNumber(908)
	if _, err := adminService(env).AddRelative(ctx, root, syncproto.RelativeRequest{UserID: d.ID, IDNumber: relative, Relation: "子女"}); err != nil {
		t.Fatal(err)
	}

	// Each change is audited, and neither the full ID numbers nor the
	// password hash reach the audit log.
	var actions []string
	for _, e := range auditAfter(t, env, seq) {
		actions = append(actions, e.Action+":"+e.ActorID+":"+e.ObjectID)
		detail, err := e.DetailJSON()
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{full, relative, "hash-"} {
			if strings.Contains(string(detail), secret) {
				t.Errorf("audit row %d (%s) exposes %q: %s", e.Seq, e.Action, secret, detail)
			}
		}
	}
	wantActions := []string{"unit.create:" + root.UserID + ":t3", "unit.create:" + root.UserID + ":t3-v1",
		"user.create:" + root.UserID + ":" + d.ID, "relative.create:" + root.UserID + ":" + d.ID}
	if !slices.Equal(actions, wantActions) {
		t.Errorf("audit %v\nwant %v", actions, wantActions)
	}
}

func testCreateUserValidation(t *testing.T, newEnv NewEnv) {
	ctx := context.Background()
	env := newEnv(t)
	admin, root := adminService(env), env.Actor("admin", "dev-root")
	before, err := admin.ListUsers(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	ok := syncproto.CreateUserRequest{Username: "w1", Password: "long-enough", DisplayName: "W", UnitID: "t1",
		Roles: []string{syncproto.RoleVillageWorker}, IDNumber: ruhutest.IDNumber(901)}
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
			r.IDNumber = syncproto.CompleteIDNumber("53012119901301000")
		}), syncproto.CodeInvalidIDNumber},
		{"signer without ID number", change(func(r *syncproto.CreateUserRequest) { r.IDNumber = "" }), syncproto.CodeInvalidIDNumber},
		{"unknown unit", change(func(r *syncproto.CreateUserRequest) { r.UnitID = "nowhere" }), syncproto.CodeInvalidUnit},
		{"taken username", change(func(r *syncproto.CreateUserRequest) { r.Username = "admin" }), syncproto.CodeAlreadyExists},
	}
	if ok.IDNumber[17] == '0' {
		t.Fatal("fixture: pick another ID number")
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if _, err := admin.CreateUser(ctx, root, sc.req, "h"); server.ErrorCode(err) != sc.code {
				t.Errorf("error %v, want %s", err, sc.code)
			}
		})
	}
	// A non-signer (committee member) may have no ID number.
	noID := change(func(r *syncproto.CreateUserRequest) {
		r.IDNumber = ""
		r.Roles = []string{syncproto.RoleVillageCommittee}
	})
	if d, err := admin.CreateUser(ctx, root, noID, "h"); err != nil || d.IDNumber != "" {
		t.Errorf("committee member without ID: %+v %v", d, err)
	}
	users, err := admin.ListUsers(ctx, root)
	if err != nil || len(users) != len(before)+1 {
		t.Errorf("after refused creations: %d users (%v), want the %d seeded and w1", len(users), err, len(before))
	}
	worker := &server.Actor{UserID: "x", UnitPath: "/demo-county/", Roles: []string{syncproto.RoleVillageWorker}}
	if _, err := admin.CreateUser(ctx, worker, ok, "h"); server.ErrorCode(err) != syncproto.CodeForbidden {
		t.Errorf("non-admin: %v", err)
	}
	if _, err := admin.ListUsers(ctx, worker); server.ErrorCode(err) != syncproto.CodeForbidden {
		t.Errorf("non-admin list: %v", err)
	}
}
