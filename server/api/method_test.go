package api_test

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A wrong method answers 405 method_not_allowed as problem+json with the
// Allow header (docs/protocol.md), with or without a token.
func TestWrongMethodIs405(t *testing.T) {
	env := ruhutest.New(t)
	tok := env.Login("worker1", "dev-1").Token
	scenarios := []struct {
		method, path, token, allow string
	}{
		{http.MethodGet, "/v1/auth/login", "", "OPTIONS, POST"},
		{http.MethodPut, "/v1/auth/refresh", "", "OPTIONS, POST"},
		{http.MethodDelete, "/v1/me", tok, "OPTIONS, GET"},
		{http.MethodDelete, "/v1/me", "", "OPTIONS, GET"},
		{http.MethodGet, "/v1/sync/push", tok, "OPTIONS, POST"},
		{http.MethodPost, "/v1/sync/pull", tok, "OPTIONS, GET"},
		{http.MethodGet, "/v1/photos/missing", tok, "OPTIONS, POST"},
		{http.MethodPost, "/healthz", "", "OPTIONS, GET"},
	}
	for _, sc := range scenarios {
		t.Run(sc.method+" "+sc.path, func(t *testing.T) {
			res, b := send(t, env, sc.method, sc.path, sc.token, nil, nil)
			checkProblemShape(t, res, b, http.StatusMethodNotAllowed, syncproto.CodeMethodNotAllowed)
			if got := res.Header.Get("Allow"); got != sc.allow {
				t.Errorf("Allow %q, want %q", got, sc.allow)
			}
		})
	}
}
