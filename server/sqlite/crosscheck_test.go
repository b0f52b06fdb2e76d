package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/sqlite"
	"github.com/ruhu-org/ruhu/server/storetest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// TestVerifyCrossChecksRecords edits record rows directly in the SQLite
// file, behind the engine's back, and expects audit verify to name the
// record: the chain itself is intact, but a record no longer holds what
// the audited writes made it.
func TestVerifyCrossChecksRecords(t *testing.T) {
	dir, _, e, a := seededWorker(t)
	pushSome(t, e, a)

	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "ruhu.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, id := range []string{"h00000007", "h00000003"} { // written once; changed since
		// The households' fields are stored compressed: an edit writes
		// them back plain.
		var plain, z []byte
		if err := raw.QueryRow(`SELECT fields, fields_s2 FROM records WHERE id = ?`, id).Scan(&plain, &z); err != nil {
			t.Fatal(err)
		}
		if len(z) == 0 {
			t.Fatalf("%s: fields stored plain (%d bytes), want them compressed", id, len(plain))
		}
		origB, err := server.LoadFields(nil, plain, z)
		if err != nil {
			t.Fatal(err)
		}
		orig := string(origB)
		exec(`UPDATE records SET fields = json_set(?, '$.head_name', '改过'), fields_s2 = NULL WHERE id = ?`, orig, id)
		storetest.WantRecordBreak(t, e, "households/"+id)
		exec(`UPDATE records SET fields = json_remove(?, '$.notes'), fields_s2 = NULL WHERE id = ?`, orig, id)
		storetest.WantRecordBreak(t, e, "households/"+id)
		exec(`UPDATE records SET fields = ?, fields_s2 = NULL WHERE id = ?`, orig, id)
		storetest.WantAuditIntact(t, e, 10)
		// A row holding both forms, or a compressed form that does not
		// decompress, was not written by ruhu.
		exec(`UPDATE records SET fields = ?, fields_s2 = ? WHERE id = ?`, orig, z, id)
		storetest.WantUnreadableFields(t, e, "households/"+id)
		exec(`UPDATE records SET fields = '', fields_s2 = ? WHERE id = ?`, append([]byte("x"), z...), id)
		storetest.WantUnreadableFields(t, e, "households/"+id)
		exec(`UPDATE records SET fields = '', fields_s2 = ? WHERE id = ?`, z, id)
		storetest.WantAuditIntact(t, e, 10)
	}
	// A record that no audited write made.
	exec(`INSERT INTO records (version, collection, id, unit_id, household_id, dedupe_key, fields, field_versions, created_by,
		created_at, updated_at) SELECT version + 1000, collection, 'h-forged', unit_id, 'h-forged', '', fields, field_versions,
		created_by, created_at, updated_at FROM records WHERE id = 'h00000005'`)
	storetest.WantRecordBreak(t, e, "households/h-forged")
}

// seededWorker opens a fresh demo county's SQLite file in a temporary
// directory (closed when the test ends), with an engine over it and
// village worker worker1 on device "dev".
func seededWorker(t *testing.T) (string, *sqlite.DB, *engine.Engine, *server.Actor) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := app.SeedDemo(ctx, dir, auth.FastArgon2); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := engine.New(db)
	u, err := e.UserByUsername(ctx, "worker1")
	if err != nil {
		t.Fatal(err)
	}
	return dir, db, e, &server.Actor{UserID: u.ID, UnitID: u.UnitID, UnitPath: u.UnitPath, DeviceID: "dev", Roles: u.Roles}
}

// pushSome pushes ten households and changes two fields of one.
func pushSome(t *testing.T, e *engine.Engine, a *server.Actor) {
	t.Helper()
	ctx := context.Background()
	res, err := e.Push(ctx, a, storetest.BenchPush(a.DeviceID, 1, 10))
	if err != nil || res.Results[9].Status != syncproto.StatusApplied {
		t.Fatalf("push: %v %+v", err, res)
	}
	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	upd := &syncproto.PushRequest{DeviceID: a.DeviceID, Mutations: []syncproto.Mutation{{MutationID: 11,
		Collection: syncproto.CollHouseholds, ID: "h00000003", Op: syncproto.OpUpsert, BaseVersion: res.Results[2].Version,
		Fields: map[string]json.RawMessage{"category": q("tekun"), "notes": q("复查")}}}}
	if res, err := e.Push(ctx, a, upd); err != nil || res.Results[0].Status != syncproto.StatusApplied {
		t.Fatalf("update: %v %+v", err, res)
	}
	storetest.WantAuditIntact(t, e, 10)
}

