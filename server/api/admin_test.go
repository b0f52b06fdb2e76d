package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// demoIDNumber is the full ID number the demo seeder gives username.
func demoIDNumber(t *testing.T, username string) string {
	t.Helper()
	for _, u := range app.DemoUsers {
		if u.Username == username {
			return syncproto.CompleteIDNumber(u.IDPrefix)
		}
	}
	t.Fatalf("no demo user %s", username)
	return ""
}

// badCheckDigit returns a valid ID number with its check character changed.
func badCheckDigit(id string) string {
	last := byte('0')
	if id[17] == '0' {
		last = '1'
	}
	return id[:17] + string(last)
}

func newUser(username, unit string, roles ...string) syncproto.CreateUserRequest {
	return syncproto.CreateUserRequest{Username: username, Password: ruhutest.Password, DisplayName: "用户 " + username,
		Roles: roles, UnitID: unit, IDNumber: ruhutest.IDNumber(len(username)*100 + int(username[len(username)-1]))}
}

// townshipAdmin creates (as the county admin) an admin of township t1 and
// logs them in.
func townshipAdmin(t *testing.T, env *ruhutest.Env, admin *ruhutest.Client) *ruhutest.Client {
	t.Helper()
	var u syncproto.UserDetail
	admin.JSON(http.MethodPost, "/v1/admin/users", newUser("tadmin", "t1", syncproto.RoleAdmin), http.StatusCreated, &u)
	if u.UnitID != "t1" || !slices.Equal(u.Roles, []string{syncproto.RoleAdmin}) {
		t.Fatalf("township admin %+v", u)
	}
	return env.Login("tadmin", "dev-tadmin")
}

func userIDs(t *testing.T, admin *ruhutest.Client) map[string]string {
	t.Helper()
	var list syncproto.UserList
	admin.JSON(http.MethodGet, "/v1/admin/users", nil, http.StatusOK, &list)
	ids := map[string]string{}
	for _, u := range list.Users {
		ids[u.Username] = u.ID
	}
	return ids
}

