package clientsdk

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/syncproto"
)

// pageStore is a store with a session for user "u1" as the current user,
// to which pages are written as a pull would write them.
func pageStore(t *testing.T) *Client {
	t.Helper()
	ctx := context.Background()
	c, err := Open(t.TempDir(), "http://ruhu.invalid")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.db.ExecContext(ctx, `INSERT INTO sessions (user_id, username, user_json, logged_in_at)
		VALUES ('u1', 'worker1', '{}', '')`); err != nil {
		t.Fatal(err)
	}
	if err := setMeta(ctx, c.db, metaCurrentUser, "u1"); err != nil {
		t.Fatal(err)
	}
	return c
}

func storeChanges(t *testing.T, c *Client, cursor string, changes ...syncproto.Change) (*SyncReport, error) {
	t.Helper()
	rep := c.newReport()
	err := c.storePage(context.Background(), "u1", &syncproto.PullResponse{Changes: changes, Cursor: cursor}, rep)
	return rep, err
}

func upsertChange(coll, id string, version int64, fields map[string]any) syncproto.Change {
	b, _ := json.Marshal(fields)
	return syncproto.Change{Collection: coll, ID: id, Version: version, Fields: b,
		Meta: json.RawMessage(`{"open_conflicts":1}`)}
}

func cursorOf(t *testing.T, c *Client) string {
	t.Helper()
	s, err := findSession(context.Background(), c.db, "u1")
	if err != nil || s == nil {
		t.Fatalf("session: %+v %v", s, err)
	}
	return s.Cursor
}

// A page is written as the server sent it: records with their fields,
// version, meta and household; a tombstone purges; a state older than the
// one the device holds (a push result gave it) is skipped, an equal one
// stored again.
func TestStorePageVersions(t *testing.T) {
	ctx := context.Background()
	c := pageStore(t)
	hh := syncproto.CollHouseholds
	rep, err := storeChanges(t, c, "c1",
		upsertChange(hh, "h1", 5, map[string]any{"head_name": "张三", "address": "<村道> & 1号"}),
		upsertChange(syncproto.CollMembers, "m1", 6, map[string]any{"household_id": "h1", "name": "李四"}),
		upsertChange(syncproto.CollMembers, "m2", 7, map[string]any{"household_id": "h1", "name": "王五"}),
		upsertChange(syncproto.CollMembers, "m9", 7, map[string]any{"household_id": 42, "name": "赵六"}),
		syncproto.Change{Collection: hh, ID: "gone", Version: 8, Deleted: true})
	if err != nil || rep.Pulled != 5 || rep.Purged != 1 {
		t.Fatalf("first page: %v %+v", err, rep)
	}
	r, err := c.Get(ctx, hh, "h1")
	if err != nil || r.Version != 5 || r.String("address") != "<村道> & 1号" || r.Meta.OpenConflicts != 1 || r.Pending {
		t.Fatalf("h1: %+v %v", r, err)
	}
	if ms, err := c.ListByHousehold(ctx, syncproto.CollMembers, "h1"); err != nil || len(ms) != 2 {
		t.Fatalf("members of h1: %+v %v", ms, err)
	}
	for _, h := range []string{"42", ""} { // a household_id that is not a string names no household
		if ms, err := c.ListByHousehold(ctx, syncproto.CollMembers, h); err != nil || len(ms) != map[string]int{"": 1}[h] {
			t.Fatalf("members of %q: %+v %v", h, ms, err)
		}
	}

	rep, err = storeChanges(t, c, "c2",
		upsertChange(hh, "h1", 3, map[string]any{"head_name": "旧"}),
		syncproto.Change{Collection: syncproto.CollMembers, ID: "m1", Version: 4, Deleted: true},
		upsertChange(syncproto.CollMembers, "m2", 7, map[string]any{"household_id": "h1", "name": "王五五"}),
		syncproto.Change{Collection: syncproto.CollMembers, ID: "m3", Version: 9, Deleted: true})
	if err != nil || rep.Pulled != 2 || rep.Purged != 1 || cursorOf(t, c) != "c2" {
		t.Fatalf("second page: %v %+v", err, rep)
	}
	if r, err := c.Get(ctx, hh, "h1"); err != nil || r.Version != 5 || r.String("head_name") != "张三" {
		t.Fatalf("h1 after an older state: %+v %v", r, err)
	}
	if r, err := c.Get(ctx, syncproto.CollMembers, "m1"); err != nil || r.Version != 6 {
		t.Fatalf("m1 after an older tombstone: %+v %v", r, err)
	}
	if r, err := c.Get(ctx, syncproto.CollMembers, "m2"); err != nil || r.String("name") != "王五五" {
		t.Fatalf("m2 stored again at its version: %+v %v", r, err)
	}

	rep, err = storeChanges(t, c, "c3", syncproto.Change{Collection: syncproto.CollMembers, ID: "m1", Version: 10,
		Deleted: true})
	if err != nil || rep.Pulled != 1 || rep.Purged != 1 {
		t.Fatalf("third page: %v %+v", err, rep)
	}
	if _, err := c.Get(ctx, syncproto.CollMembers, "m1"); err == nil {
		t.Fatal("m1 still shown after its tombstone")
	}
}

