package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// County-defined fields (issue 12) and the pull options of small clients:
// household_id=, fields=, pages bounded by bytes. Added to the suite here
// so that the table in run.go stays as it is.
func init() {
	suite = append(suite, []struct {
		name string
		fn   func(t *testing.T, newEnv NewEnv)
	}{
		{"CountyFieldLifecycle", testCountyFieldLifecycle},
		{"CountyFieldsAreTheCountysOwn", testCountyFieldsAreTheCountysOwn},
		{"PullOneHousehold", testPullOneHousehold},
		{"PullProjection", testPullProjection},
		{"PullPageBytes", testPullPageBytes},
	}...)
}

// testCountyFieldLifecycle: add, list, validate on push (create and
// update, required), pull, remove (values kept, pushes refused), add again.
func testCountyFieldLifecycle(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	admin := env.Login("admin", "pc-admin")
	w1 := env.Login("worker1", "tab-01")
	add := func(f syncproto.ExtraField, status int) {
		t.Helper()
		admin.JSON(http.MethodPost, "/v1/admin/fields", f, status, nil)
	}
	add(syncproto.ExtraField{Collection: mems, Name: "insured", Type: syncproto.TBool, Title: "参加医保", Required: true}, http.StatusCreated)
	add(syncproto.ExtraField{Collection: invs, Name: "livestock", Type: syncproto.TInteger, Title: "牲畜头数",
		Minimum: ptr(0.0), Maximum: ptr(500.0)}, http.StatusCreated)
	add(syncproto.ExtraField{Collection: hhs, Name: "group_name", Type: syncproto.TString, Title: "村民小组", MaxLength: 4}, http.StatusCreated)
	var list syncproto.ExtraFieldList
	admin.JSON(http.MethodGet, "/v1/admin/fields", nil, http.StatusOK, &list)
	var names []string
	for _, f := range list.Fields {
		names = append(names, f.Collection+"."+f.Name)
	}
	if want := []string{"households.group_name", "investigations.livestock", "members.insured"}; !slices.Equal(names, want) {
		t.Fatalf("fields %v, want %v", names, want)
	}
	if a := auditOf(t, env, "schema_field", "members.insured"); len(a) != 1 || a[0].Action != "schema_field.add" {
		t.Errorf("audit of the added field: %+v", a)
	}

	hh := ruhutest.Household("t1-v1", 1)
	hh["group_name"] = "三组二队" // 4 characters, 12 bytes
	hv := push1(w1, ruhutest.Upsert(hhs, "hh1", 0, hh))
	wantResult(t, hv, syncproto.StatusApplied, "")
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh1", hv.Version, map[string]any{"group_name": "三组二队五"})), syncproto.StatusRejected, syncproto.CodeInvalidField)
	wantResult(t, push1(w1, ruhutest.Upsert(mems, "m1", 0, member("hh1", 2))), syncproto.StatusRejected, syncproto.CodeMissingField)
	m := member("hh1", 2)
	m["insured"] = "yes"
	wantResult(t, push1(w1, ruhutest.Upsert(mems, "m1", 0, m)), syncproto.StatusRejected, syncproto.CodeInvalidField)
	m["insured"] = true
	mv := push1(w1, ruhutest.Upsert(mems, "m1", 0, m))
	wantResult(t, mv, syncproto.StatusApplied, "")
	wantResult(t, push1(w1, ruhutest.Upsert(mems, "m1", mv.Version, map[string]any{"insured": nil})), syncproto.StatusRejected, syncproto.CodeMissingField)
	wantResult(t, push1(w1, ruhutest.Upsert(invs, "i1", 0, map[string]any{"household_id": "hh1", "livestock": 501})), syncproto.StatusRejected, syncproto.CodeInvalidField)
	wantResult(t, push1(w1, ruhutest.Upsert(invs, "i1", 0, map[string]any{"household_id": "hh1", "livestock": 12})), syncproto.StatusApplied, "")

	state, _ := stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, mems, "m1")); f["insured"] != true {
		t.Errorf("pulled member %v", f)
	}
	if f := fieldsOf(t, live(t, state, invs, "i1")); f["livestock"] != 12.0 {
		t.Errorf("pulled investigation %v", f)
	}

	if st, body := admin.Do(http.MethodDelete, "/v1/admin/fields/investigations/livestock", nil); st != http.StatusNoContent {
		t.Fatalf("remove: %d %s", st, body)
	}
	i1 := live(t, state, invs, "i1")
	wantResult(t, push1(w1, ruhutest.Upsert(invs, "i1", i1.Version, map[string]any{"livestock": 3})), syncproto.StatusRejected, syncproto.CodeUnknownField)
	wantResult(t, push1(w1, ruhutest.Upsert(invs, "i1", i1.Version, map[string]any{"location": "家中"})), syncproto.StatusApplied, "")
	state, _ = stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, invs, "i1")); f["livestock"] != 12.0 || f["location"] != "家中" {
		t.Errorf("after removal the stored value stays: %v", f)
	}
	add(syncproto.ExtraField{Collection: invs, Name: "livestock", Type: syncproto.TString, Title: "牲畜"}, http.StatusCreated)
	i1 = live(t, state, invs, "i1")
	wantResult(t, push1(w1, ruhutest.Upsert(invs, "i1", i1.Version, map[string]any{"livestock": "两头牛"})), syncproto.StatusApplied, "")
}

