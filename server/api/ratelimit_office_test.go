package api_test

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A township office logs many people in from one address: successful
// logins do not count against the address; failures still do.
func TestSuccessfulLoginsDoNotExhaustAddressLimit(t *testing.T) {
	env := ruhutest.New(t)
	for i := range 40 {
		env.Login("worker1", "tab-"+itoa(i))
	}
	for i := range 30 {
		st, b := login(env, "nobody-"+itoa(i), "wrong-password", "dev-1")
		wantProblem(t, st, b, http.StatusUnauthorized, syncproto.CodeInvalidCredentials)
	}
	res, b := send(t, env, http.MethodPost, "/v1/auth/login", "", mustJSON(t, syncproto.LoginRequest{Username: "worker1",
		Password: ruhutest.Password, DeviceID: "dev-1"}), nil)
	wantProblem(t, res.StatusCode, b, http.StatusTooManyRequests, syncproto.CodeRateLimited)
	if ra := res.Header.Get("Retry-After"); ra != "900" {
		t.Errorf("Retry-After %q, want 900 (the 15-minute window)", ra)
	}
}
