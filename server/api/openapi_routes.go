package api

import (
	"encoding/json"
	"net/http"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Role sets of the route table (api.go).
var (
	anyUser       = []string{}
	adminOnly     = []string{syncproto.RoleAdmin}
	fieldWorkers  = server.FieldRoles
	submitters    = []string{syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer, syncproto.RoleInspector}
	caseOpeners   = []string{syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer}
	drawers       = []string{syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover, syncproto.RoleInspector}
	rosterKeepers = []string{syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover}
)

// rosterList and policyList are the answers of /v1/roster and the policy
// routes.
type rosterList struct {
	UnitID string                `json:"unit_id"`
	Rows   []syncproto.RosterRow `json:"rows"`
}

type policyList struct {
	Policies []policy.Policy `json:"policies"`
}

// examplePolicy is a county's next policy version: the defaults with a
// higher rural standard from 2099.
func examplePolicy() policy.Policy {
	p := policy.DefaultPolicy()
	p.County, p.EffectiveFrom, p.RuralStandard = "", "2099-01-01", policy.Yuan(400)
	return p
}

// Example resident ID numbers of the documents (valid check digits).
var (
	exampleIDNumber   = syncproto.CompleteIDNumber("53012119880505003")
	exampleRelativeID = syncproto.CompleteIDNumber("53012119620303002")
	exampleHeadID     = syncproto.CompleteIDNumber("53012119700307001")
)

// apiOps documents every /v1 route, in the order their examples replay.
// Adding a route to api.go means adding its entry here (TestOpenAPI says
// which is missing) and recording its example response with
// `go test ./server/api -run TestOpenAPI -update`.
var apiOps = []apiOp{
	// Sessions.
	{Method: http.MethodPost, Path: "/v1/auth/login", Tag: "auth", Summary: "Log in on a device: access and refresh tokens",
		Request: syncproto.LoginRequest{}, Status: http.StatusOK, Response: syncproto.TokenResponse{},
		Errors: []string{syncproto.CodeInvalidCredentials, syncproto.CodeRateLimited, syncproto.CodeValidation},
		Example: &apiExample{Body: syncproto.LoginRequest{Username: "worker1", Password: "ruhu-demo-2026", DeviceID: "tab-0c1d2e3f"},
			Capture: map[string]string{"refresh": "refresh_token"}}},
	{Method: http.MethodPost, Path: "/v1/auth/refresh", Tag: "auth", Summary: "Rotate a refresh token",
		Request: syncproto.RefreshRequest{}, Status: http.StatusOK, Response: syncproto.TokenResponse{},
		Errors:  []string{syncproto.CodeRefreshInvalid, syncproto.CodeRefreshExpired, syncproto.CodeRefreshReused},
		Example: &apiExample{Body: syncproto.RefreshRequest{RefreshToken: "$refresh"}}},
	{Method: http.MethodPost, Path: "/v1/auth/logout", Tag: "auth", Summary: "End the session", Roles: anyUser,
		Status: http.StatusNoContent, Example: &apiExample{As: "worker2"}},
	{Method: http.MethodGet, Path: "/v1/me", Tag: "auth", Summary: "The logged-in user", Roles: anyUser,
		Status: http.StatusOK, Response: syncproto.User{}, Example: &apiExample{As: "worker1"}},

	// Administration of the admin's subtree.
	{Method: http.MethodPost, Path: "/v1/admin/units", Tag: "admin", Summary: "Create a township or village", Roles: adminOnly,
		Request: syncproto.Unit{}, Status: http.StatusCreated, Response: syncproto.Unit{},
		Errors:  []string{syncproto.CodeInvalidUnit, syncproto.CodeAlreadyExists, syncproto.CodeValidation},
		Example: &apiExample{As: "admin", Body: syncproto.Unit{ID: "t1-v9", ParentID: "t1", Name: "石桥村", Level: syncproto.LevelVillage}}},
	{Method: http.MethodGet, Path: "/v1/admin/units", Tag: "admin", Summary: "List the units of the subtree", Roles: adminOnly,
		Status: http.StatusOK, Response: syncproto.UnitList{}, Example: &apiExample{As: "admin"}},
	{Method: http.MethodPut, Path: "/v1/admin/units/:id/position", Tag: "admin", Summary: "Set where a village lies (WGS-84)", Roles: adminOnly,
		Request: syncproto.UnitPosition{}, Status: http.StatusOK, Response: syncproto.Unit{},
		Errors:  []string{syncproto.CodeNotFound, syncproto.CodeValidation},
		Example: &apiExample{As: "admin", Params: map[string]string{"id": "t1-v9"}, Body: map[string]float64{"lat": 26.58, "lng": 106.71}}},
	{Method: http.MethodPost, Path: "/v1/admin/users", Tag: "admin", Summary: "Create a user", Roles: adminOnly,
		Request: syncproto.CreateUserRequest{}, Status: http.StatusCreated, Response: syncproto.UserDetail{},
		Errors: []string{syncproto.CodeAlreadyExists, syncproto.CodeWeakPassword, syncproto.CodeInvalidRole, syncproto.CodeInvalidIDNumber, syncproto.CodeValidation},
		Example: &apiExample{As: "admin", Body: syncproto.CreateUserRequest{Username: "zhaolei", Password: "a-long-passphrase-2026",
			DisplayName: "村干部 赵磊", Roles: []string{syncproto.RoleVillageWorker}, UnitID: "t1-v9", IDNumber: exampleIDNumber},
			Capture: map[string]string{"user_id": "id"}}},
	{Method: http.MethodGet, Path: "/v1/admin/users", Tag: "admin", Summary: "List the users of the subtree", Roles: adminOnly,
		Status: http.StatusOK, Response: syncproto.UserList{}, Example: &apiExample{As: "admin"}},
	{Method: http.MethodPost, Path: "/v1/admin/users/:id/disable", Tag: "admin", Summary: "Disable a user and end their sessions", Roles: adminOnly,
		Status: http.StatusOK, Response: syncproto.UserDetail{}, Errors: []string{syncproto.CodeNotFound},
		Example: &apiExample{As: "admin", Params: map[string]string{"id": "$user_id"}}},
	{Method: http.MethodPost, Path: "/v1/admin/users/:id/enable", Tag: "admin", Summary: "Enable a disabled user", Roles: adminOnly,
		Status: http.StatusOK, Response: syncproto.UserDetail{}, Errors: []string{syncproto.CodeNotFound},
		Example: &apiExample{As: "admin", Params: map[string]string{"id": "$user_id"}}},
	{Method: http.MethodPost, Path: "/v1/admin/users/:id/password", Tag: "admin", Summary: "Set a user's password and end their sessions", Roles: adminOnly,
		Request: syncproto.PasswordRequest{}, Status: http.StatusNoContent, Errors: []string{syncproto.CodeNotFound, syncproto.CodeWeakPassword},
		Example: &apiExample{As: "admin", Params: map[string]string{"id": "$user_id"}, Body: syncproto.PasswordRequest{Password: "another-long-passphrase"}}},
	{Method: http.MethodPost, Path: "/v1/admin/relatives", Tag: "admin", Summary: "Register a close relative of a user (conflict of interest)", Roles: adminOnly,
		Request: syncproto.RelativeRequest{}, Status: http.StatusCreated, Response: syncproto.Relative{},
		Errors:  []string{syncproto.CodeNotFound, syncproto.CodeInvalidIDNumber, syncproto.CodeAlreadyExists},
		Example: &apiExample{As: "admin", Body: syncproto.RelativeRequest{UserID: "$user_id", IDNumber: exampleRelativeID, Relation: "母亲"}}},
	{Method: http.MethodGet, Path: "/v1/admin/relatives", Tag: "admin", Summary: "List registered relatives", Roles: adminOnly,
		Query: []apiParam{{Name: "user_id", Description: "only this user's"}}, Status: http.StatusOK, Response: syncproto.RelativeList{},
		Example: &apiExample{As: "admin"}},
	{Method: http.MethodPost, Path: "/v1/admin/fields", Tag: "schema", Summary: "Add a field to a collection of the county (county admin)", Roles: adminOnly,
		Request: syncproto.ExtraField{}, Status: http.StatusCreated, Response: syncproto.ExtraField{},
		Errors: []string{syncproto.CodeBuiltinField, syncproto.CodeAlreadyExists, syncproto.CodeValidation},
		Example: &apiExample{As: "admin", Body: syncproto.ExtraField{Collection: syncproto.CollHouseholds, Name: "housing",
			Type: syncproto.TEnum, Title: "住房类型", Enum: []string{"砖混", "土木", "危房"}}}},
	{Method: http.MethodGet, Path: "/v1/admin/fields", Tag: "schema", Summary: "List the fields the county added", Roles: adminOnly,
		Status: http.StatusOK, Response: syncproto.ExtraFieldList{}, Example: &apiExample{As: "admin"}},
	{Method: http.MethodGet, Path: "/v1/schema", Tag: "schema", Summary: "JSON Schema of every collection of the caller's county; ETag = version", Roles: anyUser,
		Status: http.StatusOK, Response: syncproto.SchemaDocument{}, Example: &apiExample{As: "worker1"}},
	{Method: http.MethodDelete, Path: "/v1/admin/fields/:collection/:name", Tag: "schema", Summary: "Remove an added field; stored values stay", Roles: adminOnly,
		Status: http.StatusNoContent, Errors: []string{syncproto.CodeNotFound},
		Example: &apiExample{As: "admin", Params: map[string]string{"collection": syncproto.CollHouseholds, "name": "housing"}}},
	{Method: http.MethodGet, Path: "/v1/openapi.json", Tag: "schema", Summary: "This document",
		Status: http.StatusOK, ContentType: "application/json"},

	// Signing keys.
	{Method: http.MethodPost, Path: "/v1/keys", Tag: "keys", Summary: "Register the device's Ed25519 signing key", Roles: anyUser,
		Request: syncproto.RegisterKeyRequest{}, Status: http.StatusCreated, Response: syncproto.Key{},
		Errors:  []string{syncproto.CodeInvalidPublicKey},
		Example: &apiExample{As: "worker1", Body: syncproto.RegisterKeyRequest{PublicKey: "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}, Capture: map[string]string{"key_id": "key_id"}}},
	{Method: http.MethodGet, Path: "/v1/keys", Tag: "keys", Summary: "List signing keys (your own, or user_id's for an admin)", Roles: anyUser,
		Query: []apiParam{{Name: "user_id", Description: "whose keys"}}, Status: http.StatusOK, Response: syncproto.KeyList{},
		Example: &apiExample{As: "worker1"}},
	{Method: http.MethodDelete, Path: "/v1/keys/:key_id", Tag: "keys", Summary: "Revoke a signing key", Roles: anyUser,
		Status: http.StatusNoContent, Errors: []string{syncproto.CodeUnknownKey},
		Example: &apiExample{As: "worker1", Params: map[string]string{"key_id": "$key_id"}}},

	// Sync.
	{Method: http.MethodPost, Path: "/v1/sync/push", Tag: "sync", Summary: "Apply a batch of mutations, exactly once each", Roles: fieldWorkers,
		Request: syncproto.PushRequest{}, Status: http.StatusOK, Response: syncproto.PushResponse{},
		Errors: []string{syncproto.CodeDeviceMismatch, syncproto.CodePayloadTooLarge},
		Example: &apiExample{As: "worker1", Body: syncproto.PushRequest{DeviceID: "doc-worker1", Mutations: []syncproto.Mutation{
			{MutationID: 1, Collection: syncproto.CollHouseholds, ID: "01HV6M0A1B2C3D4E5F6G7H8J9K", Op: syncproto.OpUpsert, Fields: rawFields(
				`{"unit_id":"t1-v1","head_name":"王建国","head_id_number":"` + exampleHeadID + `","address":"石桥镇石桥村三组17号","category":"dibao"}`)},
			{MutationID: 2, Collection: syncproto.CollInvestigations, ID: "01HV6M2C3D4E5F6G7H8J9K0M1N", Op: syncproto.OpUpsert, Fields: rawFields(
				`{"household_id":"01HV6M0A1B2C3D4E5F6G7H8J9K","date":"2024-03-18","findings":"家中两人，户主患慢性病。"}`)},
		}}}},
	{Method: http.MethodGet, Path: "/v1/sync/pull", Tag: "sync", Summary: "Changes after a cursor, in version order (gzip when accepted)", Roles: fieldWorkers,
		Query: []apiParam{{Name: "cursor", Description: "opaque; from the previous page"},
			{Name: "limit", Description: "at most this many changes (default 500, at most 5000)", Integer: true},
			{Name: "household_id", Description: "only this household's records (its own cursor)"},
			{Name: "fields", Description: "comma-separated: keep only these fields of each record"}},
		Status: http.StatusOK, Response: syncproto.PullResponse{}, Errors: []string{syncproto.CodeInvalidCursor, syncproto.CodeBadRequest},
		Example: &apiExample{As: "worker1", Query: "limit=100&fields=head_name,household_id,category"}},
	{Method: http.MethodGet, Path: "/v1/conflicts", Tag: "sync", Summary: "List conflicts of the subtree", Roles: fieldWorkers,
		Query: []apiParam{{Name: "status", Description: "open (default), resolved or all"}, {Name: "after", Description: "conflict id to page after"},
			{Name: "limit", Description: "page size", Integer: true}},
		Status: http.StatusOK, Response: syncproto.ConflictList{}, Example: &apiExample{As: "worker1", Query: "status=all"}},
	{Method: http.MethodPost, Path: "/v1/conflicts/:id/resolve", Tag: "sync", Summary: "Resolve a conflict by a choice or a value", Roles: fieldWorkers,
		Request: syncproto.ResolveRequest{}, Status: http.StatusOK, Response: syncproto.Conflict{},
		Errors: []string{syncproto.CodeNotFound, syncproto.CodeConflictResolved, syncproto.CodeInvalidChoice},
		Example: &apiExample{As: "worker1", Params: map[string]string{"id": "01HV6N0000000000000000000X"},
			Body: syncproto.ResolveRequest{Choice: syncproto.ChoiceServer}, Status: http.StatusNotFound}},
	{Method: http.MethodGet, Path: "/v1/rejections", Tag: "sync", Summary: "Rejected mutations of the subtree, newest first", Roles: fieldWorkers,
		Query: []apiParam{{Name: "limit", Description: "page size", Integer: true}}, Status: http.StatusOK, Response: syncproto.RejectionList{},
		Example: &apiExample{As: "worker1"}},
	{Method: http.MethodPost, Path: "/v1/investigations/:id/submit", Tag: "sync", Summary: "Submit and lock a signed investigation", Roles: submitters,
		Status: http.StatusOK, Response: syncproto.SubmitResponse{},
		Errors:  []string{syncproto.CodeNotFound, syncproto.CodeDualSignatureRequired, syncproto.CodeCommitmentRequired, syncproto.CodeAlreadySubmitted},
		Example: &apiExample{As: "worker1", Params: map[string]string{"id": "01HV6M2C3D4E5F6G7H8J9K0M1N"}, Status: http.StatusConflict}},

	// The case procedure (docs/procedure.md).
	{Method: http.MethodPost, Path: "/v1/cases", Tag: "cases", Summary: "Open a case for a household", Roles: caseOpeners,
		Request: syncproto.CreateCaseRequest{}, Status: http.StatusCreated, Response: syncproto.Case{},
		Errors: []string{syncproto.CodeUnknownHousehold, syncproto.CodeCaseAlreadyOpen, syncproto.CodeInvalidField, syncproto.CodeConflictOfInterest},
		Example: &apiExample{As: "worker1", Body: syncproto.CreateCaseRequest{HouseholdID: "01HV6M0A1B2C3D4E5F6G7H8J9K"},
			Capture: map[string]string{"case_id": "id"}}},
	{Method: http.MethodGet, Path: "/v1/cases", Tag: "cases", Summary: "Cases of the subtree, by number, with counts per state", Roles: fieldWorkers,
		Query: []apiParam{{Name: "unit_id", Description: "a unit of the subtree"}, {Name: "state", Description: "one state"},
			{Name: "category", Description: "one category"}, {Name: "drawn", Description: "true: drawn for a re-visit or spot check this round"},
			{Name: "household_id", Description: "one household's cases"}, {Name: "after", Description: "case number to page after"},
			{Name: "limit", Description: "page size (at most 500)", Integer: true}},
		Status: http.StatusOK, Response: syncproto.CaseList{}, Errors: []string{syncproto.CodeOutOfScope, syncproto.CodeInvalidField},
		Example: &apiExample{As: "reviewer1", Query: "unit_id=t1"}},
	{Method: http.MethodGet, Path: "/v1/cases/:id", Tag: "cases", Summary: "One case with its history", Roles: fieldWorkers,
		Status: http.StatusOK, Response: syncproto.Case{}, Errors: []string{syncproto.CodeNotFound},
		Example: &apiExample{As: "worker1", Params: map[string]string{"id": "$case_id"}}},
	{Method: http.MethodPost, Path: "/v1/cases/:id/transitions", Tag: "cases", Summary: "Take a step of the procedure (409 names the rule that refused)", Roles: fieldWorkers,
		Request: syncproto.TransitionRequest{}, Status: http.StatusOK, Response: syncproto.Case{},
		Errors: []string{syncproto.CodeNotFound, syncproto.CodeForbidden, syncproto.CodeInvalidTransition, syncproto.CodeReasonRequired,
			syncproto.CodeInvestigationRequired, syncproto.CodeReviewMissing, syncproto.CodeReviewLocked, syncproto.CodeReviewNoQuorum,
			syncproto.CodeReviewNotPassed, syncproto.CodeReviewNotSigned, syncproto.CodeNoticePeriodRunning, syncproto.CodeDrawRequired,
			syncproto.CodeRevisitRequired, syncproto.CodeSpotCheckRequired, syncproto.CodeStaleCase, syncproto.CodeExitNotApplicable,
			syncproto.CodeBenefitNotPayable, syncproto.CodeConflictOfInterest},
		Example: &apiExample{As: "worker1", Params: map[string]string{"id": "$case_id"},
			Body: syncproto.TransitionRequest{Action: syncproto.ActSubmitInvestigation}, Status: http.StatusConflict}},
	{Method: http.MethodPost, Path: "/v1/cases/:id/objections", Tag: "cases", Summary: "Record an objection (异议) during a notice", Roles: fieldWorkers,
		Request: syncproto.ObjectionRequest{}, Status: http.StatusCreated, Response: syncproto.Case{},
		Errors:  []string{syncproto.CodeNotFound, syncproto.CodeNotInNotice, syncproto.CodeInvalidField, syncproto.CodeConflictOfInterest},
		Example: &apiExample{As: "worker1", Params: map[string]string{"id": "$case_id"}, Body: syncproto.ObjectionRequest{Text: "群众反映该户有营运车辆"}, Status: http.StatusConflict}},
	{Method: http.MethodGet, Path: "/v1/cases/:id/benefit", Tag: "cases", Summary: "The benefit the household would receive today, explained", Roles: fieldWorkers,
		Status: http.StatusOK, Response: syncproto.CaseBenefit{}, Errors: []string{syncproto.CodeNotFound},
		Example: &apiExample{As: "worker1", Params: map[string]string{"id": "$case_id"}}},
	{Method: http.MethodPost, Path: "/v1/draws", Tag: "cases", Summary: "Draw the re-visits (township) or spot checks (county) of a round", Roles: drawers,
		Request: syncproto.DrawRequest{}, Status: http.StatusCreated, Response: syncproto.Draw{},
		Errors:  []string{syncproto.CodeNothingToDraw, syncproto.CodeInvalidUnit, syncproto.CodeOutOfScope, syncproto.CodeForbidden},
		Example: &apiExample{As: "reviewer1", Body: syncproto.DrawRequest{UnitID: "t1", Stage: syncproto.DrawTownship}, Status: http.StatusConflict}},
	{Method: http.MethodGet, Path: "/v1/draws/:id", Tag: "cases", Summary: "A draw, drawn again from its seed to show it reproduces", Roles: fieldWorkers,
		Status: http.StatusOK, Response: syncproto.Draw{}, Errors: []string{syncproto.CodeNotFound},
		Example: &apiExample{As: "reviewer1", Params: map[string]string{"id": "01HV6P0000000000000000000D"}, Status: http.StatusNotFound}},
	{Method: http.MethodGet, Path: "/v1/notices", Tag: "cases", Summary: "A public notice list (公示名单): no minor, no confidential member, ID numbers masked", Roles: fieldWorkers,
		Query: []apiParam{{Name: "unit_id", Description: "a unit of the subtree"}, {Name: "stage", Description: "village, township or county"},
			{Name: "format", Description: "html: the printable page"}},
		Status: http.StatusOK, Response: syncproto.NoticeList{}, Errors: []string{syncproto.CodeInvalidField, syncproto.CodeOutOfScope},
		Example: &apiExample{As: "worker1", Query: "stage=village&unit_id=t1-v1"}},
	{Method: http.MethodGet, Path: "/v1/roster", Tag: "cases", Summary: "The roster (花名册) of approved households, numbered by case", Roles: rosterKeepers,
		Query: []apiParam{{Name: "unit_id", Description: "a unit of the subtree"}}, Status: http.StatusOK, Response: rosterList{},
		Errors: []string{syncproto.CodeOutOfScope}, Example: &apiExample{As: "county", Query: "unit_id=t1"}},
	{Method: http.MethodGet, Path: "/v1/roster.xlsx", Tag: "cases", Summary: "The roster as an Excel workbook", Roles: rosterKeepers,
		Query: []apiParam{{Name: "unit_id", Description: "a unit of the subtree"}}, Status: http.StatusOK,
		ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{Method: http.MethodGet, Path: "/v1/roster.csv", Tag: "cases", Summary: "The roster as CSV (UTF-8 with BOM)", Roles: rosterKeepers,
		Query: []apiParam{{Name: "unit_id", Description: "a unit of the subtree"}}, Status: http.StatusOK,
		ContentType: "text/csv"},
	{Method: http.MethodGet, Path: "/v1/policies", Tag: "cases", Summary: "The county's policy versions", Roles: fieldWorkers,
		Status: http.StatusOK, Response: policyList{}, Example: &apiExample{As: "worker1"}},
	{Method: http.MethodGet, Path: "/v1/admin/policies", Tag: "admin", Summary: "The county's policy versions", Roles: adminOnly,
		Status: http.StatusOK, Response: policyList{}, Example: &apiExample{As: "admin"}},
	{Method: http.MethodPost, Path: "/v1/admin/policies", Tag: "admin", Summary: "Add a policy version, in force from its effective date", Roles: adminOnly,
		Request: policy.Policy{}, Status: http.StatusCreated, Response: policyList{}, Errors: []string{syncproto.CodeInvalidPolicy},
		Example: &apiExample{As: "admin", Body: examplePolicy()}},

	// Photos.
	{Method: http.MethodPost, Path: "/v1/uploads", Tag: "photos", Summary: "tus 1.0 resumable upload: create (POST), discover (OPTIONS)", Roles: fieldWorkers,
		Status: http.StatusCreated, AnyMethod: true},
	{Method: http.MethodPatch, Path: "/v1/uploads/*", Tag: "photos", Summary: "tus 1.0 resumable upload: offset (HEAD), append (PATCH), cancel (DELETE)", Roles: fieldWorkers,
		Status: http.StatusNoContent, AnyMethod: true},
	{Method: http.MethodPost, Path: "/v1/photos/missing", Tag: "photos", Summary: "Which photos or filings the server lacks", Roles: fieldWorkers,
		Request: syncproto.MissingPhotosRequest{}, Status: http.StatusOK, Response: syncproto.MissingPhotosResponse{},
		Errors:  []string{syncproto.CodePayloadTooLarge},
		Example: &apiExample{As: "worker1", Body: syncproto.MissingPhotosRequest{SHA256: []string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}}},
	{Method: http.MethodGet, Path: "/v1/photos/:sha256/:variant", Tag: "photos", Summary: "A stored photo: original, large or thumb (for lists)", Roles: fieldWorkers,
		Status: http.StatusOK, ContentType: "image/jpeg", Errors: []string{syncproto.CodeNotFound},
		Example: &apiExample{As: "worker1", Params: map[string]string{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "variant": syncproto.VariantThumb},
			Status: http.StatusNotFound}},
}

// rawFields reads a JSON object of record fields.
func rawFields(s string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(err)
	}
	return m
}
