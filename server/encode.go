package server

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// EncodeFields encodes a field map as a JSON object with sorted keys,
// copying the (already validated) values verbatim. encoding/json would
// re-validate and compact every json.RawMessage, which dominated push time.
func EncodeFields(m map[string]json.RawMessage) []byte {
	if len(m) == 0 {
		return []byte("{}")
	}
	keys := sortedKeys(m)
	n := 2
	for _, k := range keys {
		n += len(k) + len(m[k]) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, k)
		if v := m[k]; len(v) == 0 {
			b = append(b, "null"...)
		} else {
			b = append(b, v...)
		}
	}
	return append(b, '}')
}

// EncodeVersions encodes a field → version map with sorted keys.
func EncodeVersions(m map[string]int64) []byte {
	if len(m) == 0 {
		return []byte("{}")
	}
	b := make([]byte, 0, 24*len(m))
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, k)
		b = strconv.AppendInt(b, m[k], 10)
	}
	return append(b, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendKey appends "k": — field names are schema names, plain ASCII; any
// other key is escaped by encoding/json.
func appendKey(b []byte, k string) []byte {
	plain := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		return b
	}
	q, _ := json.Marshal(k)
	b = append(b, q...)
	return append(b, ':')
}

// ObjectBuilder assembles a JSON object from pre-encoded parts.
type ObjectBuilder struct{ b []byte }

// Raw adds a pre-encoded value.
func (o *ObjectBuilder) Raw(k string, v []byte) *ObjectBuilder {
	if len(o.b) == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.b = appendKey(o.b, k)
	o.b = append(o.b, v...)
	return o
}

// Int adds an integer.
func (o *ObjectBuilder) Int(k string, v int64) *ObjectBuilder {
	return o.Raw(k, strconv.AppendInt(nil, v, 10))
}

// Str adds a string.
func (o *ObjectBuilder) Str(k, v string) *ObjectBuilder {
	q, _ := json.Marshal(v)
	return o.Raw(k, q)
}

// Done closes the object.
func (o *ObjectBuilder) Done() RawJSON {
	if len(o.b) == 0 {
		return RawJSON("{}")
	}
	return RawJSON(append(o.b, '}'))
}

// StoredVersions is how the stores keep a record's field versions: after a
// "~", the entries EncodeVersions would write less those of the record's
// fields whose version is the record's own (after a create that is every
// field: "~{}"). It is EncodeVersions itself when a field has no version.
// LoadVersions reads both forms.
func StoredVersions(fv map[string]int64, fields map[string]json.RawMessage, version int64) []byte {
	rest := maps.Clone(fv)
	for k := range fields {
		v, ok := fv[k]
		if !ok {
			return EncodeVersions(fv)
		}
		if v == version {
			delete(rest, k)
		}
	}
	return append([]byte{'~'}, EncodeVersions(rest)...)
}

// LoadVersions decodes field versions stored by StoredVersions for a
// record with these fields and version.
func LoadVersions(stored []byte, fields map[string]json.RawMessage, version int64) (map[string]int64, error) {
	compact := len(stored) > 0 && stored[0] == '~'
	if compact {
		stored = stored[1:]
	}
	var fv map[string]int64
	if err := json.Unmarshal(stored, &fv); err != nil {
		return nil, err
	}
	if compact {
		if fv == nil {
			fv = make(map[string]int64, len(fields))
		}
		for k := range fields {
			if _, ok := fv[k]; !ok {
				fv[k] = version
			}
		}
	}
	return fv, nil
}
