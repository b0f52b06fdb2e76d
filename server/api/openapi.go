package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/syncproto"
)

// The OpenAPI 3.1 description of every /v1 route, served at GET
// /v1/openapi.json. It is built from apiOps (openapi_routes.go): request
// and response schemas are reflected from the syncproto types the handlers
// bind and answer, so they cannot drift from the code; response examples
// are those a real server answered to the request examples, recorded in
// openapi_examples.json by `go test ./server/api -run TestOpenAPI -update`.

// apiOp documents one route. Path is in Echo's form (/v1/users/:id).
type apiOp struct {
	Method, Path string
	Summary      string
	Tag          string
	// Roles may call the route: nil for anyone, empty for any logged-in
	// user.
	Roles []string
	// Query lists the query parameters.
	Query []apiParam
	// Request and Response are zero values of the body types (nil: none).
	Request  any
	Status   int
	Response any
	// ContentType of the response when not application/json.
	ContentType string
	// Errors lists the codes the route answers besides those of every
	// route (invalid_json, unauthenticated, forbidden, …).
	Errors []string
	// AnyMethod marks a route mounted for every method (tus uploads).
	AnyMethod bool
	// Example is replayed against a real server by the tests.
	Example *apiExample
}

// apiParam is a query parameter.
type apiParam struct {
	Name, Description string
	Integer           bool
}

// apiExample is one request of an operation, replayed in table order
// against a fresh demo county (server/ruhutest).
type apiExample struct {
	// As is the demo user the request is sent as ("" anonymous).
	As string `json:"as,omitempty"`
	// Params are the path parameters; "$name" is a value captured from
	// an earlier example's response.
	Params map[string]string `json:"params,omitempty"`
	Query  string            `json:"query,omitempty"`
	Body   any               `json:"body,omitempty"`
	// Status is the answer's status (default: the operation's).
	Status int `json:"status,omitempty"`
	// Capture names top-level fields of the response kept for later
	// examples as $name.
	Capture map[string]string `json:"capture,omitempty"`
}

//go:embed openapi_examples.json
var recordedExamples []byte

// Routes lists Echo's route table (for the API description's tests).
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }

// openAPIPath turns /v1/users/:id into /v1/users/{id} (and * into {path}).
func openAPIPath(echoPath string) string {
	parts := strings.Split(echoPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + p[1:] + "}"
		} else if p == "*" {
			parts[i] = "{path}"
		}
	}
	return strings.Join(parts, "/")
}

var paramRe = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

// OpenAPI builds the document.
func OpenAPI() map[string]any {
	g := &schemaGen{components: map[string]any{}}
	var recorded struct {
		Responses map[string]json.RawMessage `json:"responses"`
		Vars      map[string]string          `json:"vars"`
	}
	_ = json.Unmarshal(recordedExamples, &recorded)
	g.vars = recorded.Vars
	paths := map[string]map[string]any{}
	for i, op := range apiOps {
		p := openAPIPath(op.Path)
		item := paths[p]
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		if op.AnyMethod {
			item["x-ruhu-any-method"] = true
		}
		o := g.operation(op, p, recorded.Responses[op.Method+" "+p])
		o["x-ruhu-order"] = i
		item[strings.ToLower(op.Method)] = o
	}
	g.components["Problem"] = g.schemaOf(reflect.TypeOf(syncproto.Problem{}))
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "ruhu", "version": fmt.Sprint(syncproto.ProtocolVersion),
			"description": "Offline-first sync server for home investigations of means-tested social assistance. " +
				"Errors are application/problem+json with a stable code. The record schemas are at GET /v1/schema."},
		"jsonSchemaDialect": syncproto.JSONSchemaDialect,
		"paths":             paths,
		"components": map[string]any{"schemas": g.components,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
	}
}

