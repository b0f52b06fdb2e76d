package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/postgres"
	"github.com/ruhu-org/ruhu/server/postgres/pgtest"
	"github.com/ruhu-org/ruhu/server/storetest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// TestVerifyCrossChecksRecords edits record rows directly in PostgreSQL,
// behind the engine's back, and expects audit verify to name the record:
// the chain itself is intact, but a record no longer holds what the
// audited writes made it.
func TestVerifyCrossChecksRecords(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	if err := app.SeedDemoStore(ctx, app.Config{DatabaseURL: url}, auth.FastArgon2); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, url)
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

	raw, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// The households' audit details are stored compressed, and the trail
	// still shows every before and after value.
	var compressed int
	if err := raw.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'record.upsert' AND detail = ''
		AND detail_zstd IS NOT NULL`).Scan(&compressed); err != nil || compressed != 11 {
		t.Fatalf("%d compressed record.upsert details, want 11 (%v)", compressed, err)
	}
	trail, err := e.AuditTrail(ctx, syncproto.CollHouseholds, "h00000003")
	if err != nil || len(trail) != 2 {
		t.Fatalf("trail = %+v, %v", trail, err)
	}
	var edit struct {
		Changes  map[string]string `json:"changes"`
		Previous map[string]string `json:"previous"`
	}
	if err := json.Unmarshal(trail[1].Detail.(json.RawMessage), &edit); err != nil || edit.Changes["notes"] != "复查" ||
		edit.Previous["notes"] != strings.Repeat("入户调查记录：家庭收入、财产、支出情况。", 20) || edit.Previous["category"] != "dibao" {
		t.Fatalf("edit in the trail: %+v, %v", edit, err)
	}
	for _, id := range []string{"h00000007", "h00000003"} { // written once; changed since
		// The households' fields are stored compressed: an edit writes
		// them back plain.
		var plain string
		var z []byte
		if err := raw.QueryRow(ctx, `SELECT fields, fields_s2 FROM records WHERE id = $1`, id).Scan(&plain, &z); err != nil {
			t.Fatal(err)
		}
		if len(z) == 0 {
			t.Fatalf("%s: fields stored plain (%d bytes), want them compressed", id, len(plain))
		}
		b, err := server.LoadFields(nil, []byte(plain), z)
		if err != nil {
			t.Fatal(err)
		}
		orig := string(b)
		exec(`UPDATE records SET fields = ($1::jsonb || '{"head_name": "改过"}')::text, fields_s2 = NULL WHERE id = $2`, orig, id)
		storetest.WantRecordBreak(t, e, "households/"+id)
		exec(`UPDATE records SET fields = ($1::jsonb - 'notes')::text, fields_s2 = NULL WHERE id = $2`, orig, id)
		storetest.WantRecordBreak(t, e, "households/"+id)
		exec(`UPDATE records SET fields = $1, fields_s2 = NULL WHERE id = $2`, orig, id)
		storetest.WantAuditIntact(t, e, 10)
		// Both forms at once, or a compressed form that does not
		// decompress: not written by ruhu.
		exec(`UPDATE records SET fields = $1, fields_s2 = $2 WHERE id = $3`, orig, z, id)
		storetest.WantUnreadableFields(t, e, "households/"+id)
		exec(`UPDATE records SET fields = '', fields_s2 = $1 WHERE id = $2`, z[:len(z)/2], id)
		storetest.WantUnreadableFields(t, e, "households/"+id)
		exec(`UPDATE records SET fields = '', fields_s2 = $1 WHERE id = $2`, z, id)
		storetest.WantAuditIntact(t, e, 10)
	}
	exec(`INSERT INTO records (county_id, version, collection, id, unit_id, household_id, dedupe_key, fields, field_versions,
		created_by, created_at, updated_at) SELECT county_id, version + 1000, collection, 'h-forged', unit_id, 'h-forged', '',
		fields, field_versions, created_by, created_at, updated_at FROM records WHERE id = 'h00000005'`)
	storetest.WantRecordBreak(t, e, "households/h-forged")
}
