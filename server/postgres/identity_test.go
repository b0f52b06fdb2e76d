package postgres

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

func TestUnitsUsersAndRelatives(t *testing.T) {
	db := open(t)
	seedUnits(t, db, "c")
	seedUnits(t, db, "d")
	created := t0.Add(90 * time.Minute)
	alice := &server.User{ID: "u1", Username: "alice", DisplayName: "Alice", UnitID: "c-v1", IDNumber: "110",
		Roles: []string{"village_worker", "admin"}, PasswordHash: "h1", CreatedAt: created}
	write(t, db, "c", func(tx server.Tx) error {
		if err := tx.InsertUser(alice); err != nil {
			return err
		}
		if err := tx.InsertUser(&server.User{ID: "u2", Username: "bob", UnitID: "c-v2"}); err != nil {
			return err
		}
		return tx.InsertRelative(server.StoredRelative{ID: "r1", UserID: "u1", IDNumber: "999", Relation: "sister",
			CreatedBy: "u2", CreatedAt: created})
	})
	write(t, db, "d", func(tx server.Tx) error {
		return tx.InsertUser(&server.User{ID: "u3", Username: "carol", UnitID: "d-v1"})
	})
	read(t, db, func(tx server.Tx) error {
		us, err := tx.Units("/c/c-t/")
		if err != nil || len(us) != 3 || us[0].ID != "c-t" || us[1].ID != "c-v1" || us[1].ParentID != "c-t" {
			t.Errorf("Units(/c/c-t/) = %+v, %v", us, err)
		}
		if all, _ := tx.Units(""); len(all) != 8 {
			t.Errorf("Units(\"\") = %d units, want 8", len(all))
		}
		got, err := tx.UserByUsername("alice")
		want := *alice
		want.UnitPath = "/c/c-t/c-v1/"
		if err != nil || got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("UserByUsername:\n got %+v, %v\nwant %+v", got, err, want)
		}
		if u, _ := tx.UserByID("u3"); u == nil || u.Username != "carol" || u.UnitPath != "/d/d-t/d-v1/" {
			t.Errorf("UserByID(u3) across counties = %+v", u)
		}
		if u, err := tx.UserByID("nobody"); u != nil || err != nil {
			t.Errorf("UserByID(nobody) = %v, %v", u, err)
		}
		users, _ := tx.Users("/c/")
		if len(users) != 2 || users[0].Username != "alice" || users[1].Username != "bob" || len(users[1].Roles) != 0 {
			t.Errorf("Users(/c/) = %+v", users)
		}
		if v2, _ := tx.Users("/c/c-t/c-v2/"); len(v2) != 1 || v2[0].ID != "u2" {
			t.Errorf("Users(v2) = %+v", v2)
		}
		rels, _ := tx.Relatives("/c/", "")
		wantRel := server.StoredRelative{ID: "r1", UserID: "u1", IDNumber: "999", Relation: "sister", CreatedBy: "u2", CreatedAt: created}
		if len(rels) != 1 || rels[0] != wantRel {
			t.Errorf("Relatives = %+v", rels)
		}
		if rels, _ := tx.Relatives("/c/", "u2"); len(rels) != 0 {
			t.Errorf("Relatives of u2 = %+v", rels)
		}
		if ok, _ := tx.IsRelative("u1", "999"); !ok {
			t.Error("IsRelative(u1, 999) = false")
		}
		if ok, _ := tx.IsRelative("u1", "998"); ok {
			t.Error("IsRelative(u1, 998) = true")
		}
		return nil
	})
	write(t, db, "c", func(tx server.Tx) error {
		if err := tx.SetUserDisabled("u1", true); err != nil {
			return err
		}
		if err := tx.SetPasswordHash("u1", "h2"); err != nil {
			return err
		}
		if err := tx.SetUserDisabled("u3", true); err == nil {
			t.Error("SetUserDisabled of another county's user: no error")
		}
		u, _ := tx.UserByID("u1")
		if !u.Disabled || u.PasswordHash != "h2" {
			t.Errorf("after updates: %+v", u)
		}
		if err := tx.InsertRelative(server.StoredRelative{ID: "r1b", UserID: "u1", IDNumber: "999", Relation: "x"}); !errors.Is(err, server.ErrExists) {
			t.Errorf("the same relative again = %v, want ErrExists", err)
		}
		return nil
	})
}

