package syncproto_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Ids shared by the wire examples. They tell one story: two village workers
// of 石桥村 visit household 张建国, record an investigation and sign it.
const (
	unitCounty   = "01HS9Z0A1B2C3D4E5F6G7H8J9K"
	unitTownship = "01HS9Z1B2C3D4E5F6G7H8J9K0M"
	unitVillage  = "01HS9Z2C3D4E5F6G7H8J9K0M1N"

	userZhang = "01HT0A1B2C3D4E5F6G7H8J9K0M" // village_worker
	userLi    = "01HT0A2B3C4D5E6F7G8H9J0K1M" // village_worker
	userWang  = "01HT0A3B4C5D6E7F8G9H0J1K2M" // township_reviewer

	deviceID = "tab-7f3c2a91"

	householdID      = "01HV7Q0YB4N9Y3K8C2M5T6RD1A"
	householdAlias   = "01HV9A0B1C2D3E4F5G6H7J8K9M" // a duplicate created offline
	memberHeadID     = "01HV7Q1C7WQX4M2N8P5R3S6T9V"
	memberSpouseID   = "01HV7Q1J3ZK6F8H2G4D9B7C5XE"
	memberMovedID    = "01HV7Q1N5P7Q9R1S3T5V7W9X1Y"
	householdMovedID = "01HV5H0A1B2C3D4E5F6G7H8J9K" // moved to a village outside the caller's subtree
	signatureZhang   = "01HV7Q6T2W9X5Y8Z3A6B4C7D0E"
	signatureLi      = "01HV7Q6V3X0Y6Z9A4B7C5D8E1F"
	conflictField    = "01HV8C0A1B2C3D4E5F6G7H8J9K"
	conflictPerson   = "01HV8C1B2C3D4E5F6G7H8J9K0M"
	conflictDup      = "01HV8C2C3D4E5F6G7H8J9K0M1N"
	headIDNumber     = "11010519491231002X"
	spouseIDNumber   = "440524188001010014"
	photoSHA256      = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	photoSHA256Have  = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// signatureRecord returns the fields of a signatures record by the test key
// over the example investigation, as a device pushes it.
func signatureRecord(t *testing.T) (json.RawMessage, string) {
	t.Helper()
	priv := testKey()
	hash, err := syncproto.ContentHash(syncproto.CollInvestigations, exampleInvestigationID, raw(exampleInvestigationFields))
	if err != nil {
		t.Fatal(err)
	}
	fields, err := json.Marshal(map[string]string{
		"investigation_id": exampleInvestigationID,
		"key_id":           syncproto.KeyID(priv.Public().(ed25519.PublicKey)),
		"content_hash":     hash,
		"signature":        syncproto.Sign(priv, hash),
		"signed_at":        "2024-03-18T09:41:07+08:00",
	})
	if err != nil {
		t.Fatal(err)
	}
	return fields, hash
}

// compact returns s without insignificant whitespace.
func compact(t *testing.T, s string) json.RawMessage {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wireExamples returns one example value of every wire message, keyed by
// its golden file name under testdata/wire/.
func wireExamples(t *testing.T) map[string]any {
	sigFields, hash := signatureRecord(t)
	pubKey := base64.StdEncoding.EncodeToString(testKey().Public().(ed25519.PublicKey))
	keyID := syncproto.KeyID(testKey().Public().(ed25519.PublicKey))
	zhang := syncproto.User{ID: userZhang, Username: "zhangwei", DisplayName: "张伟",
		Roles: []string{syncproto.RoleVillageWorker}, UnitID: unitVillage}

	return map[string]any{
		"login_request":   syncproto.LoginRequest{Username: "zhangwei", Password: "correct horse battery staple", DeviceID: deviceID},
		"refresh_request": syncproto.RefreshRequest{RefreshToken: "rt1.Vq7Wm2dJ3nXo0cKp9yT4sZ8bLfE6gH1a"},
		"token_response": syncproto.TokenResponse{
			AccessToken:  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMUhUMEExQjJDM0Q0RTVGNkc3SDhKOUswTSJ9.c2lnbmF0dXJl",
			RefreshToken: "rt1.Vq7Wm2dJ3nXo0cKp9yT4sZ8bLfE6gH1a", TokenType: "Bearer",
			ExpiresIn: 900, RefreshExpiresIn: 45 * 24 * 3600, User: zhang,
		},
		"user": zhang,
		"unit_list": syncproto.UnitList{Units: []syncproto.Unit{
			{ID: unitCounty, Name: "青山县", Level: syncproto.LevelCounty},
			{ID: unitTownship, ParentID: unitCounty, Name: "石桥镇", Level: syncproto.LevelTownship},
			{ID: unitVillage, ParentID: unitTownship, Name: "石桥村", Level: syncproto.LevelVillage},
		}},
		"create_user_request": syncproto.CreateUserRequest{Username: "lina", Password: "a long passphrase 2024",
			DisplayName: "李娜", Roles: []string{syncproto.RoleVillageWorker}, UnitID: unitVillage, IDNumber: spouseIDNumber},
		"user_list": syncproto.UserList{Users: []syncproto.UserDetail{
			{User: zhang, IDNumber: syncproto.MaskIDNumber(headIDNumber), CreatedAt: "2024-01-05T02:00:00Z"},
			{User: syncproto.User{ID: userWang, Username: "wangqiang", DisplayName: "王强",
				Roles: []string{syncproto.RoleTownshipReviewer, syncproto.RoleInspector}, UnitID: unitTownship},
				CreatedAt: "2024-01-05T02:10:00Z"},
		}},
		"relative_request": syncproto.RelativeRequest{UserID: userZhang, IDNumber: spouseIDNumber, Relation: "配偶"},
		"relative_list": syncproto.RelativeList{Relatives: []syncproto.Relative{
			{ID: "01HT5R0A1B2C3D4E5F6G7H8J9K", UserID: userZhang, IDNumber: syncproto.MaskIDNumber(spouseIDNumber),
				Relation: "配偶", CreatedAt: "2024-01-06T01:00:00Z"},
		}},
		"register_key_request": syncproto.RegisterKeyRequest{PublicKey: pubKey},
		"key":                  syncproto.Key{KeyID: keyID, UserID: userZhang, DeviceID: deviceID, PublicKey: pubKey, CreatedAt: "2024-03-01T00:30:00Z"},
		"key_list": syncproto.KeyList{Keys: []syncproto.Key{
			{KeyID: keyID, UserID: userZhang, DeviceID: deviceID, PublicKey: pubKey, CreatedAt: "2024-03-01T00:30:00Z"},
			{KeyID: "ed25519:21fe31dfa154a261626bf854046fd227", UserID: userZhang, DeviceID: "tab-0c1d2e3f",
				PublicKey: "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", CreatedAt: "2023-11-20T03:00:00Z",
				RevokedAt: "2024-02-29T08:00:00Z"},
		}},
		"problem_refresh_token_reused": syncproto.Problem{Type: "https://ruhu.dev/problems/refresh_token_reused", Title: "Unauthorized", Status: 401,
			Detail: "refresh token was already used; all sessions of this login were revoked", Code: syncproto.CodeRefreshReused},
		"problem_dual_signature_required": syncproto.Problem{Type: "https://ruhu.dev/problems/dual_signature_required", Title: "Conflict", Status: 409,
			Detail: "the current content has 1 valid signature, 2 are required", Code: syncproto.CodeDualSignatureRequired},
		"push_request": syncproto.PushRequest{DeviceID: deviceID, Mutations: []syncproto.Mutation{
			{MutationID: 100, Collection: syncproto.CollMembers, ID: memberMovedID, Op: syncproto.OpDelete, BaseVersion: 1150},
			{MutationID: 101, Collection: syncproto.CollHouseholds, ID: householdAlias, Op: syncproto.OpUpsert, Fields: map[string]json.RawMessage{
				"unit_id": raw(`"` + unitVillage + `"`), "head_name": raw(`"张建国"`), "head_id_number": raw(`"` + headIDNumber + `"`),
				"address": raw(`"石桥镇石桥村三组17号"`), "category": raw(`"dibao"`), "contact_phone": raw(`"13900000000"`),
			}},
			{MutationID: 102, Collection: syncproto.CollMembers, ID: memberSpouseID, Op: syncproto.OpUpsert, Fields: map[string]json.RawMessage{
				"household_id": raw(`"` + householdAlias + `"`), "name": raw(`"王秀英"`), "id_number": raw(`"` + spouseIDNumber + `"`),
				"relation": raw(`"配偶"`), "labour_capacity": raw(`"none"`),
			}},
			{MutationID: 103, Collection: syncproto.CollHouseholds, ID: householdID, Op: syncproto.OpUpsert, BaseVersion: 1150,
				Fields: map[string]json.RawMessage{"address": raw(`"石桥镇石桥村三组18号"`), "notes": raw(`"2024年3月起长期透析"`), "causes": raw(`null`)}},
			{MutationID: 104, Collection: syncproto.CollMembers, ID: "01HV7Q1R7S9T1V3W5X7Y9Z1A3B", Op: syncproto.OpUpsert, Fields: map[string]json.RawMessage{
				"household_id": raw(`"` + householdID + `"`), "name": raw(`"张小明"`), "id_number": raw(`"110105201003150011"`), "relation": raw(`"孙子"`),
			}},
			{MutationID: 105, Collection: syncproto.CollSignatures, ID: signatureZhang, Op: syncproto.OpUpsert,
				Fields: fieldsMap(t, sigFields)},
		}},
		"push_response": syncproto.PushResponse{LastMutationID: 105, Results: []syncproto.MutationResult{
			{MutationID: 100, Status: syncproto.StatusApplied, Version: 1199, Replayed: true},
			{MutationID: 101, Status: syncproto.StatusMerged, Version: 1190, CanonicalID: householdID},
			{MutationID: 102, Status: syncproto.StatusApplied, Version: 1202},
			{MutationID: 103, Status: syncproto.StatusConflict, Version: 1203, ConflictID: conflictField, ConflictIDs: []string{conflictField}},
			{MutationID: 104, Status: syncproto.StatusRejected,
				Error: &syncproto.ResultError{Code: syncproto.CodeInvalidIDNumber, Message: "id_number: check character does not match"}},
			{MutationID: 105, Status: syncproto.StatusApplied, Version: 1204},
		}},
		"pull_response": syncproto.PullResponse{Cursor: "djE6MTIwNg", HasMore: false, Changes: []syncproto.Change{
			{Collection: syncproto.CollMembers, ID: memberMovedID, Version: 1199, Deleted: true, Fields: raw(`{}`), Meta: raw(`{}`)},
			{Collection: syncproto.CollMembers, ID: memberSpouseID, Version: 1202, Fields: compact(t, `{
				"household_id": "`+householdID+`", "name": "王秀英", "id_number": "`+spouseIDNumber+`",
				"relation": "配偶", "labour_capacity": "none"}`), Meta: raw(`{}`)},
			{Collection: syncproto.CollHouseholds, ID: householdID, Version: 1203, Fields: compact(t, `{
				"unit_id": "`+unitVillage+`", "head_name": "张建国", "head_id_number": "`+headIDNumber+`",
				"address": "石桥镇石桥村三组17号", "hukou_type": "rural", "category": "dibao",
				"contact_phone": "13900000000", "source": "application",
				"application_date": "2024-03-02", "single_person": false, "notes": "2024年3月起长期透析"}`),
				Meta: metaJSON(t, syncproto.RecordMeta{OpenConflicts: 1})},
			{Collection: syncproto.CollSignatures, ID: signatureZhang, Version: 1204, Fields: sigFields, Meta: raw(`{}`)},
			{Collection: syncproto.CollInvestigations, ID: exampleInvestigationID, Version: 1205,
				Fields: compact(t, exampleInvestigationFields),
				Meta:   metaJSON(t, syncproto.RecordMeta{Signatures: &syncproto.SignatureState{ContentHash: hash, ValidSigners: []string{userZhang}}})},
			{Collection: syncproto.CollHouseholds, ID: householdMovedID, Version: 1206, Deleted: true, Fields: raw(`{}`),
				Meta: metaJSON(t, syncproto.RecordMeta{LeftScope: true})},
		}},
		"pull_response_empty": syncproto.PullResponse{Changes: []syncproto.Change{}, Cursor: "djE6MTIwNg"},
		"conflict_list": syncproto.ConflictList{Conflicts: []syncproto.Conflict{
			{ID: conflictDup, Kind: syncproto.KindDuplicateHousehold, Collection: syncproto.CollHouseholds, RecordID: householdID,
				Field: "contact_phone", ServerValue: raw(`"13900000000"`), ClientValue: raw(`"13800000000"`),
				DeviceID: "tab-0c1d2e3f", UserID: userLi, CreatedAt: "2024-03-10T01:00:00Z", Status: syncproto.ConflictResolved,
				Op: syncproto.OpUpsert, Resolution: raw(`{"choice":"server"}`), ResolvedBy: userWang,
				ResolvedAt: "2024-03-11T06:00:00Z", Version: 1120},
			{ID: conflictField, Kind: syncproto.KindField, Collection: syncproto.CollHouseholds, RecordID: householdID,
				Field: "address", ServerValue: raw(`"石桥镇石桥村三组17号"`),
				ClientValue: raw(`"石桥镇石桥村三组18号"`), BaseVersion: 1150, DeviceID: deviceID, UserID: userZhang,
				CreatedAt: "2024-03-18T02:05:11Z", Status: syncproto.ConflictOpen, Op: syncproto.OpUpsert},
			{ID: conflictPerson, Kind: syncproto.KindPersonInTwoHouseholds, Collection: syncproto.CollMembers, RecordID: "01HV7Q1W9X1Y3Z5A7B9C1D3E5F",
				Field:       "id_number",
				ServerValue: raw(`{"household_id":"01HV6M0A1B2C3D4E5F6G7H8J9K","member_id":"01HV6M1B2C3D4E5F6G7H8J9K0M"}`),
				ClientValue: compact(t, `{"household_id": "`+householdID+`", "name": "张建军", "id_number": "110105197003070018", "relation": "弟弟"}`),
				DeviceID:    "tab-0c1d2e3f", UserID: userLi, CreatedAt: "2024-03-18T02:07:40Z", Status: syncproto.ConflictOpen,
				Detail: "this ID number is already a member of another household (拆户拼户); nothing was applied", Op: syncproto.OpUpsert},
		}},
		"conflict_list_empty":        syncproto.ConflictList{Conflicts: []syncproto.Conflict{}},
		"resolve_request_choice":     syncproto.ResolveRequest{Choice: syncproto.ChoiceClient},
		"resolve_request_value":      syncproto.ResolveRequest{Value: raw(`"石桥镇石桥村三组17-18号"`)},
		"resolve_request_value_null": syncproto.ResolveRequest{Value: raw(`null`)},
		"missing_photos_request":     syncproto.MissingPhotosRequest{SHA256: []string{photoSHA256, photoSHA256Have}},
		"missing_photos_request_filings": syncproto.MissingPhotosRequest{SHA256: []string{}, Filings: []syncproto.PhotoFiling{
			{SHA256: photoSHA256, HouseholdID: "hh-1", Kind: "notice"}, {SHA256: photoSHA256, HouseholdID: "hh-2", Kind: "notice"}}},
		"missing_photos_response": syncproto.MissingPhotosResponse{Missing: []string{photoSHA256}, MissingFilings: []syncproto.PhotoFiling{
			{SHA256: photoSHA256, HouseholdID: "hh-2", Kind: "notice"}}},
		"missing_photos_response_none": syncproto.MissingPhotosResponse{Missing: []string{}, MissingFilings: []syncproto.PhotoFiling{}},
		"submit_response": syncproto.SubmitResponse{ID: exampleInvestigationID, Version: 1212, SubmittedAt: "2024-03-18T03:00:00Z",
			Signatures: syncproto.SignatureState{ContentHash: hash, ValidSigners: []string{userZhang, userLi}, Satisfied: true}},
		"schemas": syncproto.Schemas,
	}
}

func fieldsMap(t *testing.T, obj json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func metaJSON(t *testing.T, m syncproto.RecordMeta) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWireGolden marshals every example and compares it with its golden
// file, then decodes the file into a fresh value of the same type (unknown
// fields refused) and checks that it marshals back to the same bytes.
func TestWireGolden(t *testing.T) {
	examples := wireExamples(t)
	for name, v := range examples {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "wire", name+".json")
			checkGolden(t, path, marshalGolden(t, v))
			file, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			back := reflect.New(reflect.TypeOf(v))
			dec := json.NewDecoder(bytes.NewReader(file))
			dec.DisallowUnknownFields()
			if err := dec.Decode(back.Interface()); err != nil {
				t.Fatalf("decode %s: %v", path, err)
			}
			if again := marshalGolden(t, back.Elem().Interface()); !bytes.Equal(again, file) {
				t.Errorf("%s does not survive a round trip:\n%s", path, again)
			}
		})
	}
	if *update {
		return
	}
	files, err := filepath.Glob(filepath.Join("testdata", "wire", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := examples[filepath.Base(f[:len(f)-len(".json")])]; !ok {
			t.Errorf("%s has no example: delete it or add one", f)
		}
	}
}

// TestWireExamplesAreConsistent checks that the examples tell a true story:
// the signature pushed and pulled verifies over the investigation's pulled
// fields, whose hash the meta reports.
func TestWireExamplesAreConsistent(t *testing.T) {
	pull := wireExamples(t)["pull_response"].(syncproto.PullResponse)
	var inv, sig syncproto.Change
	for _, c := range pull.Changes {
		switch c.Collection {
		case syncproto.CollInvestigations:
			inv = c
		case syncproto.CollSignatures:
			sig = c
		}
	}
	hash, err := syncproto.ContentHash(inv.Collection, inv.ID, inv.Fields)
	if err != nil {
		t.Fatal(err)
	}
	var meta syncproto.RecordMeta
	if err := json.Unmarshal(inv.Meta, &meta); err != nil || meta.Signatures == nil || meta.Signatures.ContentHash != hash {
		t.Fatalf("investigation meta %s does not carry content_hash %s (%v)", inv.Meta, hash, err)
	}
	var rec struct {
		InvestigationID string `json:"investigation_id"`
		KeyID           string `json:"key_id"`
		ContentHash     string `json:"content_hash"`
		Signature       string `json:"signature"`
	}
	if err := json.Unmarshal(sig.Fields, &rec); err != nil {
		t.Fatal(err)
	}
	pub := testKey().Public().(ed25519.PublicKey)
	if rec.InvestigationID != inv.ID || rec.ContentHash != hash || rec.KeyID != syncproto.KeyID(pub) || !syncproto.Verify(pub, hash, rec.Signature) {
		t.Errorf("signature record %s does not sign investigation %s at %s", sig.Fields, inv.ID, hash)
	}
	for _, c := range pull.Changes {
		if c.Deleted && string(c.Fields) != "{}" {
			t.Errorf("tombstone %s/%s has fields %s, want {}", c.Collection, c.ID, c.Fields)
		}
	}
}

// TestDecodeNullValues checks the two places where a JSON null is a value,
// not an absence: a field cleared by a mutation, and a resolution that
// clears a field.
func TestDecodeNullValues(t *testing.T) {
	var m syncproto.Mutation
	if err := json.Unmarshal([]byte(`{"mutation_id":1,"collection":"households","id":"h","op":"upsert","base_version":3,"fields":{"notes":null}}`), &m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m.Fields["notes"]; !ok || string(v) != "null" {
		t.Errorf("fields.notes = %q (present %v), want the JSON null", v, ok)
	}
	var withNull, without syncproto.ResolveRequest
	if err := json.Unmarshal([]byte(`{"value":null}`), &withNull); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"choice":"server"}`), &without); err != nil {
		t.Fatal(err)
	}
	if string(withNull.Value) != "null" || without.Value != nil {
		t.Errorf(`{"value":null} gives Value %q, {"choice":"server"} gives %q; want "null" and nil`, withNull.Value, without.Value)
	}
}
