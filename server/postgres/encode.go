package postgres

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// encodeRawMap encodes a field map as a JSON object with sorted keys,
// copying the (already validated) values verbatim: encoding/json would
// re-validate and compact every json.RawMessage. (The same encoding as
// server/sqlite, which an adapter may not import.)
func encodeRawMap(m map[string]json.RawMessage) []byte {
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

// encodeVersions encodes a field → version map with sorted keys.
func encodeVersions(m map[string]int64) []byte {
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

// appendKey appends "k": — plain ASCII keys directly, any other escaped by
// encoding/json.
func appendKey(b []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(k)
			return append(append(b, q...), ':')
		}
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

// jsonOrNull is v, or JSON null when v is empty.
func jsonOrNull(v json.RawMessage) string {
	if len(v) == 0 {
		return "null"
	}
	return string(v)
}

// nullJSON, nullString and nullInt are SQL NULL for an empty value.
func nullJSON(v json.RawMessage) any {
	if len(v) == 0 {
		return nil
	}
	return string(v)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}
