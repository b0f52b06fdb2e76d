package postgres

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

func conflict(id, unit, coll, record string, client string) *server.StoredConflict {
	return &server.StoredConflict{Conflict: syncproto.Conflict{ID: id, Kind: syncproto.KindPersonInTwoHouseholds,
		Collection: coll, RecordID: record, Field: "id_number", ServerValue: json.RawMessage(`{"household_id":"hx"}`),
		ClientValue: json.RawMessage(client), BaseVersion: 3, DeviceID: "d1", UserID: "u1", Op: "upsert",
		Detail: "kept"}, MutationID: 9, UnitID: unit}
}

func ids(cs []server.StoredConflict) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID+"@"+c.UnitID)
	}
	return strings.Join(out, " ")
}

func TestConflicts(t *testing.T) {
	db := open(t)
	seedUnits(t, db, "c")
	seedUnits(t, db, "d")
	first := conflict("k1", "c-v1", "members", "m1", `{"household_id":"h1","name":"x"}`)
	write(t, db, "c", func(tx server.Tx) error {
		for _, c := range []*server.StoredConflict{first,
			conflict("k2", "c-v2", "members", "m2", `{}`),
			conflict("k3", "c-v1", "members", "ghost", `{"household_id":"h1"}`), // a never-created member of h1
			conflict("k4", "c-v1", "households", "h1", `null`),
		} {
			if err := tx.AddConflict(c); err != nil {
				return err
			}
		}
		m1 := newRecord(t, tx, "members", "m1", "c-v1", nil)
		m1.HouseholdID = "h1"
		return tx.Put(m1)
	})
	write(t, db, "d", func(tx server.Tx) error { return tx.AddConflict(conflict("k0", "d-v1", "members", "m9", `{}`)) })
	read(t, db, func(tx server.Tx) error {
		got, err := tx.Conflict("k1")
		if err != nil || got == nil || !reflect.DeepEqual(*got, *first) {
			t.Errorf("Conflict(k1):\n got %+v, %v\nwant %+v", got, err, first)
		}
		if first.Status != "open" || first.CreatedAt == "" {
			t.Errorf("AddConflict did not fill status/created_at: %+v", first)
		}
		for _, tc := range []struct{ path, status, after, want string }{
			{"/c/", "all", "", "k1@c-v1 k2@c-v2 k3@c-v1 k4@c-v1"},
			{"/c/c-t/c-v2/", "open", "", "k2@c-v2"},
			{"/c/", "open", "k2", "k3@c-v1 k4@c-v1"},
			{"/c/", "resolved", "", ""},
			{"/d/", "all", "", "k0@d-v1"},
		} {
			cs, err := tx.Conflicts(tc.path, tc.status, tc.after, 10)
			if got := ids(cs); err != nil || got != tc.want {
				t.Errorf("Conflicts(%s, %s, %q) = %q, %v; want %q", tc.path, tc.status, tc.after, got, err, tc.want)
			}
		}
		if cs, _ := tx.Conflicts("/c/", "all", "", 2); ids(cs) != "k1@c-v1 k2@c-v2" {
			t.Errorf("limit 2 = %q", ids(cs))
		}
		if n, _ := tx.OpenConflicts("members", "m1"); n != 1 {
			t.Errorf("OpenConflicts(m1) = %d", n)
		}
		return nil
	})
	write(t, db, "c", func(tx server.Tx) error {
		c, _ := tx.Conflict("k1")
		c.Resolution, c.ResolvedBy, c.Version = json.RawMessage(`{"choice":"server"}`), "u2", 12
		if err := tx.CloseConflict(c); err != nil {
			return err
		}
		if err := tx.MoveHouseholdConflicts("h1", "c-v2"); err != nil {
			return err
		}
		return tx.MoveRecordConflicts("households", "h1", "c-v2")
	})
	read(t, db, func(tx server.Tx) error {
		c, _ := tx.Conflict("k1")
		if c.Status != "resolved" || string(c.Resolution) != `{"choice":"server"}` || c.ResolvedBy != "u2" ||
			c.ResolvedAt == "" || c.Version != 12 {
			t.Errorf("closed conflict = %+v", c)
		}
		if n, _ := tx.OpenConflicts("members", "m1"); n != 0 {
			t.Errorf("OpenConflicts(m1) after close = %d", n)
		}
		// k1 (about m1, of h1) and k3 (a ghost member of h1) follow h1; k4
		// follows the household record itself; k2 stays.
		all, _ := tx.Conflicts("/c/", "all", "", 10)
		if got, want := ids(all), "k1@c-v2 k2@c-v2 k3@c-v2 k4@c-v2"; got != want {
			t.Errorf("after moves: %q, want %q", got, want)
		}
		open, _ := tx.Conflicts("/c/c-t/c-v2/", "open", "", 10)
		if got, want := ids(open), "k2@c-v2 k3@c-v2 k4@c-v2"; got != want {
			t.Errorf("open in v2: %q, want %q", got, want)
		}
		return nil
	})
}