func TestAdminRoleUnitMatrix(t *testing.T) {
	env := ruhutest.New(t)
	county := env.Login("admin", "dev-admin")
	town := townshipAdmin(t, env, county)
	worker := env.Login("worker1", "dev-1")
	reviewer := env.Login("reviewer1", "dev-r1")
	approver := env.Login("county", "dev-county")

	unit := func(id, parent, level string) syncproto.Unit {
		return syncproto.Unit{ID: id, ParentID: parent, Name: "单位 " + id, Level: level}
	}
	badID := newUser("badid", "t1-v1", syncproto.RoleVillageWorker)
	badID.IDNumber = badCheckDigit(badID.IDNumber)
	noID := newUser("noid", "t1-v1", syncproto.RoleVillageWorker)
	noID.IDNumber = ""
	weak := newUser("weak", "t1-v1", syncproto.RoleVillageWorker)
	weak.Password = "short"
	badRole := newUser("badrole", "t1-v1", "superuser")

	scenarios := []struct {
		name   string
		who    *ruhutest.Client
		method string
		path   string
		body   any
		status int
		code   string
	}{
		// The county admin works anywhere in the county.
		{"county admin: township", county, "POST", "/v1/admin/units", unit("t3", "demo-county", "township"), 201, ""},
		{"county admin: village in the new township", county, "POST", "/v1/admin/units", unit("t3-v1", "t3", "village"), 201, ""},
		{"county admin: village in t2", county, "POST", "/v1/admin/units", unit("t2-v9", "t2", "village"), 201, ""},
		{"county admin: user in t2-v1", county, "POST", "/v1/admin/users", newUser("w21", "t2-v1", syncproto.RoleVillageWorker), 201, ""},
		{"county admin: user at the county", county, "POST", "/v1/admin/users", newUser("c2", "demo-county", syncproto.RoleInspector), 201, ""},
		{"county admin: user in the new village", county, "POST", "/v1/admin/users", newUser("w31", "t3-v1", syncproto.RoleVillageWorker), 201, ""},

		// Tree shape.
		{"village with a county parent", county, "POST", "/v1/admin/units", unit("v-bad", "demo-county", "village"), 422, syncproto.CodeInvalidUnit},
		{"township with a township parent", county, "POST", "/v1/admin/units", unit("t-bad", "t1", "township"), 422, syncproto.CodeInvalidUnit},
		{"village with a village parent", county, "POST", "/v1/admin/units", unit("v-bad", "t1-v1", "village"), 422, syncproto.CodeInvalidUnit},
		{"a second county", county, "POST", "/v1/admin/units", unit("c-bad", "demo-county", "county"), 422, syncproto.CodeInvalidUnit},
		{"unknown parent", county, "POST", "/v1/admin/units", unit("v-bad", "t9", "village"), 422, syncproto.CodeInvalidUnit},
		{"bad unit id", county, "POST", "/v1/admin/units", unit("bad id/x", "t1", "village"), 422, syncproto.CodeInvalidUnit},
		{"empty unit name", county, "POST", "/v1/admin/units", syncproto.Unit{ID: "t1-v7", ParentID: "t1", Name: " ", Level: "village"}, 422, syncproto.CodeValidation},
		{"duplicate unit", county, "POST", "/v1/admin/units", unit("t1-v1", "t1", "village"), 409, syncproto.CodeAlreadyExists},
		{"user at an unknown unit", county, "POST", "/v1/admin/users", newUser("nowhere", "t9-v9", syncproto.RoleVillageWorker), 422, syncproto.CodeInvalidUnit},
		{"duplicate username", county, "POST", "/v1/admin/users", newUser("worker1", "t1-v1", syncproto.RoleVillageWorker), 409, syncproto.CodeAlreadyExists},
		{"unknown role", county, "POST", "/v1/admin/users", badRole, 422, syncproto.CodeInvalidRole},
		{"weak password", county, "POST", "/v1/admin/users", weak, 422, syncproto.CodeWeakPassword},
		{"bad ID check digit", county, "POST", "/v1/admin/users", badID, 422, syncproto.CodeInvalidIDNumber},
		{"investigator without ID number", county, "POST", "/v1/admin/users", noID, 422, syncproto.CodeInvalidIDNumber},

		// A township admin works inside t1 only.
		{"township admin: village in t1", town, "POST", "/v1/admin/units", unit("t1-v4", "t1", "village"), 201, ""},
		{"township admin: user in t1-v2", town, "POST", "/v1/admin/users", newUser("w12", "t1-v2", syncproto.RoleVillageWorker), 201, ""},
		{"township admin: user at t1", town, "POST", "/v1/admin/users", newUser("r12", "t1", syncproto.RoleTownshipReviewer), 201, ""},
		{"township admin: user in its new village", town, "POST", "/v1/admin/users", newUser("w14", "t1-v4", syncproto.RoleVillageWorker), 201, ""},
		{"township admin: village in t2", town, "POST", "/v1/admin/units", unit("t2-v8", "t2", "village"), 403, syncproto.CodeOutOfScope},
		{"township admin: township", town, "POST", "/v1/admin/units", unit("t4", "demo-county", "township"), 403, syncproto.CodeOutOfScope},
		{"township admin: user in t2-v1", town, "POST", "/v1/admin/users", newUser("w22", "t2-v1", syncproto.RoleVillageWorker), 403, syncproto.CodeOutOfScope},
		{"township admin: user at the county", town, "POST", "/v1/admin/users", newUser("c3", "demo-county", syncproto.RoleAdmin), 403, syncproto.CodeOutOfScope},

		// Non-admins are refused whatever the unit.
		{"worker: unit", worker, "POST", "/v1/admin/units", unit("t1-v5", "t1", "village"), 403, syncproto.CodeForbidden},
		{"worker: user", worker, "POST", "/v1/admin/users", newUser("w15", "t1-v1", syncproto.RoleVillageWorker), 403, syncproto.CodeForbidden},
		{"reviewer: user in own township", reviewer, "POST", "/v1/admin/users", newUser("w16", "t1-v1", syncproto.RoleVillageWorker), 403, syncproto.CodeForbidden},
		{"reviewer: list units", reviewer, "GET", "/v1/admin/units", nil, 403, syncproto.CodeForbidden},
		{"county approver: list users", approver, "GET", "/v1/admin/users", nil, 403, syncproto.CodeForbidden},
		{"county approver: relatives", approver, "GET", "/v1/admin/relatives", nil, 403, syncproto.CodeForbidden},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			st, b := sc.who.Do(sc.method, sc.path, sc.body)
			if sc.code != "" {
				wantProblem(t, st, b, sc.status, sc.code)
				return
			}
			if st != sc.status {
				t.Fatalf("status %d, want %d: %s", st, sc.status, b)
			}
		})
	}

	// Refused creations left nothing behind.
	var units syncproto.UnitList
	county.JSON(http.MethodGet, "/v1/admin/units", nil, http.StatusOK, &units)
	for _, u := range units.Units {
		if strings.HasSuffix(u.ID, "-bad") || u.ID == "t2-v8" || u.ID == "t4" || u.ID == "t1-v5" {
			t.Errorf("refused unit %s exists", u.ID)
		}
	}
	ids := userIDs(t, county)
	for _, name := range []string{"badid", "noid", "weak", "badrole", "w22", "c3", "w15", "w16", "nowhere"} {
		if _, ok := ids[name]; ok {
			t.Errorf("refused user %s exists", name)
		}
	}
	for _, name := range []string{"w21", "c2", "w31", "w12", "r12", "w14"} {
		if _, ok := ids[name]; !ok {
			t.Errorf("created user %s missing", name)
		}
	}
}

