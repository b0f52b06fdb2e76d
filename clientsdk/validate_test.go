package clientsdk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/ruhutest"
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

// TestCountyFieldsOffline: after a sync the tablet knows the fields the
// county added and checks them offline as the server does; once removed
// (and synced again), they are unknown offline too.
func TestCountyFieldsOffline(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	admin := env.Login("admin", "pc-admin")
	admin.JSON(http.MethodPost, "/v1/admin/fields", syncproto.ExtraField{Collection: syncproto.CollHouseholds, Name: "housing",
		Type: syncproto.TEnum, Title: "住房类型", Enum: []string{"砖混", "土木"}, Required: true}, http.StatusCreated, nil)
	c, err := Open(t.TempDir(), env.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "worker1", ruhutest.Password); err != nil {
		t.Fatal(err)
	}
	hh := Fields{"unit_id": "t1-v1", "head_name": "户主", "head_id_number": ruhutest.IDNumber(7), "address": "东村"}
	code := func(f Fields) string {
		_, err := c.Create(ctx, syncproto.CollHouseholds, f)
		var fe *FieldError
		if errors.As(err, &fe) {
			return fe.Code
		}
		if err != nil {
			t.Fatal(err)
		}
		return ""
	}
	with := func(k string, v any) Fields {
		out := Fields{k: v}
		for k, v := range hh {
			out[k] = v
		}
		return out
	}
	if got := code(with("housing", "土木")); got != syncproto.CodeUnknownField {
		t.Errorf("before a sync the county's field is %q, want unknown_field", got)
	}
	if _, err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := code(hh); got != syncproto.CodeMissingField {
		t.Errorf("without the required county field: %q, want missing_field", got)
	}
	if got := code(with("housing", "别墅")); got != syncproto.CodeInvalidField {
		t.Errorf("a value outside the enum: %q", got)
	}
	if got := code(with("housing", "砖混")); got != "" {
		t.Errorf("a valid household: %q", got)
	}
	rep, err := c.Sync(ctx)
	if err != nil || len(rep.Rejected) != 0 {
		t.Fatalf("the server refused what the tablet accepted: %+v %v", rep, err)
	}
	admin.JSON(http.MethodDelete, "/v1/admin/fields/households/housing", nil, http.StatusNoContent, nil)
	if _, err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := code(with("housing", "砖混")); got != syncproto.CodeUnknownField {
		t.Errorf("after removal: %q, want unknown_field", got)
	}
}
