package storetest

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Least privilege (issue 13, class 5): an inspector changes only the
// investigations they recorded; a device id is a short plain token.

func testInspectorEditsOnlyOwnInvestigations(t *testing.T, newEnv NewEnv) {
	w := newSigWorld(t, newEnv)
	insp := w.env.Login("inspector", "pc-insp")
	state, _ := stateOf(insp, "")
	inv := live(t, state, invs, "inv1")
	wantResult(t, push1(insp, ruhutest.Upsert(invs, "inv1", inv.Version, map[string]any{"findings": "抽查改写"})),
		syncproto.StatusRejected, syncproto.CodeForbidden)
	wantResult(t, push1(insp, ruhutest.Upsert(invs, "inv-spot", 0, map[string]any{"household_id": "hh1", "date": "2024-04-01"})),
		syncproto.StatusApplied, "")
	state, _ = stateOf(insp, "")
	own := live(t, state, invs, "inv-spot")
	wantResult(t, push1(insp, ruhutest.Upsert(invs, "inv-spot", own.Version, map[string]any{"findings": "抽查属实"})),
		syncproto.StatusApplied, "")
	// The file keepers still edit any investigation of their villages.
	wantResult(t, push1(w.w2, ruhutest.Upsert(invs, "inv1", inv.Version, map[string]any{"conclusion": "建议纳入"})),
		syncproto.StatusApplied, "")
}

func testDeviceIDIsAPlainToken(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	for _, dev := range []string{"tab\n01", "tab 01", "../x", "<script>", "平板一号", "-tab"} {
		st, b := env.Do(http.MethodPost, "/v1/auth/login", "", syncproto.LoginRequest{Username: "worker1",
			Password: ruhutest.Password, DeviceID: dev})
		wantProblem(t, st, b, http.StatusUnprocessableEntity, syncproto.CodeValidation)
	}
	env.Login("worker1", "tab-7f3c2a91.x:y@z_1")
}