func TestAdminListsOnlySubtree(t *testing.T) {
	env := ruhutest.New(t)
	county := env.Login("admin", "dev-admin")
	town := townshipAdmin(t, env, county)

	unitIDs := func(c *ruhutest.Client) []string {
		var list syncproto.UnitList
		c.JSON(http.MethodGet, "/v1/admin/units", nil, http.StatusOK, &list)
		var out []string
		for _, u := range list.Units {
			out = append(out, u.ID)
		}
		return out
	}
	want := []string{"demo-county", "t1", "t1-v1", "t1-v2", "t1-v3", "t2", "t2-v1", "t2-v2", "t2-v3"}
	if got := unitIDs(county); !slices.Equal(got, want) {
		t.Errorf("county admin units %v, want %v", got, want)
	}
	if got := unitIDs(town); !slices.Equal(got, []string{"t1", "t1-v1", "t1-v2", "t1-v3"}) {
		t.Errorf("township admin units %v", got)
	}
	var list syncproto.UnitList
	county.JSON(http.MethodGet, "/v1/admin/units", nil, http.StatusOK, &list)
	for _, u := range list.Units {
		if (u.ID == "demo-county") != (u.ParentID == "") || (u.ID == "t1-v2" && (u.ParentID != "t1" || u.Level != "village")) {
			t.Errorf("unit %+v", u)
		}
	}

	usernames := func(c *ruhutest.Client) []string {
		var list syncproto.UserList
		c.JSON(http.MethodGet, "/v1/admin/users", nil, http.StatusOK, &list)
		var out []string
		for _, u := range list.Users {
			out = append(out, u.Username)
		}
		return out
	}
	wantAll := []string{"admin", "committee1", "county", "inspector", "reviewer1", "reviewer2", "tadmin", "worker1", "worker2", "worker3"}
	if got := usernames(county); !slices.Equal(got, wantAll) {
		t.Errorf("county admin users %v, want %v", got, wantAll)
	}
	if got := usernames(town); !slices.Equal(got, []string{"committee1", "reviewer1", "tadmin", "worker1", "worker2"}) {
		t.Errorf("township admin users %v", got)
	}
}

