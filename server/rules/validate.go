// Package rules holds ruhu's pure validation and policy rules: record
// schemas, record ids. No I/O, no clock.
package rules

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

var recordIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// refRe is what a reference may name: a record id, or a unit id, which
// may also hold '.' (see the admin API's unit ids).
var refRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

var deviceIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)

// ValidDeviceID reports whether id is an acceptable device id: 1–128
// characters of [A-Za-z0-9._:@-], starting with a letter or digit. It is
// written into sessions, keys and the audit log and shown to people.
func ValidDeviceID(id string) bool { return deviceIDRe.MatchString(id) }

// ValidRecordID reports whether id is an acceptable client-generated record
// id: a ULID, a UUID or similar, 1–64 characters of [A-Za-z0-9_-].
func ValidRecordID(id string) bool { return recordIDRe.MatchString(id) }

// defaultMaxString bounds strings whose spec sets no Max.
const defaultMaxString = 2000

// ValidateMutation checks a mutation's shape: collection, op, id and, for an
// upsert, every field against the collection's schema. Required fields are
// checked later, once it is known whether the record is new (CheckRequired,
// CheckUpdate). Codes: unknown_collection, invalid_op, invalid_record_id,
// unknown_field, invalid_field, invalid_id_number.
func ValidateMutation(m *syncproto.Mutation) error {
	schema, ok := syncproto.Schemas[m.Collection]
	if !ok {
		return server.Errorf(syncproto.CodeUnknownCollection, "collection %q cannot be written by push", m.Collection)
	}
	if m.Op != syncproto.OpUpsert && m.Op != syncproto.OpDelete {
		return server.Errorf(syncproto.CodeInvalidOp, "op must be upsert or delete")
	}
	if !ValidRecordID(m.ID) {
		return server.Errorf(syncproto.CodeInvalidID, "id must be 1–64 characters of letters, digits, '_' or '-'")
	}
	if m.BaseVersion < 0 {
		return server.Errorf(syncproto.CodeInvalidField, "base_version must not be negative")
	}
	if m.Op == syncproto.OpDelete {
		return nil
	}
	size := 0
	names := make([]string, 0, len(m.Fields))
	for f, v := range m.Fields {
		names = append(names, f)
		size += len(f) + len(v)
	}
	if max := DefaultLimits.MaxRecordBytes; size > max {
		return server.Errorf(syncproto.CodeInvalidField, "a record's fields hold at most %d bytes", max)
	}
	sort.Strings(names)
	for _, f := range names {
		spec, ok := schema.Fields[f]
		if !ok {
			return server.Errorf(syncproto.CodeUnknownField, "%s has no field %q", m.Collection, f)
		}
		if err := validateValue(f, spec, m.Fields[f]); err != nil {
			return err
		}
	}
	return nil
}

// CheckRequired checks that a record about to be created has every required
// field, non-null. Code missing_field.
func CheckRequired(collection string, fields map[string]json.RawMessage) error {
	for _, f := range syncproto.Schemas[collection].Required {
		if v, ok := fields[f]; !ok || isNull(v) {
			return server.Errorf(syncproto.CodeMissingField, "%s requires %q", collection, f)
		}
	}
	return nil
}

// CheckUpdate checks the changes an upsert makes to an existing record: a
// field that may only be set on create does not change (immutable_field),
// and a required field is not cleared with null (missing_field).
func CheckUpdate(collection string, changes map[string]json.RawMessage) error {
	schema := syncproto.Schemas[collection]
	for _, f := range schema.Immutable {
		if _, ok := changes[f]; ok {
			return server.Errorf(syncproto.CodeImmutableField, "%s.%s cannot change once set", collection, f)
		}
	}
	for _, f := range schema.Required {
		if v, ok := changes[f]; ok && isNull(v) {
			return server.Errorf(syncproto.CodeMissingField, "%s requires %q; it cannot be cleared", collection, f)
		}
	}
	return nil
}

// ValidateField checks one value against the collection's schema.
func ValidateField(collection, field string, v json.RawMessage) error {
	spec, ok := syncproto.Schemas[collection].Fields[field]
	if !ok {
		return server.Errorf(syncproto.CodeUnknownField, "%s has no field %q", collection, field)
	}
	return validateValue(field, spec, v)
}

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

func invalid(field, want string) error {
	return server.Errorf(syncproto.CodeInvalidField, "field %q must be %s", field, want)
}

