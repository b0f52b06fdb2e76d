package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

func TestRecordRoundTrip(t *testing.T) {
	db := open(t)
	var put server.Record
	write(t, db, "c", func(tx server.Tx) error {
		r := newRecord(t, tx, "households", "h1", "c-v1", map[string]string{"head_id_number": "110"})
		r.Fields["size"] = json.RawMessage(`3`)
		r.Fields["note"] = json.RawMessage(`"a \u00e9 \"q\""`) // kept verbatim, escapes and all
		r.FieldVersions["size"] = 7
		r.HouseholdID, r.DedupeKey = "h1", "110"
		r.Meta = syncproto.RecordMeta{OpenConflicts: 2, Submitted: true, SubmittedAt: "2024-03-01T08:00:00Z",
			Signatures: &syncproto.SignatureState{ContentHash: "abc", ValidSigners: []string{"u1", "u2"}, Satisfied: true}}
		if err := tx.Put(r); err != nil {
			return err
		}
		if !r.Stored || r.OldVersion != r.Version || r.CreatedAt.IsZero() {
			t.Errorf("after Put: Stored %v OldVersion %d Version %d CreatedAt %v", r.Stored, r.OldVersion, r.Version, r.CreatedAt)
		}
		put = *r
		return nil
	})
	read(t, db, func(tx server.Tx) error {
		got, err := tx.Record("households", "h1")
		if err != nil || got == nil {
			t.Fatalf("Record = %v, %v", got, err)
		}
		put.Audited = put.Fields // read back: what the audit chain last committed
		if !reflect.DeepEqual(*got, put) {
			t.Errorf("round trip:\n got %+v\nwant %+v", *got, put)
		}
		if string(got.Fields["note"]) != `"a \u00e9 \"q\""` {
			t.Errorf("note = %s, not verbatim", got.Fields["note"])
		}
		none, err := tx.Record("households", "nope")
		if none != nil || err != nil {
			t.Errorf("missing record = %v, %v", none, err)
		}
		return nil
	})
}

func TestRecordSamePointerAndPutVisible(t *testing.T) {
	db := open(t)
	write(t, db, "c", func(tx server.Tx) error {
		return tx.Put(withKey(newRecord(t, tx, "households", "h1", "c-v1", map[string]string{"head_id_number": "110"}), "h1"))
	})
	write(t, db, "c", func(tx server.Tx) error {
		a, _ := tx.Record("households", "h1")
		b, _ := tx.Record("households", "h1")
		if a == nil || a != b {
			t.Fatalf("Record twice: %p, %p; want one pointer", a, b)
		}
		absent, _ := tx.Record("members", "m1")
		if absent != nil {
			t.Fatalf("absent = %v", absent)
		}
		m := newRecord(t, tx, "members", "m1", "c-v1", map[string]string{"id_number": "220"})
		m.HouseholdID, m.DedupeKey = "h1", "220"
		if err := tx.Put(m); err != nil {
			return err
		}
		if got, _ := tx.Record("members", "m1"); got != m {
			t.Errorf("Record after Put = %p, want the put pointer %p", got, m)
		}
		live, err := tx.LiveMembers("h1")
		if err != nil || len(live) != 1 || live[0] != m {
			t.Errorf("LiveMembers after Put = %v, %v; want [m1] (same pointer)", live, err)
		}
		kids, err := tx.Children("h1")
		if err != nil || len(kids) != 1 || kids[0] != m {
			t.Errorf("Children = %v, %v", kids, err)
		}
		if got, _ := tx.LiveMember("220", "h1"); got != m {
			t.Errorf("LiveMember = %v", got)
		}
		hh, _ := tx.LiveHousehold("110", "")
		if hh != a {
			t.Errorf("LiveHousehold = %p, want cached %p", hh, a)
		}
		if hh, _ := tx.LiveHousehold("110", "h1"); hh != nil {
			t.Errorf("LiveHousehold except itself = %v", hh)
		}
		a.Deleted, a.Version = true, a.Version+10
		if err := tx.Put(a); err != nil {
			return err
		}
		if hh, _ := tx.LiveHousehold("110", ""); hh != nil {
			t.Errorf("LiveHousehold after delete = %v", hh)
		}
		return nil
	})
}

func withKey(r *server.Record, household string) *server.Record {
	r.HouseholdID, r.DedupeKey = household, r.Field("head_id_number")
	return r
}

