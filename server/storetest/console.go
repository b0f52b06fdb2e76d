package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The console's reads (Tx.LiveRecordsIn and the engine's Console*) see
// the live records of the asked units created since a date, and never
// anything outside the reader's subtree.
func testConsoleReadsAreScoped(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	ctx := context.Background()
	w1, w3 := env.Login("worker1", "tab-c1"), env.Login("worker3", "tab-c3")
	res := w1.Push(ruhutest.Upsert("households", "hh-c1", 0, ruhutest.Household("t1-v1", 701)),
		ruhutest.Upsert("households", "hh-c2", 0, ruhutest.Household("t1-v1", 702)),
		ruhutest.Upsert("members", "m-c1", 0, member("hh-c1", 703)))
	w3.Push(ruhutest.Upsert("households", "hh-c3", 0, ruhutest.Household("t2-v1", 704)))
	w1.Push(ruhutest.Delete("households", "hh-c2", res.Results[1].Version))
	env.Advance(time.Hour)
	later := env.Now()
	env.Login("worker1", "tab-c1b").Push(ruhutest.Upsert("households", "hh-c4", 0, ruhutest.Household("t1-v1", 705)))

	var all, recent, none []*server.Record
	if err := env.App.Store.Read(ctx, func(tx server.Tx) (err error) {
		if all, err = tx.LiveRecordsIn(syncproto.CollHouseholds, []string{"t1-v1", "t2-v1"}, time.Time{}, 100); err != nil {
			return err
		}
		if recent, err = tx.LiveRecordsIn(syncproto.CollHouseholds, []string{"t1-v1"}, later, 100); err != nil {
			return err
		}
		none, err = tx.LiveRecordsIn(syncproto.CollHouseholds, []string{"t1-v2"}, time.Time{}, 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := recordIDs(all); len(got) != 3 || got[0] != "hh-c1" || got[1] != "hh-c3" || got[2] != "hh-c4" {
		t.Errorf("all live households of t1-v1 and t2-v1: %v, want hh-c1 hh-c3 hh-c4 (hh-c2 deleted)", got)
	}
	if got := recordIDs(recent); len(got) != 1 || got[0] != "hh-c4" {
		t.Errorf("households since %s: %v, want hh-c4", later, got)
	}
	if len(none) != 0 {
		t.Errorf("t1-v2 holds %v", recordIDs(none))
	}

	r1, r2 := env.Actor("reviewer1", "console"), env.Actor("reviewer2", "console")
	q, err := env.App.Engine.ConsoleQueue(ctx, r1, engine.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if q.Total != 2 || q.Rows[0].ID != "hh-c4" || q.Rows[1].Members != 1 || q.Rows[1].HeadIDNumber != syncproto.MaskIDNumber(ruhutest.IDNumber(701)) {
		t.Errorf("reviewer1's queue: %+v", q)
	}
	if q2, err := env.App.Engine.ConsoleQueue(ctx, r2, engine.QueueFilter{}); err != nil || q2.Total != 1 || q2.Rows[0].ID != "hh-c3" {
		t.Errorf("reviewer2's queue: %+v %v", q2, err)
	}
	if _, err := env.App.Engine.ConsoleQueue(ctx, r2, engine.QueueFilter{Village: "t1-v1"}); server.ErrorCode(err) != syncproto.CodeNotFound {
		t.Errorf("reviewer2 filtering t1-v1: %v, want not_found", err)
	}
	if _, err := env.App.Engine.ConsoleHousehold(ctx, r2, "hh-c1"); server.ErrorCode(err) != syncproto.CodeNotFound {
		t.Errorf("reviewer2 opening hh-c1: %v, want not_found", err)
	}
	f, err := env.App.Engine.ConsoleHousehold(ctx, r1, "hh-c1")
	if err != nil || len(f.Members) != 1 || f.Household.Fields["head_id_number"] != ruhutest.IDNumber(701) || len(f.Audit) < 2 {
		t.Fatalf("reviewer1's file of hh-c1: %+v %v", f, err)
	}
	f, err = env.App.Engine.ConsoleHousehold(ctx, env.Actor("committee1", "console"), "hh-c1")
	if err != nil || !f.Masked || f.Household.Fields["head_id_number"] != syncproto.MaskIDNumber(ruhutest.IDNumber(701)) || f.Audit[0].Detail != nil {
		t.Fatalf("committee1's file of hh-c1 is not masked: %+v %v", f, err)
	}
	// Opening the file with full ID numbers is logged; a masked view is not.
	var views []string
	for _, e := range auditOf(t, env, syncproto.CollHouseholds, "hh-c1") {
		if e.Action == "household.view" {
			views = append(views, e.ActorID)
		}
	}
	if len(views) != 1 || views[0] != r1.UserID {
		t.Errorf("views of hh-c1 logged for %v, want reviewer1 once", views)
	}
	o, err := env.App.Engine.ConsoleOverview(ctx, r1, later)
	if err != nil || len(o.Villages) != 3 || o.Villages[0].UnitID != "t1-v1" || o.Villages[0].Households != 1 {
		t.Errorf("reviewer1's overview since %s: %+v %v", later, o, err)
	}
	if heads, err := env.App.Engine.ConsoleHeads(ctx, r2, []string{"hh-c1", "hh-c3"}); err != nil || len(heads) != 1 || heads["hh-c3"].HeadName != "户主704" {
		t.Errorf("reviewer2's heads of hh-c1 and hh-c3: %+v %v, want hh-c3 only", heads, err)
	}
	if _, err := env.App.Engine.ConsoleOverview(ctx, env.Actor("admin", "console"), later); server.ErrorCode(err) != syncproto.CodeForbidden {
		t.Errorf("admin's overview: %v, want forbidden", err)
	}
}

func recordIDs(rs []*server.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
