package clientsdk_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The next page is requested while one is stored, and an edit made
// between two pages — after the next one was requested — is not
// overwritten by the record's state in that page: the queued field shows,
// the server's others arrive.
func TestEditBetweenPulledPagesIsKept(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	b := tablet(t, env)
	login(t, b, "worker2")
	var ids []string
	for i := range 3 {
		ids = append(ids, create(t, b, syncproto.CollHouseholds, household(300+i)))
	}
	mustSync(t, b)

	var pulls atomic.Int32
	counting := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/v1/sync/pull") {
			pulls.Add(1)
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	var a *clientsdk.Client
	var armed atomic.Bool
	var editErr error
	editedAfter := int32(-1)
	a = tablet(t, env, clientsdk.WithHTTPClient(counting), clientsdk.WithPullLimit(1),
		clientsdk.WithProgress(func(p clientsdk.Progress) {
			if p.Phase != clientsdk.PhasePull || !armed.CompareAndSwap(true, false) {
				return
			}
			// Page 1 is stored; page 2 must be under way already.
			for deadline := time.Now().Add(5 * time.Second); pulls.Load() < 2 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			editedAfter = pulls.Load()
			editErr = a.Update(ctx, syncproto.CollHouseholds, ids[1], clientsdk.Fields{"contact_phone": "A 的电话"})
		}))
	login(t, a, "worker1")
	mustSync(t, a)

	// The server's new states come one a page, ids[1]'s second.
	for i, id := range ids {
		update(t, b, syncproto.CollHouseholds, id, clientsdk.Fields{"notes": "B 改" + strings.Repeat("一", i+1)})
	}
	mustSync(t, b)
	pulls.Store(0)
	armed.Store(true)
	rep, err := a.Pull(ctx)
	if err != nil || editErr != nil || rep.Pulled != 3 {
		t.Fatalf("pull: %v, edit: %v, %+v", err, editErr, rep)
	}
	if editedAfter < 2 {
		t.Fatalf("edited after %d pull requests: the next page was not requested while the first was stored", editedAfter)
	}
	r := get(t, a, syncproto.CollHouseholds, ids[1])
	if r.String("contact_phone") != "A 的电话" || r.String("notes") != "B 改一一" || !r.Pending {
		t.Fatalf("the page overwrote the edit or dropped the server's note: %s pending %v", r.Fields, r.Pending)
	}
}
