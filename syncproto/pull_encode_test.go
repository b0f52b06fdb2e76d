package syncproto

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestPullAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := &PullResponse{Cursor: "djE6MTA", HasMore: true, Changes: []Change{
		{Collection: "households", ID: "01J-a", Version: 7, Fields: json.RawMessage(`{"head_name":"赵大","n":1.5,"a":[1,{"b":null}]}`), Meta: json.RawMessage(`{"open_conflicts":1}`)},
		{Collection: "members", ID: "id<&>\"\\\n", Version: 8, Deleted: true, Fields: json.RawMessage(`{}`), Meta: json.RawMessage(`{"left_scope":true}`)},
		{Collection: "photos", ID: "名", Version: 9},
	}}
	want, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want = bytes.ReplaceAll(want, []byte(`"fields":null`), []byte(`"fields":{}`))
	want = bytes.ReplaceAll(want, []byte(`"meta":null`), []byte(`"meta":{}`))
	if got := r.AppendJSON(nil); !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON\n got %s\nwant %s", got, want)
	}
	empty := &PullResponse{Changes: []Change{}}
	if got := string(empty.AppendJSON(nil)); got != `{"changes":[],"cursor":"","has_more":false}` {
		t.Fatalf("empty: %s", got)
	}
}

func FuzzPullAppendJSON(f *testing.F) {
	f.Add("households", "01J", `{"a":1}`)
	f.Add("m\u2028", "\x00<>", `[1,2]`)
	f.Fuzz(func(t *testing.T, coll, id, fields string) {
		if !json.Valid([]byte(fields)) {
			return
		}
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(fields)) != nil {
			return
		}
		r := &PullResponse{Changes: []Change{{Collection: coll, ID: id, Fields: buf.Bytes(), Meta: json.RawMessage(`{}`)}}}
		// encoding/json would also HTML-escape inside fields; the bytes may
		// differ there, the value may not.
		want, _ := json.Marshal(r)
		got := r.AppendJSON(nil)
		// Numbers are compared as their text: a valid JSON number may be
		// beyond float64 (the fuzzer found 2e320 written out).
		var a, b any
		if err := decodeNumbers(got, &a); err != nil {
			t.Fatalf("invalid JSON %s: %v", got, err)
		}
		_ = decodeNumbers(want, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}

func decodeNumbers(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(v)
}
