// Package ruhutest runs a real ruhu server in-process for tests: a real
// SQLite file in a temporary directory, the real Echo router behind
// httptest, real JWTs. It seeds the demo county (2 townships × 3 villages,
// a user of every role; password app.DemoPassword) with fast password
// hashing.
package ruhutest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Password is every seeded user's password.
const Password = app.DemoPassword

// Env is a running test server.
type Env struct {
	T   testing.TB
	Dir string
	App *app.App
	Srv *httptest.Server
	URL string

	mu  sync.Mutex
	now time.Time
}

// Option changes the Env's configuration.
type Option func(*app.Config)

// New starts a server on a fresh demo county. The clock is injected: it
// starts at the real time and moves only with Advance.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	e := &Env{T: t, Dir: t.TempDir(), now: time.Now().UTC()}
	ctx := context.Background()
	cfg := app.Config{DataDir: e.Dir, Hasher: auth.FastArgon2, Now: e.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	if err := app.SeedDemoStore(ctx, app.Config{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL}, auth.FastArgon2); err != nil {
		t.Fatalf("seed: %v", err)
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	e.App = a
	e.Srv = httptest.NewServer(a.Handler)
	e.URL = e.Srv.URL
	t.Cleanup(func() {
		e.Srv.Close()
		a.Close()
	})
	return e
}

// Database runs the server on the PostgreSQL database at url (empty: the
// embedded SQLite in the temporary directory).
func Database(url string) Option {
	return func(c *app.Config) { c.DatabaseURL = url }
}

// Now is the injected clock.
func (e *Env) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// Advance moves the clock forward.
func (e *Env) Advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// Client is a logged-in caller.
type Client struct {
	E      *Env
	Token  string
	Tokens *syncproto.TokenResponse
	Device string
	next   int64
}

// Login logs username in on device and fails the test on error.
func (e *Env) Login(username, device string) *Client {
	e.T.Helper()
	var tok syncproto.TokenResponse
	st, body := e.Do(http.MethodPost, "/v1/auth/login", "", syncproto.LoginRequest{Username: username, Password: Password, DeviceID: device})
	if st != http.StatusOK {
		e.T.Fatalf("login %s: %d %s", username, st, body)
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		e.T.Fatalf("login %s: %v", username, err)
	}
	return &Client{E: e, Token: tok.AccessToken, Tokens: &tok, Device: device}
}

// Do sends a JSON request (body nil for none) and returns status and body.
func (e *Env) Do(method, path, token string, body any) (int, []byte) {
	e.T.Helper()
	var r io.Reader
	if body != nil {
		if raw, ok := body.([]byte); ok {
			r = bytes.NewReader(raw)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				e.T.Fatalf("marshal: %v", err)
			}
			r = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, e.URL+path, r)
	if err != nil {
		e.T.Fatalf("request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// Do sends a request as the client.
func (c *Client) Do(method, path string, body any) (int, []byte) {
	c.E.T.Helper()
	return c.E.Do(method, path, c.Token, body)
}

// JSON sends a request, requires status want and decodes the answer into out.
func (c *Client) JSON(method, path string, body any, want int, out any) {
	c.E.T.Helper()
	st, b := c.Do(method, path, body)
	if st != want {
		c.E.T.Fatalf("%s %s: status %d, want %d: %s", method, path, st, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.E.T.Fatalf("%s %s: decode: %v: %s", method, path, err, b)
		}
	}
}

// Push sends mutations, numbering those with MutationID 0 from the client's
// counter, and returns the response.
func (c *Client) Push(ms ...syncproto.Mutation) *syncproto.PushResponse {
	c.E.T.Helper()
	for i := range ms {
		if ms[i].MutationID == 0 {
			c.next++
			ms[i].MutationID = c.next
		} else if ms[i].MutationID > c.next {
			c.next = ms[i].MutationID
		}
	}
	var res syncproto.PushResponse
	c.JSON(http.MethodPost, "/v1/sync/push", syncproto.PushRequest{DeviceID: c.Device, Mutations: ms}, http.StatusOK, &res)
	return &res
}

// PullAll pulls every page from cursor and returns the changes and the last
// cursor.
func (c *Client) PullAll(cursor string) ([]syncproto.Change, string) {
	c.E.T.Helper()
	var all []syncproto.Change
	for {
		var res syncproto.PullResponse
		c.JSON(http.MethodGet, "/v1/sync/pull?limit=100&cursor="+cursor, nil, http.StatusOK, &res)
		all = append(all, res.Changes...)
		cursor = res.Cursor
		if !res.HasMore {
			return all, cursor
		}
	}
}

// Upsert builds an upsert mutation from a field map of plain Go values.
func Upsert(collection, id string, base int64, fields map[string]any) syncproto.Mutation {
	m := syncproto.Mutation{Collection: collection, ID: id, Op: syncproto.OpUpsert, BaseVersion: base,
		Fields: map[string]json.RawMessage{}}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		m.Fields[k] = b
	}
	return m
}

// Delete builds a delete mutation.
func Delete(collection, id string, base int64) syncproto.Mutation {
	return syncproto.Mutation{Collection: collection, ID: id, Op: syncproto.OpDelete, BaseVersion: base}
}

// IDNumber returns a valid resident ID number built from a 17-digit prefix
// (shorter prefixes are padded from a fixed region and birth date).
func IDNumber(n int) string {
	base := []byte("53012119900101000")
	s := []byte(itoa(n))
	copy(base[17-len(s):], s)
	return syncproto.CompleteIDNumber(string(base))
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Actor returns the server.Actor for a seeded user, for calling services
// directly.
func (e *Env) Actor(username, device string) *server.Actor {
	e.T.Helper()
	u, err := e.App.Engine.UserByUsername(context.Background(), username)
	if err != nil {
		e.T.Fatalf("user %s: %v", username, err)
	}
	return &server.Actor{UserID: u.ID, Username: u.Username, UnitID: u.UnitID, UnitPath: u.UnitPath,
		DeviceID: device, Roles: u.Roles}
}

// Household returns the fields of a valid new household in village.
func Household(village string, head int) map[string]any {
	return map[string]any{"unit_id": village, "head_name": "户主" + itoa(head), "head_id_number": IDNumber(head),
		"address": village + " 村道" + itoa(head) + "号", "category": "dibao"}
}

// Upload sends data as a photo in one tus creation and one PATCH, filed
// under household as kind (filename is sent when not empty), declaring
// sha as its SHA-256. It returns the status of the PATCH, or of the
// creation when that was refused.
func (c *Client) Upload(data []byte, sha, household, kind, filename string) int {
	c.E.T.Helper()
	meta := [][2]string{{syncproto.UploadMetaSHA256, sha}, {syncproto.UploadMetaHousehold, household},
		{syncproto.UploadMetaKind, kind}}
	if filename != "" {
		meta = append(meta, [2]string{syncproto.UploadMetaFilename, filename})
	}
	var enc []string
	for _, kv := range meta {
		enc = append(enc, kv[0]+" "+base64.StdEncoding.EncodeToString([]byte(kv[1])))
	}
	res := c.tus(http.MethodPost, c.E.URL+"/v1/uploads/", nil, "Upload-Length", strconv.Itoa(len(data)),
		"Upload-Metadata", strings.Join(enc, ","))
	if res.StatusCode != http.StatusCreated {
		return res.StatusCode
	}
	loc, err := res.Request.URL.Parse(res.Header.Get("Location"))
	if err != nil {
		c.E.T.Fatal(err)
	}
	return c.tus(http.MethodPatch, loc.String(), data, "Upload-Offset", "0",
		"Content-Type", "application/offset+octet-stream").StatusCode
}

// tus sends one tus request with the client's token and the headers kv.
func (c *Client) tus(method, url string, body []byte, kv ...string) *http.Response {
	c.E.T.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		c.E.T.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.E.T.Fatal(err)
	}
	res.Body.Close()
	return res
}
