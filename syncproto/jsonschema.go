package syncproto

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sort"
)

// JSONSchemaDialect is the JSON Schema version of every collection schema.
const JSONSchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// FormatIDNumber is the JSON Schema format of a resident ID number: 18
// characters of GB 11643 with a valid birth date and check character
// (ValidIDNumber).
const FormatIDNumber = "id-number"

// SchemaDocument is the body of GET /v1/schema: the schema of every
// collection as the caller's county has it, as JSON Schema 2020-12.
// Version changes whenever anything else in the document changes; it is
// also the response's ETag.
type SchemaDocument struct {
	Version     string                       `json:"version"`
	Collections map[string]*CollectionSchema `json:"collections"`
	// Codes maps the keyword a value fails to the error code the server
	// answers: "required", "additionalProperties", "format:id-number",
	// "x-ruhu-immutable", and "*" for every other keyword.
	Codes map[string]string `json:"x-ruhu-codes"`
	// Limits are the bounds no keyword expresses (SchemaLimits).
	Limits SchemaLimits `json:"x-ruhu-limits"`
}

// SchemaLimits are the bounds of the validator that JSON Schema keywords
// do not carry: see the constants of the same names.
type SchemaLimits struct {
	MaxRecordBytes int `json:"maxRecordBytes"`
	MaxValueBytes  int `json:"maxValueBytes"`
	MaxValueDepth  int `json:"maxValueDepth"`
	MaxItemBytes   int `json:"maxItemBytes"`
}

// CollectionSchema is the JSON Schema of one collection's record fields.
// Any property may also be null, which clears it (but not a required one).
type CollectionSchema struct {
	Schema               string                     `json:"$schema"`
	Title                string                     `json:"title,omitempty"`
	Type                 string                     `json:"type"`
	Properties           map[string]*PropertySchema `json:"properties"`
	Required             []string                   `json:"required"`
	AdditionalProperties bool                       `json:"additionalProperties"`
}

// PropertySchema is the JSON Schema of one field, with ruhu's extension
// keywords. maxLength counts characters (Unicode code points).
type PropertySchema struct {
	Type      string   `json:"type"`
	Title     string   `json:"title,omitempty"`
	Enum      []string `json:"enum,omitempty"`
	Format    string   `json:"format,omitempty"`
	Pattern   string   `json:"pattern,omitempty"`
	MaxLength *int     `json:"maxLength,omitempty"`
	Minimum   *float64 `json:"minimum,omitempty"`
	Maximum   *float64 `json:"maximum,omitempty"`
	MaxItems  *int     `json:"maxItems,omitempty"`
	// Sensitive values are masked where shown to people who do not need
	// them.
	Sensitive bool `json:"x-ruhu-sensitive,omitempty"`
	// Immutable fields are set on create and never changed.
	Immutable bool `json:"x-ruhu-immutable,omitempty"`
	// Extra fields were defined by the county (ExtraField).
	Extra bool `json:"x-ruhu-extra,omitempty"`
	// Ref fields hold a record or unit id.
	Ref bool `json:"x-ruhu-ref,omitempty"`
}

// SchemaCodes is SchemaDocument.Codes.
var SchemaCodes = map[string]string{
	"required":             CodeMissingField,
	"additionalProperties": CodeUnknownField,
	"format:id-number":     CodeInvalidIDNumber,
	"x-ruhu-immutable":     CodeImmutableField,
	"*":                    CodeInvalidField,
}

// Document returns the JSON Schema document of the set, with its version.
func (s SchemaSet) Document() *SchemaDocument {
	doc := &SchemaDocument{Collections: map[string]*CollectionSchema{}, Codes: SchemaCodes,
		Limits: SchemaLimits{MaxRecordBytes: MaxRecordBytes, MaxValueBytes: MaxValueBytes,
			MaxValueDepth: MaxValueDepth, MaxItemBytes: MaxItemBytes}}
	for name, schema := range s {
		doc.Collections[name] = schema.JSONSchema()
	}
	body, _ := json.Marshal(doc) // plain data always marshals
	sum := sha256.Sum256(body)
	doc.Version = hex.EncodeToString(sum[:8])
	return doc
}

// JSONSchema returns the collection's JSON Schema.
func (schema Schema) JSONSchema() *CollectionSchema {
	c := &CollectionSchema{Schema: JSONSchemaDialect, Title: schema.Title, Type: "object",
		Properties: map[string]*PropertySchema{}, Required: slices.Clone(schema.Required)}
	if c.Required == nil {
		c.Required = []string{}
	}
	sort.Strings(c.Required)
	for name, spec := range schema.Fields {
		p := spec.JSONSchema()
		p.Immutable = slices.Contains(schema.Immutable, name)
		c.Properties[name] = p
	}
	return c
}

// JSONSchema returns the field's JSON Schema.
func (spec FieldSpec) JSONSchema() *PropertySchema {
	p := &PropertySchema{Title: spec.Title, Sensitive: spec.Sensitive, Extra: spec.Extra}
	switch spec.Type {
	case TNumber, TInteger:
		p.Type = string(spec.Type)
		if spec.bounded() {
			lo, hi := spec.Min, spec.Max
			p.Minimum, p.Maximum = &lo, &hi
		}
		return p
	case TBool:
		p.Type = "boolean"
		return p
	case TArray:
		p.Type = "array"
		if spec.Max > 0 {
			n := int(spec.Max)
			p.MaxItems = &n
		}
		return p
	case TObject:
		p.Type = "object"
		return p
	}
	p.Type = "string"
	if spec.Type == TString || spec.Type == TRef {
		n := spec.MaxChars()
		p.MaxLength = &n
	}
	switch spec.Type {
	case TEnum:
		p.Enum = spec.Enum
	case TDate:
		p.Format = "date"
	case TDateTime:
		p.Format = "date-time"
	case TIDNumber:
		p.Format = FormatIDNumber
	case TRef:
		p.Pattern, p.Ref = RefPattern, true
	}
	return p
}