func TestUserListHidesSecrets(t *testing.T) {
	env := ruhutest.New(t)
	county := env.Login("admin", "dev-admin")
	st, raw := county.Do(http.MethodGet, "/v1/admin/users", nil)
	if st != 200 {
		t.Fatalf("%d %s", st, raw)
	}
	body := string(raw)
	for _, leak := range []string{"password", "$argon2id", ruhutest.Password} {
		if strings.Contains(body, leak) {
			t.Errorf("user list contains %q", leak)
		}
	}
	var list struct {
		Users []map[string]any `json:"users"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range list.Users {
		for k := range u {
			if !slices.Contains([]string{"id", "username", "display_name", "roles", "unit_id", "id_number", "created_at"}, k) {
				t.Errorf("user %v has unexpected field %q", u["username"], k)
			}
		}
		if u["username"] == "worker1" {
			found = true
			full := demoIDNumber(t, "worker1")
			if u["id_number"] != syncproto.MaskIDNumber(full) || strings.Contains(body, full) {
				t.Errorf("worker1 id_number %v, want %s", u["id_number"], syncproto.MaskIDNumber(full))
			}
			if u["id_number"] != full[:6]+"********"+full[14:] {
				t.Errorf("mask %v", u["id_number"])
			}
		}
	}
	if !found {
		t.Fatal("worker1 not listed")
	}

	// The answer to a creation is masked too.
	req := newUser("w99", "t1-v1", syncproto.RoleVillageWorker)
	st, raw = county.Do(http.MethodPost, "/v1/admin/users", req)
	if st != 201 || strings.Contains(string(raw), req.IDNumber) || strings.Contains(string(raw), "argon2") ||
		!strings.Contains(string(raw), syncproto.MaskIDNumber(req.IDNumber)) {
		t.Errorf("create answer %d %s", st, raw)
	}
	// The created user can log in with the password given.
	env.Login("w99", "dev-99")
}

func TestRelatives(t *testing.T) {
	env := ruhutest.New(t)
	county := env.Login("admin", "dev-admin")
	town := townshipAdmin(t, env, county)
	ids := userIDs(t, county)
	rel := ruhutest.IDNumber(4242)

	scenarios := []struct {
		name   string
		who    *ruhutest.Client
		body   syncproto.RelativeRequest
		status int
		code   string
	}{
		{"bad check digit", county, syncproto.RelativeRequest{UserID: ids["worker1"], IDNumber: badCheckDigit(rel), Relation: "配偶"}, 422, syncproto.CodeInvalidIDNumber},
		{"too short", county, syncproto.RelativeRequest{UserID: ids["worker1"], IDNumber: rel[:17], Relation: "配偶"}, 422, syncproto.CodeInvalidIDNumber},
		{"lower-case x", county, syncproto.RelativeRequest{UserID: ids["worker1"], IDNumber: "11010519491231002x", Relation: "配偶"}, 422, syncproto.CodeInvalidIDNumber},
		{"no relation", county, syncproto.RelativeRequest{UserID: ids["worker1"], IDNumber: rel, Relation: " "}, 422, syncproto.CodeValidation},
		{"unknown user", county, syncproto.RelativeRequest{UserID: "nobody", IDNumber: rel, Relation: "配偶"}, 404, syncproto.CodeNotFound},
		{"out of the township", town, syncproto.RelativeRequest{UserID: ids["worker3"], IDNumber: rel, Relation: "配偶"}, 403, syncproto.CodeOutOfScope},
		{"ok", town, syncproto.RelativeRequest{UserID: ids["worker1"], IDNumber: rel, Relation: "配偶"}, 201, ""},
		{"duplicate", county, syncproto.RelativeRequest{UserID: ids["worker1"], IDNumber: rel, Relation: "配偶"}, 409, syncproto.CodeAlreadyExists},
		{"ok, other user", county, syncproto.RelativeRequest{UserID: ids["worker3"], IDNumber: rel, Relation: "父亲"}, 201, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			st, b := sc.who.Do(http.MethodPost, "/v1/admin/relatives", sc.body)
			if sc.code != "" {
				wantProblem(t, st, b, sc.status, sc.code)
				return
			}
			var r syncproto.Relative
			if st != sc.status || json.Unmarshal(b, &r) != nil {
				t.Fatalf("%d %s", st, b)
			}
			if r.ID == "" || r.UserID != sc.body.UserID || r.IDNumber != syncproto.MaskIDNumber(rel) || r.Relation != sc.body.Relation {
				t.Errorf("relative %+v", r)
			}
		})
	}

	list := func(c *ruhutest.Client, query string) []syncproto.Relative {
		var l syncproto.RelativeList
		c.JSON(http.MethodGet, "/v1/admin/relatives"+query, nil, http.StatusOK, &l)
		return l.Relatives
	}
	if got := list(county, ""); len(got) != 2 {
		t.Errorf("county admin sees %d relatives, want 2: %+v", len(got), got)
	}
	got := list(county, "?user_id="+ids["worker1"])
	if len(got) != 1 || got[0].UserID != ids["worker1"] || got[0].IDNumber != syncproto.MaskIDNumber(rel) {
		t.Errorf("worker1's relatives %+v", got)
	}
	if got := list(town, ""); len(got) != 1 || got[0].UserID != ids["worker1"] {
		t.Errorf("township admin sees %+v, want worker1's only", got)
	}
	if got := list(town, "?user_id="+ids["worker3"]); len(got) != 0 {
		t.Errorf("township admin sees worker3's relatives %+v", got)
	}
	_, raw := county.Do(http.MethodGet, "/v1/admin/relatives", nil)
	if strings.Contains(string(raw), rel) {
		t.Errorf("relatives list shows a full ID number: %s", raw)
	}
}
