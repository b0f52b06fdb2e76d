package clientsdk_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/roster"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// One household from a tablet investigation to a row of the roster: the
// investigation and the democratic review are recorded and signed on a
// shared tablet (offline first, synced after), the office steps go
// through the API, the township returns the case with a reason the tablet
// pulls, an objection during the township notice needs a re-investigation
// and a longer notice, the township re-visits and the inspectors spot
// check, and the approved case is a row of the roster whose xlsx and CSV
// carry the same cells. The audit chain verifies at the end.
func TestProcedureFromTabletToRoster(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	tab := tablet(t, env, clientsdk.WithClock(env.Now))
	day := 24 * time.Hour

	// The visit: two investigators on one tablet.
	login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(1))
	create(t, tab, syncproto.CollMembers, clientsdk.Fields{"household_id": hh, "name": "户主1", "relation": "户主",
		"id_number": ruhutest.IDNumber(1), "birth_date": "1958-04-02", "serious_illness": true})
	create(t, tab, syncproto.CollMembers, clientsdk.Fields{"household_id": hh, "name": "配偶", "relation": "配偶",
		"id_number": ruhutest.IDNumber(2), "birth_date": "1960-09-09"})
	photo(t, tab, hh, "commitment", 1)
	inv := investigate(t, tab, hh, "worker1", "worker2")

	// The application is opened and reaches the village review.
	office := func(user string) *ruhutest.Client { return env.Login(user, "office-"+user) }
	var c syncproto.Case
	office("worker1").JSON(http.MethodPost, "/v1/cases", syncproto.CreateCaseRequest{HouseholdID: hh}, http.StatusCreated, &c)
	c = step(t, office("worker1"), c.ID, syncproto.ActSubmitInvestigation, "")
	if c.State != syncproto.StateVillageReview || c.InvestigationID != inv {
		t.Fatalf("case %+v", c)
	}

	// The democratic review, co-signed on the tablet by the cadre and the
	// committee head.
	villageReview(t, tab, hh)
	c = step(t, office("committee1"), c.ID, syncproto.ActOpenVillageNotice, "")
	env.Advance(7 * day)
	c = step(t, office("worker1"), c.ID, syncproto.ActCloseNotice, "")

	// The township returns it; the tablet learns why.
	const why = "收入证明缺失，请补充村委会出具的收入证明"
	c = step(t, office("reviewer1"), c.ID, syncproto.ActReturn, why)
	login(t, tab, "worker1")
	mustSync(t, tab)
	var pulled syncproto.Case
	if err := get(t, tab, syncproto.CollCases, c.ID).Decode(&pulled); err != nil || pulled.State != syncproto.StateReturned || pulled.Reason != why {
		t.Fatalf("the tablet sees %+v (%v)", pulled, err)
	}

	// Re-investigated, reviewed again, noticed again.
	env.Advance(time.Hour)
	investigate(t, tab, hh, "worker1", "worker2")
	c = step(t, office("worker1"), c.ID, syncproto.ActSubmitInvestigation, "")
	villageReview(t, tab, hh)
	c = step(t, office("committee1"), c.ID, syncproto.ActOpenVillageNotice, "")
	env.Advance(7 * day)
	c = step(t, office("worker1"), c.ID, syncproto.ActCloseNotice, "")

	// Township review: drawn, re-visited by the reviewer.
	var d syncproto.Draw
	office("reviewer1").JSON(http.MethodPost, "/v1/draws", syncproto.DrawRequest{UnitID: "t1", Stage: syncproto.DrawTownship, Seed: "2026-11 第1轮"}, http.StatusCreated, &d)
	if len(d.Selected) != 1 {
		t.Fatalf("draw %+v", d)
	}
	env.Advance(time.Hour)
	investigate(t, tab, hh, "reviewer1", "worker1")
	c = step(t, office("reviewer1"), c.ID, syncproto.ActTownshipApprove, "")

	// An objection: back to investigation, and a notice of 7 days, not 5.
	var objected syncproto.Case
	office("reviewer1").JSON(http.MethodPost, "/v1/cases/"+c.ID+"/objections",
		syncproto.ObjectionRequest{Text: "有群众反映其子女在县城购房", Objector: "村民（匿名）"}, http.StatusCreated, &objected)
	env.Advance(time.Hour)
	investigate(t, tab, hh, "worker1", "worker2")
	c = step(t, office("worker1"), c.ID, syncproto.ActSubmitInvestigation, "")
	if c.State != syncproto.StateTownshipNotice || c.Notice.Days != 7 {
		t.Fatalf("after the objection: %+v", c)
	}
	env.Advance(7 * day)
	c = step(t, office("reviewer1"), c.ID, syncproto.ActCloseNotice, "")

	// County: the inspectors' spot check, approval, the last notice.
	office("inspector").JSON(http.MethodPost, "/v1/draws", syncproto.DrawRequest{UnitID: "demo-county", Stage: syncproto.DrawCounty}, http.StatusCreated, &d)
	env.Advance(time.Hour)
	investigate(t, tab, hh, "inspector", "worker1")
	c = step(t, office("county"), c.ID, syncproto.ActCountyApprove, "")
	env.Advance(5 * day)
	c = step(t, office("county"), c.ID, syncproto.ActCloseNotice, "")
	if c.State != syncproto.StateApproved || c.Benefit == nil || c.Benefit.Monthly <= 0 {
		t.Fatalf("approved case %+v", c)
	}

	// The roster: the same row in JSON, xlsx and CSV.
	var list struct {
		Rows []syncproto.RosterRow `json:"rows"`
	}
	office("county").JSON(http.MethodGet, "/v1/roster?unit_id=t1", nil, http.StatusOK, &list)
	if len(list.Rows) != 1 || list.Rows[0].CaseNumber != c.Number || list.Rows[0].Monthly != c.Benefit.Monthly {
		t.Fatalf("roster %+v, case %s %d", list.Rows, c.Number, c.Benefit.Monthly)
	}
	want := [][]string{roster.Header, roster.Cells(list.Rows[0])}
	st, xlsx := office("county").Do(http.MethodGet, "/v1/roster.xlsx?unit_id=t1", nil)
	if st != http.StatusOK {
		t.Fatalf("xlsx: %d %s", st, xlsx)
	}
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("花名册")
	if err != nil || len(rows) != 3 {
		t.Fatalf("xlsx rows %q (%v)", rows, err)
	}
	if fmt.Sprint(rows[1:]) != fmt.Sprint(want) {
		t.Fatalf("xlsx %q\nwant %q", rows[1:], want)
	}
	st, csvBody := office("county").Do(http.MethodGet, "/v1/roster.csv?unit_id=t1", nil)
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(csvBody), "\ufeff"))).ReadAll()
	if st != http.StatusOK || err != nil || fmt.Sprint(records) != fmt.Sprint(want) {
		t.Fatalf("csv %d %q (%v)", st, records, err)
	}

	// Every step left its trace, and the chain holds.
	var actions []string
	for _, e := range c.History {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "create submit_investigation open_village_notice close_notice return "+
		"submit_investigation open_village_notice close_notice draw township_approve object submit_investigation close_notice "+
		"draw county_approve close_notice" {
		t.Fatalf("history %s", got)
	}
	n, brk, err := env.App.Engine.VerifyAudit(ctx)
	if err != nil || brk != nil || n == 0 {
		t.Fatalf("audit: %d rows, break %+v, %v", n, brk, err)
	}
}

