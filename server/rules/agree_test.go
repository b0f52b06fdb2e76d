package rules_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The JS client and any other client validate against the document GET
// /v1/schema serves, with an off-the-shelf JSON Schema 2020-12 validator
// plus the id-number format and x-ruhu-codes. This property test checks
// that such a validator (santhosh-tekuri/jsonschema) and the server agree
// on random records — accepted or refused, and with which code — for the
// built-in schemas and a county's extra fields. It covers what the
// keywords express; x-ruhu-limits (nesting, record size) and the canonical
// JSON form are tested apart (limits_test.go, canonical_test.go).

func ptr(f float64) *float64 { return &f }

var countyExtras = []syncproto.ExtraField{
	{Collection: "households", Name: "group_name", Type: syncproto.TString, Title: "村民小组", MaxLength: 5},
	{Collection: "households", Name: "housing", Type: syncproto.TEnum, Title: "住房", Enum: []string{"砖混", "土木"}, Required: true},
	{Collection: "members", Name: "insured", Type: syncproto.TBool, Title: "参加医保"},
	{Collection: "investigations", Name: "livestock", Type: syncproto.TInteger, Title: "牲畜", Minimum: ptr(0), Maximum: ptr(50)},
	{Collection: "investigations", Name: "area_mu", Type: syncproto.TNumber, Title: "耕地亩数"},
	{Collection: "investigations", Name: "visit_date", Type: syncproto.TDate, Title: "回访日期"},
}

// compile compiles every collection schema of doc as a client would.
func compile(t testing.TB, doc *syncproto.SchemaDocument) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: syncproto.FormatIDNumber, Validate: func(v any) error {
		if s, ok := v.(string); ok && !syncproto.ValidIDNumber(s) {
			return errors.New("not a resident ID number")
		}
		return nil
	}})
	out := map[string]*jsonschema.Schema{}
	for name, cs := range doc.Collections {
		b, _ := json.Marshal(cs)
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		url := "https://ruhu.example/schema/" + name + ".json"
		if err := c.AddResource(url, v); err != nil {
			t.Fatal(err)
		}
		if out[name], err = c.Compile(url); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return out
}

// clientCode is what a client following the document answers for fields,
// in the server's order: values first (null clears a field and passes;
// each failing keyword is mapped with x-ruhu-codes), then, on create, the
// required fields (absent or null: missing_field) and, on update, the
// x-ruhu-immutable fields (immutable_field) and required ones set to null.
func clientCode(t testing.TB, doc *syncproto.SchemaDocument, sch *jsonschema.Schema, coll string, fields map[string]json.RawMessage, create bool) []string {
	t.Helper()
	cs := doc.Collections[coll]
	kept := map[string]json.RawMessage{}
	for k, v := range fields {
		if string(v) != "null" {
			kept[k] = v
		}
	}
	if codes := keywordCodes(t, doc, sch, kept); len(codes) > 0 {
		return codes
	}
	for _, k := range cs.Required {
		if _, set := kept[k]; create && !set {
			return []string{doc.Codes["required"]}
		}
	}
	if create {
		return nil
	}
	for k := range fields {
		if p := cs.Properties[k]; p != nil && p.Immutable {
			return []string{doc.Codes["x-ruhu-immutable"]}
		}
	}
	for _, k := range cs.Required {
		if v, ok := fields[k]; ok && string(v) == "null" {
			return []string{doc.Codes["required"]}
		}
	}
	return nil
}

// keywordCodes validates fields against the collection's JSON Schema and
// returns the codes of the failing keywords but required.
func keywordCodes(t testing.TB, doc *syncproto.SchemaDocument, sch *jsonschema.Schema, fields map[string]json.RawMessage) []string {
	b, _ := json.Marshal(fields)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	var codes []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		code := doc.Codes["*"]
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			return
		case *kind.AdditionalProperties:
			code = doc.Codes["additionalProperties"]
		case *kind.Format:
			if c, ok := doc.Codes["format:"+k.Want]; ok {
				code = c
			}
		}
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	walk(ve)
	return codes
}

// serverCode is what the server answers for the same fields.
func serverCode(set syncproto.SchemaSet, coll string, fields map[string]json.RawMessage, create bool) string {
	m := &syncproto.Mutation{Collection: coll, ID: "r1", Op: syncproto.OpUpsert, Fields: fields}
	err := rules.ValidateMutation(set, m)
	if err == nil && create {
		err = rules.CheckRequired(set, coll, fields)
	} else if err == nil {
		err = rules.CheckUpdate(set, coll, fields)
	}
	return server.ErrorCode(err)
}

