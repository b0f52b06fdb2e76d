package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
)

// auditDB opens a fresh database with a fixed clock and n audit entries.
func auditDB(t *testing.T, n int) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return at }
	for i := 1; i <= n; i++ {
		if err := db.Audit(ctx, server.AuditEntry{ActorID: fmt.Sprintf("u%d", i%3), DeviceID: "dev", Action: "test.write",
			ObjectType: "thing", ObjectID: fmt.Sprintf("t%d", i), Detail: map[string]any{"i": i, "名": "值"}}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

type storedAudit struct {
	auditRow
	PrevHash, Hash string
}

func readAudit(t *testing.T, db *DB) []storedAudit {
	t.Helper()
	rows, err := db.read.Query(`SELECT seq, at, actor_id, device_id, action, object_type, object_id, detail, prev_hash, hash
		FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedAudit
	for rows.Next() {
		var r storedAudit
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.DeviceID, &r.Action, &r.ObjectType, &r.ObjectID, &r.Detail,
			&r.PrevHash, &r.Hash); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestAuditChainLinks(t *testing.T) {
	db := auditDB(t, 10)
	rows := readAudit(t, db)
	if len(rows) != 10 {
		t.Fatalf("%d rows", len(rows))
	}
	prev := genesisHash
	for i, r := range rows {
		if r.Seq != int64(i+1) || r.PrevHash != prev || r.Hash != rowHash(prev, r.auditRow) || len(r.Hash) != 64 {
			t.Errorf("row %d: %+v (prev %s)", i+1, r, prev)
		}
		prev = r.Hash
	}
	r := rows[4]
	if r.At != "2026-03-01T08:00:00Z" || r.ActorID != "u2" || r.DeviceID != "dev" || r.Action != "test.write" ||
		r.ObjectType != "thing" || r.ObjectID != "t5" || r.Detail != `{"i":5,"名":"值"}` {
		t.Errorf("row 5 stored as %+v", r)
	}
	n, brk, err := db.VerifyAudit(context.Background())
	if n != 10 || brk != nil || err != nil {
		t.Errorf("VerifyAudit = %d, %+v, %v", n, brk, err)
	}
}

func TestAuditEntryFields(t *testing.T) {
	ctx := context.Background()
	db := auditDB(t, 0)
	if n, brk, err := db.VerifyAudit(ctx); n != 0 || brk != nil || err != nil {
		t.Errorf("empty log: %d %+v %v", n, brk, err)
	}
	at := time.Date(2025, 12, 31, 23, 59, 59, 123456789, time.FixedZone("CST", 8*3600))
	if err := db.Audit(ctx, server.AuditEntry{At: at, ActorID: "a", Action: "x", ObjectType: "o", ObjectID: "1"}); err != nil {
		t.Fatal(err)
	}
	r := readAudit(t, db)[0]
	if r.At != "2025-12-31T15:59:59.123456789Z" || r.Detail != "null" {
		t.Errorf("stored %+v", r)
	}
	// A detail that cannot be marshalled is refused and writes nothing.
	if err := db.Audit(ctx, server.AuditEntry{Action: "x", Detail: func() {}}); err == nil {
		t.Error("unmarshallable detail accepted")
	}
	if rows := readAudit(t, db); len(rows) != 1 {
		t.Errorf("%d rows after a refused append", len(rows))
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	db := auditDB(t, 3)
	for _, q := range []string{`UPDATE audit_log SET detail = '{}' WHERE seq = 2`, `DELETE FROM audit_log WHERE seq = 3`} {
		if _, err := db.write.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	if n, brk, err := db.VerifyAudit(context.Background()); n != 3 || brk != nil || err != nil {
		t.Errorf("VerifyAudit = %d, %+v, %v", n, brk, err)
	}
}

func TestAuditVerifyFindsTampering(t *testing.T) {
	scenarios := []struct {
		name     string
		tamper   func(t *testing.T, db *DB)
		seq      int64
		reason   string
		rowsRead int64
	}{
		{"edited detail", execAll(`UPDATE audit_log SET detail = '{"i":99}' WHERE seq = 4`), 4, "edited", 4},
		{"edited actor", execAll(`UPDATE audit_log SET actor_id = 'mallory' WHERE seq = 1`), 1, "edited", 1},
		{"edited action", execAll(`UPDATE audit_log SET action = 'test.read' WHERE seq = 8`), 8, "edited", 8},
		{"edited object", execAll(`UPDATE audit_log SET object_id = 't1' WHERE seq = 6`), 6, "edited", 6},
		{"edited device", execAll(`UPDATE audit_log SET device_id = 'other' WHERE seq = 2`), 2, "edited", 2},
		{"edited time", execAll(`UPDATE audit_log SET at = '2026-03-01T08:00:01Z' WHERE seq = 9`), 9, "edited", 9},
		{"edited prev_hash", execAll(`UPDATE audit_log SET prev_hash = '` + genesisHash + `' WHERE seq = 5`), 5, "prev_hash", 5},
		{"deleted middle row", execAll(`DELETE FROM audit_log WHERE seq = 5`), 6, "expected row 5", 5},
		{"deleted first row", execAll(`DELETE FROM audit_log WHERE seq = 1`), 2, "expected row 1", 1},
		{"renumbered row", execAll(`UPDATE audit_log SET seq = 100 WHERE seq = 3`), 4, "expected row 3", 3},
		{"two rows swapped", execAll(
			`UPDATE audit_log SET seq = -1 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = 4`,
			`UPDATE audit_log SET seq = 4 WHERE seq = -1`), 3, "prev_hash", 3},
		{"edited with its own hash recomputed", func(t *testing.T, db *DB) {
			r := readAudit(t, db)[6] // seq 7
			r.Detail = `{"i":700}`
			execAll(fmt.Sprintf(`UPDATE audit_log SET detail = '%s', hash = '%s' WHERE seq = 7`, r.Detail, rowHash(r.PrevHash, r.auditRow)))(t, db)
		}, 8, "prev_hash", 8},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			db := auditDB(t, 10)
			execAll(`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`)(t, db)
			sc.tamper(t, db)
			n, brk, err := db.VerifyAudit(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if brk == nil {
				t.Fatalf("tampering not detected (%d rows read)", n)
			}
			if brk.Seq != sc.seq || !strings.Contains(brk.Reason, sc.reason) || n != sc.rowsRead {
				t.Errorf("break at %d (%q) after %d rows, want %d (%q) after %d", brk.Seq, brk.Reason, n, sc.seq, sc.reason, sc.rowsRead)
			}
		})
	}
}

func execAll(qs ...string) func(t *testing.T, db *DB) {
	return func(t *testing.T, db *DB) {
		t.Helper()
		for _, q := range qs {
			res, err := db.write.Exec(q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if n, _ := res.RowsAffected(); !strings.HasPrefix(q, "DROP") && n != 1 {
				t.Fatalf("%s changed %d rows", q, n)
			}
		}
	}
}

// TestAuditLargeDetailCompressed: a large detail is stored zstd-compressed,
// read back whole by the trail and the verifier, and any change to its
// stored form — another compressed detail, bytes that do not decompress,
// a plain detail beside the compressed one — breaks the chain there.
func TestAuditLargeDetailCompressed(t *testing.T) {
	ctx := context.Background()
	big := map[string]any{"changes": map[string]string{"notes": strings.Repeat("入户调查记录：家庭收入、财产、支出情况。", 30)}}
	setup := func(t *testing.T) (*DB, string) {
		db := auditDB(t, 3)
		if err := db.Audit(ctx, server.AuditEntry{ActorID: "u1", Action: "record.upsert", ObjectType: "households",
			ObjectID: "h1", Detail: big}); err != nil {
			t.Fatal(err)
		}
		if err := db.Audit(ctx, server.AuditEntry{ActorID: "u1", Action: "test.write", ObjectType: "thing", ObjectID: "t9"}); err != nil {
			t.Fatal(err)
		}
		var plain string
		var z []byte
		if err := db.read.QueryRow(`SELECT detail, detail_zstd FROM audit_log WHERE seq = 4`).Scan(&plain, &z); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(big)
		if plain != "" || len(z) == 0 || len(z) > len(want)/2 {
			t.Fatalf("stored detail %q and %d compressed bytes for %d bytes", plain, len(z), len(want))
		}
		return db, string(want)
	}
	db, want := setup(t)
	var trail []server.AuditEntry
	err := db.Read(ctx, func(tx server.Tx) error {
		var err error
		trail, err = tx.AuditOf("households", "h1")
		return err
	})
	if err != nil || len(trail) != 1 || string(trail[0].Detail.(json.RawMessage)) != want {
		t.Fatalf("trail = %+v, %v", trail, err)
	}
	if n, brk, err := db.VerifyAudit(ctx); n != 5 || brk != nil || err != nil {
		t.Fatalf("VerifyAudit = %d, %+v, %v", n, brk, err)
	}
	_, other := server.StoredDetail(strings.Replace(want, "收入", "支出", 1))
	for name, q := range map[string]string{
		"another compressed detail":    fmt.Sprintf(`UPDATE audit_log SET detail_zstd = x'%x' WHERE seq = 4`, other),
		"bytes that do not decompress": `UPDATE audit_log SET detail_zstd = x'28b52ffd00ff' WHERE seq = 4`,
		"plain beside compressed":      `UPDATE audit_log SET detail = '{"changes":{}}' WHERE seq = 4`,
	} {
		t.Run(name, func(t *testing.T) {
			db, _ := setup(t)
			execAll(`DROP TRIGGER audit_log_no_update`, q)(t, db)
			_, brk, err := db.VerifyAudit(ctx)
			if err != nil || brk == nil || brk.Seq != 4 || !strings.Contains(brk.Reason, "edited") {
				t.Errorf("VerifyAudit break %+v, %v; want row 4 edited", brk, err)
			}
		})
	}
}
