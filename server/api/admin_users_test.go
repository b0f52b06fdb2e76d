package api_test

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

func userIDOf(t *testing.T, admin *ruhutest.Client, username string) string {
	t.Helper()
	var list syncproto.UserList
	admin.JSON(http.MethodGet, "/v1/admin/users", nil, http.StatusOK, &list)
	for _, u := range list.Users {
		if u.Username == username {
			return u.ID
		}
	}
	t.Fatalf("no user %s", username)
	return ""
}

// A departed worker is disabled: their live sessions end at once and they
// cannot log in again until enabled.
func TestDisableAndEnableUser(t *testing.T) {
	env := ruhutest.New(t)
	admin := env.Login("admin", "pc-admin")
	w := env.Login("worker1", "tab-01")
	id := userIDOf(t, admin, "worker1")

	var u syncproto.UserDetail
	admin.JSON(http.MethodPost, "/v1/admin/users/"+id+"/disable", nil, http.StatusOK, &u)
	if !u.Disabled || u.ID != id {
		t.Fatalf("disable answered %+v", u)
	}
	st, b := w.Do(http.MethodGet, "/v1/me", nil)
	wantProblem(t, st, b, http.StatusUnauthorized, syncproto.CodeRevoked)
	st, b = env.Do(http.MethodPost, "/v1/auth/refresh", "", syncproto.RefreshRequest{RefreshToken: w.Tokens.RefreshToken})
	wantProblem(t, st, b, http.StatusUnauthorized, syncproto.CodeRevoked)
	st, b = login(env, "worker1", ruhutest.Password, "tab-01")
	wantProblem(t, st, b, http.StatusUnauthorized, syncproto.CodeInvalidCredentials)

	var enabled syncproto.UserDetail
	admin.JSON(http.MethodPost, "/v1/admin/users/"+id+"/enable", nil, http.StatusOK, &enabled)
	if enabled.Disabled || enabled.ID != id {
		t.Fatalf("enable answered %+v", enabled)
	}
	env.Login("worker1", "tab-01")

	st, b = admin.Do(http.MethodPost, "/v1/admin/users/"+userIDOf(t, admin, "admin")+"/disable", nil)
	wantProblem(t, st, b, http.StatusForbidden, syncproto.CodeForbidden)
}

// A password reset ends the user's sessions; the new password works, the
// old one does not. Only an admin over the user may do it.
func TestAdminSetsPassword(t *testing.T) {
	env := ruhutest.New(t)
	admin := env.Login("admin", "pc-admin")
	w := env.Login("worker3", "tab-03")
	id := userIDOf(t, admin, "worker3")

	st, b := admin.Do(http.MethodPost, "/v1/admin/users/"+id+"/password", syncproto.PasswordRequest{Password: "short"})
	wantProblem(t, st, b, http.StatusUnprocessableEntity, syncproto.CodeWeakPassword)
	if st, b := admin.Do(http.MethodPost, "/v1/admin/users/"+id+"/password", syncproto.PasswordRequest{Password: "a-new-password-1"}); st != http.StatusNoContent {
		t.Fatalf("set password: %d %s", st, b)
	}
	st, b = w.Do(http.MethodGet, "/v1/me", nil)
	wantProblem(t, st, b, http.StatusUnauthorized, syncproto.CodeRevoked)
	st, b = login(env, "worker3", ruhutest.Password, "tab-03")
	wantProblem(t, st, b, http.StatusUnauthorized, syncproto.CodeInvalidCredentials)
	if st, b := login(env, "worker3", "a-new-password-1", "tab-03"); st != http.StatusOK {
		t.Fatalf("login with the new password: %d %s", st, b)
	}

	// A township admin of t1 cannot touch a user of t2; a worker is no admin.
	var t1admin syncproto.UserDetail
	admin.JSON(http.MethodPost, "/v1/admin/users", syncproto.CreateUserRequest{Username: "t1admin", Password: ruhutest.Password,
		DisplayName: "乡镇管理员", Roles: []string{syncproto.RoleAdmin}, UnitID: "t1"}, http.StatusCreated, &t1admin)
	ta := env.Login("t1admin", "pc-t1")
	st, b = ta.Do(http.MethodPost, "/v1/admin/users/"+id+"/disable", nil)
	wantProblem(t, st, b, http.StatusNotFound, syncproto.CodeNotFound)
	st, b = env.Login("worker1", "tab-01").Do(http.MethodPost, "/v1/admin/users/"+id+"/password", syncproto.PasswordRequest{Password: "a-new-password-2"})
	wantProblem(t, st, b, http.StatusForbidden, syncproto.CodeForbidden)
}
