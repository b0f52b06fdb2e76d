package clientsdk_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A push the server's budget cuts (incomplete) is continued in order: the
// mutations it did not process are pushed again, before anything queued
// after them, none skipped or reordered (issue 13, class 3). Against the
// real server with a budget of three mutations a push.
func TestIncompletePushContinuesInOrder(t *testing.T) {
	env := ruhutest.New(t)
	env.App.Engine.Limits.PushWork = 3
	var mu sync.Mutex
	var sent [][]int64 // mutation ids of every push, as sent
	spy := &cutter{base: http.DefaultTransport, before: func(r *http.Request) {
		if !isPush(r) {
			return
		}
		var req syncproto.PushRequest
		body, _ := r.GetBody()
		if err := decodeJSON(body, &req); err != nil {
			t.Errorf("decode push: %v", err)
			return
		}
		ids := []int64{}
		for _, m := range req.Mutations {
			ids = append(ids, m.MutationID)
		}
		mu.Lock()
		sent = append(sent, ids)
		mu.Unlock()
	}}
	tab := tablet(t, env, clientsdk.WithBatchSize(8), clientsdk.WithHTTPClient(&http.Client{Transport: spy}))
	login(t, tab, "worker1")
	// Eight households, then a member of each: a member pushed before its
	// household would be rejected.
	var order []string
	for i := range 8 {
		order = append(order, syncproto.CollHouseholds+"/"+create(t, tab, syncproto.CollHouseholds, household(300+i)))
	}
	for i := range 8 {
		hh := order[i][len(syncproto.CollHouseholds)+1:]
		order = append(order, syncproto.CollMembers+"/"+create(t, tab, syncproto.CollMembers, clientsdk.Fields{
			"household_id": hh, "name": "成员", "id_number": ruhutest.IDNumber(400 + i), "relation": "子女"}))
	}
	rep := mustSync(t, tab)
	if len(rep.Rejected) != 0 || len(rep.Conflicts) != 0 || rep.Applied != 16 {
		t.Fatalf("sync: applied %d, rejected %+v, conflicts %+v", rep.Applied, rep.Rejected, rep.Conflicts)
	}
	if n := outbox(t, tab); n != 0 {
		t.Fatalf("outbox %d after sync", n)
	}
	// Every mutation went out in creation order, each applied once: the
	// ids of the pushes, concatenated without what a push left out, are
	// 1…16, and the server's versions follow the creation order.
	var next int64 = 1
	for _, ids := range sent {
		for k, id := range ids {
			if id < next {
				continue // sent again after a cut
			}
			if id != next || (k > 0 && ids[k-1] >= id) {
				t.Fatalf("pushes %v: mutation %d went out of order (next expected %d)", sent, id, next)
			}
			next++
			if k == 2 {
				break // the budget: the rest of this push was not processed
			}
		}
	}
	if next != 17 || len(sent) < 6 {
		t.Fatalf("pushes %v: %d mutations in order, want 16 over at least 6 pushes", sent, next-1)
	}
	state := serverState(t, env)
	var last int64
	for _, key := range order {
		ch, ok := state[key]
		if !ok || ch.Deleted {
			t.Fatalf("%s not on the server", key)
		}
		if ch.Version <= last {
			t.Fatalf("%s has version %d, not above the one created before it (%d): applied out of order", key, ch.Version, last)
		}
		last = ch.Version
	}
}
