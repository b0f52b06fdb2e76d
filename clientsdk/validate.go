package clientsdk

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ruhu-org/ruhu/syncproto"
)

// writable reports whether the device edits collection through
// Create/Update/Delete. Signatures are made by Sign; photos by the server.
func writable(collection string) bool {
	switch collection {
	case syncproto.CollHouseholds, syncproto.CollMembers, syncproto.CollInvestigations, syncproto.CollReviews:
		return true
	}
	return false
}

// checkEdit turns fields into raw JSON and checks them against the
// collection's schema, so that a tablet learns of a mistake at once rather
// than after the next sync. The server checks everything again.
func (c *Client) checkEdit(collection string, fields Fields, create bool) (fieldMap, error) {
	if !writable(collection) {
		return nil, fmt.Errorf("%w: collection %q is not written with Create/Update", ErrInvalidRecord, collection)
	}
	schema := syncproto.Schemas[collection]
	raw, err := toRaw(fields)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(raw))
	for f := range raw {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		spec, ok := schema.Fields[f]
		if !ok {
			return nil, &FieldError{Collection: collection, Field: f, Problem: "is not a field of " + collection,
				Valid: FieldNames(collection)}
		}
		if problem := checkValue(spec, raw[f]); problem != "" {
			return nil, &FieldError{Collection: collection, Field: f, Problem: problem}
		}
	}
	if create {
		for _, f := range schema.Required {
			if isNull(raw[f]) {
				return nil, &FieldError{Collection: collection, Field: f, Problem: "is required"}
			}
		}
	}
	return raw, nil
}

// toRaw marshals each value; json.RawMessage passes through.
func toRaw(fields Fields) (fieldMap, error) {
	out := fieldMap{}
	for f, v := range fields {
		if raw, ok := v.(json.RawMessage); ok {
			if !json.Valid(raw) {
				return nil, fmt.Errorf("%w: field %q is not valid JSON", ErrInvalidRecord, f)
			}
			out[f] = raw
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%w: field %q: %v", ErrInvalidRecord, f, err)
		}
		out[f] = b
	}
	return out, nil
}

// FieldError says which field of an edit is wrong and why. It matches
// ErrInvalidRecord with errors.Is.
type FieldError struct {
	Collection string
	Field      string
	// Problem completes a sentence that starts with the field's name:
	// "is required", "must be a number", ….
	Problem string
	// Valid lists the collection's fields when Field is not one of them.
	Valid []string
}

func (e *FieldError) Error() string {
	msg := fmt.Sprintf("clientsdk: invalid record: %s field %q %s", e.Collection, e.Field, e.Problem)
	if len(e.Valid) > 0 {
		msg += fmt.Sprintf(" (fields: %s)", strings.Join(e.Valid, ", "))
	}
	return msg
}

// Is makes errors.Is(err, ErrInvalidRecord) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidRecord }

// FieldNames lists the fields of a collection's schema, sorted.
func FieldNames(collection string) []string {
	names := make([]string, 0, len(syncproto.Schemas[collection].Fields))
	for f := range syncproto.Schemas[collection].Fields {
		names = append(names, f)
	}
	sort.Strings(names)
	return names
}

// checkValue checks a value's JSON type, enum and ID number and returns
// what is wrong with it, or "".
func checkValue(spec syncproto.FieldSpec, raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "is not valid JSON"
	}
	bad := func(want string) string { return "must be " + want }
	switch spec.Type {
	case syncproto.TNumber, syncproto.TInteger:
		if _, ok := v.(float64); !ok {
			return bad("a number")
		}
	case syncproto.TBool:
		if _, ok := v.(bool); !ok {
			return bad("true or false")
		}
	case syncproto.TArray:
		if _, ok := v.([]any); !ok {
			return bad("an array")
		}
	case syncproto.TObject:
		if _, ok := v.(map[string]any); !ok {
			return bad("an object")
		}
	default:
		s, ok := v.(string)
		switch {
		case !ok:
			return bad("a string")
		case spec.Type == syncproto.TEnum && !slices.Contains(spec.Enum, s):
			return bad(fmt.Sprintf("one of %v", spec.Enum))
		case spec.Type == syncproto.TIDNumber && !syncproto.ValidIDNumber(s):
			return "is not a valid resident ID number: " + IDNumberProblem(s)
		}
	}
	return ""
}

// IDNumberProblem says what is wrong with a resident ID number (GB 11643:
// 6-digit region, 8-digit birth date, 3-digit sequence, check character),
// or "" when it is valid.
func IDNumberProblem(s string) string {
	if n := utf8.RuneCountInString(s); n != 18 {
		return fmt.Sprintf("it has %d characters, want 18", n)
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Sprintf("character %d is %q, want a digit (only the last may be X)", i+1, s[i])
		}
	}
	if s[0] == '0' {
		return fmt.Sprintf("the region code %s does not exist", s[:6])
	}
	if _, err := time.Parse("20060102", s[6:14]); err != nil {
		return fmt.Sprintf("the birth date %s (characters 7–14) is not a date", s[6:14])
	}
	if want := syncproto.IDCheckChar(s[:17]); s[17] != want {
		return fmt.Sprintf("the check digit (last character) is %c, but for the first 17 digits it must be %c: a digit was mistyped", s[17], want)
	}
	if !syncproto.ValidIDNumber(s) {
		return "it is not valid"
	}
	return ""
}
