package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server"
)

func TestStoredFieldsRoundTrip(t *testing.T) {
	big := []byte(`{"notes":"` + strings.Repeat("入户调查记录：家庭收入。", 40) + `"}`)
	small := []byte(`{"name":"张三"}`)
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 2048) // does not compress: stored plain
	for i := range random {
		random[i] = byte(' ' + rnd.IntN(95))
	}
	for _, tc := range []struct {
		coll       string
		fields     []byte
		compressed bool
	}{
		{"households", big, true},
		{"households", small, false},
		{"members", random, false},
		{"photos", big, false}, // SQL reads photos' fields
		{"signatures", big, false},
	} {
		plain, z := server.StoredFields(tc.coll, tc.fields)
		if (z != nil) != tc.compressed || (z != nil) == (len(plain) > 0) {
			t.Errorf("%s %d bytes: plain %d, zstd %d bytes; want compressed %v", tc.coll, len(tc.fields), len(plain), len(z), tc.compressed)
		}
		if tc.compressed && len(z) > len(tc.fields)/4 {
			t.Errorf("%s: %d bytes compress to %d", tc.coll, len(tc.fields), len(z))
		}
		got, err := server.LoadFields([]byte("prefix"), plain, z)
		if err != nil || !bytes.Equal(got, append([]byte("prefix"), tc.fields...)) {
			t.Errorf("%s: LoadFields = %q, %v", tc.coll, got, err)
		}
	}
	_, z := server.StoredFields("households", big)
	if _, err := server.LoadFields(nil, big, z); !errors.Is(err, server.ErrStoredFields) {
		t.Errorf("both forms: %v, want ErrStoredFields", err)
	}
	if _, err := server.LoadFields(nil, nil, z[:len(z)/2]); !errors.Is(err, server.ErrStoredFields) {
		t.Errorf("truncated: %v, want ErrStoredFields", err)
	}
}

func TestStoredVersionsRoundTrip(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	for _, tc := range []struct {
		name    string
		fv      map[string]int64
		fields  map[string]json.RawMessage
		version int64
		want    string
	}{
		{"created", map[string]int64{"a": 5, "b": 5}, map[string]json.RawMessage{"a": raw("1"), "b": raw(`"x"`)}, 5, "~{}"},
		{"edited", map[string]int64{"a": 5, "b": 3}, map[string]json.RawMessage{"a": raw("1"), "b": raw(`"x"`)}, 5, `~{"b":3}`},
		{"cleared field", map[string]int64{"a": 5, "gone": 5}, map[string]json.RawMessage{"a": raw("1")}, 5, `~{"gone":5}`},
		{"field without a version", map[string]int64{"a": 5}, map[string]json.RawMessage{"a": raw("1"), "b": raw("2")}, 5, `{"a":5}`},
		{"no versions", map[string]int64{}, map[string]json.RawMessage{}, 5, "~{}"},
	} {
		stored := server.StoredVersions(tc.fv, tc.fields, tc.version)
		if string(stored) != tc.want {
			t.Errorf("%s: stored %s, want %s", tc.name, stored, tc.want)
		}
		got, err := server.LoadVersions(stored, tc.fields, tc.version)
		if err != nil || !maps.Equal(got, tc.fv) {
			t.Errorf("%s: loaded %v, %v; want %v", tc.name, got, err, tc.fv)
		}
	}
	// The plain form, as stored before, still reads as it is.
	got, err := server.LoadVersions([]byte(`{"a":2}`), map[string]json.RawMessage{"a": raw("1"), "b": raw("2")}, 9)
	if err != nil || !maps.Equal(got, map[string]int64{"a": 2}) {
		t.Errorf("plain form: %v, %v", got, err)
	}
}

func TestSlabFields(t *testing.T) {
	big := []byte(`{"notes":"` + strings.Repeat("入户调查记录。", 60) + `"}`)
	plain, z := server.StoredFields("households", big)
	if z == nil {
		t.Fatal("not compressed")
	}
	var slab []byte
	var got []json.RawMessage
	for _, in := range [][2][]byte{{plain, z}, {[]byte(`{"a":1}`), nil}, {plain, z}} {
		var f json.RawMessage
		var err error
		if slab, f, err = server.SlabFields(slab, in[0], in[1]); err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	_ = append(got[0], "xx"...) // capped: must not write into the next record
	if !bytes.Equal(got[0], big) || string(got[1]) != `{"a":1}` || !bytes.Equal(got[2], big) {
		t.Errorf("slab fields: %q / %q / %q", got[0][:20], got[1], got[2][:20])
	}
	if &got[0][0] != &slab[0] {
		t.Error("the first fields are not in the slab")
	}
	if _, _, err := server.SlabFields(slab, nil, z[:len(z)/2]); !errors.Is(err, server.ErrStoredFields) {
		t.Errorf("truncated: %v", err)
	}
}
