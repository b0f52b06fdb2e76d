package rules_test

import (
	"encoding/json"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Values without an RFC 8785 form would make the investigation unhashable
// (and every later push of the device fail), so they are rejected up front.
func TestValidateRejectsUncanonicalizableValues(t *testing.T) {
	for _, raw := range []string{`[{"a":1,"a":2}]`, `["\ud800"]`, `[1e400]`, `"\ud800"`} {
		m := &syncproto.Mutation{Collection: "investigations", ID: "inv1", Op: "upsert",
			Fields: map[string]json.RawMessage{"income_items": json.RawMessage(raw)}}
		if raw[0] == '"' {
			m.Fields = map[string]json.RawMessage{"findings": json.RawMessage(raw)}
		}
		if code := server.ErrorCode(rules.ValidateMutation(nil, m)); code != syncproto.CodeInvalidField {
			t.Errorf("%s: code %q, want invalid_field", raw, code)
		}
	}
	ok := &syncproto.Mutation{Collection: "investigations", ID: "inv1", Op: "upsert",
		Fields: map[string]json.RawMessage{"income_items": json.RawMessage(`[{"type":"工资","amount":1200.5}]`),
			"findings": json.RawMessage(`"家中有\"重病\"患者"`)}}
	if err := rules.ValidateMutation(nil, ok); err != nil {
		t.Errorf("valid investigation refused: %v", err)
	}
}
