package sqlite_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

const (
	hhs  = syncproto.CollHouseholds
	mems = syncproto.CollMembers
	invs = syncproto.CollInvestigations
	sigs = syncproto.CollSignatures
)

// member returns the fields of a valid member of household hh.
func member(hh string, n int) map[string]any {
	return map[string]any{"household_id": hh, "name": "成员" + string(rune('A'+n%26)),
		"id_number": ruhutest.IDNumber(n), "relation": "子女"}
}

// FuzzPush sends arbitrary mutation lists to one running server. Whatever
// a device sends, the answer is a problem with a code or one result per
// mutation — never a 500, which would block the device's queue for good.
// Inputs that decode as mutations are renumbered above the device's counter
// so that they reach the rules instead of the replay check. The seeds run in
// every go test; under -fuzz this target is slow (a few inputs a second),
// because the instrumented SQLite driver makes each coverage check costly.
func FuzzPush(f *testing.F) {
	seeds := []any{
		[]syncproto.Mutation{ruhutest.Upsert(hhs, "h1", 0, ruhutest.Household("t1-v1", 1)),
			ruhutest.Upsert(mems, "m1", 0, member("h1", 11)),
			ruhutest.Upsert(invs, "i1", 0, map[string]any{"household_id": "h1", "income_items": []any{map[string]any{"amount": 1.5}}}),
			ruhutest.Upsert(sigs, "s1", 0, map[string]any{"investigation_id": "i1", "key_id": "ed25519:00", "content_hash": "00",
				"signature": "AA==", "signed_at": "2024-03-18T09:41:07+08:00"})},
		[]syncproto.Mutation{ruhutest.Upsert(hhs, "h2", 0, ruhutest.Household("t1-v1", 1)),
			ruhutest.Upsert(hhs, "h1", 1, map[string]any{"unit_id": "t1-v2", "head_id_number": ruhutest.IDNumber(2)}),
			ruhutest.Upsert(mems, "m2", 0, member("h2", 11)), ruhutest.Delete(hhs, "h1", 0), ruhutest.Delete(sigs, "s1", 0)},
		[]syncproto.Mutation{ruhutest.Upsert(hhs, "h1", 0, map[string]any{"causes": nil, "unit_id": "t2-v1", "notes": "\u2028<&>"})},
		`[{"mutation_id":1,"collection":"members","id":"m9","op":"upsert","fields":{"household_id":"h1","id_number":null}}]`,
		`[{"collection":"investigations","id":"i1","op":"upsert","fields":{"findings":"\ud800","income_items":[{"a":1,"a":2}]}}]`,
		`[{"op":"delete"}]`, `{}`, `null`, `[`, `[{}]}`,
	}
	for _, s := range seeds {
		if str, ok := s.(string); ok {
			f.Add([]byte(str))
			continue
		}
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	env := ruhutest.New(f)
	c := env.Login("reviewer1", "tab-fuzz")
	var mu sync.Mutex
	next := int64(0)
	f.Fuzz(func(t *testing.T, list []byte) {
		body := []byte(`{"device_id":"tab-fuzz","mutations":` + string(list) + `}`)
		var ms []syncproto.Mutation
		if json.Unmarshal(list, &ms) == nil {
			mu.Lock()
			for i := range ms {
				next++
				ms[i].MutationID = next
			}
			mu.Unlock()
			if b, err := json.Marshal(syncproto.PushRequest{DeviceID: "tab-fuzz", Mutations: ms}); err == nil {
				body = b
			}
		}
		st, out := post(t, env.URL+"/v1/sync/push", c.Token, body)
		if st != http.StatusOK {
			var p syncproto.Problem
			if st >= 500 || json.Unmarshal(out, &p) != nil || p.Code == "" {
				t.Fatalf("push %s: %d %s", body, st, out)
			}
			return
		}
		var res syncproto.PushResponse
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("push answer %s: %v", out, err)
		}
		var req syncproto.PushRequest // what the server decoded
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&req); err != nil {
			t.Fatalf("push %s answered 200 but does not decode: %v", body, err)
		}
		if len(res.Results) != len(req.Mutations) {
			t.Fatalf("%d results for %d mutations: %s", len(res.Results), len(req.Mutations), out)
		}
		for _, r := range res.Results {
			switch r.Status {
			case syncproto.StatusApplied, syncproto.StatusMerged, syncproto.StatusConflict:
			case syncproto.StatusRejected:
				if r.Error == nil || r.Error.Code == "" {
					t.Fatalf("rejection without a code: %s", out)
				}
			default:
				t.Fatalf("unknown status %q: %s", r.Status, out)
			}
		}
	})
}

// fuzzClient bounds a request: a push that hangs is a failure.
var fuzzClient = &http.Client{Timeout: 10 * time.Second}

// post sends a body without the Env helpers (they report to the fuzz
// target's *testing.F, which a fuzz function may not use).
func post(t *testing.T, url, token string, body []byte) (int, []byte) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := fuzzClient.Do(req)
	if err != nil {
		t.Fatalf("push %s: %v", body, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, out
}