func TestWriteRollsBackOnError(t *testing.T) {
	db := open(t)
	seedUnits(t, db, "c")
	boom := errors.New("boom")
	err := db.Write(context.Background(), "c", func(tx server.Tx) error {
		if err := tx.Put(newRecord(t, tx, "households", "h1", "c-v1", nil)); err != nil {
			return err
		}
		if err := tx.AppendAudit(server.AuditEntry{Action: "x", Detail: nil}); err != nil {
			return err
		}
		if err := tx.LogMutation(server.MutationLogEntry{DeviceID: "d", UserID: "u", MutationID: 1, Result: []byte(`{}`)}); err != nil {
			return err
		}
		if err := tx.AddAlias("households", "a", "h1"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want boom", err)
	}
	read(t, db, func(tx server.Tx) error {
		if r, _ := tx.Record("households", "h1"); r != nil {
			t.Error("record survived the rollback")
		}
		if c, _ := tx.CanonicalID("households", "a"); c != "a" {
			t.Error("alias survived the rollback")
		}
		if _, ok, _ := tx.LoggedResult("d", "u", 1); ok {
			t.Error("mutation log survived the rollback")
		}
		return nil
	})
	var rows int
	_ = db.AuditRows(context.Background(), "c", func(server.AuditRow) error { rows++; return nil })
	write(t, db, "c", func(tx server.Tx) error {
		if v, _ := tx.NextVersion(); v != 1 {
			t.Errorf("version after rollback = %d, want 1 (the head was not written)", v)
		}
		return nil
	})
	if rows != 0 {
		t.Errorf("audit rows = %d after rollback", rows)
	}
}

func TestErrExists(t *testing.T) {
	db := open(t)
	seedUnits(t, db, "c")
	seedUnits(t, db, "d")
	cases := map[string]func(tx server.Tx) error{
		"unit id in another county": func(tx server.Tx) error {
			return tx.InsertUnit(server.Unit{ID: "d-v1", ParentID: "c-t", Name: "x", Level: "village", Path: "/c/c-t/d-v1/"}, t0)
		},
		"unit path": func(tx server.Tx) error {
			return tx.InsertUnit(server.Unit{ID: "z", ParentID: "c-t", Name: "x", Level: "village", Path: "/c/c-t/c-v1/"}, t0)
		},
		"alias":      func(tx server.Tx) error { return tx.AddAlias("households", "a", "h2") },
		"scope exit": func(tx server.Tx) error { return tx.AddScopeExit(5, "households", "h9", "c-v2") },
		"conflict": func(tx server.Tx) error {
			return tx.AddConflict(&server.StoredConflict{Conflict: syncproto.Conflict{ID: "k1", Kind: "field"}, UnitID: "c-v1"})
		},
		"username": func(tx server.Tx) error {
			return tx.InsertUser(&server.User{ID: "u-other", Username: "alice", UnitID: "c-v1"})
		},
	}
	write(t, db, "c", func(tx server.Tx) error {
		if err := tx.AddAlias("households", "a", "h1"); err != nil {
			return err
		}
		if err := tx.AddScopeExit(5, "households", "h1", "c-v1"); err != nil {
			return err
		}
		if err := tx.AddConflict(&server.StoredConflict{Conflict: syncproto.Conflict{ID: "k1", Kind: "field"}, UnitID: "c-v1"}); err != nil {
			return err
		}
		return nil
	})
	write(t, db, "d", func(tx server.Tx) error {
		return tx.InsertUser(&server.User{ID: "u1", Username: "alice", UnitID: "d-v1"})
	})
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			var inner error
			err := db.Write(context.Background(), "c", func(tx server.Tx) error {
				inner = fn(tx)
				return tx.SetSetting("after", "still usable") // the PostgreSQL transaction is not aborted
			})
			if !errors.Is(inner, server.ErrExists) {
				t.Errorf("got %v, want ErrExists", inner)
			}
			if err != nil {
				t.Errorf("transaction after ErrExists: %v", err)
			}
		})
	}
}

func TestReadTxRefusesWrites(t *testing.T) {
	db := open(t)
	read(t, db, func(tx server.Tx) error {
		for name, err := range map[string]error{
			"Put":         tx.Put(&server.Record{Collection: "households", ID: "h"}),
			"AppendAudit": tx.AppendAudit(server.AuditEntry{Action: "x"}),
			"SetSetting":  tx.SetSetting("k", "v"),
			"InsertUnit":  tx.InsertUnit(server.Unit{ID: "c", Path: "/c/"}, t0),
			"SetUnitPosition": func() error {
				_, err := tx.SetUnitPosition("c", server.Position{})
				return err
			}(),
		} {
			if !errors.Is(err, errReadOnly) {
				t.Errorf("%s in a read transaction = %v, want errReadOnly", name, err)
			}
		}
		if _, err := tx.NextVersion(); !errors.Is(err, errReadOnly) {
			t.Errorf("NextVersion = %v", err)
		}
		return nil
	})
}

func TestPrefetchLoadsNamedRecords(t *testing.T) {
	db := open(t)
	write(t, db, "c", func(tx server.Tx) error {
		for _, r := range []*server.Record{
			withKey(newRecord(t, tx, "households", "h1", "c-v1", map[string]string{"head_id_number": "110"}), "h1"),
			withKey(newRecord(t, tx, "households", "h2", "c-v1", map[string]string{"head_id_number": "111"}), "h2"),
			newRecord(t, tx, "investigations", "i1", "c-v1", nil),
		} {
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	write(t, db, "c", func(st server.Tx) error {
		ms := []syncproto.Mutation{
			{Collection: "members", ID: "m1", Fields: map[string]json.RawMessage{"household_id": json.RawMessage(`"h1"`)}},
			{Collection: "signatures", ID: "s1", Fields: map[string]json.RawMessage{"investigation_id": json.RawMessage(`"i1"`)}},
			{Collection: "households", ID: "h3", Fields: map[string]json.RawMessage{"head_id_number": json.RawMessage(`"111"`)}},
		}
		if err := st.Prefetch(ms); err != nil {
			return err
		}
		x := st.(*tx)
		for _, k := range []recKey{{"households", "h1"}, {"investigations", "i1"}, {"members", "m1"}, {"signatures", "s1"}, {"households", "h3"}} {
			if _, ok := x.cache[k]; !ok {
				t.Errorf("%v not cached by Prefetch", k)
			}
		}
		if x.cache[recKey{"members", "m1"}] != nil || x.cache[recKey{"households", "h1"}] == nil {
			t.Error("Prefetch cached the wrong presence")
		}
		if h := x.heads["111"]; h == nil || h.ID != "h2" {
			t.Errorf("head 111 = %v, want h2", h)
		}
		return nil
	})
}
