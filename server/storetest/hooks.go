package storetest

// The suite's only access to a server besides HTTP: the engine's services
// and the storage port's reads, never SQL, so that the same tests run over
// every store.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/ruhutest"
)

// authStore is the storage behind the AuthService: users, sessions with
// their refresh tokens, audit appends.
func authStore(env *ruhutest.Env) server.AuthStore { return env.App.Engine }

// adminService manages units, users and relatives.
func adminService(env *ruhutest.Env) server.AdminService { return env.App.Engine }

// photoRecords keeps the records of stored photos.
func photoRecords(env *ruhutest.Env) server.PhotoRecords { return env.App.Engine }

// requireCommitment sets the county policy saying whether submitting an
// investigation needs the head's commitment photo (default on), as the
// county admin.
func requireCommitment(t testing.TB, env *ruhutest.Env, on bool) {
	t.Helper()
	if err := env.App.Engine.SetSetting(context.Background(), env.Actor("admin", "storetest"),
		engine.PolicyRequireCommitment, fmt.Sprint(on)); err != nil {
		t.Fatalf("set %s: %v", engine.PolicyRequireCommitment, err)
	}
}

// setSetting sets a county setting as the county admin.
func setSetting(t testing.TB, env *ruhutest.Env, key, value string) {
	t.Helper()
	if err := env.App.Engine.SetSetting(context.Background(), env.Actor("admin", "storetest"), key, value); err != nil {
		t.Fatalf("set %s: %v", key, err)
	}
}

// verifyAudit recomputes the whole audit chain and returns the number of
// rows read (every row when intact) and whether a row does not verify.
func verifyAudit(t testing.TB, env *ruhutest.Env) (rows int64, broken bool) {
	t.Helper()
	n, brk, err := env.App.Engine.VerifyAudit(context.Background())
	if err != nil {
		t.Fatalf("verify audit: %v", err)
	}
	if brk != nil {
		t.Logf("audit chain breaks at row %d: %s", brk.Seq, brk.Reason)
	}
	return n, brk != nil
}

// auditOf returns the audit entries about one object, oldest first.
func auditOf(t testing.TB, env *ruhutest.Env, objectType, objectID string) []server.AuditEntry {
	t.Helper()
	out, err := env.App.Engine.AuditTrail(context.Background(), objectType, objectID)
	if err != nil {
		t.Fatalf("audit of %s/%s: %v", objectType, objectID, err)
	}
	return out
}

// auditAfter returns the audit entries of the demo county's chain after
// row seq, oldest first (seq 0: the whole chain).
func auditAfter(t testing.TB, env *ruhutest.Env, seq int64) []server.AuditEntry {
	t.Helper()
	var out []server.AuditEntry
	err := env.App.Store.AuditRows(context.Background(), "demo-county", func(r server.AuditRow) error {
		if r.Seq > seq {
			at, err := time.Parse(time.RFC3339Nano, r.At)
			if err != nil {
				return err
			}
			out = append(out, server.AuditEntry{Seq: r.Seq, At: at, ActorID: r.ActorID, DeviceID: r.DeviceID,
				Action: r.Action, ObjectType: r.ObjectType, ObjectID: r.ObjectID, Detail: server.RawJSON(r.Detail)})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read audit: %v", err)
	}
	return out
}

// recordScope returns where a record is filed, which decides who pulls it:
// its village and its household (its own id for a household). ok is false
// when no record, live or deleted, has that id.
func recordScope(t testing.TB, env *ruhutest.Env, collection, id string) (unit, household string, ok bool) {
	t.Helper()
	err := env.App.Store.Read(context.Background(), func(tx server.Tx) error {
		r, err := tx.Record(collection, id)
		if err != nil || r == nil {
			return err
		}
		unit, household, ok = r.UnitID, r.HouseholdID, true
		return nil
	})
	if err != nil {
		t.Fatalf("scope of %s/%s: %v", collection, id, err)
	}
	return unit, household, ok
}
