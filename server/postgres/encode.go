package postgres

import (
	"encoding/json"
)

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
