package clientsdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// sleeps records the waits a client asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// tablet opens an SDK store in a fresh temporary directory.
func tablet(t *testing.T, env *ruhutest.Env, opts ...clientsdk.Option) *clientsdk.Client {
	t.Helper()
	return reopen(t, t.TempDir(), env, opts...)
}

// reopen opens the SDK store in dir (a tablet restarting).
func reopen(t *testing.T, dir string, env *ruhutest.Env, opts ...clientsdk.Option) *clientsdk.Client {
	t.Helper()
	s := &sleeps{}
	all := append([]clientsdk.Option{clientsdk.WithSleeper(s.sleep)}, opts...)
	c, err := clientsdk.Open(dir, env.URL, all...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func login(t *testing.T, c *clientsdk.Client, user string) *syncproto.User {
	t.Helper()
	u, err := c.Login(context.Background(), user, ruhutest.Password)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return u
}

func mustSync(t *testing.T, c *clientsdk.Client) *clientsdk.SyncReport {
	t.Helper()
	rep, err := c.Sync(context.Background())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

func create(t *testing.T, c *clientsdk.Client, coll string, f clientsdk.Fields) string {
	t.Helper()
	id, err := c.Create(context.Background(), coll, f)
	if err != nil {
		t.Fatalf("create %s: %v", coll, err)
	}
	return id
}

func update(t *testing.T, c *clientsdk.Client, coll, id string, f clientsdk.Fields) {
	t.Helper()
	if err := c.Update(context.Background(), coll, id, f); err != nil {
		t.Fatalf("update %s/%s: %v", coll, id, err)
	}
}

func get(t *testing.T, c *clientsdk.Client, coll, id string) *clientsdk.Record {
	t.Helper()
	r, err := c.Get(context.Background(), coll, id)
	if err != nil {
		t.Fatalf("get %s/%s: %v", coll, id, err)
	}
	return r
}

func household(n int) clientsdk.Fields {
	f := clientsdk.Fields{}
	for k, v := range ruhutest.Household("t1-v1", n) {
		f[k] = v
	}
	return f
}

// serverState pulls everything a fresh worker1 session sees, by id.
func serverState(t *testing.T, env *ruhutest.Env) map[string]syncproto.Change {
	t.Helper()
	changes, _ := env.Login("reviewer1", "verify-"+t.Name()).PullAll("")
	out := map[string]syncproto.Change{}
	for _, ch := range changes {
		if _, dup := out[ch.Collection+"/"+ch.ID]; dup {
			t.Fatalf("pull returned %s/%s twice", ch.Collection, ch.ID)
		}
		out[ch.Collection+"/"+ch.ID] = ch
	}
	return out
}

func outbox(t *testing.T, c *clientsdk.Client) int {
	t.Helper()
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Outbox
}

func commitmentOff(t *testing.T, env *ruhutest.Env) {
	t.Helper()
	if err := env.App.Engine.SetSetting(context.Background(), env.Actor("admin", "x"), engine.PolicyRequireCommitment, "false"); err != nil {
		t.Fatal(err)
	}
}

// cutter is an http.RoundTripper that can lose responses: the request
// reaches the server, which processes it, but the tablet only sees a
// broken connection.
type cutter struct {
	base http.RoundTripper
	mu   sync.Mutex
	// drop decides, per request, whether to lose its response.
	drop func(r *http.Request, n int) bool
	n    map[string]int
	// before runs before a request is sent (to act "while in flight").
	before func(r *http.Request)
}

var errCut = errors.New("connection reset by test")

func (c *cutter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	key := r.Method + " " + r.URL.Path
	c.n[key]++
	n, drop, before := c.n[key], c.drop, c.before
	c.mu.Unlock()
	if before != nil {
		before(r)
	}
	res, err := c.base.RoundTrip(r)
	if err != nil || drop == nil || !drop(r, n) {
		return res, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return nil, errCut
}

func (c *cutter) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

func decodeJSON(r io.ReadCloser, v any) error {
	defer r.Close()
	return json.NewDecoder(r).Decode(v)
}

func isPush(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/v1/sync/push") }
