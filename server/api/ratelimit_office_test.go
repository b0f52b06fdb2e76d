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
	st, b := login(env, "worker1", ruhutest.Password, "dev-1")
	wantProblem(t, st, b, http.StatusTooManyRequests, syncproto.CodeRateLimited)
}
