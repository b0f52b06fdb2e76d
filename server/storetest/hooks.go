package storetest

// The suite's only access to a server besides HTTP. Every hook answers
// today from what server/sqlite offers; where only SQL can answer, the hook
// reads the database through its own read-only connection (readOnly) and
// says with TODO(engine) which service call replaces it. Re-point these
// hooks, and nothing else, to run the suite over another store.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/server/sqlite"
)

// authStore is the storage behind the AuthService: users, sessions with
// their refresh tokens, audit appends.
// TODO(engine): the engine's AuthStore over server.Store.
func authStore(env *ruhutest.Env) server.AuthStore { return env.App.DB }

// adminService manages units, users and relatives.
// TODO(engine): the engine's AdminService over server.Store.
func adminService(env *ruhutest.Env) server.AdminService { return env.App.DB }

// photoRecords keeps the records of stored photos.
// TODO(engine): the engine's PhotoRecords over server.Store.
func photoRecords(env *ruhutest.Env) server.PhotoRecords { return env.App.DB }

// requireCommitment sets the county policy saying whether submitting an
// investigation needs the head's commitment photo (default on), as the
// county admin.
// TODO(engine): the engine's SetSetting(ctx, actor, key, value) (Tx.SetSetting
// in Store.Write); there is no HTTP route for settings.
func requireCommitment(t testing.TB, env *ruhutest.Env, on bool) {
	t.Helper()
	if err := env.App.DB.SetSetting(context.Background(), env.Actor("admin", "storetest"),
		sqlite.PolicyRequireCommitment, fmt.Sprint(on)); err != nil {
		t.Fatalf("set %s: %v", sqlite.PolicyRequireCommitment, err)
	}
}

// verifyAudit recomputes the whole audit chain and returns the number of
// rows read (every row when intact) and whether a row does not verify.
// TODO(engine): Store.AuditRows(ctx, "", fn) through server.ChainVerifier.
func verifyAudit(t testing.TB, env *ruhutest.Env) (rows int64, broken bool) {
	t.Helper()
	n, brk, err := env.App.DB.VerifyAudit(context.Background())
	if err != nil {
		t.Fatalf("verify audit: %v", err)
	}
	if brk != nil {
		t.Logf("audit chain breaks at row %d: %s", brk.Seq, brk.Reason)
	}
	return n, brk != nil
}

// auditOf returns the audit entries about one object, oldest first.
// TODO(engine): Store.Read(ctx, fn) with Tx.AuditOf(objectType, objectID).
func auditOf(t testing.TB, env *ruhutest.Env, objectType, objectID string) []server.AuditEntry {
	t.Helper()
	return queryAudit(t, env, `WHERE object_type = ? AND object_id = ?`, objectType, objectID)
}

// auditAfter returns the audit entries of the county's chain after row seq,
// oldest first (seq 0: the whole chain).
// TODO(engine): Store.AuditRows(ctx, county, fn), keeping rows with Seq > seq.
func auditAfter(t testing.TB, env *ruhutest.Env, seq int64) []server.AuditEntry {
	t.Helper()
	return queryAudit(t, env, `WHERE seq > ?`, seq)
}

// recordScope returns where a record is filed, which decides who pulls it:
// its village and its household (its own id for a household). ok is false
// when no record, live or deleted, has that id.
// TODO(engine): Store.Read(ctx, fn) with Tx.Record(collection, id): UnitID,
// HouseholdID.
func recordScope(t testing.TB, env *ruhutest.Env, collection, id string) (unit, household string, ok bool) {
	t.Helper()
	err := readOnly(t, env).QueryRow(`SELECT unit_id, household_id FROM records WHERE collection = ? AND id = ?`,
		collection, id).Scan(&unit, &household)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false
	}
	if err != nil {
		t.Fatalf("scope of %s/%s: %v", collection, id, err)
	}
	return unit, household, true
}

func queryAudit(t testing.TB, env *ruhutest.Env, where string, args ...any) []server.AuditEntry {
	t.Helper()
	rows, err := readOnly(t, env).Query(`SELECT seq, at, actor_id, device_id, action, object_type, object_id, detail
		FROM audit_log `+where+` ORDER BY seq`, args...)
	if err != nil {
		t.Fatalf("read audit: %v", err)
	}
	defer rows.Close()
	var out []server.AuditEntry
	for rows.Next() {
		var e server.AuditEntry
		var at, detail string
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.DeviceID, &e.Action, &e.ObjectType, &e.ObjectID, &detail); err != nil {
			t.Fatalf("read audit: %v", err)
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			t.Fatalf("audit row %d: time %q: %v", e.Seq, at, err)
		}
		e.Detail = server.RawJSON(detail)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read audit: %v", err)
	}
	return out
}

// readOnly is one read-only connection per environment to its SQLite
// file, closed when the test that made the environment ends.
func readOnly(t testing.TB, env *ruhutest.Env) *sql.DB {
	t.Helper()
	readers.Lock()
	defer readers.Unlock()
	if db := readers.m[env]; db != nil {
		return db
	}
	db, err := sql.Open("sqlite", "file:"+env.App.DB.Path()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatalf("open read-only: %v", err)
	}
	db.SetMaxOpenConns(1)
	readers.m[env] = db
	env.T.Cleanup(func() {
		readers.Lock()
		delete(readers.m, env)
		readers.Unlock()
		db.Close()
	})
	return db
}

var readers = struct {
	sync.Mutex
	m map[*ruhutest.Env]*sql.DB
}{m: map[*ruhutest.Env]*sql.DB{}}
