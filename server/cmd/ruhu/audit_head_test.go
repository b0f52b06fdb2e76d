package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server"
)

// TestAuditHeadAnchorsTheChain shows what a head kept elsewhere adds: a
// log cut below its newest rows, or rewritten and re-chained, still
// verifies on its own, and fails against the head printed before.
func TestAuditHeadAnchorsTheChain(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string
	}{
		{"newest rows cut", func(t *testing.T, dir string) {
			db := rawDB(t, dir)
			mustExec(t, db.Exec, `DROP TRIGGER audit_log_no_delete`)
			mustExec(t, db.Exec, `DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 3 FROM audit_log)`)
		}, "no longer reaches the anchored head"},
		{"row edited and re-chained", func(t *testing.T, dir string) {
			rechain(t, dir, 4)
		}, "the log was rewritten and re-chained"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := seeded(t)
			code, head, msg := runCmd(t, ctx, "", "audit", "head", "--data", dir)
			head = strings.TrimSpace(head)
			if _, err := server.ParseAuditHead(head); code != 0 || msg != "" || err != nil || strings.Contains(head, "\n") {
				t.Fatalf("audit head: code %d, %q, %q, %v", code, head, msg, err)
			}
			if code, out, msg := runCmd(t, ctx, "", "audit", "verify", "--data", dir, "--head", head); code != 0 ||
				!strings.Contains(out, "anchored head "+head+" is in the chain") {
				t.Fatalf("verify against its own head: %d %q %q", code, out, msg)
			}
			sc.tamper(t, dir)
			if code, out, msg := runCmd(t, ctx, "", "audit", "verify", "--data", dir); code != 0 {
				t.Fatalf("the tampered chain should still verify on its own (that is the point): %d %q %q", code, out, msg)
			}
			code, out, msg := runCmd(t, ctx, "", "audit", "verify", "--data", dir, "--head", head)
			if code != 3 || !strings.Contains(out, sc.want) {
				t.Errorf("verify --head after tampering: code %d, output %q, error %q; want %q", code, out, msg, sc.want)
			}
		})
	}
	code, _, msg := runCmd(t, ctx, "", "audit", "verify", "--data", seeded(t), "--head", "12:nothex")
	if code != 2 || !strings.Contains(msg, "want <rows>:<64 hex digits>") {
		t.Errorf("a malformed head: %d %q", code, msg)
	}
}

// rechain edits the detail of row seq and recomputes every hash from it
// on, as someone who can write the database file could.
func rechain(t *testing.T, dir string, seq int64) {
	t.Helper()
	db := rawDB(t, dir)
	mustExec(t, db.Exec, `DROP TRIGGER audit_log_no_update`)
	mustExec(t, db.Exec, `UPDATE audit_log SET detail = '{"rewritten":true}' WHERE seq = ?`, seq)
	rows, err := db.Query(`SELECT seq, at, actor_id, device_id, action, object_type, object_id, detail FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var all []server.AuditRow
	for rows.Next() {
		var r server.AuditRow
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.DeviceID, &r.Action, &r.ObjectType, &r.ObjectID, &r.Detail); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rows.Close()
	prev := server.GenesisHash
	for _, r := range all {
		r.PrevHash, r.Hash = prev, server.RowHash(prev, r)
		mustExec(t, db.Exec, `UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?`, r.PrevHash, r.Hash, r.Seq)
		prev = r.Hash
	}
}

func mustExec[R any](t *testing.T, exec func(string, ...any) (R, error), q string, args ...any) {
	t.Helper()
	if _, err := exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
