package merge_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/merge"
)

// values is the universe of field values the fuzzer picks from: equal pairs
// in different spellings, null, nested values.
var values = []string{`null`, `1`, `1.0`, `2`, `"a"`, `"b"`, `true`, `[1,2]`, `[2,1]`,
	`{"x":1,"y":[true]}`, `{"y":[true],"x":1.0}`, `"张三"`, `""`, `0`}

const nFields = 6

// fuzzCase is a server record, a base version and a device's changes,
// decoded from fuzz bytes.
type fuzzCase struct {
	server *merge.Record
	base   int64
	fields map[string]json.RawMessage
	inA    map[string]bool // the part of fields in the first of two mutations
}

func decodeCase(data []byte) fuzzCase {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	version := int64(next()%50 + 1)
	r := &merge.Record{Version: version, Fields: map[string]json.RawMessage{}, FieldVersions: map[string]int64{}}
	c := fuzzCase{server: r, fields: map[string]json.RawMessage{}, inA: map[string]bool{}}
	for i := 0; i < nFields; i++ {
		name := fmt.Sprintf("f%d", i)
		if v := next() % (len(values) + 1); v > 0 && values[v-1] != "null" {
			r.Fields[name] = json.RawMessage(values[v-1])
		}
		if fv := int64(next()) % (version + 1); fv > 0 {
			r.FieldVersions[name] = fv
		}
		if v := next() % (len(values) + 1); v > 0 {
			c.fields[name] = json.RawMessage(values[v-1])
		}
		c.inA[name] = next()%2 == 0
	}
	c.base = int64(next()) % (version + 1)
	return c
}

func clone(r *merge.Record) *merge.Record {
	return &merge.Record{Version: r.Version, Deleted: r.Deleted, Fields: maps.Clone(r.Fields), FieldVersions: maps.Clone(r.FieldVersions)}
}

// upsert merges and applies like the server: a new version only when
// something is written.
func upsert(r *merge.Record, base int64, fields map[string]json.RawMessage) merge.Outcome {
	out := merge.Upsert(r, base, fields)
	if len(out.Apply) > 0 {
		merge.Apply(r, out.Apply, r.Version+1)
	}
	return out
}

// sameFields compares field maps as JSON values.
func sameFields(a, b map[string]json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !merge.Equal(v, w) {
			return false
		}
	}
	return true
}

func conflictFields(cs []merge.FieldConflict) map[string][2]string {
	out := map[string][2]string{}
	for _, c := range cs {
		out[c.Field] = [2]string{string(c.Server), string(c.Client)}
	}
	return out
}

func FuzzMerge(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{10, 1, 3, 2, 0, 2, 1, 1, 0, 5, 7, 6, 1, 9, 0, 11, 0, 3, 3, 3, 1, 0, 0, 4, 0, 1})
	f.Add([]byte{49, 2, 49, 3, 1, 10, 49, 11, 0, 0, 0, 0, 1, 7, 2, 8, 0, 12, 50, 12, 1, 14, 0, 1, 0, 25})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := decodeCase(data)

		// Applying the same upsert twice is applying it once.
		once := clone(c.server)
		first := upsert(once, c.base, c.fields)
		twice := clone(once)
		second := upsert(twice, c.base, c.fields)
		if len(second.Apply) != 0 {
			t.Fatalf("second identical upsert writes %v", second.Apply)
		}
		if !reflect.DeepEqual(conflictFields(first.Conflicts), conflictFields(second.Conflicts)) {
			t.Fatalf("second identical upsert: conflicts %v, first %v", second.Conflicts, first.Conflicts)
		}
		if !reflect.DeepEqual(once, twice) {
			t.Fatalf("second identical upsert changed the record: %+v → %+v", once, twice)
		}
		// What was applied is now the record's value; what conflicted
		// kept the server's value.
		for name, v := range first.Apply {
			if !merge.Equal(once.Fields[name], v) || once.FieldVersions[name] != once.Version {
				t.Fatalf("applied %s=%s, record has %s at %d", name, v, once.Fields[name], once.FieldVersions[name])
			}
		}
		for _, cf := range first.Conflicts {
			if !merge.Equal(once.Fields[cf.Field], c.server.Fields[cf.Field]) || merge.Equal(cf.Server, cf.Client) {
				t.Fatalf("conflict %+v: server value not kept or not a real difference", cf)
			}
		}

		// The outcome does not depend on how the changes are split into
		// mutations: A∪B at once, or A then B, both from the same base.
		a, b := map[string]json.RawMessage{}, map[string]json.RawMessage{}
		for name, v := range c.fields {
			if c.inA[name] {
				a[name] = v
			} else {
				b[name] = v
			}
		}
		split := clone(c.server)
		outA := upsert(split, c.base, a)
		outB := upsert(split, c.base, b)
		if !sameFields(once.Fields, split.Fields) {
			t.Fatalf("A∪B gives %s, A then B gives %s", enc(once.Fields), enc(split.Fields))
		}
		both := conflictFields(append(append([]merge.FieldConflict{}, outA.Conflicts...), outB.Conflicts...))
		if !reflect.DeepEqual(conflictFields(first.Conflicts), both) {
			t.Fatalf("A∪B conflicts %v, A then B %v", first.Conflicts, both)
		}
		// When nothing conflicts, a device that learned A's version before
		// sending B ends in the same state too.
		if len(first.Conflicts) == 0 {
			learned := clone(c.server)
			upsert(learned, c.base, a)
			if outB := upsert(learned, learned.Version, b); len(outB.Conflicts) != 0 {
				t.Fatalf("B on the version after A conflicts: %v", outB.Conflicts)
			}
			if !sameFields(once.Fields, learned.Fields) {
				t.Fatalf("A∪B gives %s, A then B (updated base) gives %s", enc(once.Fields), enc(learned.Fields))
			}
		}
	})
}

func enc(m map[string]json.RawMessage) string {
	b, _ := json.Marshal(m)
	return string(b)
}
