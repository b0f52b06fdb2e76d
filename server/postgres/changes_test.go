package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// change is a Change in short: "id@version" plus "-" for a tombstone and
// "<" for a left_scope one.
func short(cs []syncproto.Change) string {
	var parts []string
	for _, c := range cs {
		s := fmt.Sprintf("%s@%d", c.ID, c.Version)
		if c.Deleted {
			s += "-"
			if string(c.Fields) != "{}" {
				s += "(fields " + string(c.Fields) + ")"
			}
		}
		if strings.Contains(string(c.Meta), "left_scope") {
			s += "<"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestChanges(t *testing.T) {
	db := open(t)
	seedUnits(t, db, "c")
	var h1 *server.Record
	write(t, db, "c", func(tx server.Tx) error {
		h1 = newRecord(t, tx, "households", "h1", "c-v1", map[string]string{"head_id_number": "110"}) // 1
		h2 := newRecord(t, tx, "households", "h2", "c-v1", nil)                                       // 2
		h3 := newRecord(t, tx, "households", "h3", "c-v2", nil)                                       // 3
		for _, r := range []*server.Record{h1, h2, h3} {
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	write(t, db, "c", func(tx server.Tx) error {
		h2, _ := tx.Record("households", "h2")
		h2.Deleted, h2.Version = true, mustVersion(t, tx) // 4: a tombstone
		if err := tx.Put(h2); err != nil {
			return err
		}
		h1, _ := tx.Record("households", "h1")
		h1.UnitID, h1.Version = "c-v2", mustVersion(t, tx) // 5: h1 moves v1 -> v2
		if err := tx.Put(h1); err != nil {
			return err
		}
		return tx.AddScopeExit(h1.Version, "households", "h1", "c-v1")
	})
	read(t, db, func(tx server.Tx) error {
		all, err := tx.Changes(nil, true, 0, 100)
		if got, want := short(all), "h3@3 h2@4- h1@5"; err != nil || got != want {
			t.Errorf("all: %q, %v; want %q", got, err, want)
		}
		v1, _ := tx.Changes([]string{"c-v1"}, false, 0, 100)
		if got, want := short(v1), "h2@4- h1@5-<"; got != want {
			t.Errorf("village 1: %q, want %q", got, want)
		}
		both, _ := tx.Changes([]string{"c-v1", "c-v2"}, false, 0, 100)
		if got, want := short(both), "h3@3 h2@4- h1@5"; got != want {
			t.Errorf("both villages: %q, want %q (no left_scope: h1 is still in scope)", got, want)
		}
		page, _ := tx.Changes([]string{"c-v1"}, false, 0, 1)
		if got, want := short(page), "h2@4-"; got != want {
			t.Errorf("limit 1: %q, want %q", got, want)
		}
		after, _ := tx.Changes(nil, true, 4, 100)
		if got, want := short(after), "h1@5"; got != want {
			t.Errorf("after 4: %q, want %q", got, want)
		}
		if string(after[0].Fields) != `{"head_id_number":"110"}` {
			t.Errorf("fields = %s", after[0].Fields)
		}
		var meta syncproto.RecordMeta
		if err := json.Unmarshal(after[0].Meta, &meta); err != nil {
			t.Errorf("meta %s: %v", after[0].Meta, err)
		}
		return nil
	})
	seedUnits(t, db, "d")
	write(t, db, "d", func(tx server.Tx) error {
		return tx.Put(newRecord(t, tx, "households", "other-county", "d-v1", nil))
	})
	read(t, db, func(tx server.Tx) error {
		d, _ := tx.Changes([]string{"d-v1"}, false, 0, 100)
		if got, want := short(d), "other-county@1"; got != want {
			t.Errorf("county d: %q, want %q", got, want)
		}
		if _, err := tx.Changes([]string{"c-v1", "d-v1"}, false, 0, 100); err == nil {
			t.Error("a scope over two counties: no error")
		}
		if _, err := tx.Changes(nil, true, 0, 100); err == nil {
			t.Error("all over two counties in a read transaction: no error")
		}
		return nil
	})
	write(t, db, "c", func(tx server.Tx) error {
		h1, _ := tx.Record("households", "h1")
		h1.UnitID, h1.Version = "c-v1", mustVersion(t, tx) // 6: back in v1
		if err := tx.Put(h1); err != nil {
			return err
		}
		// A write transaction sees its own pending writes in Changes.
		v1, err := tx.Changes([]string{"c-v1"}, false, 0, 100)
		if got, want := short(v1), "h2@4- h1@6"; err != nil || got != want {
			t.Errorf("village 1 after return: %q, %v; want %q", got, err, want)
		}
		all, _ := tx.Changes(nil, true, 0, 100)
		if got, want := short(all), "h3@3 h2@4- h1@6"; got != want {
			t.Errorf("all in a write tx of c: %q, want %q", got, want)
		}
		return nil
	})
}

func mustVersion(t *testing.T, tx server.Tx) int64 {
	t.Helper()
	v, err := tx.NextVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
