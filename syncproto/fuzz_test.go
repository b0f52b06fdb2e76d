package syncproto_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/ruhu-org/ruhu/syncproto"
)

func FuzzCanonical(f *testing.F) {
	for _, in := range vectorInputs {
		f.Add([]byte(in.fields))
	}
	for _, s := range []string{
		`{}`, ` { "b" : [ 1 , 2.50 , { "a" : null } ] , "a" : true } `,
		`{"n":[1e21,1E-7,333333333.33333329,-0,12345678901234567890]}`,
		`{"\u20ac":1,"\r":2,"\ufb33":3,"1":4,"\ud83d\ude00":5,"\u0080":6,"\u00f6":7}`,
		`{"s":"\u0000\"\\\/<>&\u2028"}`,
		`[]`, `null`, `{"a":1,"a":2}`, `{"s":"\ud800"}`, "{\"s\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, fields []byte) {
		out, err := syncproto.Canonical("investigations", "inv-1", fields)
		if err != nil {
			if !errors.Is(err, syncproto.ErrNotCanonicalizable) {
				t.Fatalf("Canonical(%q) error %v does not wrap ErrNotCanonicalizable", fields, err)
			}
			return
		}
		if !utf8.Valid(out) || !json.Valid(out) {
			t.Fatalf("Canonical(%q) = %q: not valid UTF-8 JSON", fields, out)
		}
		var doc struct {
			Fields json.RawMessage `json:"fields"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		again, err := syncproto.Canonical("investigations", "inv-1", doc.Fields)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: Canonical(%q) = %q, then %q (%v)", fields, out, again, err)
		}

		if len(fields) == 0 {
			fields = []byte(`{}`) // what Canonical takes empty fields for
		}
		respelled, err := respell(fields)
		if err != nil {
			t.Fatalf("canonicalized %q but encoding/json cannot decode it: %v", fields, err)
		}
		h1, err1 := syncproto.ContentHash("investigations", "inv-1", fields)
		h2, err2 := syncproto.ContentHash("investigations", "inv-1", respelled)
		if err1 != nil || err2 != nil || h1 != h2 {
			t.Fatalf("same content, different hash:\n%q → %s (%v)\n%q → %s (%v)", fields, h1, err1, respelled, h2, err2)
		}
	})
}

// respell writes the same JSON value differently: object members in
// reverse order, whitespace everywhere, strings with encoding/json's
// escapes, numbers in exponent form.
func respell(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := writeRespelled(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeRespelled(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Sort(sort.Reverse(sort.StringSlice(keys)))
		buf.WriteString("{\n")
		for i, k := range keys {
			if i > 0 {
				buf.WriteString(" ,\t")
			}
			name, _ := json.Marshal(k)
			buf.Write(name)
			buf.WriteString(" : ")
			if err := writeRespelled(buf, v[k]); err != nil {
				return err
			}
		}
		buf.WriteString("\r\n}")
	case []any:
		buf.WriteString("[ ")
		for i, e := range v {
			if i > 0 {
				buf.WriteString(" , ")
			}
			if err := writeRespelled(buf, e); err != nil {
				return err
			}
		}
		buf.WriteString(" ]")
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return err
		}
		buf.WriteString(strconv.FormatFloat(f, 'E', -1, 64))
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}
