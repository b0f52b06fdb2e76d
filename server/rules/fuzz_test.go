package rules_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// pushSeeds are push bodies a device could send, valid and not.
var pushSeeds = []string{
	`{"device_id":"tab-01","mutations":[{"mutation_id":1,"collection":"households","id":"hh1","op":"upsert","base_version":0,
	  "fields":{"unit_id":"t1-v1","head_name":"户主","head_id_number":"530121199001010019","address":"东村","category":"dibao"}}]}`,
	`{"device_id":"tab-01","mutations":[{"mutation_id":2,"collection":"members","id":"m1","op":"upsert","base_version":7,
	  "fields":{"household_id":"hh1","name":"王秀英","id_number":"53012119900101002X","relation":"配偶","disability_grade":2,"income_items":[{"amount":1476.00}]}}]}`,
	`{"device_id":"d","mutations":[{"mutation_id":3,"collection":"investigations","id":"i1","op":"upsert","fields":
	  {"household_id":"hh1","per_capita_income":3908.50,"income_items":[{"a":1e400}],"findings":"\ud800","causes":null}}]}`,
	`{"device_id":"d","mutations":[{"mutation_id":4,"collection":"signatures","id":"s1","op":"upsert","fields":
	  {"investigation_id":"i1","key_id":"ed25519:00","content_hash":"ab","signature":"x==","signed_at":"2024-03-18T09:41:07+08:00"}}]}`,
	`{"device_id":"d","mutations":[{"mutation_id":5,"collection":"households","id":"hh1","op":"delete","base_version":-1}]}`,
	`{"device_id":"d","mutations":[{"mutation_id":6,"collection":"photos","id":"../x","op":"patch","fields":{"a":{"a":1,"a":2}}}]}`,
	`{"device_id":"d","mutations":[{"collection":"households","id":"","op":"upsert","fields":{"unit_id":1,"single_person":"no","application_date":"2024-02-30"}}]}`,
	`{"mutations":null}`, `{}`, `[]`, `null`, `{"mutations":[{"fields":[]}]}`,
}

// FuzzPushDecode decodes arbitrary bytes as a push body, as the API does,
// and runs every mutation through rules.ValidateMutation. It must never
// panic; a rejection always carries a code; an accepted upsert holds only
// schema fields whose values validate on their own and can be hashed.
func FuzzPushDecode(f *testing.F) {
	for _, s := range pushSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req syncproto.PushRequest
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&req); err != nil {
			return
		}
		for i := range req.Mutations {
			m := &req.Mutations[i]
			err := rules.ValidateMutation(nil, m)
			if err != nil {
				if server.ErrorCode(err) == "" || server.ErrorMessage(err) == "" {
					t.Fatalf("mutation %+v: rejection without code or message: %v", m, err)
				}
				continue
			}
			schema, ok := syncproto.Schemas[m.Collection]
			if !ok || !rules.ValidRecordID(m.ID) || m.BaseVersion < 0 ||
				(m.Op != syncproto.OpUpsert && m.Op != syncproto.OpDelete) {
				t.Fatalf("accepted an invalid mutation %+v", m)
			}
			if m.Op == syncproto.OpDelete {
				continue
			}
			for name, v := range m.Fields {
				if _, ok := schema.Fields[name]; !ok {
					t.Fatalf("accepted unknown field %s.%s", m.Collection, name)
				}
				if err := rules.ValidateField(nil, m.Collection, name, v); err != nil {
					t.Fatalf("field %s accepted in a mutation but not alone: %v", name, err)
				}
			}
			if m.Fields == nil {
				m.Fields = map[string]json.RawMessage{} // as the server does
			}
			fields, err := json.Marshal(m.Fields)
			if err != nil {
				t.Fatalf("accepted fields do not re-encode: %v", err)
			}
			if _, err := syncproto.ContentHash(m.Collection, m.ID, fields); err != nil {
				t.Fatalf("accepted fields %s cannot be hashed: %v", fields, err)
			}
			_ = rules.CheckRequired(nil, m.Collection, m.Fields)
			_ = rules.CheckUpdate(nil, m.Collection, m.Fields)
		}
	})
}
