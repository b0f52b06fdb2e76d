package clientsdk_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// checkConverged asserts that the server holds exactly the records in want
// (collection/id), once each, and that the tablet holds each at the
// server's version with nothing queued.
func checkConverged(t *testing.T, env *ruhutest.Env, tab *clientsdk.Client, want []string) {
	t.Helper()
	srv := serverState(t, env)
	live := 0
	for _, ch := range srv {
		if !ch.Deleted {
			live++
		}
	}
	if live != len(want) {
		t.Fatalf("server holds %d live records, want %d", live, len(want))
	}
	for _, key := range want {
		ch, ok := srv[key]
		if !ok {
			t.Fatalf("%s missing on the server", key)
		}
		coll, id, _ := strings.Cut(key, "/")
		if r := get(t, tab, coll, id); r.Version != ch.Version || r.Pending {
			t.Fatalf("%s: tablet v%d pending=%v, server v%d", key, r.Version, r.Pending, ch.Version)
		}
	}
	if n := outbox(t, tab); n != 0 {
		t.Fatalf("outbox holds %d", n)
	}
}

// makeRecords creates households first… with membersEach members each.
func makeRecords(t *testing.T, tab *clientsdk.Client, first, households, membersEach int) []string {
	t.Helper()
	var keys []string
	for i := range households {
		hh := create(t, tab, syncproto.CollHouseholds, household(first+i))
		keys = append(keys, syncproto.CollHouseholds+"/"+hh)
		for j := range membersEach {
			m := create(t, tab, syncproto.CollMembers, clientsdk.Fields{"household_id": hh, "name": "成员",
				"id_number": ruhutest.IDNumber(1000 + 10*(first+i) + j), "relation": "子女"})
			keys = append(keys, syncproto.CollMembers+"/"+m)
		}
	}
	return keys
}

func TestSyncKilledMidPushResumesWithoutLossOrDuplicates(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	// The server applies the second batch, but the tablet never hears back
	// and gives up (one attempt): it is killed there.
	cut := &cutter{base: http.DefaultTransport, drop: func(r *http.Request, n int) bool { return isPush(r) && n == 2 }}
	dir := t.TempDir()
	tab := reopen(t, dir, env, clientsdk.WithHTTPClient(&http.Client{Transport: cut}),
		clientsdk.WithRetry(1, time.Millisecond, time.Millisecond), clientsdk.WithBatchSize(10))
	login(t, tab, "worker1")
	keys := makeRecords(t, tab, 200, 15, 1)
	rep, err := tab.Sync(ctx)
	if !errors.Is(err, clientsdk.ErrUnreachable) || rep.Pushed != 10 {
		t.Fatalf("first sync: %v, %+v", err, rep)
	}
	if n := outbox(t, tab); n != 20 {
		t.Fatalf("outbox %d after the cut, want 20 (the lost batch stays queued)", n)
	}
	tab.Close()

	tab = reopen(t, dir, env, clientsdk.WithBatchSize(10))
	rep = mustSync(t, tab)
	if rep.Pushed != 20 || rep.Replayed != 10 || rep.Applied != 20 || len(rep.Rejected)+len(rep.Conflicts) != 0 {
		t.Fatalf("resumed sync: %+v", rep)
	}
	checkConverged(t, env, tab, keys)
}

func TestLostPushResponseIsRetriedInTheSameSync(t *testing.T) {
	env := ruhutest.New(t)
	s := &sleeps{}
	cut := &cutter{base: http.DefaultTransport, drop: func(r *http.Request, n int) bool { return isPush(r) && n == 1 }}
	tab := tablet(t, env, clientsdk.WithHTTPClient(&http.Client{Transport: cut}), clientsdk.WithSleeper(s.sleep),
		clientsdk.WithRetry(3, 200*time.Millisecond, time.Second))
	login(t, tab, "worker1")
	keys := makeRecords(t, tab, 200, 3, 1)
	rep := mustSync(t, tab)
	if rep.Pushed != 6 || rep.Replayed != 6 || rep.Applied != 6 {
		t.Fatalf("report: %+v", rep)
	}
	if d := s.all(); len(d) != 1 || d[0] < 100*time.Millisecond || d[0] >= 200*time.Millisecond {
		t.Fatalf("waits %v, want one in [100ms, 200ms)", d)
	}
	checkConverged(t, env, tab, keys)
}

func TestSyncCutMidPullResumes(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	writer := tablet(t, env)
	login(t, writer, "worker2")
	keys := makeRecords(t, writer, 200, 6, 1)
	mustSync(t, writer)

	isPull := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/v1/sync/pull") }
	cut := &cutter{base: http.DefaultTransport, drop: func(r *http.Request, n int) bool { return isPull(r) && n == 2 }}
	dir := t.TempDir()
	tab := reopen(t, dir, env, clientsdk.WithHTTPClient(&http.Client{Transport: cut}), clientsdk.WithPullLimit(4),
		clientsdk.WithRetry(1, time.Millisecond, time.Millisecond))
	login(t, tab, "worker1")
	rep, err := tab.Sync(ctx)
	if !errors.Is(err, clientsdk.ErrUnreachable) || rep.Pulled != 4 {
		t.Fatalf("cut sync: %v %+v", err, rep)
	}
	tab.Close()
	tab = reopen(t, dir, env, clientsdk.WithPullLimit(4))
	if rep := mustSync(t, tab); rep.Pulled != 8 {
		t.Fatalf("resumed pull stored %d changes, want the 8 not stored before", rep.Pulled)
	}
	checkConverged(t, env, tab, keys)
}

