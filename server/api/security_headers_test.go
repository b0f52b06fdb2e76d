package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// TestSecurityPersonalDataIsNotCached: answers that carry personal data
// (household records, conflicts, rejected payloads, users) tell every cache
// not to store them, and no answer invites cross-origin reads.
func TestSecurityPersonalDataIsNotCached(t *testing.T) {
	env := ruhutest.New(t)
	w1 := env.Login("worker1", "tab-01")
	w1.Push(ruhutest.Upsert(syncproto.CollHouseholds, "hh1", 0, ruhutest.Household("t1-v1", 1)))
	admin := env.Login("admin", "pc-a")
	scenarios := []struct {
		c      *ruhutest.Client
		method string
		path   string
		body   any
	}{
		{w1, http.MethodGet, "/v1/sync/pull", nil},
		{w1, http.MethodPost, "/v1/sync/push", syncproto.PushRequest{DeviceID: "tab-01", Mutations: []syncproto.Mutation{}}},
		{w1, http.MethodGet, "/v1/conflicts", nil},
		{w1, http.MethodGet, "/v1/rejections", nil},
		{w1, http.MethodGet, "/v1/me", nil},
		{w1, http.MethodGet, "/v1/keys", nil},
		{admin, http.MethodGet, "/v1/admin/users", nil},
		{admin, http.MethodGet, "/v1/admin/relatives", nil},
		{w1, http.MethodGet, "/v1/sync/pull?limit=x", nil}, // an error answer too
	}
	for _, sc := range scenarios {
		res, b := send(t, env, sc.method, sc.path, sc.c.Token, mustJSON(t, sc.body), map[string]string{"Origin": "https://evil.example"})
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s: %d %s", sc.method, sc.path, res.StatusCode, b)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store", sc.method, sc.path, cc)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s %s: headers %v", sc.method, sc.path, res.Header)
		}
	}
}

// mustJSON marshals v, nil for nil.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
