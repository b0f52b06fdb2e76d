package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

var _ server.SchemaService = (*Engine)(nil)

// extraNameRe is what a county-defined field may be called.
var extraNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// schemaSet returns the schemas of the actor's county: the built-in ones
// plus the fields the county added, loaded once per transaction.
func (t *txn) schemaSet() (syncproto.SchemaSet, error) {
	if t.schemas != nil {
		return t.schemas, nil
	}
	var extras []syncproto.ExtraField
	if county := CountyOf(t.a.UnitPath); county != "" {
		var err error
		if extras, err = t.tx.SchemaFields(county); err != nil {
			return nil, fmt.Errorf("load schema fields: %w", err)
		}
	}
	t.schemas = syncproto.SchemaSetWith(extras)
	return t.schemas, nil
}

// Schema returns the JSON Schema document of the actor's county.
func (e *Engine) Schema(ctx context.Context, a *server.Actor) (*syncproto.SchemaDocument, error) {
	var doc *syncproto.SchemaDocument
	err := e.read(ctx, a, func(t *txn) error {
		set, err := t.schemaSet()
		if err != nil {
			return err
		}
		doc = set.Document()
		return nil
	})
	return doc, err
}

// requireCountyAdmin refuses anyone but an admin of a whole county: fields
// are the county's, not a township's.
func requireCountyAdmin(a *server.Actor) (string, error) {
	if err := requireAdmin(a); err != nil {
		return "", err
	}
	county := CountyOf(a.UnitPath)
	if county == "" || a.UnitPath != "/"+county+"/" {
		return "", server.Errorf(syncproto.CodeForbidden, "only an admin of the whole county may change its fields")
	}
	return county, nil
}

// AddField adds a field to a collection of the admin's county, audited.
// Codes: forbidden, validation_failed, builtin_field, already_exists.
func (e *Engine) AddField(ctx context.Context, a *server.Actor, f syncproto.ExtraField) (*syncproto.ExtraField, error) {
	county, err := requireCountyAdmin(a)
	if err != nil {
		return nil, err
	}
	if err := checkExtraField(&f); err != nil {
		return nil, err
	}
	f.CreatedBy, f.CreatedAt = a.UserID, ts(e.now())
	err = e.write(ctx, a, func(t *txn) error {
		have, err := t.tx.SchemaFields(county)
		if err != nil {
			return err
		}
		n := 0
		for _, h := range have {
			if h.Collection == f.Collection {
				n++
			}
		}
		if n >= syncproto.MaxExtraFields {
			return server.Errorf(syncproto.CodeValidation, "%s has %d added fields already, the most a county may add", f.Collection, n)
		}
		err = t.tx.InsertSchemaField(county, f)
		if errors.Is(err, server.ErrExists) {
			return server.Errorf(syncproto.CodeAlreadyExists, "%s already has a field %q; remove it first", f.Collection, f.Name)
		}
		if err != nil {
			return err
		}
		return t.audit("schema_field.add", "schema_field", f.Collection+"."+f.Name, f)
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// ListFields lists the fields the admin's county added. Code forbidden.
func (e *Engine) ListFields(ctx context.Context, a *server.Actor) ([]syncproto.ExtraField, error) {
	county, err := requireCountyAdmin(a)
	if err != nil {
		return nil, err
	}
	var out []syncproto.ExtraField
	err = e.read(ctx, a, func(t *txn) error {
		out, err = t.tx.SchemaFields(county)
		return err
	})
	if out == nil {
		out = []syncproto.ExtraField{}
	}
	return out, err
}

// RemoveField removes an added field, audited. Records keep the values
// they hold; pushes that set the field are refused as unknown_field.
// Codes: forbidden, not_found.
func (e *Engine) RemoveField(ctx context.Context, a *server.Actor, collection, name string) error {
	county, err := requireCountyAdmin(a)
	if err != nil {
		return err
	}
	return e.write(ctx, a, func(t *txn) error {
		ok, err := t.tx.DeleteSchemaField(county, collection, name)
		if err != nil {
			return err
		}
		if !ok {
			return server.Errorf(syncproto.CodeNotFound, "%s has no added field %q", collection, name)
		}
		return t.audit("schema_field.remove", "schema_field", collection+"."+name, nil)
	})
}

// checkExtraField checks a field definition and clears what its type does
// not use. Codes: validation_failed, builtin_field.
func checkExtraField(f *syncproto.ExtraField) error {
	bad := func(format string, args ...any) error {
		return server.Errorf(syncproto.CodeValidation, format, args...)
	}
	switch {
	case !slices.Contains(syncproto.ExtraCollections, f.Collection):
		return bad("collection must be one of %s", strings.Join(syncproto.ExtraCollections, ", "))
	case !extraNameRe.MatchString(f.Name):
		return bad("name must be 1–40 characters of a-z, 0-9 and '_', starting with a letter")
	case !slices.Contains(syncproto.ExtraTypes, f.Type):
		return bad("type must be one of %v", syncproto.ExtraTypes)
	case !label(f.Title, 50):
		return bad("title is required (at most 50 characters)")
	}
	if _, ok := syncproto.Schemas[f.Collection].Fields[f.Name]; ok {
		return server.Errorf(syncproto.CodeBuiltinField, "%s.%s is a built-in field and cannot be redefined", f.Collection, f.Name)
	}
	if f.Type != syncproto.TEnum && len(f.Enum) > 0 {
		return bad("enum is for fields of type enum")
	}
	if f.Type != syncproto.TString && f.MaxLength != 0 {
		return bad("max_length is for fields of type string")
	}
	if f.Type != syncproto.TNumber && f.Type != syncproto.TInteger && (f.Minimum != nil || f.Maximum != nil) {
		return bad("minimum and maximum are for fields of type number or integer")
	}
	return checkExtraBounds(f)
}

func checkExtraBounds(f *syncproto.ExtraField) error {
	bad := func(format string, args ...any) error {
		return server.Errorf(syncproto.CodeValidation, format, args...)
	}
	if f.Type == syncproto.TEnum {
		if len(f.Enum) < 1 || len(f.Enum) > 100 {
			return bad("enum must list 1–100 values")
		}
		for i, v := range f.Enum {
			if !label(v, 100) || slices.Contains(f.Enum[:i], v) {
				return bad("enum values must be distinct, of 1–100 characters")
			}
		}
	}
	if f.MaxLength < 0 || f.MaxLength > syncproto.MaxStringChars {
		return bad("max_length must be 1–%d", syncproto.MaxStringChars)
	}
	if (f.Minimum == nil) != (f.Maximum == nil) {
		return bad("give both minimum and maximum, or neither")
	}
	if f.Minimum != nil {
		lo, hi := *f.Minimum, *f.Maximum
		if math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi || (lo == 0 && hi == 0) {
			return bad("minimum must not exceed maximum, and the range must not be [0, 0]")
		}
	}
	return nil
}

// label reports whether s is a non-blank, valid UTF-8 label of at most max
// characters.
func label(s string, max int) bool {
	return utf8.ValidString(s) && strings.TrimSpace(s) != "" && utf8.RuneCountInString(s) <= max
}
