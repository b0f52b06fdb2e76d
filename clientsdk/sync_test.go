package clientsdk_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

func TestCreateSyncRoundTrip(t *testing.T) {
	env := ruhutest.New(t)
	tab := tablet(t, env)
	login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(1))
	m := create(t, tab, syncproto.CollMembers, clientsdk.Fields{"household_id": hh, "name": "户主1",
		"id_number": ruhutest.IDNumber(1), "relation": "户主"})
	if r := get(t, tab, syncproto.CollHouseholds, hh); r.Version != 0 || !r.Pending || r.String("head_name") != "户主1" {
		t.Fatalf("before sync: %+v", r)
	}
	rep := mustSync(t, tab)
	if rep.Pushed != 2 || rep.Applied != 2 || len(rep.Rejected) != 0 || len(rep.Conflicts) != 0 {
		t.Fatalf("report: %+v", rep)
	}
	srv := serverState(t, env)
	for _, key := range [][2]string{{syncproto.CollHouseholds, hh}, {syncproto.CollMembers, m}} {
		ch, ok := srv[key[0]+"/"+key[1]]
		if !ok {
			t.Fatalf("%v not on the server", key)
		}
		if r := get(t, tab, key[0], key[1]); r.Version != ch.Version || r.Pending {
			t.Fatalf("%v: local version %d pending %v, server %d", key, r.Version, r.Pending, ch.Version)
		}
	}
	if n := outbox(t, tab); n != 0 {
		t.Fatalf("outbox %d after sync", n)
	}
	if again := mustSync(t, tab); again.Pushed != 0 || again.Pulled != 0 {
		t.Fatalf("second sync did work: %+v", again)
	}
}

func TestOnlyChangedFieldsAreQueued(t *testing.T) {
	env := ruhutest.New(t)
	tab := tablet(t, env)
	login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(2))
	mustSync(t, tab)
	update(t, tab, syncproto.CollHouseholds, hh, clientsdk.Fields{"head_name": "户主2", "address": "新地址"})
	update(t, tab, syncproto.CollHouseholds, hh, clientsdk.Fields{"notes": "一"})
	update(t, tab, syncproto.CollHouseholds, hh, clientsdk.Fields{"notes": "二"})
	if n := outbox(t, tab); n != 1 {
		t.Fatalf("outbox %d, want the three edits coalesced into 1", n)
	}
	var fields map[string]any
	spy := &cutter{base: http.DefaultTransport, before: func(r *http.Request) {
		if isPush(r) {
			var req syncproto.PushRequest
			body, _ := r.GetBody()
			_ = decodeJSON(body, &req)
			fields = map[string]any{}
			for k := range req.Mutations[0].Fields {
				fields[k] = true
			}
		}
	}}
	tab.Close()
	tab2 := reopen(t, tab.Dir(), env, clientsdk.WithHTTPClient(&http.Client{Transport: spy}))
	rep := mustSync(t, tab2)
	if rep.Applied != 1 || len(fields) != 2 || fields["address"] == nil || fields["notes"] == nil {
		t.Fatalf("pushed fields %v (head_name did not change, so it must not be sent); report %+v", fields, rep)
	}
	if r := get(t, tab2, syncproto.CollHouseholds, hh); r.String("notes") != "二" || r.String("address") != "新地址" {
		t.Fatalf("record %+v", r.Fields)
	}
}

