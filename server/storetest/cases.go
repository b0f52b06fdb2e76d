package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The case procedure (docs/procedure.md), through the HTTP API.

const (
	casesPath = "/v1/cases"
	reviews   = syncproto.CollReviews
	day       = 24 * time.Hour
)

// caseWorld is a demo county with signing keys for the people who sign, a
// clock to move, and helpers that take a household through the steps.
type caseWorld struct {
	env  *ruhutest.Env
	keys map[string]sigKey
	n    int // records made, for ids
	// next is each user's last mutation id: a fresh login on the same
	// device continues the device's counter (a reused id is a replay).
	next map[string]int64
	// wage is the head's monthly wage the next investigation records.
	wage string
}

// signers are the demo users who sign something in the procedure.
var signers = []string{"worker1", "worker2", "committee1", "reviewer1", "inspector", "worker3", "reviewer2"}

func newCaseWorld(t *testing.T, newEnv NewEnv) *caseWorld {
	t.Helper()
	w := &caseWorld{env: newEnv(t), keys: map[string]sigKey{}, next: map[string]int64{}, wage: "100.00"}
	requireCommitment(t, w.env, false)
	for _, u := range signers {
		w.keys[u] = registerKey(w.as(u), 1)
	}
	return w
}

// as logs a user in (tokens live 15 minutes; the tests move the clock by days).
func (w *caseWorld) as(user string) *ruhutest.Client {
	return w.env.Login(user, "dev-"+user)
}

// push pushes mutations as user, numbered from the user's counter.
func (w *caseWorld) push(user string, ms ...syncproto.Mutation) *syncproto.PushResponse {
	for i := range ms {
		w.next[user]++
		ms[i].MutationID = w.next[user]
	}
	return w.as(user).Push(ms...)
}

// push1 pushes one mutation as user and returns its result.
func (w *caseWorld) push1(user string, m syncproto.Mutation) syncproto.MutationResult {
	return w.push(user, m).Results[0]
}

func (w *caseWorld) pushApplied(t *testing.T, user string, m syncproto.Mutation) {
	t.Helper()
	wantResult(t, w.push1(user, m), syncproto.StatusApplied, "")
}

func (w *caseWorld) id(prefix string) string {
	w.n++
	return fmt.Sprintf("%s%d", prefix, w.n)
}

// household creates a household of village with its head as a member
// (head number head) and returns its id.
func (w *caseWorld) household(t *testing.T, village string, head int) string {
	t.Helper()
	hh := w.id("hh")
	user := map[string]string{"t1-v1": "worker1", "t2-v1": "worker3"}[village]
	res := w.push(user,
		ruhutest.Upsert(hhs, hh, 0, ruhutest.Household(village, head)),
		ruhutest.Upsert(mems, hh+"-head", 0, map[string]any{"household_id": hh, "name": "户主" + itoa(head),
			"id_number": ruhutest.IDNumber(head), "relation": "户主", "birth_date": "1960-05-01"}),
	)
	for _, r := range res.Results {
		wantResult(t, r, syncproto.StatusApplied, "")
	}
	return hh
}

// investigate records an investigation of hh by user and has it signed by
// user and cosigner, then submitted; it returns the investigation's id.
func (w *caseWorld) investigate(t *testing.T, hh, user, cosigner string) string {
	t.Helper()
	inv := w.id("inv")
	w.pushApplied(t, user, ruhutest.Upsert(invs, inv, 0, map[string]any{"household_id": hh,
		"date": w.env.Now().Format(time.DateOnly), "findings": "入户核实",
		"income_items": []map[string]any{{"member_id": hh + "-head", "type": "wage", "amount": w.wage}}}))
	w.signRecord(t, invs, inv, user)
	w.signRecord(t, invs, inv, cosigner)
	st, b := w.as(user).Do(http.MethodPost, "/v1/investigations/"+inv+"/submit", nil)
	if st != http.StatusOK {
		t.Fatalf("submit %s: %d %s", inv, st, b)
	}
	return inv
}

// signRecord signs the current content of an investigation or review as
// user, and returns the signature's result.
func (w *caseWorld) signRecord(t *testing.T, collection, id, user string) syncproto.MutationResult {
	t.Helper()
	c := w.as(user)
	state, _ := stateOf(c, "")
	rec := live(t, state, collection, id)
	hash, err := syncproto.ContentHash(collection, id, rec.Fields)
	if err != nil {
		t.Fatal(err)
	}
	field := "investigation_id"
	if collection == reviews {
		field = "review_id"
	}
	k := w.keys[user]
	return w.push1(user, ruhutest.Upsert(sigs, w.id("sig"), 0, map[string]any{field: id, "key_id": k.id,
		"content_hash": hash, "signature": syncproto.Sign(k.priv, hash), "signed_at": "2024-03-18T09:41:07+08:00"}))
}

// review records a democratic review of hh as the village worker.
func (w *caseWorld) review(t *testing.T, hh string, size, present, yes, no int, minutes string) string {
	t.Helper()
	rv := w.id("rv")
	fields := map[string]any{"household_id": hh, "committee_size": size, "present": present,
		"votes_for": yes, "votes_against": no, "date": w.env.Now().Format(time.DateOnly), "method": "ballot"}
	if minutes != "" {
		fields["minutes_photo"] = minutes
	}
	w.pushApplied(t, "worker1", ruhutest.Upsert(reviews, rv, 0, fields))
	return rv
}

