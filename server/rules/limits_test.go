package rules_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// TestNestedValuesAreBounded: size limits reach inside arrays and objects
// (issue 13, class 6).
func TestNestedValuesAreBounded(t *testing.T) {
	deep := strings.Repeat("[", 50) + strings.Repeat("]", 50)
	item := `[{"member_id":"m1","type":"` + strings.Repeat("x", 5000) + `","amount":1}]`
	many := "[" + strings.Repeat(`{"member_id":"m1","type":"`+strings.Repeat("y", 1500)+`","amount":1},`, 90) + `{"amount":1}]`
	scenarios := []struct {
		name, value string
		ok          bool
	}{
		{"ordinary", `[{"member_id":"m1","type":"basic_pension","amount":1476,"exempt":true}]`, true},
		{"nested 50 deep", deep, false},
		{"a 5,000-byte string inside", item, false},
		{"130 KB of items", many, false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m := &syncproto.Mutation{Collection: syncproto.CollInvestigations, ID: "inv1", Op: syncproto.OpUpsert,
				Fields: map[string]json.RawMessage{"income_items": json.RawMessage(sc.value)}}
			err := rules.ValidateMutation(nil, m)
			if sc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !sc.ok && server.ErrorCode(err) != syncproto.CodeInvalidField {
				t.Fatalf("got %v, want invalid_field", err)
			}
		})
	}
}