func TestSettingsAndSecret(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	a, err := db.Secret(ctx, "jwt", 32)
	if err != nil || len(a) != 32 {
		t.Fatalf("Secret = %d bytes, %v", len(a), err)
	}
	if b, _ := db.Secret(ctx, "jwt", 32); string(a) != string(b) {
		t.Error("Secret changed on the second call")
	}
	write(t, db, "c", func(tx server.Tx) error {
		if _, ok, _ := tx.Setting("policy"); ok {
			t.Error("unset setting reported set")
		}
		if err := tx.SetSetting("policy", "a"); err != nil {
			return err
		}
		return tx.SetSetting("policy", "b")
	})
	read(t, db, func(tx server.Tx) error {
		if v, ok, err := tx.Setting("policy"); v != "b" || !ok || err != nil {
			t.Errorf("Setting = %q, %v, %v", v, ok, err)
		}
		return nil
	})
	seedUnits(t, db, "z")
	seedUnits(t, db, "c")
	if cs, err := db.Counties(ctx); err != nil || !reflect.DeepEqual(cs, []string{"c", "z"}) {
		t.Errorf("Counties = %v, %v", cs, err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Error(err)
	}
}

func TestKeysAndSessions(t *testing.T) {
	db := open(t)
	seedUnits(t, db, "c")
	exp := t0.Add(24 * time.Hour)
	at := t0.Add(time.Hour)
	key := syncproto.Key{KeyID: "k1", UserID: "u1", DeviceID: "d1", PublicKey: "cHVi", CreatedAt: "2024-03-01T08:00:00.5Z"}
	write(t, db, "c", func(tx server.Tx) error {
		if err := tx.InsertUser(&server.User{ID: "u1", Username: "alice", UnitID: "c-v1"}); err != nil {
			return err
		}
		if err := tx.InsertKey(key); err != nil {
			return err
		}
		if err := tx.InsertKey(key); !errors.Is(err, server.ErrExists) {
			t.Errorf("InsertKey twice = %v", err)
		}
		return tx.InsertSession(server.Session{ID: "s1", UserID: "u1", DeviceID: "d1", CreatedAt: t0}, "tok1", exp)
	})
	read(t, db, func(tx server.Tx) error {
		if k, _ := tx.Key("k1"); k == nil || *k != key {
			t.Errorf("Key = %+v", k)
		}
		if k, _ := tx.Key("none"); k != nil {
			t.Errorf("Key(none) = %+v", k)
		}
		if ks, _ := tx.KeysOf("u1"); len(ks) != 1 || ks[0] != key {
			t.Errorf("KeysOf = %+v", ks)
		}
		rt, err := tx.RefreshToken("tok1")
		want := server.RefreshToken{Session: server.Session{ID: "s1", UserID: "u1", DeviceID: "d1", CreatedAt: t0}, ExpiresAt: exp}
		if err != nil || rt == nil || *rt != want {
			t.Errorf("RefreshToken = %+v, %v; want %+v", rt, err, want)
		}
		if rt, _ := tx.RefreshToken("nope"); rt != nil {
			t.Errorf("RefreshToken(nope) = %+v", rt)
		}
		return nil
	})
	write(t, db, "c", func(tx server.Tx) error {
		if err := tx.UseRefresh("tok1", "tok2", "s1", exp.Add(time.Hour), at); err != nil {
			return err
		}
		if err := tx.RevokeKey("k1", at); err != nil {
			return err
		}
		if err := tx.InsertSession(server.Session{ID: "s2", UserID: "u1", DeviceID: "d2"}, "tok3", exp); err != nil {
			return err
		}
		return tx.RevokeSession("s1", "logout", at)
	})
	write(t, db, "c", func(tx server.Tx) error {
		if err := tx.RevokeSession("s1", "again", at.Add(time.Hour)); err != nil {
			return err
		}
		return tx.RevokeUserSessions("u1", "password_reset", at.Add(2*time.Hour))
	})
	read(t, db, func(tx server.Tx) error {
		if rt, _ := tx.RefreshToken("tok1"); rt == nil || !rt.Used || !rt.Session.RevokedAt.Equal(at) {
			t.Errorf("old token = %+v, want used, session revoked at %v", rt, at)
		}
		if rt, _ := tx.RefreshToken("tok2"); rt == nil || rt.Used || !rt.ExpiresAt.Equal(exp.Add(time.Hour)) {
			t.Errorf("new token = %+v", rt)
		}
		if s, _ := tx.Session("s1"); s == nil || !s.RevokedAt.Equal(at) {
			t.Errorf("s1 = %+v, want revoked at %v (a second revoke changes nothing)", s, at)
		}
		if s, _ := tx.Session("s2"); s == nil || !s.RevokedAt.Equal(at.Add(2*time.Hour)) || s.CreatedAt.IsZero() {
			t.Errorf("s2 = %+v", s)
		}
		if s, _ := tx.Session("none"); s != nil {
			t.Errorf("Session(none) = %+v", s)
		}
		if k, _ := tx.Key("k1"); k.RevokedAt != at.Format(time.RFC3339Nano) {
			t.Errorf("revoked key = %+v", k)
		}
		return nil
	})
}
