package clientsdk

import (
	"encoding/json"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// FuzzEditAgreesWithServer: whatever fields a program hands Create or
// Update, the tablet refuses them offline exactly when the server would
// refuse them on push, with the same code.
func FuzzEditAgreesWithServer(f *testing.F) {
	for _, s := range []string{
		`{"unit_id":"t1-v1","head_name":"户主","head_id_number":"530121199001010019","address":"东村","category":"dibao"}`,
		`{"unit_id":"t1-v1","head_name":"户主","head_id_number":"530121199001010018","address":"东村"}`,
		`{"head_name":null}`, `{"category":"rich"}`, `{"foo":1}`, `{"causes":[[[["x"]]]]}`, `{"single_person":"no"}`,
		`{"household_id":"hh1","name":"王","id_number":"53012119900101002X","relation":"配偶","disability_grade":4.5}`,
		`{"household_id":"hh1","per_capita_income":-1,"findings":"\ud800"}`, `{"application_date":"2024-02-30"}`,
	} {
		f.Add(s, uint8(0), true)
		f.Add(s, uint8(1), false)
	}
	f.Fuzz(func(t *testing.T, body string, coll uint8, create bool) {
		var raw map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &raw) != nil {
			return
		}
		collection := syncproto.ExtraCollections[int(coll)%len(syncproto.ExtraCollections)]
		fields := Fields{}
		for k, v := range raw {
			fields[k] = v
		}
		_, err := (*Client)(nil).checkEdit(collection, fields, create)
		client := ""
		if fe, ok := err.(*FieldError); ok {
			client = fe.Code
		} else if err != nil {
			return // not JSON the client would send
		}
		m := &syncproto.Mutation{Collection: collection, ID: "r1", Op: syncproto.OpUpsert, Fields: raw}
		serr := rules.ValidateMutation(nil, m)
		if serr == nil && create {
			serr = rules.CheckRequired(nil, collection, raw)
		} else if serr == nil {
			serr = rules.CheckUpdate(nil, collection, raw)
		}
		if want := server.ErrorCode(serr); client != want {
			t.Fatalf("%s %s (create %v): tablet %q, server %q (%v)", collection, body, create, client, want, serr)
		}
	})
}