// investigate records and signs an investigation of hh on the tablet by
// two users (the first records it), syncs and submits it.
func investigate(t *testing.T, tab *clientsdk.Client, hh, first, second string) string {
	t.Helper()
	ctx := context.Background()
	login(t, tab, first)
	inv := create(t, tab, syncproto.CollInvestigations, clientsdk.Fields{"household_id": hh, "date": "2026-11-20",
		"findings": "入户核实：户主重病，配偶务农。",
		"income_items": []map[string]any{
			{"member_id": "", "type": "business", "amount": "300.00"},
			{"type": "basic_pension", "amount": "160.00"}}})
	for _, u := range []string{first, second} {
		login(t, tab, u)
		if _, err := tab.RegisterKey(ctx); err != nil {
			t.Fatalf("key of %s: %v", u, err)
		}
		if _, err := tab.Sign(ctx, inv, clientsdk.SignOptions{Role: "investigator"}); err != nil {
			t.Fatalf("%s signs: %v", u, err)
		}
	}
	if rep := mustSync(t, tab); len(rep.Rejected) != 0 {
		t.Fatalf("sync: %+v", rep)
	}
	if _, err := tab.Submit(ctx, inv); err != nil {
		t.Fatalf("submit %s: %v", inv, err)
	}
	return inv
}

// villageReview records a passing review of hh with its minutes photo,
// co-signed by worker1 and committee1 on the tablet.
func villageReview(t *testing.T, tab *clientsdk.Client, hh string) string {
	t.Helper()
	ctx := context.Background()
	login(t, tab, "worker1")
	minutes := photo(t, tab, hh, "document", 2)
	rv := create(t, tab, syncproto.CollReviews, clientsdk.Fields{"household_id": hh, "committee_size": 9, "present": 7,
		"votes_for": 6, "votes_against": 1, "date": "2026-11-21", "method": "ballot", "minutes_photo": minutes,
		"opinion": "同意纳入低保"})
	for _, u := range []string{"worker1", "committee1"} {
		login(t, tab, u)
		if _, err := tab.RegisterKey(ctx); err != nil {
			t.Fatalf("key of %s: %v", u, err)
		}
		if _, err := tab.SignReview(ctx, rv, clientsdk.SignOptions{Role: "review"}); err != nil {
			t.Fatalf("%s signs the review: %v", u, err)
		}
	}
	if rep := mustSync(t, tab); len(rep.Rejected) != 0 {
		t.Fatalf("sync: %+v", rep)
	}
	return rv
}

// photo files a small JPEG (different for each n) under hh and returns
// its hash.
func photo(t *testing.T, tab *clientsdk.Client, hh, kind string, n int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i*7 + n*31)
	}
	img.Set(n, n, color.RGBA{R: byte(n), A: 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("p%d.jpg", n))
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := tab.AddPhoto(context.Background(), hh, kind, path)
	if err != nil {
		t.Fatalf("photo: %v", err)
	}
	mustSync(t, tab)
	return p.SHA256
}

func step(t *testing.T, c *ruhutest.Client, id, action, reason string) syncproto.Case {
	t.Helper()
	var out syncproto.Case
	st, b := c.Do(http.MethodPost, "/v1/cases/"+id+"/transitions", syncproto.TransitionRequest{Action: action, Reason: reason})
	if st != http.StatusOK || json.Unmarshal(b, &out) != nil {
		t.Fatalf("%s: %d %s", action, st, b)
	}
	return out
}
