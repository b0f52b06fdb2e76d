package clientsdk

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/ruhu-org/ruhu/syncproto"
)

// writable reports whether the device edits collection through
// Create/Update/Delete. Signatures are made by Sign; photos by the server.
func writable(collection string) bool {
	switch collection {
	case syncproto.CollHouseholds, syncproto.CollMembers, syncproto.CollInvestigations:
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
			return nil, fmt.Errorf("%w: %s has no field %q", ErrInvalidRecord, collection, f)
		}
		if err := checkValue(f, spec, raw[f]); err != nil {
			return nil, err
		}
	}
	if create {
		for _, f := range schema.Required {
			if isNull(raw[f]) {
				return nil, fmt.Errorf("%w: %s requires %q", ErrInvalidRecord, collection, f)
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

// checkValue checks a value's JSON type, enum and ID number.
func checkValue(field string, spec syncproto.FieldSpec, raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("%w: field %q is not valid JSON", ErrInvalidRecord, field)
	}
	bad := func(want string) error {
		return fmt.Errorf("%w: field %q must be %s", ErrInvalidRecord, field, want)
	}
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
			return bad("a valid 18-character resident ID number")
		}
	}
	return nil
}