func validateValue(field string, spec syncproto.FieldSpec, raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	s, plain := plainString(raw)
	if !plain {
		// Everything stored must have an RFC 8785 form, or the record
		// could never be hashed and signed: no duplicate keys, no lone
		// surrogates, no numbers beyond float64.
		if _, err := syncproto.Canonical("v", "v", json.RawMessage(`{"v":`+string(raw)+`}`)); err != nil {
			return invalid(field, "JSON with a canonical form (no duplicate keys, lone surrogates or out-of-range numbers)")
		}
	}
	switch spec.Type {
	case syncproto.TString, syncproto.TRef, syncproto.TEnum, syncproto.TDate, syncproto.TDateTime, syncproto.TIDNumber:
		if !plain && json.Unmarshal(raw, &s) != nil {
			return invalid(field, "a string")
		}
		return validateString(field, spec, s)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return invalid(field, "valid JSON")
	}
	switch spec.Type {
	case syncproto.TNumber, syncproto.TInteger:
		n, ok := v.(json.Number)
		if !ok {
			return invalid(field, "a number")
		}
		return validateNumber(field, spec, n)
	case syncproto.TBool:
		if _, ok := v.(bool); !ok {
			return invalid(field, "true or false")
		}
	case syncproto.TArray:
		a, ok := v.([]any)
		if !ok {
			return invalid(field, "an array")
		}
		if max := int(spec.Max); max > 0 && len(a) > max {
			return server.Errorf(syncproto.CodeInvalidField, "field %q holds at most %d items", field, max)
		}
	case syncproto.TObject:
		if _, ok := v.(map[string]any); !ok {
			return invalid(field, "an object")
		}
	}
	if spec.Type == syncproto.TArray || spec.Type == syncproto.TObject {
		return checkNested(field, raw, v)
	}
	return nil
}

// checkNested bounds an array or object value: its encoded size
// (MaxValueBytes), its nesting (MaxDepth) and every string in it
// (MaxItemBytes), so that nothing megabytes long or thousands deep is
// stored, audited and sent to every tablet. Code invalid_field.
func checkNested(field string, raw json.RawMessage, v any) error {
	lim := DefaultLimits
	if len(raw) > lim.MaxValueBytes {
		return server.Errorf(syncproto.CodeInvalidField, "field %q must encode to at most %d bytes", field, lim.MaxValueBytes)
	}
	if !withinBounds(v, 1, lim) {
		return server.Errorf(syncproto.CodeInvalidField, "field %q may nest at most %d deep and hold strings of at most %d bytes", field, lim.MaxDepth, lim.MaxItemBytes)
	}
	return nil
}

func withinBounds(v any, depth int, lim Limits) bool {
	switch x := v.(type) {
	case string:
		return len(x) <= lim.MaxItemBytes
	case []any:
		if depth > lim.MaxDepth {
			return false
		}
		for _, e := range x {
			if !withinBounds(e, depth+1, lim) {
				return false
			}
		}
	case map[string]any:
		if depth > lim.MaxDepth {
			return false
		}
		for k, e := range x {
			if len(k) > lim.MaxItemBytes || !withinBounds(e, depth+1, lim) {
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

func validateString(field string, spec syncproto.FieldSpec, s string) error {
	max := int(spec.Max)
	if max == 0 {
		max = defaultMaxString
	}
	if !utf8.ValidString(s) || len(s) > max {
		return server.Errorf(syncproto.CodeInvalidField, "field %q must be valid UTF-8 of at most %d bytes", field, max)
	}
	switch spec.Type {
	case syncproto.TEnum:
		if !slices.Contains(spec.Enum, s) {
			return server.Errorf(syncproto.CodeInvalidField, "field %q must be one of %v", field, spec.Enum)
		}
	case syncproto.TDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return invalid(field, "a date (YYYY-MM-DD)")
		}
	case syncproto.TDateTime:
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return invalid(field, "an RFC 3339 time")
		}
	case syncproto.TIDNumber:
		if !syncproto.ValidIDNumber(s) {
			return server.Errorf(syncproto.CodeInvalidIDNumber, "field %q is not a valid 18-character resident ID number", field)
		}
	case syncproto.TRef:
		if !refRe.MatchString(s) {
			return invalid(field, "a record or unit id")
		}
	}
	return nil
}

func validateNumber(field string, spec syncproto.FieldSpec, n json.Number) error {
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return invalid(field, "a finite number")
	}
	if spec.Type == syncproto.TInteger && f != math.Trunc(f) {
		return invalid(field, "a whole number")
	}
	if (spec.Min != 0 || spec.Max != 0) && (f < spec.Min || f > spec.Max) {
		return server.Errorf(syncproto.CodeInvalidField, "field %q must be between %v and %v", field, spec.Min, spec.Max)
	}
	return nil
}