func TestTwoTabletsConflictVisibleAndResolvable(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	a, b := tablet(t, env), tablet(t, env)
	login(t, a, "worker1")
	login(t, b, "worker2")
	hh := create(t, a, syncproto.CollHouseholds, household(3))
	mustSync(t, a)
	mustSync(t, b)
	// Both offline: the same field edited differently, plus one each.
	update(t, a, syncproto.CollHouseholds, hh, clientsdk.Fields{"address": "A 的地址", "contact_phone": "13800000001"})
	update(t, b, syncproto.CollHouseholds, hh, clientsdk.Fields{"address": "B 的地址", "notes": "B 的备注"})
	if ra := mustSync(t, a); ra.Applied != 1 {
		t.Fatalf("a: %+v", ra)
	}
	rb := mustSync(t, b)
	if len(rb.Conflicts) != 1 || rb.Conflicts[0].RecordID != hh || len(rb.Conflicts[0].ConflictIDs) != 1 {
		t.Fatalf("b's report has no conflict: %+v", rb)
	}
	cid := rb.Conflicts[0].ConflictIDs[0]
	// b sees the server's address and a's phone, kept its own note.
	if r := get(t, b, syncproto.CollHouseholds, hh); r.String("address") != "A 的地址" || r.String("notes") != "B 的备注" ||
		r.String("contact_phone") != "13800000001" || r.Meta.OpenConflicts != 1 {
		t.Fatalf("b's record after sync: %s %+v", r.Fields, r.Meta)
	}
	mustSync(t, a)
	list, err := a.Conflicts(ctx, syncproto.ConflictOpen)
	if err != nil || len(list) != 1 || list[0].ID != cid || list[0].Field != "address" ||
		string(list[0].ClientValue) != `"B 的地址"` {
		t.Fatalf("a's open conflicts: %+v %v", list, err)
	}
	if issues, _ := b.Issues(ctx); len(issues) != 1 || issues[0].ConflictIDs[0] != cid {
		t.Fatalf("b's issues: %+v", issues)
	}
	if _, err := a.Resolve(ctx, cid, syncproto.ChoiceClient, nil); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if _, err := b.Resolve(ctx, cid, syncproto.ChoiceServer, nil); clientsdk.ErrorCode(err) != syncproto.CodeConflictResolved {
		t.Fatalf("second resolution: %v", err)
	}
	for _, tab := range []*clientsdk.Client{a, b} {
		if rep := mustSync(t, tab); rep.OpenConflicts != 0 {
			t.Fatalf("open conflicts after resolution: %+v", rep)
		}
		if r := get(t, tab, syncproto.CollHouseholds, hh); r.String("address") != "B 的地址" || r.Meta.OpenConflicts != 0 {
			t.Fatalf("after resolution: %s %+v", r.Fields, r.Meta)
		}
	}
}

func TestSameHouseholdOnTwoTabletsEndsAsOne(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	isPull := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/v1/sync/pull") }
	cut := &cutter{base: http.DefaultTransport, drop: func(r *http.Request, n int) bool { return isPull(r) && n == 1 }}
	a := tablet(t, env)
	b := tablet(t, env, clientsdk.WithHTTPClient(&http.Client{Transport: cut}), clientsdk.WithRetry(1, time.Millisecond, time.Millisecond))
	login(t, a, "worker1")
	login(t, b, "worker2")
	ha := create(t, a, syncproto.CollHouseholds, household(4))
	hb := create(t, b, syncproto.CollHouseholds, household(4))
	mb := create(t, b, syncproto.CollMembers, clientsdk.Fields{"household_id": hb, "name": "配偶",
		"id_number": ruhutest.IDNumber(40), "relation": "配偶"})
	update(t, b, syncproto.CollHouseholds, hb, clientsdk.Fields{"notes": "B 记的"})
	mustSync(t, a)
	rb, err := b.Sync(ctx) // pushed, then cut before the pull
	if !errors.Is(err, clientsdk.ErrUnreachable) || len(rb.Remapped) != 1 ||
		rb.Remapped[0] != (clientsdk.Remap{Collection: syncproto.CollHouseholds, From: hb, To: ha}) {
		t.Fatalf("remap: %v %+v", err, rb)
	}
	// Before any pull, b already shows everything under the canonical id.
	if members, _ := b.ListByHousehold(ctx, syncproto.CollMembers, ha); len(members) != 1 || members[0].String("household_id") != ha {
		t.Fatalf("b's members of %s before the pull: %+v", ha, members)
	}
	if list, _ := b.List(ctx, syncproto.CollHouseholds); len(list) != 1 || list[0].ID != ha {
		t.Fatalf("b's households before the pull: %+v", list)
	}
	mustSync(t, b)
	mustSync(t, a)
	for name, tab := range map[string]*clientsdk.Client{"a": a, "b": b} {
		list, err := tab.List(ctx, syncproto.CollHouseholds)
		if err != nil || len(list) != 1 || list[0].ID != ha || list[0].String("notes") != "B 记的" || list[0].Pending {
			t.Fatalf("%s households: %+v %v", name, list, err)
		}
		members, err := tab.ListByHousehold(ctx, syncproto.CollMembers, ha)
		if err != nil || len(members) != 1 || members[0].ID != mb || members[0].String("household_id") != ha {
			t.Fatalf("%s members of %s: %+v %v", name, ha, members, err)
		}
	}
	if r := get(t, b, syncproto.CollHouseholds, hb); r.ID != ha {
		t.Fatalf("old id does not lead to the canonical record: %s", r.ID)
	}
	n := 0
	for _, ch := range serverState(t, env) {
		if ch.Collection == syncproto.CollHouseholds && !ch.Deleted {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("server holds %d households", n)
	}
}

func TestTombstonePurgesLocalRecord(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	a, b := tablet(t, env), tablet(t, env)
	login(t, a, "worker1")
	login(t, b, "worker2")
	hh := create(t, a, syncproto.CollHouseholds, household(5))
	mustSync(t, a)
	mustSync(t, b)
	if err := b.Delete(ctx, syncproto.CollHouseholds, hh); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, syncproto.CollHouseholds, hh); !errors.Is(err, clientsdk.ErrNotFound) {
		t.Fatalf("deleted locally but still visible: %v", err)
	}
	mustSync(t, b)
	rep := mustSync(t, a)
	if rep.Purged != 1 {
		t.Fatalf("report: %+v", rep)
	}
	if _, err := a.Get(ctx, syncproto.CollHouseholds, hh); !errors.Is(err, clientsdk.ErrNotFound) {
		t.Fatalf("tombstone did not purge: %v", err)
	}
	if list, _ := a.List(ctx, syncproto.CollHouseholds); len(list) != 0 {
		t.Fatalf("list after purge: %+v", list)
	}
}

