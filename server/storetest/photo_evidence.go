package storetest

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Issue #16, part 2: village positions from the admin API, and the
// evidence flags a photo filing gets from them and from the household's
// investigation dates.

// village is where the demo village t1-v1 is put (a village of Guizhou).
var village = syncproto.UnitPosition{Lat: ptr(26.5800), Lng: ptr(106.7100)}

func ptr[T any](v T) *T { return &v }

// setPosition puts unit at p as the client c, answering want.
func setPosition(c *ruhutest.Client, unit string, p syncproto.UnitPosition, want int) []byte {
	c.E.T.Helper()
	st, body := c.Do(http.MethodPut, "/v1/admin/units/"+unit+"/position", p)
	if st != want {
		c.E.T.Fatalf("PUT position of %s: status %d, want %d: %s", unit, st, want, body)
	}
	return body
}

// unitOf finds unit id in GET /v1/admin/units as c.
func unitOf(t *testing.T, c *ruhutest.Client, id string) syncproto.Unit {
	t.Helper()
	var list syncproto.UnitList
	c.JSON(http.MethodGet, "/v1/admin/units", nil, http.StatusOK, &list)
	for _, u := range list.Units {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("unit %s not listed", id)
	return syncproto.Unit{}
}

func testAdminSetsVillagePosition(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	admin := env.Login("admin", "dev-admin")
	if u := unitOf(t, admin, "t1-v1"); u.Lat != nil || u.Lng != nil {
		t.Fatalf("unset position listed as %v, %v", u.Lat, u.Lng)
	}
	var got syncproto.Unit
	admin.JSON(http.MethodPut, "/v1/admin/units/t1-v1/position", village, http.StatusOK, &got)
	if got.ID != "t1-v1" || got.Lat == nil || *got.Lat != *village.Lat || *got.Lng != *village.Lng {
		t.Fatalf("PUT answered %+v", got)
	}
	if u := unitOf(t, admin, "t1-v1"); u.Lat == nil || *u.Lat != *village.Lat || *u.Lng != *village.Lng {
		t.Fatalf("listed as %+v", u)
	}
	if au := auditOf(t, env, "unit", "t1-v1"); len(au) == 0 || au[len(au)-1].Action != "unit.position" ||
		detailOf(t, au[len(au)-1])["lat"] != *village.Lat {
		t.Fatalf("audit of t1-v1: %+v", au)
	}

	for name, p := range map[string]syncproto.UnitPosition{
		"lat too big":   {Lat: ptr(90.5), Lng: ptr(106.0)},
		"lng too small": {Lat: ptr(26.0), Lng: ptr(-181.0)},
		"lng missing":   {Lat: ptr(26.0)},
	} {
		st, body := admin.Do(http.MethodPut, "/v1/admin/units/t1-v1/position", p)
		t.Run(name, func(t *testing.T) { wantProblem(t, st, body, http.StatusUnprocessableEntity, syncproto.CodeValidation) })
	}
	st, body := admin.Do(http.MethodPut, "/v1/admin/units/nowhere/position", village)
	wantProblem(t, st, body, http.StatusNotFound, syncproto.CodeNotFound)

	// An admin of township t1 sets its villages, not t2's; a worker none.
	admin.JSON(http.MethodPost, "/v1/admin/users", syncproto.CreateUserRequest{Username: "admin-t1", Password: ruhutest.Password,
		DisplayName: "乡镇管理员", Roles: []string{syncproto.RoleAdmin}, UnitID: "t1", IDNumber: ruhutest.IDNumber(921)},
		http.StatusCreated, nil)
	a1 := env.Login("admin-t1", "dev-a1")
	setPosition(a1, "t1-v2", village, http.StatusOK)
	st, body = a1.Do(http.MethodPut, "/v1/admin/units/t2-v1/position", village)
	wantProblem(t, st, body, http.StatusNotFound, syncproto.CodeNotFound)
	st, body = env.Login("worker1", "tab-01").Do(http.MethodPut, "/v1/admin/units/t1-v1/position", village)
	wantProblem(t, st, body, http.StatusForbidden, syncproto.CodeForbidden)
	if u := unitOf(t, admin, "t2-v1"); u.Lat != nil {
		t.Fatalf("t2-v1 got a position: %+v", u)
	}
}
