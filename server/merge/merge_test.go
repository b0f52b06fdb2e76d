package merge_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/merge"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// record is a stored record at version 10: a changed at 4, b at 10, c at 7.
func record() *merge.Record {
	return &merge.Record{Version: 10,
		Fields:        map[string]json.RawMessage{"a": raw(`"x"`), "b": raw(`1`), "c": raw(`{"k":[1,2]}`)},
		FieldVersions: map[string]int64{"a": 4, "b": 10, "c": 7}}
}

func TestUpsert(t *testing.T) {
	scenarios := []struct {
		name      string
		base      int64
		fields    map[string]json.RawMessage
		apply     map[string]json.RawMessage
		conflicts []string
		ahead     bool
	}{
		{"up to date", 10, map[string]json.RawMessage{"a": raw(`"y"`), "b": raw(`2`)},
			map[string]json.RawMessage{"a": raw(`"y"`), "b": raw(`2`)}, nil, false},
		{"other field changed since base merges", 5, map[string]json.RawMessage{"a": raw(`"y"`)},
			map[string]json.RawMessage{"a": raw(`"y"`)}, nil, true},
		{"same field changed since base conflicts", 5, map[string]json.RawMessage{"b": raw(`2`), "a": raw(`"y"`)},
			map[string]json.RawMessage{"a": raw(`"y"`)}, []string{"b"}, true},
		{"equal value is never a conflict", 0, map[string]json.RawMessage{"b": raw(`1.0`), "c": raw(`{ "k" : [1, 2] }`)},
			map[string]json.RawMessage{}, nil, true},
		{"null equals absent", 0, map[string]json.RawMessage{"d": raw(`null`)}, map[string]json.RawMessage{}, nil, true},
		{"clearing an unchanged field", 7, map[string]json.RawMessage{"a": raw(`null`)},
			map[string]json.RawMessage{"a": raw(`null`)}, nil, true},
		{"conflicts sorted by field", 0, map[string]json.RawMessage{"c": raw(`[]`), "b": raw(`3`), "a": raw(`"z"`)},
			map[string]json.RawMessage{}, []string{"a", "b", "c"}, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			out := merge.Upsert(record(), sc.base, sc.fields)
			if !reflect.DeepEqual(out.Apply, sc.apply) {
				t.Fatalf("apply %s, want %s", enc(out.Apply), enc(sc.apply))
			}
			var got []string
			for _, c := range out.Conflicts {
				got = append(got, c.Field)
				if !reflect.DeepEqual(c.Server, record().Fields[c.Field]) || !reflect.DeepEqual(c.Client, sc.fields[c.Field]) {
					t.Fatalf("conflict %+v does not keep both values", c)
				}
			}
			if !reflect.DeepEqual(got, sc.conflicts) || out.ServerAhead != sc.ahead {
				t.Fatalf("conflicts %v ahead %v, want %v %v", got, out.ServerAhead, sc.conflicts, sc.ahead)
			}
		})
	}
	if out := merge.Upsert(nil, 0, map[string]json.RawMessage{"a": raw(`1`)}); len(out.Apply) != 1 || out.ServerAhead || len(out.Conflicts) != 0 {
		t.Fatalf("new record: %+v", out)
	}
}

func TestApply(t *testing.T) {
	r := record()
	merge.Apply(r, map[string]json.RawMessage{"a": raw(`null`), "d": raw(`[1]`)}, 11)
	want := map[string]json.RawMessage{"b": raw(`1`), "c": raw(`{"k":[1,2]}`), "d": raw(`[1]`)}
	if r.Version != 11 || !reflect.DeepEqual(r.Fields, want) || r.FieldVersions["a"] != 11 || r.FieldVersions["d"] != 11 || r.FieldVersions["b"] != 10 {
		t.Fatalf("after apply: %+v", r)
	}
	var empty merge.Record
	merge.Apply(&empty, map[string]json.RawMessage{"x": raw(`"v"`)}, 1)
	if string(empty.Fields["x"]) != `"v"` || empty.FieldVersions["x"] != 1 {
		t.Fatalf("apply on an empty record: %+v", empty)
	}
}

func TestDeleteConflicts(t *testing.T) {
	r := record()
	for base, want := range map[int64]bool{0: true, 9: true, 10: false, 11: false} {
		if got := merge.DeleteConflicts(r, base); got != want {
			t.Fatalf("DeleteConflicts(base %d) = %v, want %v", base, got, want)
		}
	}
	r.Deleted = true
	if merge.DeleteConflicts(r, 0) || merge.DeleteConflicts(nil, 0) {
		t.Fatal("deleting a tombstone or nothing is not a conflict")
	}
}

func TestEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{`1`, `1.0`, true}, {`1`, `1e0`, true}, {`{"a":1,"b":2}`, `{"b":2,"a":1}`, true}, {`null`, ``, true},
		{`[1,2]`, `[2,1]`, false}, {`"1"`, `1`, false}, {`true`, `"true"`, false}, {`{}`, `null`, false},
		{`"é"`, `"e\u0301"`, false}, {`"\u00e9"`, `"é"`, true}, {`0`, `-0`, true},
	} {
		if got := merge.Equal(raw(c.a), raw(c.b)); got != c.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := merge.Equal(raw(c.b), raw(c.a)); got != c.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", c.b, c.a, got, c.want)
		}
	}
}