func TestPullKeepsQueuedLocalFields(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	a, b := tablet(t, env), tablet(t, env)
	login(t, a, "worker1")
	login(t, b, "worker2")
	hh := create(t, a, syncproto.CollHouseholds, household(6))
	mustSync(t, a)
	mustSync(t, b)
	update(t, a, syncproto.CollHouseholds, hh, clientsdk.Fields{"notes": "A 未同步"})
	update(t, b, syncproto.CollHouseholds, hh, clientsdk.Fields{"notes": "B 先到", "contact_phone": "139"})
	mustSync(t, b)
	if _, err := a.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	r := get(t, a, syncproto.CollHouseholds, hh)
	if r.String("notes") != "A 未同步" || r.String("contact_phone") != "139" || !r.Pending {
		t.Fatalf("pull overwrote a queued field or dropped the server's: %s", r.Fields)
	}
	// Having seen b's phone, a changes it: that is no conflict, whatever
	// the older queued note does.
	update(t, a, syncproto.CollHouseholds, hh, clientsdk.Fields{"contact_phone": "A 的电话"})
	rep := mustSync(t, a)
	if len(rep.Conflicts) != 1 || len(rep.Conflicts[0].ConflictIDs) != 1 || rep.Conflicts[0].Fields["notes"] == nil {
		t.Fatalf("a's queued note, and only it, must conflict with b's: %+v", rep)
	}
	if r := get(t, a, syncproto.CollHouseholds, hh); r.String("contact_phone") != "A 的电话" || r.String("notes") != "B 先到" {
		t.Fatalf("after sync: %s", r.Fields)
	}
}

func TestEditWhileInFlightDoesNotConflictWithItself(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	var tab *clientsdk.Client
	var once sync.Once
	var editErr error
	spy := &cutter{base: http.DefaultTransport, before: func(r *http.Request) {
		if isPush(r) {
			once.Do(func() {
				list, _ := tab.List(ctx, syncproto.CollHouseholds)
				editErr = tab.Update(ctx, syncproto.CollHouseholds, list[0].ID, clientsdk.Fields{"head_name": "改名", "notes": "在途中改"})
			})
		}
	}}
	tab = tablet(t, env, clientsdk.WithHTTPClient(&http.Client{Transport: spy}))
	login(t, tab, "worker1")
	f := household(7)
	f["notes"] = "初稿"
	hh := create(t, tab, syncproto.CollHouseholds, f)
	rep := mustSync(t, tab)
	if editErr != nil {
		t.Fatalf("edit in flight: %v", editErr)
	}
	if len(rep.Conflicts) != 0 || len(rep.Rejected) != 0 || rep.Pushed != 2 {
		t.Fatalf("report: %+v", rep)
	}
	srv := serverState(t, env)[syncproto.CollHouseholds+"/"+hh]
	if r := get(t, tab, syncproto.CollHouseholds, hh); r.String("notes") != "在途中改" || r.Version != srv.Version || r.Pending {
		t.Fatalf("local %s v%d, server v%d %s", r.Fields, r.Version, srv.Version, srv.Fields)
	}
}

