package syncproto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds on what a record may hold, checked by the one validator below
// (server and clients alike) and served in GET /v1/schema as x-ruhu-limits.
const (
	// MaxStringChars bounds a string field whose schema sets no maxLength.
	MaxStringChars = 2000
	// MaxValueDepth is the deepest nesting of arrays and objects in a
	// field value (a top-level array of objects is depth 2).
	MaxValueDepth = 4
	// MaxItemBytes bounds every string (and key) inside an array or object
	// value, in UTF-8 bytes.
	MaxItemBytes = 2000
	// MaxValueBytes bounds the encoded size of one array or object value.
	MaxValueBytes = 64 << 10
	// MaxRecordBytes bounds a mutation's fields: the sum of every name's
	// and encoded value's length.
	MaxRecordBytes = 256 << 10
	// MaxRefChars bounds a record or unit id a field refers to.
	MaxRefChars = 64
)

// RefPattern is what a reference field (TRef) may hold: a record id, or a
// unit id, which may also hold '.'.
const RefPattern = `^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`

var refRe = regexp.MustCompile(RefPattern)

// ValidationError is a field value a collection's schema refuses. Code is
// one of CodeUnknownField, CodeInvalidField, CodeInvalidIDNumber,
// CodeMissingField, CodeImmutableField.
type ValidationError struct {
	Code       string
	Collection string
	Field      string
	Message    string
}

func (e *ValidationError) Error() string { return e.Message }

func invalidf(collection, field, code, format string, args ...any) *ValidationError {
	return &ValidationError{Code: code, Collection: collection, Field: field, Message: fmt.Sprintf(format, args...)}
}

func invalidField(collection, field, want string) *ValidationError {
	return invalidf(collection, field, CodeInvalidField, "field %q must be %s", field, want)
}

// CheckFields checks the fields of an upsert of collection: their total
// size, then each field by name order (CheckValue). Required fields are
// checked apart (CheckRequired, CheckUpdate), once it is known whether the
// record is new. Codes: unknown_collection, unknown_field, invalid_field,
// invalid_id_number.
func (s SchemaSet) CheckFields(collection string, fields map[string]json.RawMessage) *ValidationError {
	if _, ok := s[collection]; !ok {
		return invalidf(collection, "", CodeUnknownCollection, "collection %q cannot be written by push", collection)
	}
	size := 0
	names := make([]string, 0, len(fields))
	for f, v := range fields {
		names = append(names, f)
		size += len(f) + len(v)
	}
	if size > MaxRecordBytes {
		return invalidf(collection, "", CodeInvalidField, "a record's fields hold at most %d bytes", MaxRecordBytes)
	}
	sort.Strings(names)
	for _, f := range names {
		if err := s.CheckValue(collection, f, fields[f]); err != nil {
			return err
		}
	}
	return nil
}

// CheckValue checks one value of field. null is always accepted here (it
// clears the field; CheckRequired and CheckUpdate refuse clearing a
// required one). Codes: unknown_field, invalid_field, invalid_id_number.
func (s SchemaSet) CheckValue(collection, field string, raw json.RawMessage) *ValidationError {
	spec, ok := s[collection].Fields[field]
	if !ok {
		return invalidf(collection, field, CodeUnknownField, "%s has no field %q", collection, field)
	}
	return spec.check(collection, field, raw)
}

// CheckRequired checks that a record about to be created has every required
// field, non-null. Code missing_field.
func (s SchemaSet) CheckRequired(collection string, fields map[string]json.RawMessage) *ValidationError {
	for _, f := range s[collection].Required {
		if v, ok := fields[f]; !ok || isNull(v) {
			return invalidf(collection, f, CodeMissingField, "%s requires %q", collection, f)
		}
	}
	return nil
}

// CheckUpdate checks the changes an upsert makes to an existing record: a
// field that may only be set on create does not change (immutable_field),
// and a required field is not cleared with null (missing_field).
func (s SchemaSet) CheckUpdate(collection string, changes map[string]json.RawMessage) *ValidationError {
	schema := s[collection]
	for _, f := range schema.Immutable {
		if _, ok := changes[f]; ok {
			return invalidf(collection, f, CodeImmutableField, "%s.%s cannot change once set", collection, f)
		}
	}
	for _, f := range schema.Required {
		if v, ok := changes[f]; ok && isNull(v) {
			return invalidf(collection, f, CodeMissingField, "%s requires %q; it cannot be cleared", collection, f)
		}
	}
	return nil
}

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// MaxChars is the most characters a string field holds.
func (spec FieldSpec) MaxChars() int {
	if spec.Type == TRef {
		return MaxRefChars
	}
	if spec.Max > 0 {
		return int(spec.Max)
	}
	return MaxStringChars
}

func (spec FieldSpec) check(coll, field string, raw json.RawMessage) *ValidationError {
	if isNull(raw) {
		return nil
	}
	s, plain := plainString(raw)
	if !plain {
		// Everything stored must have an RFC 8785 form, or the record
		// could never be hashed and signed: no duplicate keys, no lone
		// surrogates, no numbers beyond float64.
		if _, err := Canonical("v", "v", json.RawMessage(`{"v":`+string(raw)+`}`)); err != nil {
			return invalidField(coll, field, "JSON with a canonical form (no duplicate keys, lone surrogates or out-of-range numbers)")
		}
	}
	switch spec.Type {
	case TString, TRef, TEnum, TDate, TDateTime, TIDNumber:
		if !plain && json.Unmarshal(raw, &s) != nil {
			return invalidField(coll, field, "a string")
		}
		return spec.checkString(coll, field, s)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return invalidField(coll, field, "valid JSON")
	}
	switch spec.Type {
	case TNumber, TInteger:
		n, ok := v.(json.Number)
		if !ok {
			return invalidField(coll, field, "a number")
		}
		return spec.checkNumber(coll, field, n)
	case TBool:
		if _, ok := v.(bool); !ok {
			return invalidField(coll, field, "true or false")
		}
		return nil
	case TArray:
		a, ok := v.([]any)
		if !ok {
			return invalidField(coll, field, "an array")
		}
		if max := int(spec.Max); max > 0 && len(a) > max {
			return invalidf(coll, field, CodeInvalidField, "field %q holds at most %d items", field, max)
		}
	case TObject:
		if _, ok := v.(map[string]any); !ok {
			return invalidField(coll, field, "an object")
		}
	}
	return checkNested(coll, field, raw, v)
}

