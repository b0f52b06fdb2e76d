package syncproto

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the JSON encoding of r to b. It produces the same bytes
// as encoding/json for compact Fields and Meta, but copies Fields and Meta
// verbatim instead of re-validating them, which makes a pull page several
// times cheaper to encode. Fields and Meta must be valid JSON (the server
// stores only values it has validated); empty ones are written as {}.
func (r *PullResponse) AppendJSON(b []byte) []byte {
	n := 64 + len(r.Cursor)
	for i := range r.Changes {
		c := &r.Changes[i]
		n += 96 + len(c.Collection) + len(c.ID) + len(c.Fields) + len(c.Meta)
	}
	if cap(b)-len(b) < n {
		b = append(make([]byte, 0, len(b)+n), b...)
	}
	b = append(b, `{"changes":[`...)
	for i := range r.Changes {
		if i > 0 {
			b = append(b, ',')
		}
		b = r.Changes[i].appendJSON(b)
	}
	b = append(b, `],"cursor":`...)
	b = appendString(b, r.Cursor)
	b = append(b, `,"has_more":`...)
	b = strconv.AppendBool(b, r.HasMore)
	return append(b, '}')
}

func (c *Change) appendJSON(b []byte) []byte {
	b = append(b, `{"collection":`...)
	b = appendString(b, c.Collection)
	b = append(b, `,"id":`...)
	b = appendString(b, c.ID)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, c.Version, 10)
	b = append(b, `,"deleted":`...)
	b = strconv.AppendBool(b, c.Deleted)
	b = append(b, `,"fields":`...)
	b = appendRaw(b, c.Fields)
	b = append(b, `,"meta":`...)
	b = appendRaw(b, c.Meta)
	return append(b, '}')
}

func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "{}"...)
	}
	return append(b, raw...)
}

// appendString appends s as a JSON string, as encoding/json would.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
