package api_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

func getSchema(t *testing.T, c *ruhutest.Client) (*syncproto.SchemaDocument, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.E.URL+"/v1/schema", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/schema: %d %s", res.StatusCode, body)
	}
	var doc syncproto.SchemaDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return &doc, res.Header
}

// TestSchemaEndpoint: every role gets its county's document with the
// version as ETag; If-None-Match answers 304; gzip when accepted; no token,
// 401.
func TestSchemaEndpoint(t *testing.T) {
	env := ruhutest.New(t)
	builtin := syncproto.SchemaSetWith(nil).Document()
	for _, user := range []string{"worker1", "admin", "committee1", "county"} {
		doc, h := getSchema(t, env.Login(user, "dev-"+user))
		if doc.Version != builtin.Version || h.Get("ETag") != `"`+builtin.Version+`"` {
			t.Errorf("%s: version %q, ETag %q, want %q", user, doc.Version, h.Get("ETag"), builtin.Version)
		}
		if len(doc.Collections) != len(syncproto.Schemas) || doc.Codes["required"] != syncproto.CodeMissingField {
			t.Errorf("%s: document %+v", user, doc)
		}
	}
	w := env.Login("worker1", "dev-w")
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/v1/schema", nil)
	req.Header.Set("Authorization", "Bearer "+w.Token)
	req.Header.Set("If-None-Match", `"`+builtin.Version+`"`)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}
	req.Header.Del("If-None-Match")
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	res, err = (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	var doc syncproto.SchemaDocument
	if err := json.Unmarshal(plain, &doc); err != nil || doc.Version != builtin.Version {
		t.Errorf("gzipped document: %v %q", err, doc.Version)
	}
	t.Logf("schema document: %d bytes, %d gzipped", len(plain), len(raw))
	if st, _ := env.Do(http.MethodGet, "/v1/schema", "", nil); st != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", st)
	}
}

func problemCode(t *testing.T, body []byte) string {
	t.Helper()
	var p syncproto.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("not a problem: %s", body)
	}
	return p.Code
}