// checkNested bounds an array or object value: its encoded size
// (MaxValueBytes), its nesting (MaxValueDepth) and every string in it
// (MaxItemBytes), so that nothing megabytes long or thousands deep is
// stored, audited and sent to every tablet.
func checkNested(coll, field string, raw json.RawMessage, v any) *ValidationError {
	if len(raw) > MaxValueBytes {
		return invalidf(coll, field, CodeInvalidField, "field %q must encode to at most %d bytes", field, MaxValueBytes)
	}
	if !withinBounds(v, 1) {
		return invalidf(coll, field, CodeInvalidField, "field %q may nest at most %d deep and hold strings of at most %d bytes", field, MaxValueDepth, MaxItemBytes)
	}
	return nil
}

func withinBounds(v any, depth int) bool {
	switch x := v.(type) {
	case string:
		return len(x) <= MaxItemBytes
	case []any:
		if depth > MaxValueDepth {
			return false
		}
		for _, e := range x {
			if !withinBounds(e, depth+1) {
				return false
			}
		}
	case map[string]any:
		if depth > MaxValueDepth {
			return false
		}
		for k, e := range x {
			if len(k) > MaxItemBytes || !withinBounds(e, depth+1) {
				return false
			}
		}
	}
	return true
}

// plainString returns the content of a JSON string literal that has no
// escapes and no control characters, without the cost of json.Unmarshal.
func plainString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(body), true
}

func (spec FieldSpec) checkString(coll, field string, s string) *ValidationError {
	max := spec.MaxChars()
	if !utf8.ValidString(s) || ((spec.Type == TString || spec.Type == TRef) && utf8.RuneCountInString(s) > max) {
		return invalidf(coll, field, CodeInvalidField, "field %q must be valid UTF-8 of at most %d characters", field, max)
	}
	switch spec.Type {
	case TEnum:
		if !slices.Contains(spec.Enum, s) {
			return invalidf(coll, field, CodeInvalidField, "field %q must be one of %v", field, spec.Enum)
		}
	case TDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return invalidField(coll, field, "a date (YYYY-MM-DD)")
		}
	case TDateTime:
		if !ValidDateTime(s) {
			return invalidField(coll, field, "an RFC 3339 time")
		}
	case TIDNumber:
		if !ValidIDNumber(s) {
			return invalidf(coll, field, CodeInvalidIDNumber, "field %q is not a valid 18-character resident ID number", field)
		}
	case TRef:
		if !refRe.MatchString(s) {
			return invalidField(coll, field, "a record or unit id")
		}
	}
	return nil
}

// ValidDateTime reports whether s is an RFC 3339 date-time, as JSON
// Schema's format "date-time" has it: "T" or "t", seconds up to 60 for a
// leap second at 23:59 UTC, an optional fraction, and "Z", "z" or ±hh:mm.
func ValidDateTime(s string) bool {
	if len(s) < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return false
	}
	if _, err := time.Parse(time.DateOnly, s[:10]); err != nil {
		return false
	}
	h, okh := digits2(s[11:13], 23)
	m, okm := digits2(s[14:16], 59)
	sec, oks := digits2(s[17:19], 60)
	if !okh || !okm || !oks {
		return false
	}
	rest := s[19:]
	if frac, ok := strings.CutPrefix(rest, "."); ok {
		n := 0
		for n < len(frac) && frac[n] >= '0' && frac[n] <= '9' {
			n++
		}
		if n == 0 {
			return false
		}
		rest = frac[n:]
	}
	if rest != "Z" && rest != "z" {
		if len(rest) != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' {
			return false
		}
		zh, okzh := digits2(rest[1:3], 23)
		zm, okzm := digits2(rest[4:6], 59)
		if !okzh || !okzm {
			return false
		}
		off := zh*60 + zm
		if rest[0] == '+' {
			off = -off
		}
		hm := (h*60 + m + off + 24*60) % (24 * 60)
		h, m = hm/60, hm%60
	}
	return sec < 60 || (h == 23 && m == 59)
}

// digits2 reads two decimal digits of at most max.
func digits2(s string, max int) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	n := int(s[0]-'0')*10 + int(s[1]-'0')
	return n, n <= max
}

func (spec FieldSpec) checkNumber(coll, field string, n json.Number) *ValidationError {
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return invalidField(coll, field, "a finite number")
	}
	if spec.Type == TInteger && f != math.Trunc(f) {
		return invalidField(coll, field, "a whole number")
	}
	if spec.bounded() && (f < spec.Min || f > spec.Max) {
		return invalidf(coll, field, CodeInvalidField, "field %q must be between %v and %v", field, spec.Min, spec.Max)
	}
	return nil
}

// bounded reports whether a number field has a range (Min and Max are not
// both zero).
func (spec FieldSpec) bounded() bool { return spec.Min != 0 || spec.Max != 0 }