// A field queued on the device keeps showing over a pulled state, and the
// record stays pending; the fields the server changed show.
func TestStorePageKeepsQueuedFields(t *testing.T) {
	ctx := context.Background()
	c := pageStore(t)
	hh := syncproto.CollHouseholds
	if _, err := storeChanges(t, c, "c1", upsertChange(hh, "h1", 5, map[string]any{"head_name": "张三", "address": "一号"})); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, hh, "h1", Fields{"head_name": "张叁"}); err != nil {
		t.Fatal(err)
	}
	rep, err := storeChanges(t, c, "c2", upsertChange(hh, "h1", 6, map[string]any{"head_name": "张三丰", "address": "二号"}))
	if err != nil || rep.Pulled != 1 {
		t.Fatalf("page: %v %+v", err, rep)
	}
	r, err := c.Get(ctx, hh, "h1")
	if err != nil || r.Version != 6 || !r.Pending || r.String("head_name") != "张叁" || r.String("address") != "二号" {
		t.Fatalf("h1: %+v %v", r, err)
	}
}

// A page that cannot be stored leaves nothing of it behind: neither its
// first records nor its cursor.
func TestStorePageAllOrNothing(t *testing.T) {
	ctx := context.Background()
	c := pageStore(t)
	_, err := storeChanges(t, c, "c1",
		upsertChange(syncproto.CollHouseholds, "h1", 5, map[string]any{"head_name": "张三"}),
		syncproto.Change{Collection: syncproto.CollHouseholds, ID: "h2", Version: 6, Fields: json.RawMessage(`[1]`)})
	if err == nil {
		t.Fatal("a change whose fields are not an object was stored")
	}
	if _, err := c.Get(ctx, syncproto.CollHouseholds, "h1"); err == nil {
		t.Fatal("h1 of the refused page was stored")
	}
	if cur := cursorOf(t, c); cur != "" {
		t.Fatalf("cursor %q moved with a refused page", cur)
	}
}

// BenchmarkStorePage measures storing pulled pages of 500 records (100
// households of ~1.3 KB and 400 members) into a fresh store, one page an
// op: the tablet's share of a join, without the network and the server.
//
//	go test -run='^$' -bench=StorePage ./clientsdk/
func BenchmarkStorePage(b *testing.B) {
	ctx := context.Background()
	c, err := Open(b.TempDir(), "http://ruhu.invalid")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	notes := strings.Repeat("身体健康，在家务农。", 8)
	page := func(n int) *syncproto.PullResponse {
		p := &syncproto.PullResponse{Cursor: strconv.Itoa(n)}
		for h := range 100 {
			hid := fmt.Sprintf("h%06d-%03d", n, h)
			p.Changes = append(p.Changes, upsertChange(syncproto.CollHouseholds, hid, int64(n*1000+h), map[string]any{
				"unit_id": "t1-v1", "head_name": "户主" + hid, "address": "村道" + hid + "号", "category": "dibao",
				"income_notes": strings.Repeat("收入来源：务农、零工。", 30), "members_count": 4}))
			for m := range 4 {
				p.Changes = append(p.Changes, upsertChange(syncproto.CollMembers, fmt.Sprintf("%s-m%d", hid, m),
					int64(n*1000+h), map[string]any{"household_id": hid, "name": "成员", "relation": "子女",
						"sex": "male", "employment": "务农", "notes": notes}))
			}
		}
		return p
	}
	pages := make([]*syncproto.PullResponse, b.N)
	for i := range pages {
		pages[i] = page(i)
	}
	b.ResetTimer()
	for i := range b.N {
		if err := c.storePage(ctx, "u1", pages[i], c.newReport()); err != nil {
			b.Fatal(err)
		}
	}
}
