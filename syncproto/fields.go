package syncproto

import (
	"maps"
	"slices"
)

// ExtraField is a field a county adds to one of its collections (POST
// /v1/admin/fields): served in GET /v1/schema with x-ruhu-extra, checked on
// push like a built-in field, pulled with the record. Removing it keeps the
// values already stored; a push that sets it is then refused as
// unknown_field.
type ExtraField struct {
	// Collection is one of ExtraCollections.
	Collection string `json:"collection"`
	// Name is 1–40 characters of [a-z0-9_], starting with a letter, and
	// not a built-in field of the collection.
	Name string `json:"name"`
	// Type is one of ExtraTypes.
	Type FieldType `json:"type"`
	// Title is the label shown to people (1–50 characters).
	Title string `json:"title"`
	// Enum lists the values of a TEnum field (1–100 of 1–100 characters).
	Enum []string `json:"enum,omitempty"`
	// Required fields must be set when a record is created.
	Required bool `json:"required,omitempty"`
	// MaxLength bounds a TString field in characters (default and at most
	// 2000).
	MaxLength int `json:"max_length,omitempty"`
	// Minimum and Maximum bound a TNumber or TInteger field (both or
	// neither).
	Minimum *float64 `json:"minimum,omitempty"`
	Maximum *float64 `json:"maximum,omitempty"`
	// CreatedBy and CreatedAt are set by the server.
	CreatedBy string `json:"created_by,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
}

// ExtraFieldList is the body of GET /v1/admin/fields.
type ExtraFieldList struct {
	Fields []ExtraField `json:"fields"`
}

// ExtraCollections are the collections a county may add fields to.
var ExtraCollections = []string{CollHouseholds, CollMembers, CollInvestigations}

// ExtraTypes are the types a county-defined field may have.
var ExtraTypes = []FieldType{TString, TInteger, TNumber, TBool, TDate, TEnum}

// MaxExtraFields bounds the fields a county adds to one collection.
const MaxExtraFields = 50

// Spec is the FieldSpec the field is checked against.
func (f ExtraField) Spec() FieldSpec {
	s := FieldSpec{Type: f.Type, Title: f.Title, Enum: f.Enum, Extra: true}
	switch f.Type {
	case TString:
		s.Max = float64(f.MaxLength)
	case TNumber, TInteger:
		if f.Minimum != nil && f.Maximum != nil {
			s.Min, s.Max = *f.Minimum, *f.Maximum
		}
	}
	return s
}

// SchemaSet is the schemas of every collection as one county has them: the
// built-in Schemas plus the county's extra fields.
type SchemaSet map[string]Schema

// SchemaSetWith returns the built-in Schemas with extras added. Extras
// naming an unknown collection or a built-in field are left out (the
// server never stores such a field).
func SchemaSetWith(extras []ExtraField) SchemaSet {
	set := make(SchemaSet, len(Schemas))
	maps.Copy(set, Schemas)
	cloned := map[string]bool{}
	for _, f := range extras {
		s, ok := set[f.Collection]
		if _, builtin := Schemas[f.Collection].Fields[f.Name]; !ok || builtin {
			continue
		}
		if !cloned[f.Collection] {
			s.Fields, s.Required = maps.Clone(s.Fields), slices.Clone(s.Required)
			cloned[f.Collection] = true
		}
		s.Fields[f.Name] = f.Spec()
		if f.Required && !slices.Contains(s.Required, f.Name) {
			s.Required = append(s.Required, f.Name)
		}
		set[f.Collection] = s
	}
	return set
}
