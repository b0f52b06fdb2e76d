package syncproto_test

import (
	"encoding/json"
	"testing"

	"github.com/ruhu-org/ruhu/syncproto"
)

func float(f float64) *float64 { return &f }

// exampleExtras are fields a county might add, one of each kind.
var exampleExtras = []syncproto.ExtraField{
	{Collection: "households", Name: "village_group", Type: syncproto.TString, Title: "村民小组", MaxLength: 20},
	{Collection: "households", Name: "housing", Type: syncproto.TEnum, Title: "住房类型", Enum: []string{"砖混", "土木", "危房"}, Required: true},
	{Collection: "members", Name: "insured", Type: syncproto.TBool, Title: "参加医保"},
	{Collection: "investigations", Name: "livestock", Type: syncproto.TInteger, Title: "牲畜头数", Minimum: float(0), Maximum: float(1000)},
	{Collection: "investigations", Name: "visit_date", Type: syncproto.TDate, Title: "回访日期"},
}

// TestSchemaDocumentGolden pins the document GET /v1/schema serves, built
// in and with a county's extra fields: any change to a schema shows here
// and changes the version.
func TestSchemaDocumentGolden(t *testing.T) {
	builtin := syncproto.SchemaSetWith(nil).Document()
	county := syncproto.SchemaSetWith(exampleExtras).Document()
	checkGolden(t, "testdata/schema/builtin.json", marshalGolden(t, builtin))
	checkGolden(t, "testdata/schema/county.json", marshalGolden(t, county))
	if builtin.Version == county.Version || len(builtin.Version) != 16 {
		t.Errorf("versions %q and %q: want two different 16-hex versions", builtin.Version, county.Version)
	}
	if again := syncproto.SchemaSetWith(exampleExtras).Document(); again.Version != county.Version {
		t.Errorf("the same schemas give versions %q and %q", again.Version, county.Version)
	}
	// The built-in Schemas are not changed by a county's extras.
	if _, ok := syncproto.Schemas["households"].Fields["housing"]; ok {
		t.Error("SchemaSetWith changed the built-in Schemas")
	}
	h := county.Collections["households"]
	if p := h.Properties["housing"]; p == nil || !p.Extra || p.Title != "住房类型" {
		t.Errorf("housing = %+v, want an extra field titled 住房类型", p)
	}
	if want := []string{"address", "head_id_number", "head_name", "housing", "unit_id"}; !equal(h.Required, want) {
		t.Errorf("households required = %v, want %v", h.Required, want)
	}
}

func equal(a, b []string) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
