package sqlite_test

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Helpers shared by the sync, signature and property tests. They talk to the
// real server over HTTP and, for what HTTP does not show (audit log,
// mutation log), read the database through a separate read-only connection.

const (
	hhs  = syncproto.CollHouseholds
	mems = syncproto.CollMembers
	invs = syncproto.CollInvestigations
	sigs = syncproto.CollSignatures
)

// badIDNumber is IDNumber(n) with a wrong check character.
func badIDNumber(n int) string {
	good := ruhutest.IDNumber(n)
	bad := byte('0')
	if good[17] == '0' {
		bad = '1'
	}
	return good[:17] + string(bad)
}

// member returns the fields of a valid member of household hh.
func member(hh string, n int) map[string]any {
	return map[string]any{"household_id": hh, "name": "成员" + string(rune('A'+n%26)),
		"id_number": ruhutest.IDNumber(n), "relation": "子女"}
}

// stateOf pulls everything from cursor and returns the latest change per
// "collection/id" and the new cursor.
func stateOf(c *ruhutest.Client, cursor string) (map[string]syncproto.Change, string) {
	c.E.T.Helper()
	all, next := c.PullAll(cursor)
	out := map[string]syncproto.Change{}
	for _, ch := range all {
		out[ch.Collection+"/"+ch.ID] = ch
	}
	return out, next
}

// live returns the live change of a record, failing when it is absent or a
// tombstone.
func live(t *testing.T, state map[string]syncproto.Change, collection, id string) syncproto.Change {
	t.Helper()
	ch, ok := state[collection+"/"+id]
	if !ok {
		t.Fatalf("%s/%s not in pull", collection, id)
	}
	if ch.Deleted {
		t.Fatalf("%s/%s is a tombstone in pull, want live", collection, id)
	}
	return ch
}

// fieldsOf decodes a change's fields.
func fieldsOf(t *testing.T, ch syncproto.Change) map[string]any {
	t.Helper()
	var f map[string]any
	if err := json.Unmarshal(ch.Fields, &f); err != nil {
		t.Fatalf("%s/%s fields: %v: %s", ch.Collection, ch.ID, err, ch.Fields)
	}
	return f
}

// metaOf decodes a change's meta.
func metaOf(t *testing.T, ch syncproto.Change) syncproto.RecordMeta {
	t.Helper()
	var m syncproto.RecordMeta
	if err := json.Unmarshal(ch.Meta, &m); err != nil {
		t.Fatalf("%s/%s meta: %v: %s", ch.Collection, ch.ID, err, ch.Meta)
	}
	return m
}

// wantResult checks a mutation result's status (and error code when code is
// not empty).
func wantResult(t *testing.T, res syncproto.MutationResult, status, code string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("mutation %d: status %q (error %+v), want %q", res.MutationID, res.Status, res.Error, status)
	}
	got := ""
	if res.Error != nil {
		got = res.Error.Code
	}
	if code != "" && got != code {
		t.Fatalf("mutation %d: code %q, want %q", res.MutationID, got, code)
	}
	if status == syncproto.StatusRejected && res.Version != 0 {
		t.Fatalf("mutation %d: rejected with version %d, want 0", res.MutationID, res.Version)
	}
}

// push1 pushes one mutation and returns its result.
func push1(c *ruhutest.Client, m syncproto.Mutation) syncproto.MutationResult {
	c.E.T.Helper()
	res := c.Push(m)
	if len(res.Results) != 1 {
		c.E.T.Fatalf("push: %d results, want 1", len(res.Results))
	}
	return res.Results[0]
}

// wantProblem checks an error answer's status and code.
func wantProblem(t *testing.T, st int, body []byte, status int, code string) {
	t.Helper()
	if st != status {
		t.Fatalf("status %d, want %d: %s", st, status, body)
	}
	var p syncproto.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, body)
	}
	if p.Code != code {
		t.Fatalf("code %q, want %q: %s", p.Code, code, body)
	}
}

// conflicts lists conflicts with status ("open", "resolved", "all").
func conflicts(c *ruhutest.Client, status string) []syncproto.Conflict {
	c.E.T.Helper()
	var out syncproto.ConflictList
	c.JSON(http.MethodGet, "/v1/conflicts?status="+status, nil, http.StatusOK, &out)
	return out.Conflicts
}

// conflictByID finds a conflict in a list.
func conflictByID(t *testing.T, list []syncproto.Conflict, id string) syncproto.Conflict {
	t.Helper()
	for _, c := range list {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("conflict %q not listed (%d listed)", id, len(list))
	return syncproto.Conflict{}
}

// jsonEq reports whether two JSON texts are the same value.
func jsonEq(t *testing.T, got json.RawMessage, want any) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("decode %s: %v", got, err)
	}
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(wb, &w)
	gb, _ := json.Marshal(g)
	wb, _ = json.Marshal(w)
	return string(gb) == string(wb)
}

// userID returns a seeded user's id.
func userID(env *ruhutest.Env, username string) string {
	return env.Actor(username, "x").UserID
}

// readDB opens a read-only connection to the server's database.
func readDB(t *testing.T, env *ruhutest.Env) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+env.App.SQLite.Path()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatalf("open read-only: %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// count runs a count query on a read-only connection.
func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// auditEntry is one audit_log row as the tests read it.
type auditEntry struct {
	Seq    int64
	Actor  string
	Device string
	Action string
	Detail map[string]any
}

// auditOf returns the audit rows about one object, oldest first.
func auditOf(t *testing.T, db *sql.DB, objectType, objectID string) []auditEntry {
	t.Helper()
	rows, err := db.Query(`SELECT seq, actor_id, device_id, action, detail FROM audit_log
		WHERE object_type = ? AND object_id = ? ORDER BY seq`, objectType, objectID)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	defer rows.Close()
	var out []auditEntry
	for rows.Next() {
		var e auditEntry
		var detail string
		if err := rows.Scan(&e.Seq, &e.Actor, &e.Device, &e.Action, &detail); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			t.Fatalf("audit detail %q: %v", detail, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tableDigest returns a text snapshot of the rows of a query, for checking
// that nothing changed.
func tableDigest(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		out = append(out, vals)
	}
	b, _ := json.Marshal(out)
	return string(b)
}