// TestAuditTrailFromTheRecord: a record's audit rows do not repeat the
// values the record holds, yet the trail shows every value before and
// after each edit, and audit verify confirms each step by its hash: an
// older value edited in the chain (re-hashed, so the chain itself holds)
// is found.
func TestAuditTrailFromTheRecord(t *testing.T) {
	ctx := context.Background()
	dir, db, e, a := seededWorker(t)
	pushSome(t, e, a) // h00000003: created, then category and notes changed
	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	version := func(id string) int64 {
		var v int64
		if err := e.Store.Read(ctx, func(tx server.Tx) error {
			r, err := tx.Record(syncproto.CollHouseholds, id)
			v = r.Version
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	edit := func(mid int64, fields map[string]json.RawMessage) {
		t.Helper()
		req := &syncproto.PushRequest{DeviceID: a.DeviceID, Mutations: []syncproto.Mutation{{MutationID: mid,
			Collection: syncproto.CollHouseholds, ID: "h00000003", Op: syncproto.OpUpsert, BaseVersion: version("h00000003"),
			Fields: fields}}}
		if res, err := e.Push(ctx, a, req); err != nil || res.Results[0].Status != syncproto.StatusApplied {
			t.Fatalf("edit %d: %v %+v", mid, err, res)
		}
	}
	edit(12, map[string]json.RawMessage{"notes": json.RawMessage("null"), "hukou_type": q("urban")}) // a field goes
	edit(13, map[string]json.RawMessage{"notes": q("又写了"), "head_name": q("户主三")})                   // and comes back

	trail, err := e.AuditTrail(ctx, syncproto.CollHouseholds, "h00000003")
	if err != nil || len(trail) != 4 {
		t.Fatalf("trail: %d entries, %v", len(trail), err)
	}
	long := strings.Repeat("入户调查记录：家庭收入、财产、支出情况。", 20)
	want := []struct{ changes, previous map[string]any }{
		{map[string]any{"notes": long, "category": "dibao", "hukou_type": "rural", "head_name": "户主3"},
			map[string]any{"notes": nil, "category": nil, "hukou_type": nil, "head_name": nil}},
		{map[string]any{"notes": "复查", "category": "tekun"}, map[string]any{"notes": long, "category": "dibao"}},
		{map[string]any{"notes": nil, "hukou_type": "urban"}, map[string]any{"notes": "复查", "hukou_type": "rural"}},
		{map[string]any{"notes": "又写了", "head_name": "户主三"}, map[string]any{"notes": nil, "head_name": "户主3"}},
	}
	for i, w := range want {
		var d struct{ Changes, Previous map[string]any }
		if err := json.Unmarshal(trail[i].Detail.(json.RawMessage), &d); err != nil {
			t.Fatal(err)
		}
		for k, v := range w.changes {
			if d.Changes[k] != v || d.Previous[k] != w.previous[k] {
				t.Errorf("trail row %d, %s: %v → %v, want %v → %v", i, k, d.Previous[k], d.Changes[k], w.previous[k], v)
			}
		}
	}
	storetest.WantAuditIntact(t, e, 10)

	// The stored rows about records hold no value the record holds: the
	// long notes are only in the row of the edit that replaced them.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "ruhu.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var rows []server.AuditRow
	if err := db.AuditRows(ctx, "", func(r server.AuditRow) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	var holding []string
	for _, r := range rows {
		if strings.Contains(r.Detail, "入户调查") {
			holding = append(holding, r.Action+" "+r.ObjectID)
		}
		if r.Action == "record.upsert" && strings.Contains(r.Detail, `"fields_new"`) && len(r.Detail) > 400 {
			t.Errorf("create row %d holds values (%d bytes): %.200s", r.Seq, len(r.Detail), r.Detail)
		}
	}
	if len(holding) != 1 || holding[0] != "record.upsert h00000003" {
		t.Errorf("rows holding the long notes: %v, want the one edit that replaced them", holding)
	}

	// Edit the value the newest row says "notes" had before it, and
	// re-hash the row: the chain holds, the step before does not.
	last := rows[len(rows)-1]
	if last.ObjectID != "h00000003" || !strings.Contains(last.Detail, `"fields_before":{"head_name":"户主3"}`) {
		t.Fatalf("newest row: %s", last.Detail)
	}
	last.Detail = strings.Replace(last.Detail, `"fields_before":{"head_name":"户主3"}`, `"fields_before":{"head_name":"户主X"}`, 1)
	last.Hash = server.RowHash(last.PrevHash, last)
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`,
		`UPDATE audit_log SET detail = '` + last.Detail + `', detail_zstd = NULL, hash = '` + last.Hash + `' WHERE seq = ` + fmt.Sprint(last.Seq)} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	v, err := e.CheckAudit(ctx, nil)
	if err != nil || v.Break == nil || !strings.Contains(v.Break.Reason, "does not agree with the rows after it") ||
		v.Break.Seq != rows[len(rows)-2].Seq {
		t.Fatalf("CheckAudit = %+v, %v; want row %d not agreeing", v.Break, err, rows[len(rows)-2].Seq)
	}
}
