package postgres

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// member puts a member of household with ID number key.
func member(t *testing.T, tx server.Tx, id, household, key string, deleted bool) {
	t.Helper()
	m := newRecord(t, tx, "members", id, "c-v1", map[string]string{"id_number": key, "household_id": household})
	m.HouseholdID, m.DedupeKey, m.Deleted = household, key, deleted
	if err := tx.Put(m); err != nil {
		t.Fatal(err)
	}
}

func TestDuplicateQueries(t *testing.T) {
	db := open(t)
	write(t, db, "c", func(tx server.Tx) error {
		for _, h := range []struct {
			id      string
			deleted bool
		}{{"h1", false}, {"h2", false}, {"h3", true}} {
			r := withKey(newRecord(t, tx, "households", h.id, "c-v1", map[string]string{"head_id_number": "head-" + h.id}), h.id)
			r.Deleted = h.deleted
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		member(t, tx, "m1", "h1", "A", false)
		member(t, tx, "m2", "h2", "A", false) // A is in h1 and h2
		member(t, tx, "m3", "h1", "B", false)
		member(t, tx, "m4", "h3", "B", false) // B's other household is deleted
		member(t, tx, "m5", "h1", "C", false)
		member(t, tx, "m6", "h2", "C", true) // C's other membership is deleted
		// Queried in the same transaction: the pending writes are flushed.
		if n, err := tx.MembersElsewhere("h1"); n != 1 || err != nil {
			t.Errorf("MembersElsewhere(h1) = %d, %v; want 1 (A)", n, err)
		}
		return nil
	})
	read(t, db, func(tx server.Tx) error {
		if r, _ := tx.MemberElsewhere("A", "m1", "h1"); r == nil || r.ID != "m2" {
			t.Errorf("MemberElsewhere(A) = %v, want m2", r)
		}
		if r, _ := tx.MemberElsewhere("A", "m2", "h1"); r != nil {
			t.Errorf("MemberElsewhere(A, self m2) = %v", r)
		}
		for _, key := range []string{"B", "C", ""} {
			if r, _ := tx.MemberElsewhere(key, "x", "h1"); r != nil {
				t.Errorf("MemberElsewhere(%q) = %v, want none", key, r)
			}
		}
		if n, _ := tx.MembersElsewhere("h2"); n != 1 {
			t.Errorf("MembersElsewhere(h2) = %d, want 1", n)
		}
		if r, _ := tx.LiveMember("C", "h2"); r != nil {
			t.Errorf("LiveMember of a deleted member = %v", r)
		}
		if r, _ := tx.LiveHousehold("head-h3", ""); r != nil {
			t.Errorf("LiveHousehold of a deleted household = %v", r)
		}
		if r, _ := tx.LiveHousehold("head-h2", "h1"); r == nil || r.ID != "h2" {
			t.Errorf("LiveHousehold(head-h2) = %v", r)
		}
		return nil
	})
}

func TestSignatureAndPhotoQueries(t *testing.T) {
	db := open(t)
	seedUnits(t, db, "c")
	write(t, db, "c", func(tx server.Tx) error {
		for _, u := range []string{"u1", "u2"} {
			if err := tx.InsertUser(&server.User{ID: u, Username: u, UnitID: "c-v1"}); err != nil {
				return err
			}
		}
		for _, k := range [][2]string{{"k1", "u1"}, {"k2", "u2"}, {"k3", "u2"}} {
			if err := tx.InsertKey(keyOf(k[0], k[1])); err != nil {
				return err
			}
		}
		for _, s := range []struct {
			id, key, hash string
			deleted       bool
		}{{"s1", "k1", "H", false}, {"s2", "k2", "H", false}, {"s3", "k3", "H", false}, {"s4", "k1", "old", false}, {"s5", "k2", "H", true}} {
			r := newRecord(t, tx, "signatures", s.id, "c-v1", map[string]string{"key_id": s.key, "content_hash": s.hash})
			r.ParentID, r.Deleted = "i1", s.deleted
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		for _, p := range []struct{ id, kind, household string }{{"p1", "house", "h1"}, {"p2", "commitment", "h2"}} {
			r := newRecord(t, tx, "photos", p.id, "c-v1", map[string]string{"kind": p.kind})
			r.HouseholdID = p.household
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, db, func(tx server.Tx) error {
		if s, err := tx.ValidSigners("i1", "H"); err != nil || !reflect.DeepEqual(s, []string{"u1", "u2"}) {
			t.Errorf("ValidSigners(H) = %v, %v; want [u1 u2]", s, err)
		}
		if s, _ := tx.ValidSigners("i1", "none"); s == nil || len(s) != 0 {
			t.Errorf("ValidSigners(none) = %#v, want empty", s)
		}
		if sigs, _ := tx.Signatures("i1"); len(sigs) != 5 {
			t.Errorf("Signatures = %d, want 5 (deleted too)", len(sigs))
		}
		for h, want := range map[string]bool{"h1": false, "h2": true} {
			if got, err := tx.HasCommitmentPhoto(h); got != want || err != nil {
				t.Errorf("HasCommitmentPhoto(%s) = %v, %v", h, got, err)
			}
		}
		if rs, err := tx.PhotoFilings([]string{"p1", "p2", "p3"}); err != nil || len(rs) != 2 || rs[0].ID != "p1" || rs[1].ID != "p2" {
			t.Errorf("PhotoFilings = %v, %v", rs, err)
		}
		return nil
	})
}

func TestAliasesAndAuditOf(t *testing.T) {
	db := open(t)
	write(t, db, "c", func(tx server.Tx) error {
		if id, err := tx.CanonicalID("households", "a1"); id != "a1" || err != nil {
			t.Errorf("CanonicalID without aliases = %q, %v", id, err)
		}
		if err := tx.AddAlias("households", "a1", "h1"); err != nil {
			return err
		}
		if id, _ := tx.CanonicalID("households", "a1"); id != "h1" {
			t.Errorf("CanonicalID in the adding tx = %q", id)
		}
		for i, action := range []string{"one", "two"} {
			if err := tx.AppendAudit(server.AuditEntry{ActorID: "u1", Action: action, ObjectType: "households",
				ObjectID: "h1", Detail: map[string]int{"n": i}}); err != nil {
				return err
			}
		}
		es, err := tx.AuditOf("households", "h1")
		if err != nil || len(es) != 2 || es[0].Action != "one" || string(es[1].Detail.(json.RawMessage)) != `{"n":1}` ||
			es[0].At.IsZero() || es[1].Seq != 2 {
			t.Errorf("AuditOf in the tx = %+v, %v", es, err)
		}
		return nil
	})
	read(t, db, func(tx server.Tx) error {
		if id, _ := tx.CanonicalID("households", "a1"); id != "h1" {
			t.Errorf("CanonicalID = %q", id)
		}
		if id, _ := tx.CanonicalID("households", "h1"); id != "h1" {
			t.Errorf("CanonicalID of a canonical id = %q", id)
		}
		return nil
	})
	ctx := context.Background()
	for _, sql := range []string{`UPDATE audit_log SET actor_id = 'x'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := db.pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s: no error; the audit log must be append-only", sql)
		}
	}
}

func keyOf(id, user string) syncproto.Key {
	return syncproto.Key{KeyID: id, UserID: user, DeviceID: "d", PublicKey: "cHVi", CreatedAt: "2024-03-01T08:00:00Z"}
}