func TestDeleteWhileCreateInFlight(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	var tab *clientsdk.Client
	var hh string
	var once sync.Once
	var delErr error
	spy := &cutter{base: http.DefaultTransport, before: func(r *http.Request) {
		if isPush(r) {
			once.Do(func() { delErr = tab.Delete(ctx, syncproto.CollHouseholds, hh) })
		}
	}}
	tab = tablet(t, env, clientsdk.WithHTTPClient(&http.Client{Transport: spy}))
	login(t, tab, "worker1")
	hh = create(t, tab, syncproto.CollHouseholds, household(13))
	rep := mustSync(t, tab)
	if delErr != nil || rep.Pushed != 2 || rep.Applied != 2 || len(rep.Conflicts) != 0 {
		t.Fatalf("delete in flight: %v, %+v", delErr, rep)
	}
	if ch := serverState(t, env)[syncproto.CollHouseholds+"/"+hh]; !ch.Deleted {
		t.Fatalf("server still has the household: %+v", ch)
	}
	if _, err := tab.Get(ctx, syncproto.CollHouseholds, hh); !errors.Is(err, clientsdk.ErrNotFound) {
		t.Fatalf("local: %v", err)
	}
}

func TestEditBackToTheSyncedValueQueuesNothing(t *testing.T) {
	env := ruhutest.New(t)
	tab := tablet(t, env)
	login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(14))
	mustSync(t, tab)
	update(t, tab, syncproto.CollHouseholds, hh, clientsdk.Fields{"address": "临时"})
	update(t, tab, syncproto.CollHouseholds, hh, clientsdk.Fields{"address": household(14)["address"]})
	if n := outbox(t, tab); n != 0 {
		t.Fatalf("outbox %d after an edit and its undo", n)
	}
	if r := get(t, tab, syncproto.CollHouseholds, hh); r.Pending {
		t.Fatalf("record still pending")
	}
}

func TestRejectionIsSurfacedAndKept(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	tab := tablet(t, env)
	login(t, tab, "worker1")
	f := household(8)
	f["unit_id"] = "t2-v1" // another township's village
	hh := create(t, tab, syncproto.CollHouseholds, f)
	rep := mustSync(t, tab)
	if len(rep.Rejected) != 1 || rep.Rejected[0].Code != syncproto.CodeOutOfScope || rep.Rejected[0].RecordID != hh {
		t.Fatalf("report: %+v", rep)
	}
	issues, err := tab.Issues(ctx)
	if err != nil || len(issues) != 1 || string(issues[0].Fields["unit_id"]) != `"t2-v1"` {
		t.Fatalf("issues: %+v %v", issues, err)
	}
	// What was typed stays in view, marked refused, never as if stored.
	r, err := tab.Get(ctx, syncproto.CollHouseholds, hh)
	if err != nil || r.Refused == nil || r.Refused.Code != syncproto.CodeOutOfScope || r.Refused.MutationID != issues[0].MutationID ||
		r.Version != 0 || r.Pending || r.String("unit_id") != "t2-v1" {
		t.Fatalf("refused create: %+v %v", r, err)
	}
	if list, _ := tab.List(ctx, syncproto.CollHouseholds); len(list) != 1 || list[0].Refused == nil {
		t.Fatalf("list: %+v", list)
	}
	if list, _ := tab.ListByHousehold(ctx, syncproto.CollMembers, hh); len(list) != 0 {
		t.Fatalf("members of the refused household: %+v", list)
	}
	if err := tab.DismissIssue(ctx, issues[0].MutationID); err != nil {
		t.Fatal(err)
	}
	if err := tab.DismissIssue(ctx, issues[0].MutationID); !errors.Is(err, clientsdk.ErrNotFound) {
		t.Fatalf("dismissing twice: %v", err)
	}
	if issues, _ := tab.Issues(ctx); len(issues) != 0 {
		t.Fatalf("dismissed issue still listed")
	}
	if _, err := tab.Get(ctx, syncproto.CollHouseholds, hh); !errors.Is(err, clientsdk.ErrNotFound) {
		t.Fatalf("a discarded refused create is still shown: %v", err)
	}
}

func TestConcurrentSyncsAreSerialised(t *testing.T) {
	env := ruhutest.New(t)
	tab := tablet(t, env, clientsdk.WithBatchSize(3))
	login(t, tab, "worker1")
	for i := range 10 {
		create(t, tab, syncproto.CollHouseholds, household(100+i))
	}
	var wg sync.WaitGroup
	reps := make([]*clientsdk.SyncReport, 4)
	errs := make([]error, 4)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = tab.Sync(context.Background())
		}()
	}
	wg.Wait()
	pushed, replayed := 0, 0
	for i := range reps {
		if errs[i] != nil {
			t.Fatalf("sync %d: %v", i, errs[i])
		}
		pushed += reps[i].Pushed
		replayed += reps[i].Replayed
	}
	if pushed != 10 || replayed != 0 {
		t.Fatalf("pushed %d replayed %d over four concurrent syncs, want 10 and 0", pushed, replayed)
	}
}