// TestCountyFields: the county admin adds fields; the schema version
// changes and serves them; pushes are checked against them and pulled;
// built-in names are refused with 409 builtin_field; removal keeps stored
// values and refuses further pushes of the field as unknown_field.
func TestCountyFields(t *testing.T) {
	env := ruhutest.New(t)
	admin := env.Login("admin", "dev-admin")
	w := env.Login("worker1", "dev-w1")
	before, _ := getSchema(t, w)

	housing := syncproto.ExtraField{Collection: "households", Name: "housing", Type: syncproto.TEnum, Title: "住房类型",
		Enum: []string{"砖混", "土木", "危房"}}
	var got syncproto.ExtraField
	admin.JSON(http.MethodPost, "/v1/admin/fields", housing, http.StatusCreated, &got)
	if got.CreatedBy == "" || got.CreatedAt == "" || got.Name != "housing" {
		t.Errorf("created %+v", got)
	}
	scenarios := []struct {
		name   string
		field  syncproto.ExtraField
		status int
		code   string
	}{
		{"built-in name", syncproto.ExtraField{Collection: "households", Name: "address", Type: syncproto.TString, Title: "地址"}, 409, syncproto.CodeBuiltinField},
		{"twice", housing, 409, syncproto.CodeAlreadyExists},
		{"signatures", syncproto.ExtraField{Collection: "signatures", Name: "x", Type: syncproto.TString, Title: "x"}, 422, syncproto.CodeValidation},
		{"bad name", syncproto.ExtraField{Collection: "members", Name: "Bad-Name", Type: syncproto.TString, Title: "x"}, 422, syncproto.CodeValidation},
		{"enum without values", syncproto.ExtraField{Collection: "members", Name: "e", Type: syncproto.TEnum, Title: "x"}, 422, syncproto.CodeValidation},
		{"no title", syncproto.ExtraField{Collection: "members", Name: "t", Type: syncproto.TBool}, 422, syncproto.CodeValidation},
		{"array type", syncproto.ExtraField{Collection: "members", Name: "a", Type: syncproto.TArray, Title: "x"}, 422, syncproto.CodeValidation},
	}
	for _, sc := range scenarios {
		st, body := admin.Do(http.MethodPost, "/v1/admin/fields", sc.field)
		if st != sc.status || problemCode(t, body) != sc.code {
			t.Errorf("%s: %d %s, want %d %s", sc.name, st, body, sc.status, sc.code)
		}
	}
	if st, body := w.Do(http.MethodPost, "/v1/admin/fields", housing); st != http.StatusForbidden {
		t.Errorf("a worker adds a field: %d %s", st, body)
	}
	tadmin := townshipAdmin(t, env, admin)
	if st, body := tadmin.Do(http.MethodPost, "/v1/admin/fields", syncproto.ExtraField{Collection: "members", Name: "t1_only",
		Type: syncproto.TBool, Title: "乡镇"}); st != http.StatusForbidden {
		t.Errorf("a township admin adds a field: %d %s", st, body)
	}

	after, h := getSchema(t, w)
	p := after.Collections["households"].Properties["housing"]
	if after.Version == before.Version || h.Get("ETag") != `"`+after.Version+`"` || p == nil || !p.Extra || len(p.Enum) != 3 {
		t.Fatalf("after adding: version %q (before %q), housing %+v", after.Version, before.Version, p)
	}
	var list syncproto.ExtraFieldList
	admin.JSON(http.MethodGet, "/v1/admin/fields", nil, http.StatusOK, &list)
	if len(list.Fields) != 1 || list.Fields[0].Title != "住房类型" {
		t.Errorf("list %+v", list)
	}

	hh := ruhutest.Upsert("households", "hh-extra", 0, map[string]any{"unit_id": "t1-v1", "head_name": "户主",
		"head_id_number": ruhutest.IDNumber(4401), "address": "东村", "housing": "土木"})
	if r := w.Push(hh).Results[0]; r.Status != syncproto.StatusApplied {
		t.Fatalf("push with the extra field: %+v", r)
	}
	bad := ruhutest.Upsert("households", "hh-extra", 1, map[string]any{"housing": "别墅"})
	if r := w.Push(bad).Results[0]; r.Error == nil || r.Error.Code != syncproto.CodeInvalidField {
		t.Errorf("a value outside the enum: %+v", r)
	}
	changes, _ := w.PullAll("")
	if v := fieldOf(changes, "hh-extra", "housing"); v != `"土木"` {
		t.Errorf("pulled housing = %s", v)
	}

	if st, body := admin.Do(http.MethodDelete, "/v1/admin/fields/households/housing", nil); st != http.StatusNoContent {
		t.Fatalf("remove: %d %s", st, body)
	}
	if st, body := admin.Do(http.MethodDelete, "/v1/admin/fields/households/housing", nil); st != http.StatusNotFound {
		t.Errorf("remove twice: %d %s", st, body)
	}
	removed, _ := getSchema(t, w)
	if removed.Version != before.Version {
		t.Errorf("after removing the only field the version is %q, want the built-in %q", removed.Version, before.Version)
	}
	again := ruhutest.Upsert("households", "hh-extra", 1, map[string]any{"housing": "砖混"})
	if r := w.Push(again).Results[0]; r.Error == nil || r.Error.Code != syncproto.CodeUnknownField {
		t.Errorf("push of a removed field: %+v", r)
	}
	changes, _ = w.PullAll("")
	if v := fieldOf(changes, "hh-extra", "housing"); v != `"土木"` {
		t.Errorf("the stored value is kept: housing = %s", v)
	}
}

// fieldOf returns the raw value of field of the last change of record id.
func fieldOf(changes []syncproto.Change, id, field string) string {
	v := ""
	for _, c := range changes {
		if c.ID != id {
			continue
		}
		var f map[string]json.RawMessage
		_ = json.Unmarshal(c.Fields, &f)
		v = strings.TrimSpace(string(f[field]))
	}
	return v
}

// TestPullIsCompressed: a pull page is gzipped when the client accepts it,
// and sent plain otherwise.
func TestPullIsCompressed(t *testing.T) {
	env := ruhutest.New(t)
	w := env.Login("worker1", "dev-w1")
	var batch []syncproto.Mutation
	for i := 0; i < 20; i++ {
		batch = append(batch, ruhutest.Upsert("households", "hh"+itoa(i), 0, ruhutest.Household("t1-v1", i+1)))
	}
	w.Push(batch...)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, enc := range []string{"gzip", ""} {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/v1/sync/pull", nil)
		req.Header.Set("Authorization", "Bearer "+w.Token)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if got := res.Header.Get("Content-Encoding"); got != enc {
			t.Fatalf("Accept-Encoding %q: Content-Encoding %q", enc, got)
		}
		body := raw
		if enc == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
			t.Logf("pull page of 20 households: %d bytes, %d gzipped", len(body), len(raw))
		}
		var page syncproto.PullResponse
		if err := json.Unmarshal(body, &page); err != nil || len(page.Changes) != 20 {
			t.Errorf("Accept-Encoding %q: %v, %d changes", enc, err, len(page.Changes))
		}
	}
}
