package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ruhu-org/ruhu/server/api"
	"github.com/ruhu-org/ruhu/server/ruhutest"
)

var updateExamples = flag.Bool("update", false, "record the OpenAPI examples' responses into openapi_examples.json")

// docOp is an operation of the served document.
type docOp struct {
	Method, Path string
	Order        int                         `json:"x-ruhu-order"`
	Example      *exampleSpec                `json:"x-ruhu-example"`
	Request      *struct{ Content docMedia } `json:"requestBody"`
	Responses    map[string]struct {
		Content docMedia
	}
}

type docMedia map[string]struct {
	Schema  json.RawMessage
	Example json.RawMessage
}

type exampleSpec struct {
	As      string
	Params  map[string]string
	Query   string
	Body    json.RawMessage
	Status  int
	Capture map[string]string
}

// servedDoc fetches GET /v1/openapi.json (no login needed) and returns it
// with its operations in replay order.
func servedDoc(t *testing.T, env *ruhutest.Env) (any, []docOp) {
	t.Helper()
	st, body := env.Do(http.MethodGet, "/v1/openapi.json", "", nil)
	if st != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: %d %s", st, body)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("document: %v %q", err, doc.OpenAPI)
	}
	var ops []docOp
	for path, item := range doc.Paths {
		for method, raw := range item {
			if strings.HasPrefix(method, "x-") {
				continue
			}
			var op docOp
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			op.Method, op.Path = strings.ToUpper(method), path
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Order < ops[j].Order })
	root, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return root, ops
}

// TestOpenAPIDocumentsEveryRoute: every /v1 route of Echo's table is in
// the document and every documented operation is a route.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	env := ruhutest.New(t)
	srv, ok := env.App.Handler.(*api.Server)
	if !ok {
		t.Fatalf("the app's handler is a %T", env.App.Handler)
	}
	raw, ops := servedDoc(t, env)
	documented, anyMethod := map[string]bool{}, map[string]bool{}
	for _, op := range ops {
		documented[op.Method+" "+op.Path] = true
	}
	for path, item := range raw.(map[string]any)["paths"].(map[string]any) {
		if item.(map[string]any)["x-ruhu-any-method"] == true {
			anyMethod[path] = true
		}
	}
	routes := map[string]bool{}
	for _, r := range srv.Routes() {
		if !strings.HasPrefix(r.Path, "/v1/") {
			continue
		}
		path := openAPIPath(r.Path)
		routes[r.Method+" "+path] = true
		if !documented[r.Method+" "+path] && !anyMethod[path] {
			t.Errorf("route %s %s is not in the OpenAPI document: add an apiOp for it to server/api/openapi_routes.go "+
				"(then go test ./server/api -run TestOpenAPI -update)", r.Method, r.Path)
		}
	}
	for key := range documented {
		if !routes[key] {
			t.Errorf("the OpenAPI document has %s, which is not a route of api.go", key)
		}
	}
	if len(routes) < 30 {
		t.Errorf("only %d /v1 routes", len(routes))
	}
}

func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		} else if s == "*" {
			parts[i] = "{path}"
		}
	}
	return strings.Join(parts, "/")
}

// TestOpenAPIExamples replays every example of the document, in order,
// against a real server: each answers its documented status, each answer
// and each documented example validates against its schema. With -update
// the answers are recorded as the document's response examples.
func TestOpenAPIExamples(t *testing.T) {
	env := ruhutest.New(t)
	root, ops := servedDoc(t, env)
	c := jsonschema.NewCompiler()
	if err := c.AddResource("https://ruhu.example/openapi.json", root); err != nil {
		t.Fatal(err)
	}
	compile := func(ptr string) *jsonschema.Schema {
		t.Helper()
		s, err := c.Compile("https://ruhu.example/openapi.json#" + ptr)
		if err != nil {
			t.Fatalf("compile %s: %v", ptr, err)
		}
		return s
	}
	validate := func(what, ptr string, body []byte) {
		t.Helper()
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: not JSON: %s", what, body)
		}
		if err := compile(ptr).Validate(v); err != nil {
			t.Errorf("%s does not validate against %s: %v\n%s", what, ptr, err, body)
		}
	}
	recorded := struct {
		Responses map[string]json.RawMessage `json:"responses"`
		Vars      map[string]string          `json:"vars"`
	}{Responses: map[string]json.RawMessage{}, Vars: map[string]string{}}
	vars := map[string]string{}
	replayed := 0
	for _, op := range ops {
		ex := op.Example
		if ex == nil {
			continue
		}
		key := op.Method + " " + op.Path
		base := "/paths/" + strings.ReplaceAll(strings.ReplaceAll(op.Path, "~", "~0"), "/", "~1") + "/" + strings.ToLower(op.Method)
		path := op.Path
		for name, val := range ex.Params {
			path = strings.ReplaceAll(path, "{"+name+"}", api.ResolveExample(val, vars))
		}
		if ex.Query != "" {
			path += "?" + ex.Query
		}
		var body any
		if len(ex.Body) > 0 {
			body = []byte(api.ResolveExample(string(ex.Body), vars))
			if op.Request != nil {
				media := op.Request.Content["application/json"]
				validate(key+" request example", base+"/requestBody/content/application~1json/schema", body.([]byte))
				validate(key+" documented request example", base+"/requestBody/content/application~1json/schema", media.Example)
			}
		}
		token := ""
		if ex.As != "" {
			token = env.Login(ex.As, "doc-"+ex.As).Token
		}
		st, got := env.Do(op.Method, path, token, body)
		want := ex.Status
		if want == 0 {
			for code := range op.Responses {
				if code != "default" && (want == 0 || code < fmt.Sprint(want)) {
					fmt.Sscan(code, &want)
				}
			}
		}
		if st != want {
			t.Errorf("%s (as %q): status %d, want %d: %s", key, ex.As, st, want, got)
			continue
		}
		replayed++
		if resp, ok := op.Responses[fmt.Sprint(st)]; ok {
			for media, m := range resp.Content {
				ptr := base + "/responses/" + fmt.Sprint(st) + "/content/" + strings.ReplaceAll(media, "/", "~1") + "/schema"
				validate(key+" answer", ptr, got)
				if len(m.Example) > 0 {
					validate(key+" documented example", ptr, m.Example)
				} else if !*updateExamples {
					t.Errorf("%s has no recorded example answer: run go test ./server/api -run TestOpenAPI -update", key)
				}
			}
		}
		if len(got) > 0 {
			recorded.Responses[key] = json.RawMessage(got)
			var fields map[string]any
			_ = json.Unmarshal(got, &fields)
			for name, field := range ex.Capture {
				vars[name], _ = fields[field].(string)
				recorded.Vars[name] = vars[name]
			}
		}
	}
	if replayed < 25 {
		t.Errorf("only %d examples replayed", replayed)
	}
	if *updateExamples {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(recorded); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("openapi_examples.json", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
