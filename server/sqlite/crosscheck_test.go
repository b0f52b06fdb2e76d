package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	ctx := context.Background()
	dir := t.TempDir()
	if err := app.SeedDemo(ctx, dir, auth.FastArgon2); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := engine.New(db)
	u, err := e.UserByUsername(ctx, "worker1")
	if err != nil {
		t.Fatal(err)
	}
	a := &server.Actor{UserID: u.ID, UnitID: u.UnitID, UnitPath: u.UnitPath, DeviceID: "dev", Roles: u.Roles}
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
		if err := raw.QueryRow(`SELECT fields, fields_zstd FROM records WHERE id = ?`, id).Scan(&plain, &z); err != nil {
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
		exec(`UPDATE records SET fields = json_set(?, '$.head_name', '改过'), fields_zstd = NULL WHERE id = ?`, orig, id)
		wantRecordBreak(t, e, "households/"+id)
		exec(`UPDATE records SET fields = json_remove(?, '$.notes'), fields_zstd = NULL WHERE id = ?`, orig, id)
		wantRecordBreak(t, e, "households/"+id)
		exec(`UPDATE records SET fields = ?, fields_zstd = NULL WHERE id = ?`, orig, id)
		wantIntact(t, e)
		// A row holding both forms, or a compressed form that does not
		// decompress, was not written by ruhu.
		exec(`UPDATE records SET fields = ?, fields_zstd = ? WHERE id = ?`, orig, z, id)
		wantUnreadable(t, e, "households/"+id)
		exec(`UPDATE records SET fields = '', fields_zstd = ? WHERE id = ?`, append([]byte("x"), z...), id)
		wantUnreadable(t, e, "households/"+id)
		exec(`UPDATE records SET fields = '', fields_zstd = ? WHERE id = ?`, z, id)
		wantIntact(t, e)
	}
	// A record that no audited write made.
	exec(`INSERT INTO records (version, collection, id, unit_id, household_id, dedupe_key, fields, field_versions, created_by,
		created_at, updated_at) SELECT version + 1000, collection, 'h-forged', unit_id, 'h-forged', '', fields, field_versions,
		created_by, created_at, updated_at FROM records WHERE id = 'h00000005'`)
	wantRecordBreak(t, e, "households/h-forged")
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
	wantIntact(t, e)
}

func wantIntact(t *testing.T, e *engine.Engine) {
	t.Helper()
	v, err := e.CheckAudit(context.Background(), nil)
	if err != nil || v.Break != nil {
		t.Fatalf("CheckAudit = %+v, %v; want intact", v.Break, err)
	}
	if v.Records < 10 {
		t.Fatalf("%d records cross-checked, want at least 10", v.Records)
	}
}

// wantUnreadable expects audit verify to stop at the record whose stored
// fields cannot be read, naming it.
func wantUnreadable(t *testing.T, e *engine.Engine, name string) {
	t.Helper()
	_, err := e.CheckAudit(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), name) || !errors.Is(err, server.ErrStoredFields) {
		t.Fatalf("CheckAudit error = %v; want one naming record %s", err, name)
	}
}

func wantRecordBreak(t *testing.T, e *engine.Engine, name string) {
	t.Helper()
	v, err := e.CheckAudit(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Break == nil || !strings.Contains(v.Break.Reason, "record "+name+" ") {
		t.Fatalf("CheckAudit break = %+v; want one naming record %s", v.Break, name)
	}
}