func TestServerErrorsAreRetriedWithBackoff(t *testing.T) {
	env := ruhutest.New(t)
	s := &sleeps{}
	failing := &failN{base: http.DefaultTransport, n: 3}
	tab := tablet(t, env, clientsdk.WithHTTPClient(&http.Client{Transport: failing}), clientsdk.WithSleeper(s.sleep),
		clientsdk.WithRetry(4, 100*time.Millisecond, 250*time.Millisecond))
	login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(300))
	failing.arm()
	mustSync(t, tab)
	d := s.all()
	bounds := [][2]time.Duration{{50, 100}, {100, 200}, {125, 250}} // the third is capped at max
	if len(d) != 3 {
		t.Fatalf("waits %v, want 3", d)
	}
	for i, b := range bounds {
		if d[i] < b[0]*time.Millisecond || d[i] >= b[1]*time.Millisecond {
			t.Fatalf("wait %d is %v, want in [%dms, %dms)", i, d[i], b[0], b[1])
		}
	}
	checkConverged(t, env, tab, []string{syncproto.CollHouseholds + "/" + hh})
}

// failN answers 503 to the next n requests once armed.
type failN struct {
	base http.RoundTripper
	n    int
	left chan struct{}
}

func (f *failN) arm() {
	f.left = make(chan struct{}, f.n)
	for range f.n {
		f.left <- struct{}{}
	}
}

func (f *failN) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.left != nil {
		select {
		case <-f.left:
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Body: io.NopCloser(strings.NewReader("")),
				Header: http.Header{}, Request: r}, nil
		default:
		}
	}
	return f.base.RoundTrip(r)
}

func TestThirtyDaysOfflineThenReloginKeepsOutbox(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	tab := tablet(t, env)
	login(t, tab, "worker1")
	keys := makeRecords(t, tab, 200, 1, 0)
	mustSync(t, tab)

	keys = append(keys, makeRecords(t, tab, 210, 2, 1)...)
	env.Advance(30 * 24 * time.Hour) // access token long dead, refresh token alive
	if rep := mustSync(t, tab); rep.Pushed != 4 {
		t.Fatalf("after 30 days: %+v", rep)
	}

	keys = append(keys, syncproto.CollHouseholds+"/"+create(t, tab, syncproto.CollHouseholds, household(400)))
	env.Advance(46 * 24 * time.Hour) // past the 45-day refresh lifetime
	_, err := tab.Sync(ctx)
	var re *clientsdk.ReloginError
	if !errors.Is(err, clientsdk.ErrReloginRequired) || !errors.As(err, &re) || re.Username != "worker1" ||
		re.Code != syncproto.CodeRefreshExpired {
		t.Fatalf("sync with a dead refresh token: %v", err)
	}
	if n := outbox(t, tab); n != 1 {
		t.Fatalf("outbox %d after the failed sync, want 1", n)
	}
	if _, err := tab.Sync(ctx); !errors.Is(err, clientsdk.ErrReloginRequired) {
		t.Fatalf("second sync: %v", err)
	}
	login(t, tab, "worker1")
	if rep := mustSync(t, tab); rep.Pushed != 1 {
		t.Fatalf("after re-login: %+v", rep)
	}
	checkConverged(t, env, tab, keys)
}

func TestRefreshTokenReuseNeedsRelogin(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	tab := tablet(t, env, clientsdk.WithClock(env.Now))
	login(t, tab, "worker1")
	// The refresh answer is lost after the server rotated the token: the
	// next refresh presents a used token and the server revokes the
	// session (its theft protection). The tablet must say "log in".
	isRefresh := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/v1/auth/refresh") }
	cut := &cutter{base: http.DefaultTransport, drop: func(r *http.Request, n int) bool { return isRefresh(r) && n == 1 }}
	tab.Close()
	tab = reopen(t, tab.Dir(), env, clientsdk.WithClock(env.Now), clientsdk.WithHTTPClient(&http.Client{Transport: cut}))
	env.Advance(20 * time.Minute)
	create(t, tab, syncproto.CollHouseholds, household(500))
	_, err := tab.Sync(ctx)
	if !errors.Is(err, clientsdk.ErrReloginRequired) || clientsdk.ErrorCode(err) != syncproto.CodeRefreshReused {
		t.Fatalf("sync: %v", err)
	}
	login(t, tab, "worker1")
	if rep := mustSync(t, tab); rep.Pushed != 1 {
		t.Fatalf("after re-login: %+v", rep)
	}
}