// testCountyFieldsAreTheCountysOwn: a second county's fields are stored,
// listed, served and checked apart from the first's.
func testCountyFieldsAreTheCountysOwn(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	ctx := context.Background()
	hash, err := auth.FastArgon2.Hash(ruhutest.Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Engine.InitCounty(ctx, "other-county", "邻县", syncproto.CreateUserRequest{Username: "admin2",
		Password: ruhutest.Password, DisplayName: "邻县管理员", Roles: []string{syncproto.RoleAdmin}}, hash); err != nil {
		t.Fatal(err)
	}
	a1, a2 := env.Login("admin", "pc-1"), env.Login("admin2", "pc-2")
	a2.JSON(http.MethodPost, "/v1/admin/fields", syncproto.ExtraField{Collection: hhs, Name: "ethnic_village",
		Type: syncproto.TBool, Title: "少数民族村"}, http.StatusCreated, nil)
	var l1, l2 syncproto.ExtraFieldList
	a1.JSON(http.MethodGet, "/v1/admin/fields", nil, http.StatusOK, &l1)
	a2.JSON(http.MethodGet, "/v1/admin/fields", nil, http.StatusOK, &l2)
	if len(l1.Fields) != 0 || len(l2.Fields) != 1 {
		t.Fatalf("county 1 lists %v, county 2 %v", l1.Fields, l2.Fields)
	}
	if st, body := a1.Do(http.MethodDelete, "/v1/admin/fields/households/ethnic_village", nil); st != http.StatusNotFound {
		t.Errorf("county 1 removes county 2's field: %d %s", st, body)
	}
	var d1, d2 syncproto.SchemaDocument
	a1.JSON(http.MethodGet, "/v1/schema", nil, http.StatusOK, &d1)
	a2.JSON(http.MethodGet, "/v1/schema", nil, http.StatusOK, &d2)
	if d1.Version == d2.Version || d1.Collections[hhs].Properties["ethnic_village"] != nil ||
		d2.Collections[hhs].Properties["ethnic_village"] == nil {
		t.Errorf("documents: county 1 %q, county 2 %q", d1.Version, d2.Version)
	}
	w1 := env.Login("worker1", "tab-01")
	hh := ruhutest.Household("t1-v1", 1)
	hh["ethnic_village"] = true
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hh1", 0, hh)), syncproto.StatusRejected, syncproto.CodeUnknownField)
}

// seedTwoHouseholds pushes two households of t1-v1 with a member and an
// investigation each, and one of t2-v1; it returns worker1.
func seedTwoHouseholds(t *testing.T, env *ruhutest.Env) *ruhutest.Client {
	w1, w3 := env.Login("worker1", "tab-01"), env.Login("worker3", "tab-03")
	for i, hh := range []string{"hhA", "hhB"} {
		res := w1.Push(ruhutest.Upsert(hhs, hh, 0, ruhutest.Household("t1-v1", i+1)),
			ruhutest.Upsert(mems, hh+"-m", 0, member(hh, 10+i)),
			ruhutest.Upsert(invs, hh+"-i", 0, map[string]any{"household_id": hh, "findings": "情况" + hh}))
		for _, r := range res.Results {
			wantResult(t, r, syncproto.StatusApplied, "")
		}
	}
	wantResult(t, push1(w3, ruhutest.Upsert(hhs, "hhC", 0, ruhutest.Household("t2-v1", 3))), syncproto.StatusApplied, "")
	return w1
}

// testPullOneHousehold: household_id= gives that household's records in
// version order, with its own cursor; deletions as tombstones; a household
// outside scope, an unknown one and a merged duplicate's alias behave.
func testPullOneHousehold(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1 := seedTwoHouseholds(t, env)
	var page syncproto.PullResponse
	w1.JSON(http.MethodGet, "/v1/sync/pull?household_id=hhA", nil, http.StatusOK, &page)
	var got []string
	for _, c := range page.Changes {
		got = append(got, c.Collection+"/"+c.ID)
	}
	if want := []string{"households/hhA", "members/hhA-m", "investigations/hhA-i"}; !slices.Equal(got, want) || page.HasMore {
		t.Fatalf("household hhA: %v (has_more %v), want %v", got, page.HasMore, want)
	}
	// Paged one by one, then nothing new; a deletion comes as a tombstone.
	cursor, n := "", 0
	for more := true; more; n++ {
		var p syncproto.PullResponse
		w1.JSON(http.MethodGet, "/v1/sync/pull?household_id=hhA&limit=1&cursor="+cursor, nil, http.StatusOK, &p)
		cursor, more = p.Cursor, p.HasMore
		if n > 5 {
			t.Fatal("paging does not end")
		}
	}
	if n != 3 {
		t.Errorf("three records took %d pages of one", n)
	}
	m := page.Changes[1]
	wantResult(t, push1(w1, ruhutest.Delete(mems, "hhA-m", m.Version)), syncproto.StatusApplied, "")
	var hhB syncproto.PullResponse
	w1.JSON(http.MethodGet, "/v1/sync/pull?household_id=hhB", nil, http.StatusOK, &hhB)
	wantResult(t, push1(w1, ruhutest.Upsert(hhs, "hhB", hhB.Changes[0].Version, map[string]any{"notes": "B 改"})), syncproto.StatusApplied, "")
	w1.JSON(http.MethodGet, "/v1/sync/pull?household_id=hhA&cursor="+cursor, nil, http.StatusOK, &page)
	if len(page.Changes) != 1 || !page.Changes[0].Deleted || page.Changes[0].ID != "hhA-m" || string(page.Changes[0].Fields) != "{}" {
		t.Errorf("after deleting the member: %+v", page.Changes)
	}
	for _, hh := range []string{"hhC", "nobody", "hhC&limit=1"} {
		var p syncproto.PullResponse
		w1.JSON(http.MethodGet, "/v1/sync/pull?household_id="+hh, nil, http.StatusOK, &p)
		if len(p.Changes) != 0 || p.HasMore {
			t.Errorf("household %s (outside scope or none): %d changes", hh, len(p.Changes))
		}
	}
	st, body := w1.Do(http.MethodGet, "/v1/sync/pull?household_id=", nil)
	wantProblem(t, st, body, http.StatusBadRequest, syncproto.CodeBadRequest)
}

// testPullProjection: fields= keeps only the named fields of every record,
// with and without household_id; bad lists are refused.
func testPullProjection(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1 := seedTwoHouseholds(t, env)
	for _, q := range []string{"fields=head_name,household_id,category", "fields=head_name,household_id,category&household_id=hhB"} {
		all := pullQuery(t, w1, q)
		if len(all) == 0 {
			t.Fatalf("%s: nothing", q)
		}
		for _, c := range all {
			var f map[string]json.RawMessage
			if err := json.Unmarshal(c.Fields, &f); err != nil {
				t.Fatal(err)
			}
			for k := range f {
				if k != "head_name" && k != "household_id" && k != "category" {
					t.Errorf("%s: %s/%s keeps %s", q, c.Collection, c.ID, k)
				}
			}
			if c.Collection == hhs && (f["head_name"] == nil || f["category"] == nil) {
				t.Errorf("%s: household %s lost its projected fields: %s", q, c.ID, c.Fields)
			}
		}
	}
	for _, q := range []string{"fields=Head", "fields=a,,b", "fields=a.b"} {
		st, body := w1.Do(http.MethodGet, "/v1/sync/pull?"+q, nil)
		wantProblem(t, st, body, http.StatusBadRequest, syncproto.CodeBadRequest)
	}
}

// testPullPageBytes: a page stops once its encoded changes pass
// Limits.PullPageBytes, always holding at least one, and paging still
// delivers every change exactly once.
func testPullPageBytes(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1 := env.Login("worker1", "tab-01")
	var batch []syncproto.Mutation
	for i := 0; i < 10; i++ {
		hh := ruhutest.Household("t1-v1", i+1)
		hh["notes"] = fmt.Sprintf("%04d", i) + strings.Repeat("记", 1000) // ~3 KB each
		batch = append(batch, ruhutest.Upsert(hhs, fmt.Sprintf("hh%d", i), 0, hh))
	}
	w1.Push(batch...)
	env.App.Engine.Limits.PullPageBytes = 7000 // two records and a bit
	cursor, seen, pages := "", map[string]bool{}, 0
	for more := true; more; pages++ {
		var p syncproto.PullResponse
		st, body := w1.Do(http.MethodGet, "/v1/sync/pull?limit=100&cursor="+cursor, nil)
		if st != http.StatusOK || json.Unmarshal(body, &p) != nil {
			t.Fatalf("pull: %d %s", st, body)
		}
		if len(p.Changes) == 0 || len(p.Changes) > 3 || (len(body) > 7000+4000 && len(p.Changes) > 1) {
			t.Fatalf("page %d: %d changes in %d bytes", pages, len(p.Changes), len(body))
		}
		for _, c := range p.Changes {
			if seen[c.ID] {
				t.Fatalf("%s twice", c.ID)
			}
			seen[c.ID] = true
		}
		cursor, more = p.Cursor, p.HasMore
	}
	if len(seen) != 10 || pages < 4 {
		t.Errorf("%d records in %d pages, want 10 in at least 4", len(seen), pages)
	}
	env.App.Engine.Limits.PullPageBytes = 100 // less than one record: one per page
	var p syncproto.PullResponse
	w1.JSON(http.MethodGet, "/v1/sync/pull?limit=100", nil, http.StatusOK, &p)
	if len(p.Changes) != 1 || !p.HasMore {
		t.Errorf("a page smaller than a record: %d changes, has_more %v", len(p.Changes), p.HasMore)
	}
}

// pullQuery pulls every page of GET /v1/sync/pull?query.
func pullQuery(t *testing.T, c *ruhutest.Client, query string) []syncproto.Change {
	t.Helper()
	var all []syncproto.Change
	cursor := ""
	for n := 0; n < 100; n++ {
		var p syncproto.PullResponse
		c.JSON(http.MethodGet, "/v1/sync/pull?"+query+"&limit=2&cursor="+cursor, nil, http.StatusOK, &p)
		all = append(all, p.Changes...)
		if cursor = p.Cursor; !p.HasMore {
			return all
		}
	}
	t.Fatal("paging does not end")
	return nil
}