func TestMutationLogAndRejections(t *testing.T) {
	db := open(t)
	seedUnits(t, db, "c")
	entry := func(mid int64, status, unit string, minute int) server.MutationLogEntry {
		e := server.MutationLogEntry{DeviceID: "d1", UserID: "u1", MutationID: mid, Collection: "members",
			RecordID: fmt.Sprint("m", mid), Op: "upsert", BaseVersion: 2, Status: status, UnitID: unit,
			Result: []byte(fmt.Sprintf(`{"mutation_id":%d}`, mid)), CreatedAt: t0.Add(time.Duration(minute) * time.Minute)}
		if status == "rejected" {
			e.ErrorCode, e.Payload = "validation_failed", []byte(fmt.Sprintf(`{"mutation_id":%d,"id":"x"}`, mid))
		}
		return e
	}
	write(t, db, "c", func(tx server.Tx) error {
		for _, e := range []server.MutationLogEntry{entry(1, "applied", "c-v1", 1), entry(2, "rejected", "c-v1", 2),
			entry(3, "rejected", "c-v2", 3), entry(4, "rejected", "c-t", 4)} {
			if err := tx.LogMutation(e); err != nil {
				return err
			}
		}
		if res, ok, err := tx.LoggedResult("d1", "u1", 3); !ok || err != nil || string(res) != `{"mutation_id":3}` {
			t.Errorf("LoggedResult within the tx = %s, %v, %v", res, ok, err)
		}
		if err := tx.SetDeviceLast("d1", "u1", 4, t0); err != nil {
			return err
		}
		return tx.SetDeviceLast("d1", "u1", 5, t0)
	})
	read(t, db, func(tx server.Tx) error {
		if res, ok, _ := tx.LoggedResult("d1", "u1", 1); !ok || string(res) != `{"mutation_id":1}` {
			t.Errorf("LoggedResult = %s, %v", res, ok)
		}
		if _, ok, _ := tx.LoggedResult("d1", "u2", 1); ok {
			t.Error("another user's mutation found")
		}
		if last, _ := tx.DeviceLast("d1", "u1"); last != 5 {
			t.Errorf("DeviceLast = %d", last)
		}
		if last, _ := tx.DeviceLast("d1", "u9"); last != 0 {
			t.Errorf("DeviceLast of unknown = %d", last)
		}
		rs, err := tx.Rejections("/c/", nil, 10)
		if err != nil || len(rs) != 3 || rs[0].MutationID != 4 || rs[2].MutationID != 2 {
			t.Fatalf("Rejections(/c/) = %+v, %v", rs, err)
		}
		if want := entry(4, "rejected", "c-t", 4); !reflect.DeepEqual(rs[0], want) {
			t.Errorf("rejection:\n got %+v\nwant %+v", rs[0], want)
		}
		v1, _ := tx.Rejections("/c/c-t/c-v1/", nil, 10)
		if len(v1) != 1 || v1[0].MutationID != 2 {
			t.Errorf("Rejections(v1) = %+v", v1)
		}
		if top, _ := tx.Rejections("/c/", nil, 1); len(top) != 1 || top[0].MutationID != 4 {
			t.Errorf("Rejections limit 1 = %+v", top)
		}
		key := &server.RejectionKey{CreatedAt: rs[0].CreatedAt, DeviceID: rs[0].DeviceID, UserID: rs[0].UserID, MutationID: rs[0].MutationID}
		if rest, err := tx.Rejections("/c/", key, 10); err != nil || !reflect.DeepEqual(rest, rs[1:]) {
			t.Errorf("Rejections after the first = %+v, %v; want %+v", rest, err, rs[1:])
		}
		return nil
	})
}
