package storetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Helpers over HTTP shared by the suite's tests. What HTTP does not show is
// read through hooks.go.

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

// rawUpsert builds an upsert from a raw JSON field object, keeping its bytes.
func rawUpsert(collection, id, fields string) syncproto.Mutation {
	m := syncproto.Mutation{Collection: collection, ID: id, Op: syncproto.OpUpsert}
	if err := json.Unmarshal([]byte(fields), &m.Fields); err != nil {
		panic(err)
	}
	return m
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

// keys returns the keys of a pulled state, sorted.
func keys(m map[string]syncproto.Change) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
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

// userID returns a seeded user's id.
func userID(env *ruhutest.Env, username string) string {
	return env.Actor(username, "x").UserID
}

// jsonEq reports whether a JSON text is the same value as want.
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

// rejections lists the rejected mutations kept for the client's subtree.
func rejections(c *ruhutest.Client) []syncproto.Rejection {
	c.E.T.Helper()
	var out syncproto.RejectionList
	c.JSON(http.MethodGet, "/v1/rejections?limit="+itoa(syncproto.MaxRejectionLimit), nil, http.StatusOK, &out)
	return out.Rejections
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
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

// resolve resolves a conflict and requires status want; on 200 it returns
// the resolved conflict, always the body.
func resolve(c *ruhutest.Client, id string, body any, want int) (syncproto.Conflict, []byte) {
	c.E.T.Helper()
	st, b := c.Do(http.MethodPost, "/v1/conflicts/"+id+"/resolve", body)
	if st != want {
		c.E.T.Fatalf("resolve %s: status %d, want %d: %s", id, st, want, b)
	}
	var out syncproto.Conflict
	if st == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			c.E.T.Fatalf("resolve %s: %v", id, err)
		}
	}
	return out, b
}

// detailOf decodes an audit entry's detail (JSON text or a Go value).
func detailOf(t testing.TB, e server.AuditEntry) map[string]any {
	t.Helper()
	raw, err := e.DetailJSON()
	if err != nil {
		t.Fatalf("audit row %d detail: %v", e.Seq, err)
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("audit row %d detail %s: %v", e.Seq, raw, err)
	}
	return d
}
