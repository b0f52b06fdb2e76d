package sqlite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A full disk, simulated with PRAGMA max_page_count, is answered 503
// storage_full with a Retry-After through the real HTTP path; nothing of
// the refused push is written, and once there is space again the same push
// applies exactly once and the audit chain verifies.
func TestDiskFullPushIsRefusedWholeAndRecovers(t *testing.T) {
	env := ruhutest.New(t)
	db := env.App.SQLite
	w1 := env.Login("worker1", "tab-01")
	if r := w1.Push(ruhutest.Upsert("households", "hh0", 0, ruhutest.Household("t1-v1", 1))).Results[0]; r.Status != syncproto.StatusApplied {
		t.Fatalf("first push: %+v", r)
	}
	before, _ := w1.PullAll("")
	rowsBefore, brk, err := env.App.Engine.VerifyAudit(context.Background())
	if err != nil || brk != nil {
		t.Fatalf("audit before: %v %v", err, brk)
	}

	var batch []syncproto.Mutation
	for i := range 60 {
		hh := ruhutest.Household("t1-v1", 100+i)
		hh["address"] = strings.Repeat("石桥镇石桥村三组", 12)
		m := ruhutest.Upsert("households", "hf"+string(rune('a'+i/26))+string(rune('a'+i%26)), 0, hh)
		m.MutationID = int64(2 + i)
		batch = append(batch, m)
	}
	pages, err := db.PageCount()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetMaxPageCount(pages + 2); err != nil {
		t.Fatal(err)
	}
	for range 2 { // and again while still full
		st, hdr, body := postFull(t, env, w1.Token, "/v1/sync/push", syncproto.PushRequest{DeviceID: "tab-01", Mutations: batch})
		var p syncproto.Problem
		if st != http.StatusServiceUnavailable || json.Unmarshal(body, &p) != nil || p.Code != syncproto.CodeStorageFull ||
			!strings.HasPrefix(hdr.Get("Content-Type"), syncproto.ProblemContentType) || hdr.Get("Retry-After") == "" {
			t.Fatalf("push on a full disk: %d %v %s", st, hdr, body)
		}
		if strings.Contains(string(body), "SQLITE") || strings.Contains(string(body), "database") {
			t.Fatalf("the problem leaks the cause: %s", body)
		}
	}
	// Nothing of it was written: no record, no audit row, no counter move.
	if after, _ := w1.PullAll(""); len(after) != len(before) {
		t.Fatalf("pull after a refused push: %d changes, want %d", len(after), len(before))
	}
	if rows, brk, err := env.App.Engine.VerifyAudit(context.Background()); err != nil || brk != nil || rows != rowsBefore {
		t.Fatalf("audit after a refused push: %d rows (want %d), %v %v", rows, rowsBefore, err, brk)
	}

	// Space returns: the same push applies, once.
	if _, err := db.SetMaxPageCount(1 << 30); err != nil {
		t.Fatal(err)
	}
	res := w1.Push(batch...)
	if res.LastMutationID != 61 || res.Incomplete {
		t.Fatalf("push after space returned: last %d, incomplete %v", res.LastMutationID, res.Incomplete)
	}
	for i, r := range res.Results {
		if r.Status != syncproto.StatusApplied || r.Replayed {
			t.Fatalf("result %d after recovery: %+v %+v", i, r, r.Error)
		}
	}
	again := w1.Push(batch...)
	for i, r := range again.Results {
		if !r.Replayed || r.Version != res.Results[i].Version {
			t.Fatalf("replay %d: %+v, first %+v", i, r, res.Results[i])
		}
	}
	if after, _ := w1.PullAll(""); len(after) != len(before)+60 {
		t.Fatalf("pull after recovery: %d changes, want %d", len(after), len(before)+60)
	}
	if rows, brk, err := env.App.Engine.VerifyAudit(context.Background()); err != nil || brk != nil || rows <= rowsBefore {
		t.Fatalf("audit after recovery: %d rows, %v %v", rows, err, brk)
	}
}

func postFull(t *testing.T, env *ruhutest.Env, token, path string, body any) (int, http.Header, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, env.URL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, out
}

// A data directory that turned read-only (simulated with PRAGMA
// query_only: root ignores file modes) is answered 503 storage_read_only
// with a Retry-After; nothing is written, and once writable again the same
// push applies exactly once.
func TestReadOnlyStorageIsA503AndRecovers(t *testing.T) {
	env := ruhutest.New(t)
	db := env.App.SQLite
	w1 := env.Login("worker1", "tab-01")
	m := ruhutest.Upsert("households", "hh-ro", 0, ruhutest.Household("t1-v1", 1))
	m.MutationID = 1
	if err := db.SetQueryOnly(true); err != nil {
		t.Fatal(err)
	}
	st, hdr, body := postFull(t, env, w1.Token, "/v1/sync/push", syncproto.PushRequest{DeviceID: "tab-01", Mutations: []syncproto.Mutation{m}})
	var p syncproto.Problem
	if st != http.StatusServiceUnavailable || json.Unmarshal(body, &p) != nil || p.Code != syncproto.CodeStorageReadOnly || hdr.Get("Retry-After") == "" {
		t.Fatalf("push on read-only storage: %d %v %s", st, hdr, body)
	}
	if err := db.SetQueryOnly(false); err != nil {
		t.Fatal(err)
	}
	res := w1.Push(m)
	if r := res.Results[0]; r.Status != syncproto.StatusApplied || r.Replayed {
		t.Fatalf("push once writable: %+v", r)
	}
	if all, _ := w1.PullAll(""); len(all) != 1 {
		t.Fatalf("%d records, want 1", len(all))
	}
}