func (g *schemaGen) operation(op apiOp, path string, recorded json.RawMessage) map[string]any {
	o := map[string]any{"summary": op.Summary, "operationId": operationID(op), "tags": []string{op.Tag}}
	var params []any
	for _, m := range paramRe.FindAllStringSubmatch(path, -1) {
		p := map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}}
		if op.Example != nil && op.Example.Params[m[1]] != "" {
			p["example"] = ResolveExample(op.Example.Params[m[1]], g.vars)
		}
		params = append(params, p)
	}
	for _, q := range op.Query {
		typ := "string"
		if q.Integer {
			typ = "integer"
		}
		params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": typ}})
	}
	if params != nil {
		o["parameters"] = params
	}
	if op.Roles != nil {
		o["security"] = []any{map[string]any{"bearer": []string{}}}
		if len(op.Roles) > 0 {
			o["x-ruhu-roles"] = op.Roles
		}
	}
	if op.Request != nil {
		body := map[string]any{"schema": g.ref(reflect.TypeOf(op.Request))}
		if op.Example != nil && op.Example.Body != nil {
			body["example"] = g.resolve(op.Example.Body)
		}
		o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": body}}
	}
	o["responses"] = g.responses(op, recorded)
	if len(op.Errors) > 0 {
		o["x-ruhu-codes"] = op.Errors
	}
	if op.Example != nil {
		o["x-ruhu-example"] = op.Example
	}
	return o
}

func (g *schemaGen) responses(op apiOp, recorded json.RawMessage) map[string]any {
	ok := map[string]any{"description": http.StatusText(op.Status)}
	switch {
	case op.ContentType != "":
		ok["content"] = map[string]any{op.ContentType: map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": op.ContentType}}}
	case op.Response != nil:
		media := map[string]any{"schema": g.ref(reflect.TypeOf(op.Response))}
		if len(recorded) > 0 && (op.Example == nil || op.Example.Status == 0 || op.Example.Status == op.Status) {
			media["example"] = recorded
		}
		ok["content"] = map[string]any{"application/json": media}
	}
	out := map[string]any{fmt.Sprint(op.Status): ok,
		"default": map[string]any{"description": "An error (application/problem+json with a stable code).",
			"content": map[string]any{syncproto.ProblemContentType: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}}
	if e := op.Example; e != nil && e.Status != 0 && e.Status != op.Status && len(recorded) > 0 {
		out[fmt.Sprint(e.Status)] = map[string]any{"description": http.StatusText(e.Status),
			"content": map[string]any{syncproto.ProblemContentType: map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/Problem"}, "example": recorded}}}
	}
	return out
}

// operationID is a unique id like postV1AdminUsersIdDisable.
func operationID(op apiOp) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(op.Method))
	for _, part := range strings.FieldsFunc(op.Path, func(r rune) bool { return r == '/' || r == '_' || r == ':' || r == '.' || r == '*' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

var (
	openAPIOnce sync.Once
	openAPIJSON []byte
)

// openapi answers GET /v1/openapi.json.
func (s *Server) openapi(c echo.Context) error {
	openAPIOnce.Do(func() { openAPIJSON, _ = json.Marshal(OpenAPI()) })
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIJSON)
}

// schemaGen reflects Go types into JSON Schema components.
type schemaGen struct {
	components map[string]any
	// vars are the values examples captured when they were recorded.
	vars map[string]string
}

// resolve returns v as JSON with "$name" strings replaced by the recorded
// values of the variables.
func (g *schemaGen) resolve(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	for name, val := range g.vars {
		q, _ := json.Marshal(val)
		b = []byte(strings.ReplaceAll(string(b), `"$`+name+`"`, string(q)))
	}
	return b
}

// ResolveExample replaces "$name" strings of an example body or path by
// vars (for the tests that replay examples).
func ResolveExample(s string, vars map[string]string) string {
	for name, val := range vars {
		s = strings.ReplaceAll(s, "$"+name, val)
	}
	return s
}

var (
	rawJSONType = reflect.TypeOf(json.RawMessage(nil))
	timeType    = reflect.TypeOf(time.Time{})
)

// ref returns a $ref to the component of a named struct type, or the
// schema of any other type.
func (g *schemaGen) ref(t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || t.Name() == "" {
		return g.schemaOf(t)
	}
	name := t.Name()
	if _, ok := g.components[name]; !ok {
		g.components[name] = nil // a cycle refers to itself
		g.components[name] = g.schemaOf(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func (g *schemaGen) schemaOf(t reflect.Type) any {
	switch {
	case t == rawJSONType:
		return map[string]any{}
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return map[string]any{"anyOf": []any{g.ref(t.Elem()), map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Struct:
		return g.structSchema(t)
	}
	return map[string]any{}
}

func (g *schemaGen) structSchema(t reflect.Type) any {
	props := map[string]any{}
	required := []string{}
	g.fields(t, props, &required)
	sort.Strings(required)
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

// fields adds the JSON fields of struct t, those of embedded structs
// included, to props and required.
func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		props[name] = g.ref(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}
