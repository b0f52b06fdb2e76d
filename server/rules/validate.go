// Package rules holds ruhu's pure validation and policy rules: record
// schemas, record ids. No I/O, no clock.
package rules

import (
	"encoding/json"
	"regexp"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

var recordIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

var deviceIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)

// builtin is the schema set of a county that added no field.
var builtin = syncproto.SchemaSetWith(nil)

// ValidDeviceID reports whether id is an acceptable device id: 1–128
// characters of [A-Za-z0-9._:@-], starting with a letter or digit. It is
// written into sessions, keys and the audit log and shown to people.
func ValidDeviceID(id string) bool { return deviceIDRe.MatchString(id) }

// ValidRecordID reports whether id is an acceptable client-generated record
// id: a ULID, a UUID or similar, 1–64 characters of [A-Za-z0-9_-].
func ValidRecordID(id string) bool { return recordIDRe.MatchString(id) }

// ValidateMutation checks a mutation's shape: collection, op, id and, for an
// upsert, every field against the collection's schema in set (the built-in
// schemas when set is nil), with syncproto's validator — the one the
// clients run offline. Required fields are checked later, once it is known
// whether the record is new (CheckRequired, CheckUpdate). Codes:
// unknown_collection, invalid_op, invalid_record_id, unknown_field,
// invalid_field, invalid_id_number.
func ValidateMutation(set syncproto.SchemaSet, m *syncproto.Mutation) error {
	set = orBuiltin(set)
	if _, ok := set[m.Collection]; !ok {
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
	return coded(set.CheckFields(m.Collection, m.Fields))
}

// CheckRequired checks that a record about to be created has every required
// field of set (nil: built-in), non-null. Code missing_field.
func CheckRequired(set syncproto.SchemaSet, collection string, fields map[string]json.RawMessage) error {
	return coded(orBuiltin(set).CheckRequired(collection, fields))
}

// CheckUpdate checks the changes an upsert makes to an existing record: a
// field that may only be set on create does not change (immutable_field),
// and a required field is not cleared with null (missing_field).
func CheckUpdate(set syncproto.SchemaSet, collection string, changes map[string]json.RawMessage) error {
	return coded(orBuiltin(set).CheckUpdate(collection, changes))
}

// ValidateField checks one value against the collection's schema in set
// (nil: built-in). Codes: unknown_field, invalid_field, invalid_id_number.
func ValidateField(set syncproto.SchemaSet, collection, field string, v json.RawMessage) error {
	return coded(orBuiltin(set).CheckValue(collection, field, v))
}

func orBuiltin(set syncproto.SchemaSet) syncproto.SchemaSet {
	if set == nil {
		return builtin
	}
	return set
}

// coded turns the validator's refusal into a coded server error.
func coded(e *syncproto.ValidationError) error {
	if e == nil {
		return nil
	}
	return server.Errorf(e.Code, "%s", e.Message)
}