// minutes files a minutes photo under hh and returns its hash.
func (w *caseWorld) minutes(t *testing.T, hh string) string {
	t.Helper()
	sha := photoSHA("minutes of " + hh)
	a := w.env.Actor("worker1", "dev-worker1")
	if _, err := photoRecords(w.env).AddPhoto(context.Background(), a, server.Photo{SHA256: sha, HouseholdID: hh,
		Kind: "document", Width: 800, Height: 600, UploadedBy: a.UserID}); err != nil {
		t.Fatalf("minutes photo: %v", err)
	}
	return sha
}

// createCase opens a case for hh as user.
func (w *caseWorld) createCase(t *testing.T, user, hh string) syncproto.Case {
	t.Helper()
	var c syncproto.Case
	w.as(user).JSON(http.MethodPost, casesPath, syncproto.CreateCaseRequest{HouseholdID: hh}, http.StatusCreated, &c)
	return c
}

// step takes a transition as user and expects code ("" for success).
func (w *caseWorld) step(t *testing.T, user, id, action, reason, code string) syncproto.Case {
	t.Helper()
	return w.stepReq(t, user, id, syncproto.TransitionRequest{Action: action, Reason: reason}, code)
}

func (w *caseWorld) stepReq(t *testing.T, user, id string, in syncproto.TransitionRequest, code string) syncproto.Case {
	t.Helper()
	st, b := w.as(user).Do(http.MethodPost, casesPath+"/"+id+"/transitions", in)
	var c syncproto.Case
	if code != "" {
		wantCode(t, st, b, code)
		return c
	}
	if st != http.StatusOK {
		t.Fatalf("%s %s as %s: %d %s", in.Action, id, user, st, b)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// wantCode checks a problem's code (and that the status is an error).
func wantCode(t *testing.T, st int, b []byte, code string) {
	t.Helper()
	var p syncproto.Problem
	if st < 400 || json.Unmarshal(b, &p) != nil || p.Code != code {
		t.Fatalf("status %d %s, want code %s", st, b, code)
	}
}

// toVillageReview opens a case for a new household and takes it through
// a submitted investigation: the case is in village_review.
func (w *caseWorld) toVillageReview(t *testing.T, head int) (caseID, hh string) {
	t.Helper()
	hh = w.household(t, "t1-v1", head)
	c := w.createCase(t, "worker1", hh)
	w.investigate(t, hh, "worker1", "worker2")
	w.env.Advance(time.Second)
	w.step(t, "worker1", c.ID, syncproto.ActSubmitInvestigation, "", "")
	return c.ID, hh
}

// toTownshipReview goes on through a valid, co-signed review and the
// village notice: the case is in township_review.
func (w *caseWorld) toTownshipReview(t *testing.T, head int) (caseID, hh string) {
	t.Helper()
	caseID, hh = w.toVillageReview(t, head)
	rv := w.review(t, hh, 9, 7, 6, 1, w.minutes(t, hh))
	wantResult(t, w.signRecord(t, reviews, rv, "worker1"), syncproto.StatusApplied, "")
	wantResult(t, w.signRecord(t, reviews, rv, "committee1"), syncproto.StatusApplied, "")
	w.step(t, "committee1", caseID, syncproto.ActOpenVillageNotice, "", "")
	w.env.Advance(7 * day)
	w.step(t, "worker1", caseID, syncproto.ActCloseNotice, "", "")
	return caseID, hh
}

func (w *caseWorld) getCase(t *testing.T, user, id string) syncproto.Case {
	t.Helper()
	var c syncproto.Case
	w.as(user).JSON(http.MethodGet, casesPath+"/"+id, nil, http.StatusOK, &c)
	return c
}

func (w *caseWorld) draw(t *testing.T, user, unit, stage, seed string) syncproto.Draw {
	t.Helper()
	var d syncproto.Draw
	w.as(user).JSON(http.MethodPost, "/v1/draws", syncproto.DrawRequest{UnitID: unit, Stage: stage, Seed: seed}, http.StatusCreated, &d)
	return d
}

// The whole procedure for one household: every precondition refuses until
// it holds, the objection sends the case back, and the end is a roster
// row, with the audit chain intact.
func testCaseProcedureEndToEnd(t *testing.T, newEnv NewEnv) {
	w := newCaseWorld(t, newEnv)
	hh := w.household(t, "t1-v1", 1)
	c := w.createCase(t, "worker1", hh)
	if c.State != syncproto.StateInvestigating || c.Number == "" || len(c.History) != 1 {
		t.Fatalf("new case %+v", c)
	}
	st, b := w.as("worker1").Do(http.MethodPost, casesPath, syncproto.CreateCaseRequest{HouseholdID: hh})
	wantCode(t, st, b, syncproto.CodeCaseAlreadyOpen)
	// A household with an open case is not deleted from under it.
	state, _ := stateOf(w.as("worker1"), "")
	res := w.push1("worker1", ruhutest.Delete(hhs, hh, live(t, state, hhs, hh).Version))
	wantResult(t, res, syncproto.StatusRejected, syncproto.CodeCaseAlreadyOpen)

	// Investigation.
	w.step(t, "worker1", c.ID, syncproto.ActSubmitInvestigation, "", syncproto.CodeInvestigationRequired)
	inv := w.investigate(t, hh, "worker1", "worker2")
	c = w.step(t, "worker1", c.ID, syncproto.ActSubmitInvestigation, "", "")
	if c.State != syncproto.StateVillageReview || c.InvestigationID != inv {
		t.Fatalf("after investigation %+v", c)
	}

	// Democratic review: quorum, majority, minutes, both signatures.
	w.step(t, "committee1", c.ID, syncproto.ActOpenVillageNotice, "", syncproto.CodeReviewMissing)
	w.review(t, hh, 9, 4, 4, 0, "")
	w.step(t, "committee1", c.ID, syncproto.ActOpenVillageNotice, "", syncproto.CodeReviewNoQuorum)
	w.review(t, hh, 9, 5, 2, 2, "")
	w.step(t, "committee1", c.ID, syncproto.ActOpenVillageNotice, "", syncproto.CodeReviewNotPassed)
	w.review(t, hh, 9, 5, 3, 2, "")
	w.step(t, "committee1", c.ID, syncproto.ActOpenVillageNotice, "", syncproto.CodeReviewMissing) // no minutes
	rv := w.review(t, hh, 9, 5, 3, 2, w.minutes(t, hh))
	w.step(t, "committee1", c.ID, syncproto.ActOpenVillageNotice, "", syncproto.CodeReviewNotSigned)
	wantResult(t, w.signRecord(t, reviews, rv, "worker1"), syncproto.StatusApplied, "")
	wantResult(t, w.signRecord(t, reviews, rv, "worker2"), syncproto.StatusApplied, "")
	w.step(t, "committee1", c.ID, syncproto.ActOpenVillageNotice, "", syncproto.CodeReviewNotSigned) // two cadres, no head
	// The committee head signs nothing but reviews.
	wantResult(t, w.signRecord(t, invs, inv, "committee1"), syncproto.StatusRejected, syncproto.CodeAlreadySubmitted)
	wantResult(t, w.signRecord(t, reviews, rv, "committee1"), syncproto.StatusApplied, "")
	c = w.step(t, "committee1", c.ID, syncproto.ActOpenVillageNotice, "", "")
	if c.State != syncproto.StateVillageNotice || c.ReviewID != rv || c.Notice == nil || c.Notice.Days != 7 || c.Benefit == nil {
		t.Fatalf("village notice %+v", c)
	}
	// The review is locked now: no new signature, no edit.
	wantResult(t, w.signRecord(t, reviews, rv, "worker2"), syncproto.StatusRejected, syncproto.CodeAlreadySubmitted)
	res = w.push1("worker1", ruhutest.Upsert(reviews, rv, 0, map[string]any{"votes_for": 5}))
	wantResult(t, res, syncproto.StatusConflict, "")

	// Village notice: 7 days.
	w.env.Advance(6 * day)
	w.step(t, "worker1", c.ID, syncproto.ActCloseNotice, "", syncproto.CodeNoticePeriodRunning)
	w.env.Advance(day)
	c = w.step(t, "worker1", c.ID, syncproto.ActCloseNotice, "", "")
	if c.State != syncproto.StateTownshipReview {
		t.Fatalf("after the village notice: %s", c.State)
	}

	// Township review: the draw, the re-visit.
	w.step(t, "reviewer1", c.ID, syncproto.ActTownshipApprove, "", syncproto.CodeDrawRequired)
	d := w.draw(t, "reviewer1", "t1", syncproto.DrawTownship, "seed-1")
	if len(d.Candidates) != 1 || len(d.Selected) != 1 || d.Selected[0] != c.ID {
		t.Fatalf("draw %+v", d)
	}
	w.step(t, "reviewer1", c.ID, syncproto.ActTownshipApprove, "", syncproto.CodeRevisitRequired)
	w.env.Advance(time.Second)
	w.investigate(t, hh, "worker1", "worker2") // not signed by a township reviewer
	w.step(t, "reviewer1", c.ID, syncproto.ActTownshipApprove, "", syncproto.CodeRevisitRequired)
	revisit := w.investigate(t, hh, "reviewer1", "worker1")
	c = w.step(t, "reviewer1", c.ID, syncproto.ActTownshipApprove, "", "")
	if c.State != syncproto.StateTownshipNotice || c.Draws["township"].DoneBy != revisit || c.Notice.Days != 5 {
		t.Fatalf("township notice %+v", c)
	}

	// An objection during the township notice: back to investigation.
	st, b = w.as("reviewer1").Do(http.MethodPost, casesPath+"/"+c.ID+"/objections",
		syncproto.ObjectionRequest{Text: "群众反映该户有营运车辆", Objector: "匿名"})
	if st != http.StatusCreated {
		t.Fatalf("objection: %d %s", st, b)
	}
	c = w.getCase(t, "worker1", c.ID)
	if c.State != syncproto.StateInvestigating || len(c.Objections) != 1 || c.ResumeState != syncproto.StateTownshipNotice {
		t.Fatalf("after objection %+v", c)
	}
	st, b = w.as("reviewer1").Do(http.MethodPost, casesPath+"/"+c.ID+"/objections", syncproto.ObjectionRequest{Text: "again"})
	wantCode(t, st, b, syncproto.CodeNotInNotice)
	// The investigations before the objection do not count.
	w.step(t, "worker1", c.ID, syncproto.ActSubmitInvestigation, "", syncproto.CodeInvestigationRequired)
	w.env.Advance(time.Second)
	reinv := w.investigate(t, hh, "worker1", "worker2")
	c = w.step(t, "worker1", c.ID, syncproto.ActSubmitInvestigation, "", "")
	if c.State != syncproto.StateTownshipNotice || c.Notice.Days != 7 || c.InvestigationID != reinv {
		t.Fatalf("after re-investigation %+v", c)
	}
	w.env.Advance(5 * day)
	w.step(t, "reviewer1", c.ID, syncproto.ActCloseNotice, "", syncproto.CodeNoticePeriodRunning)
	w.env.Advance(2 * day)
	c = w.step(t, "reviewer1", c.ID, syncproto.ActCloseNotice, "", "")

	// County review: the inspectors' spot check.
	w.step(t, "county", c.ID, syncproto.ActCountyApprove, "", syncproto.CodeDrawRequired)
	d = w.draw(t, "inspector", "demo-county", syncproto.DrawCounty, "")
	if len(d.Selected) != 1 || d.Seed == "" {
		t.Fatalf("county draw %+v", d)
	}
	w.step(t, "county", c.ID, syncproto.ActCountyApprove, "", syncproto.CodeSpotCheckRequired)
	w.investigate(t, hh, "inspector", "worker1")
	c = w.step(t, "county", c.ID, syncproto.ActCountyApprove, "", "")
	if c.State != syncproto.StateCountyNotice {
		t.Fatalf("county notice %+v", c)
	}
	w.env.Advance(5 * day)
	c = w.step(t, "county", c.ID, syncproto.ActCloseNotice, "", "")
	if c.State != syncproto.StateApproved || c.ApprovedAt == "" || c.Benefit == nil || c.Benefit.Monthly <= 0 {
		t.Fatalf("approved %+v", c)
	}

	// The roster: one row, numbered by the case.
	var roster struct {
		Rows []syncproto.RosterRow `json:"rows"`
	}
	w.as("county").JSON(http.MethodGet, "/v1/roster", nil, http.StatusOK, &roster)
	if len(roster.Rows) != 1 || roster.Rows[0].CaseNumber != c.Number || roster.Rows[0].Monthly != c.Benefit.Monthly ||
		roster.Rows[0].HeadID != ruhutest.IDNumber(1) || roster.Rows[0].Breakdown == "" {
		t.Fatalf("roster %+v", roster.Rows)
	}
	st, _ = w.as("worker1").Do(http.MethodGet, "/v1/roster", nil)
	if st != http.StatusForbidden {
		t.Fatalf("a village worker reads the roster: %d", st)
	}

	// The history is complete, every step is audited, the chain holds.
	var actions []string
	for _, e := range c.History {
		actions = append(actions, e.Action)
	}
	want := []string{"create", "submit_investigation", "open_village_notice", "close_notice", "draw", "township_approve",
		"object", "submit_investigation", "close_notice", "draw", "county_approve", "close_notice"}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Fatalf("history %v, want %v", actions, want)
	}
	if got := auditOf(t, w.env, syncproto.CollCases, c.ID); len(got) != len(want) {
		t.Fatalf("%d audit entries about the case, want %d", len(got), len(want))
	}
	if _, broken := verifyAudit(t, w.env); broken {
		t.Fatal("audit chain broken")
	}
	// A tablet pulls the case, read-only.
	state, _ = stateOf(w.as("worker1"), "")
	pulled := live(t, state, syncproto.CollCases, c.ID)
	var pc syncproto.Case
	if err := json.Unmarshal(pulled.Fields, &pc); err != nil || pc.State != syncproto.StateApproved || len(pc.History) != len(want) {
		t.Fatalf("pulled case %s (%v)", pulled.Fields, err)
	}
	res = w.push1("worker1", ruhutest.Upsert(syncproto.CollCases, c.ID, pulled.Version, map[string]any{"state": "closed"}))
	if res.Status != syncproto.StatusRejected {
		t.Fatalf("a tablet wrote a case: %+v", res)
	}
}

// Every transition from every state of the path, by every demo user: the
// user outside the subtree sees no case (not_found), a user without the
// role is refused (forbidden), an impossible step is invalid_transition,
// and the user who may gets the step's own precondition code.
func testCaseTransitionMatrix(t *testing.T, newEnv NewEnv) {
	w := newCaseWorld(t, newEnv)
	users := []string{"worker1", "committee1", "reviewer1", "county", "inspector", "worker3", "reviewer2", "admin"}
	outside := map[string]bool{"worker3": true, "reviewer2": true}
	// who may take each action from each state (independent of the engine's table).
	allowed := func(action, state, user string) bool {
		village := user == "worker1" || user == "committee1"
		switch action {
		case syncproto.ActSubmitInvestigation:
			return user == "worker1" || user == "reviewer1"
		case syncproto.ActOpenVillageNotice:
			return village
		case syncproto.ActCloseNotice:
			return map[string]bool{syncproto.StateVillageNotice: village, syncproto.StateTownshipNotice: user == "reviewer1",
				syncproto.StateCountyNotice: user == "county"}[state]
		case syncproto.ActTownshipApprove:
			return user == "reviewer1"
		case syncproto.ActCountyApprove, syncproto.ActConfirm, syncproto.ActStartExit, syncproto.ActClose:
			return user == "county"
		case syncproto.ActReturn:
			if state == syncproto.StateCountyReview || state == syncproto.StateCountyNotice {
				return user == "county"
			}
			return user == "reviewer1" || user == "county"
		case syncproto.ActReject:
			return map[string]bool{syncproto.StateVillageReview: village, syncproto.StateTownshipReview: user == "reviewer1",
				syncproto.StateCountyReview: user == "county"}[state]
		case syncproto.ActStartRecheck:
			return user == "reviewer1" || user == "county"
		}
		return false
	}
	from := map[string][]string{
		syncproto.ActSubmitInvestigation: {syncproto.StateInvestigating, syncproto.StateReturned},
		syncproto.ActOpenVillageNotice:   {syncproto.StateVillageReview},
		syncproto.ActCloseNotice:         {syncproto.StateVillageNotice, syncproto.StateTownshipNotice, syncproto.StateCountyNotice},
		syncproto.ActTownshipApprove:     {syncproto.StateTownshipReview},
		syncproto.ActCountyApprove:       {syncproto.StateCountyReview},
		syncproto.ActReturn: {syncproto.StateVillageReview, syncproto.StateVillageNotice, syncproto.StateTownshipReview,
			syncproto.StateTownshipNotice, syncproto.StateCountyReview, syncproto.StateCountyNotice},
		syncproto.ActReject:       {syncproto.StateVillageReview, syncproto.StateTownshipReview, syncproto.StateCountyReview},
		syncproto.ActStartRecheck: {syncproto.StateApproved},
		syncproto.ActConfirm:      {syncproto.StateRecheck},
		syncproto.ActStartExit:    {syncproto.StateApproved, syncproto.StateRecheck},
		syncproto.ActClose:        {syncproto.StateApproved, syncproto.StateRecheck, syncproto.StateExiting},
	}
	// precondition is the code the allowed user gets in each state (the
	// step is refused without a reason, before its precondition holds);
	// "" means the step would succeed, so it is not taken here.
	precondition := func(action, state string) string {
		switch action {
		case syncproto.ActReturn, syncproto.ActReject, syncproto.ActClose:
			return syncproto.CodeReasonRequired
		case syncproto.ActSubmitInvestigation:
			return syncproto.CodeInvestigationRequired
		case syncproto.ActOpenVillageNotice:
			return syncproto.CodeReviewMissing
		case syncproto.ActCloseNotice:
			return syncproto.CodeNoticePeriodRunning
		case syncproto.ActTownshipApprove, syncproto.ActCountyApprove:
			return syncproto.CodeDrawRequired
		case syncproto.ActStartExit:
			if state == syncproto.StateRecheck {
				return syncproto.CodeInvestigationRequired
			}
			return syncproto.CodeExitNotApplicable
		}
		return ""
	}
	check := func(caseID, state string) {
		t.Helper()
		clients := map[string]*ruhutest.Client{}
		for _, u := range users {
			clients[u] = w.as(u)
		}
		for action := range from {
			for _, u := range users {
				want := ""
				switch {
				case u == "admin":
					want = syncproto.CodeForbidden // no personal data for the admin
				case outside[u]:
					want = syncproto.CodeNotFound
				case !slices.Contains(from[action], state):
					want = syncproto.CodeInvalidTransition
				case !allowed(action, state, u):
					want = syncproto.CodeForbidden
				default:
					want = precondition(action, state)
				}
				if want == "" {
					continue
				}
				st, b := clients[u].Do(http.MethodPost, casesPath+"/"+caseID+"/transitions", syncproto.TransitionRequest{Action: action})
				var p syncproto.Problem
				if json.Unmarshal(b, &p) != nil || p.Code != want {
					t.Errorf("%s: %s by %s: %d %s, want %s", state, action, u, st, b, want)
				}
			}
		}
		if c := w.getCase(t, "worker1", caseID); c.State != state {
			t.Fatalf("the matrix moved the case to %s", c.State)
		}
	}

	id, hh := w.toVillageReview(t, 1)
	// investigating: a second household's fresh case.
	hh2 := w.household(t, "t1-v1", 2)
	check(w.createCase(t, "worker1", hh2).ID, syncproto.StateInvestigating)
	check(id, syncproto.StateVillageReview)
	rv := w.review(t, hh, 9, 7, 6, 1, w.minutes(t, hh))
	w.signRecord(t, reviews, rv, "worker1")
	w.signRecord(t, reviews, rv, "committee1")
	w.step(t, "worker1", id, syncproto.ActOpenVillageNotice, "", "")
	check(id, syncproto.StateVillageNotice)
	w.env.Advance(7 * day)
	w.step(t, "worker1", id, syncproto.ActCloseNotice, "", "")
	check(id, syncproto.StateTownshipReview)
	w.draw(t, "reviewer1", "t1", syncproto.DrawTownship, "matrix")
	w.env.Advance(time.Second)
	w.investigate(t, hh, "reviewer1", "worker1")
	w.step(t, "reviewer1", id, syncproto.ActTownshipApprove, "", "")
	check(id, syncproto.StateTownshipNotice)
	w.env.Advance(5 * day)
	w.step(t, "reviewer1", id, syncproto.ActCloseNotice, "", "")
	check(id, syncproto.StateCountyReview)
	w.draw(t, "county", "demo-county", syncproto.DrawCounty, "matrix")
	w.env.Advance(time.Second)
	w.investigate(t, hh, "inspector", "worker1")
	w.step(t, "county", id, syncproto.ActCountyApprove, "", "")
	check(id, syncproto.StateCountyNotice)
	w.env.Advance(5 * day)
	w.step(t, "county", id, syncproto.ActCloseNotice, "", "")
	check(id, syncproto.StateApproved)

	// After approval: a re-check, then the case is closed.
	w.step(t, "reviewer1", id, syncproto.ActStartRecheck, "", "")
	check(id, syncproto.StateRecheck)
	w.step(t, "county", id, syncproto.ActClose, "户籍迁出", "")
	check(id, syncproto.StateClosed)
	// A new case of the household may open once the last one ended.
	c2 := w.createCase(t, "worker1", hh)
	w.step(t, "worker1", c2.ID, syncproto.ActSubmitInvestigation, "", syncproto.CodeInvestigationRequired)
}

// A registered close relative of the acting official cannot decide the
// case, even when the relative joins the household after the case began.
func testCaseConflictOfInterest(t *testing.T, newEnv NewEnv) {
	w := newCaseWorld(t, newEnv)
	id, hh := w.toTownshipReview(t, 1)
	w.draw(t, "reviewer1", "t1", syncproto.DrawTownship, "coi")
	w.env.Advance(time.Second)
	w.investigate(t, hh, "reviewer1", "worker1")
	// reviewer1's registered relative joins the household.
	relative := ruhutest.IDNumber(77)
	admin := w.env.Actor("admin", "x")
	if _, err := adminService(w.env).AddRelative(context.Background(), admin, syncproto.RelativeRequest{
		UserID: userID(w.env, "reviewer1"), IDNumber: relative, Relation: "配偶"}); err != nil {
		t.Fatal(err)
	}
	w.pushApplied(t, "worker1", ruhutest.Upsert(mems, "rel", 0, map[string]any{"household_id": hh, "name": "亲属",
		"id_number": relative, "relation": "子女", "birth_date": "1990-01-01"}))
	w.step(t, "reviewer1", id, syncproto.ActTownshipApprove, "", syncproto.CodeConflictOfInterest)
	st, b := w.as("reviewer1").Do(http.MethodPost, casesPath+"/"+id+"/transitions",
		syncproto.TransitionRequest{Action: syncproto.ActReturn, Reason: "x"})
	wantCode(t, st, b, syncproto.CodeConflictOfInterest)
	if c := w.getCase(t, "reviewer1", id); c.State != syncproto.StateTownshipReview {
		t.Fatalf("state %s", c.State)
	}
}

// A draw selects at least the policy's share, reproducibly from its seed,
// is audited, and covers each case once per round.
func testCaseDrawIsReproducible(t *testing.T, newEnv NewEnv) {
	w := newCaseWorld(t, newEnv)
	var ids []string
	for i := 1; i <= 6; i++ {
		id, _ := w.toTownshipReview(t, i)
		ids = append(ids, id)
	}
	d := w.draw(t, "reviewer1", "t1", syncproto.DrawTownship, "")
	if len(d.Candidates) != 6 || len(d.Selected) != 2 { // ceil(6 × 20 %)
		t.Fatalf("draw %+v", d)
	}
	var got syncproto.Draw
	w.as("reviewer1").JSON(http.MethodGet, "/v1/draws/"+d.ID, nil, http.StatusOK, &got)
	if got.Reproduced == nil || !*got.Reproduced || fmt.Sprint(got.Selected) != fmt.Sprint(d.Selected) {
		t.Fatalf("draw again %+v", got)
	}
	entries := auditOf(t, w.env, syncproto.CollDraws, d.ID)
	if len(entries) != 1 || detailOf(t, entries[0])["seed"] != d.Seed {
		t.Fatalf("draw audit %+v", entries)
	}
	st, b := w.as("reviewer1").Do(http.MethodPost, "/v1/draws", syncproto.DrawRequest{UnitID: "t1", Stage: syncproto.DrawTownship})
	wantCode(t, st, b, syncproto.CodeNothingToDraw)
	st, b = w.as("reviewer2").Do(http.MethodPost, "/v1/draws", syncproto.DrawRequest{UnitID: "t1", Stage: syncproto.DrawTownship})
	wantCode(t, st, b, syncproto.CodeOutOfScope)
	st, b = w.as("worker1").Do(http.MethodPost, "/v1/draws", syncproto.DrawRequest{UnitID: "t1", Stage: syncproto.DrawTownship})
	wantCode(t, st, b, syncproto.CodeForbidden)
	st, b = w.as("reviewer2").Do(http.MethodGet, "/v1/draws/"+d.ID, nil)
	wantCode(t, st, b, syncproto.CodeNotFound)
	// The undrawn pass without a re-visit; the drawn need one.
	var drawnCount int
	for _, id := range ids {
		code := ""
		if slices.Contains(d.Selected, id) {
			code, drawnCount = syncproto.CodeRevisitRequired, drawnCount+1
		}
		w.step(t, "reviewer1", id, syncproto.ActTownshipApprove, "", code)
	}
	var list syncproto.CaseList
	w.as("reviewer1").JSON(http.MethodGet, casesPath+"?drawn=true&state=township_review", nil, http.StatusOK, &list)
	if len(list.Cases) != drawnCount || drawnCount != 2 {
		t.Fatalf("drawn queue %+v", list)
	}
	w.as("reviewer1").JSON(http.MethodGet, casesPath+"?unit_id=t1", nil, http.StatusOK, &list)
	if len(list.Cases) != 6 || list.Counts[syncproto.StateTownshipNotice] != 4 || list.Counts[syncproto.StateTownshipReview] != 2 {
		t.Fatalf("queue counts %+v", list.Counts)
	}
}

// Notices name no minor and no confidential member, withhold a household
// whose head is either, and mask ID numbers.
func testCaseNoticeMasking(t *testing.T, newEnv NewEnv) {
	w := newCaseWorld(t, newEnv)
	id, hh := w.toVillageReview(t, 1)
	w.pushApplied(t, "worker1", ruhutest.Upsert(mems, "kid", 0, map[string]any{"household_id": hh, "name": "小明",
		"id_number": ruhutest.IDNumber(31), "relation": "子女", "birth_date": w.env.Now().AddDate(-10, 0, 0).Format(time.DateOnly)}))
	w.pushApplied(t, "worker1", ruhutest.Upsert(mems, "secret", 0, map[string]any{"household_id": hh, "name": "保密成员",
		"id_number": ruhutest.IDNumber(32), "relation": "配偶", "birth_date": "1970-01-01", "confidential": true}))
	w.pushApplied(t, "worker1", ruhutest.Upsert(mems, "adult", 0, map[string]any{"household_id": hh, "name": "成年子女",
		"id_number": ruhutest.IDNumber(33), "relation": "子女", "birth_date": "1995-01-01"}))
	rv := w.review(t, hh, 9, 7, 6, 1, w.minutes(t, hh))
	w.signRecord(t, reviews, rv, "worker1")
	w.signRecord(t, reviews, rv, "committee1")
	w.step(t, "worker1", id, syncproto.ActOpenVillageNotice, "", "")
	// A second household whose head is confidential.
	id2, hh2 := w.toVillageReview(t, 2)
	if r := w.push1("worker1", ruhutest.Upsert(mems, hh2+"-head", 0, map[string]any{"confidential": true})); r.Status != syncproto.StatusMerged {
		t.Fatalf("confidential head: %+v", r)
	}
	rv2 := w.review(t, hh2, 9, 7, 6, 1, w.minutes(t, hh2))
	w.signRecord(t, reviews, rv2, "worker1")
	w.signRecord(t, reviews, rv2, "committee1")
	w.step(t, "worker1", id2, syncproto.ActOpenVillageNotice, "", "")

	var list syncproto.NoticeList
	w.as("worker1").JSON(http.MethodGet, "/v1/notices?stage=village&unit_id=t1-v1", nil, http.StatusOK, &list)
	if len(list.Rows) != 1 || list.Withheld != 1 {
		t.Fatalf("notice %+v", list)
	}
	r := list.Rows[0]
	if r.HeadID != syncproto.MaskIDNumber(ruhutest.IDNumber(1)) || fmt.Sprint(r.Members) != "[成年子女]" || r.Village == "" {
		t.Fatalf("notice row %+v", r)
	}
	st, page := w.as("worker1").Do(http.MethodGet, "/v1/notices?stage=village&unit_id=t1-v1&format=html", nil)
	for _, leak := range []string{"小明", "保密成员", ruhutest.IDNumber(1), "户主2"} {
		if st != http.StatusOK || strings.Contains(string(page), leak) {
			t.Fatalf("the printed notice shows %q (status %d)", leak, st)
		}
	}
	if !strings.Contains(string(page), "户主1") || !strings.Contains(string(page), "@media print") {
		t.Fatalf("printed notice: %s", page)
	}
	st, b := w.as("worker3").Do(http.MethodGet, "/v1/notices?stage=village&unit_id=t1-v1", nil)
	wantCode(t, st, b, syncproto.CodeOutOfScope)
}

// The village committee and the inspectors read ID numbers masked and no
// health data; the file keepers read them whole.
func testSensitiveFieldsMaskedPerRole(t *testing.T, newEnv NewEnv) {
	w := newCaseWorld(t, newEnv)
	hh := w.household(t, "t1-v1", 1)
	w.pushApplied(t, "worker1", ruhutest.Upsert(mems, "sick", 0, map[string]any{"household_id": hh, "name": "病人",
		"id_number": ruhutest.IDNumber(5), "relation": "配偶", "health": "尿毒症", "serious_illness": true,
		"disability_grade": 2}))
	for _, sc := range []struct {
		user   string
		masked bool
	}{{"worker1", false}, {"reviewer1", false}, {"county", false}, {"committee1", true}, {"inspector", true}} {
		state, _ := stateOf(w.as(sc.user), "")
		h, m := fieldsOf(t, live(t, state, hhs, hh)), fieldsOf(t, live(t, state, mems, "sick"))
		id, health := ruhutest.IDNumber(5), any("尿毒症")
		if sc.masked {
			id, health = syncproto.MaskIDNumber(id), nil
		}
		if m["id_number"] != id || m["health"] != health || (sc.masked && (m["serious_illness"] != nil || m["disability_grade"] != nil)) ||
			m["name"] != "病人" {
			t.Errorf("%s reads member %v", sc.user, m)
		}
		if want := ruhutest.IDNumber(1); (h["head_id_number"] == want) == sc.masked {
			t.Errorf("%s reads head %v", sc.user, h["head_id_number"])
		}
	}
}

// toApproved takes a new household's case through every step to approved.
func (w *caseWorld) toApproved(t *testing.T, head int) (caseID, hh string) {
	t.Helper()
	caseID, hh = w.toTownshipReview(t, head)
	w.draw(t, "reviewer1", "t1", syncproto.DrawTownship, "")
	w.env.Advance(time.Second)
	w.investigate(t, hh, "reviewer1", "worker1")
	w.step(t, "reviewer1", caseID, syncproto.ActTownshipApprove, "", "")
	w.env.Advance(5 * day)
	w.step(t, "reviewer1", caseID, syncproto.ActCloseNotice, "", "")
	w.draw(t, "county", "demo-county", syncproto.DrawCounty, "")
	w.env.Advance(time.Second)
	w.investigate(t, hh, "inspector", "worker1")
	w.step(t, "county", caseID, syncproto.ActCountyApprove, "", "")
	w.env.Advance(5 * day)
	w.step(t, "county", caseID, syncproto.ActCloseNotice, "", "")
	return caseID, hh
}

// After approval: a re-check needs a new investigation and computes the
// benefit again; income above the standard and below twice it starts the
// gradual exit (18 months by default); a stale step is refused; a county
// policy version changes the numbers from its effective date on.
func testCaseRecheckExitAndPolicy(t *testing.T, newEnv NewEnv) {
	w := newCaseWorld(t, newEnv)
	id, hh := w.toApproved(t, 1)
	c := w.getCase(t, "county", id)
	// Default rural standard 375.00, one member earning 100.00: 275.00,
	// plus nothing for a 66-year-old without illness.
	if c.Benefit.Monthly != 27500 || c.Benefit.PerCapitaIncome != 10000 || c.Benefit.Standard != 37500 {
		t.Fatalf("benefit %+v", c.Benefit)
	}
	w.stepReq(t, "county", id, syncproto.TransitionRequest{Action: syncproto.ActStartExit, ExpectedVersion: c.Version - 1}, syncproto.CodeStaleCase)
	w.step(t, "county", id, syncproto.ActStartExit, "", syncproto.CodeExitNotApplicable)
	c = w.step(t, "reviewer1", id, syncproto.ActStartRecheck, "年度复核", "")
	w.step(t, "county", id, syncproto.ActConfirm, "", syncproto.CodeInvestigationRequired)
	w.step(t, "county", id, syncproto.ActStartExit, "", syncproto.CodeInvestigationRequired)
	w.env.Advance(time.Second)
	w.wage = "200.00"
	w.investigate(t, hh, "worker1", "worker2")
	c = w.step(t, "county", id, syncproto.ActConfirm, "", "")
	if c.State != syncproto.StateApproved || c.Benefit.Monthly != 17500 {
		t.Fatalf("confirmed %+v %+v", c, c.Benefit)
	}
	c = w.step(t, "reviewer1", id, syncproto.ActStartRecheck, "收入变化", "")
	w.env.Advance(time.Second)
	w.wage = "500.00"
	w.investigate(t, hh, "worker1", "worker2")
	w.step(t, "county", id, syncproto.ActConfirm, "", syncproto.CodeBenefitNotPayable)
	c = w.step(t, "county", id, syncproto.ActStartExit, "收入超过标准", "")
	if c.State != syncproto.StateExiting || c.ExitUntil != server.CivilDate(w.env.Now().AddDate(0, 18, 0)) ||
		c.Benefit.Regime != "gradual_exit" || c.PriorMonthlyFen != 17500 || c.Benefit.Monthly <= 0 {
		t.Fatalf("exit %+v %+v", c, c.Benefit)
	}
	w.step(t, "county", id, syncproto.ActClose, "", syncproto.CodeReasonRequired)
	if c = w.step(t, "county", id, syncproto.ActClose, "渐退期满", ""); c.State != syncproto.StateClosed {
		t.Fatalf("closed %+v", c)
	}

	// Policy versions: validated, not in the past, effective from their date.
	admin := w.as("admin")
	today := server.CivilDate(w.env.Now())
	bad := map[string]any{"effective_from": today, "urban_standard": 58000, "rural_standard": 40000, "floor": 5000,
		"low_income_line": 15000, "exit_ceiling": 20000, "exit_months": 18, "exit_months_disabled": 24,
		"exit_year_shares": []int{10000}, "procedure": map[string]any{"revisit_share": 1000}}
	st, b := admin.Do(http.MethodPost, "/v1/admin/policies", bad)
	wantCode(t, st, b, syncproto.CodeInvalidPolicy)
	bad["procedure"] = map[string]any{"village_notice_days": 10}
	bad["effective_from"] = server.CivilDate(w.env.Now().AddDate(0, 0, -1))
	st, b = admin.Do(http.MethodPost, "/v1/admin/policies", bad)
	wantCode(t, st, b, syncproto.CodeInvalidPolicy)
	bad["effective_from"] = today
	admin.JSON(http.MethodPost, "/v1/admin/policies", bad, http.StatusCreated, nil)
	st, _ = w.as("worker1").Do(http.MethodPost, "/v1/admin/policies", bad)
	if st != http.StatusForbidden {
		t.Fatalf("a worker sets policy: %d", st)
	}
	id2, hh2 := w.toVillageReview(t, 2)
	rv := w.review(t, hh2, 9, 7, 6, 1, w.minutes(t, hh2))
	w.signRecord(t, reviews, rv, "worker1")
	w.signRecord(t, reviews, rv, "committee1")
	c = w.step(t, "worker1", id2, syncproto.ActOpenVillageNotice, "", "")
	if c.Notice.Days != 10 || c.Benefit.Standard != 40000 || c.Benefit.PolicyFrom != today {
		t.Fatalf("notice under the new policy %+v %+v", c.Notice, c.Benefit)
	}
	var ps struct {
		Policies []map[string]any `json:"policies"`
	}
	w.as("worker1").JSON(http.MethodGet, "/v1/policies", nil, http.StatusOK, &ps)
	if len(ps.Policies) != 2 {
		t.Fatalf("policies %v", ps.Policies)
	}
}