// values returns candidate values for a field, valid and not.
func values(r *rand.Rand, spec syncproto.FieldSpec) []string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	common := []string{`null`, `true`, `12`, `-3.5`, `"x"`, `[]`, `{}`, `["a"]`}
	switch spec.Type {
	case syncproto.TNumber, syncproto.TInteger:
		vs := []string{`0`, `1`, `4`, `5`, `1.0`, `2.5`, `-1`, `1e9`, `1000000001`, `50`, `51`, `-0.0001`, `3e2`}
		return append(vs, fmt.Sprint(r.IntN(100)), fmt.Sprintf("%.2f", r.Float64()*10))
	case syncproto.TBool:
		return append(common, `false`)
	case syncproto.TArray:
		return append(common, `[1,2,3]`, "["+strings.Repeat(`{"a":1},`, 20)+`{"a":1}]`, `[[["deep"]]]`,
			"["+strings.Repeat(`1,`, 200)+`1]`, `[]`)
	case syncproto.TObject:
		return append(common, `{"a":[1]}`)
	case syncproto.TEnum:
		vs := append(common, `""`, q(strings.ToUpper(spec.Enum[0])))
		for _, e := range spec.Enum {
			vs = append(vs, q(e))
		}
		return vs
	case syncproto.TDate:
		return append(common, `"2024-02-29"`, `"2023-02-29"`, `"2024-13-01"`, `"2024-1-1"`, `"20240101"`, `"2024-03-18T00:00:00Z"`, `"1990-01-01"`)
	case syncproto.TDateTime:
		return append(common, `"2024-03-18T09:41:07+08:00"`, `"2024-03-18T09:41:07Z"`, `"2024-03-18T09:41:07.125Z"`,
			`"2024-03-18 09:41:07Z"`, `"2024-03-18t09:41:07z"`, `"2016-12-31T23:59:60Z"`, `"2016-12-31T23:59:60+01:00"`, `"2017-01-01T00:59:60+01:00"`, `"2024-03-18T09:41:07.Z"`, `"2024-03-18T09:41:07+8:00"`, `"2024-03-18T09:41:07+24:00"`, `"2024-03-18T25:41:07Z"`, `"2024-03-18"`, `"2024-02-30T09:41:07Z"`)
	case syncproto.TIDNumber:
		good := fmt.Sprintf("5301211990010100%d", r.IntN(10))
		good += string(syncproto.IDCheckChar(good[:17]))
		bad := good[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", good[17])+1)%11])
		return append(common, q(good), q(bad), `"53012119900101001"`, `"530121199002300011"`, q(strings.Repeat("1", 18)))
	case syncproto.TRef:
		return append(common, `"t1-v1"`, `"hh_1.2"`, `"-bad"`, `"a b"`, q(strings.Repeat("r", 64)), q(strings.Repeat("r", 65)), `""`, `"村"`)
	}
	max := spec.MaxChars()
	return append(common, `""`, `"家中有\"重病\"患者"`, `"line\nbreak"`, q(strings.Repeat("字", max)), q(strings.Repeat("字", max+1)),
		q(strings.Repeat("a", max)), q(strings.Repeat("a", max+1)), q(strings.Repeat("😀", min(max, 30))))
}

// TestJSONSchemaAndServerAgree: for random records with at most one
// doubtful field, a client validating with the served document refuses
// exactly what the server refuses, with the same code.
func TestJSONSchemaAndServerAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2026))
	for _, extras := range [][]syncproto.ExtraField{nil, countyExtras} {
		set := syncproto.SchemaSetWith(extras)
		doc := set.Document()
		schemas := compile(t, doc)
		refused := map[string]int{}
		for i := 0; i < 4000; i++ {
			coll := syncproto.ExtraCollections[r.IntN(3)]
			if r.IntN(8) == 0 {
				coll = syncproto.CollSignatures
			}
			fields, create := randomRecord(r, set[coll]), r.IntN(2) == 0
			want := serverCode(set, coll, fields, create)
			got := clientCode(t, doc, schemas[coll], coll, fields, create)
			if (want == "") != (len(got) == 0) || (want != "" && !slices.Contains(got, want)) || len(got) > 1 {
				b, _ := json.Marshal(fields)
				t.Fatalf("%s (create %v) %s:\nserver %q, JSON Schema %q", coll, create, b, want, got)
			}
			refused[want]++
		}
		t.Logf("%d extras: outcomes %v", len(extras), refused)
		if refused[""] < 200 || len(refused) < 5 {
			t.Errorf("the generator is lopsided: %v", refused)
		}
	}
}

// randomRecord is a valid record with a random number of extra fields,
// then at most one field set to a random candidate (maybe invalid), maybe
// an unknown field, maybe a required field left out.
func randomRecord(r *rand.Rand, s syncproto.Schema) map[string]json.RawMessage {
	fields := map[string]json.RawMessage{}
	names := make([]string, 0, len(s.Fields))
	for n := range s.Fields {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if slices.Contains(s.Required, n) || r.IntN(3) == 0 {
			fields[n] = json.RawMessage(validValue(s.Fields[n]))
		}
	}
	switch r.IntN(10) {
	case 0:
		fields["not_a_field"] = json.RawMessage(`"x"`)
	case 1:
		delete(fields, s.Required[r.IntN(len(s.Required))])
	default:
		n := names[r.IntN(len(names))]
		vs := values(r, s.Fields[n])
		fields[n] = json.RawMessage(vs[r.IntN(len(vs))])
	}
	return fields
}

// validValue is a value every spec of its type accepts.
func validValue(spec syncproto.FieldSpec) string {
	switch spec.Type {
	case syncproto.TNumber, syncproto.TInteger:
		return fmt.Sprint(spec.Min)
	case syncproto.TBool:
		return `true`
	case syncproto.TArray:
		return `[]`
	case syncproto.TObject:
		return `{}`
	case syncproto.TEnum:
		b, _ := json.Marshal(spec.Enum[0])
		return string(b)
	case syncproto.TDate:
		return `"2024-03-18"`
	case syncproto.TDateTime:
		return `"2024-03-18T09:41:07+08:00"`
	case syncproto.TIDNumber:
		return `"530121199001010019"`
	case syncproto.TRef:
		return `"t1-v1"`
	}
	return `"值"`
}
