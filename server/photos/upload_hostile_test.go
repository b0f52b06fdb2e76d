package photos_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/api"
	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/photos"
	"github.com/ruhu-org/ruhu/syncproto"
)

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines are the JSON log lines written so far.
func (b *logBuffer) lines() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(b.buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// uploadsServer serves an Uploads built with cfg over w's database, as the
// API would (the caller's token puts the actor in the context). It
// returns the server's URL and the uploads' directory.
func uploadsServer(t *testing.T, w *world, cfg photos.UploadConfig) (string, string) {
	t.Helper()
	store, err := photos.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir, cfg.StatusOf = t.TempDir(), api.StatusOf
	up, err := photos.NewUploads(store, w.env.App.Engine, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		a, err := w.env.App.Auth.Authenticate(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			http.Error(rw, "unauthenticated", http.StatusUnauthorized)
			return
		}
		r = r.WithContext(server.ContextWithActor(r.Context(), a))
		http.StripPrefix("/v1/uploads", up).ServeHTTP(rw, r)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, cfg.Dir
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// startPatch sends the headers of a PATCH of data at offset 0 and the
// first n bytes of it, and leaves the connection open.
func startPatch(t *testing.T, token, location string, data []byte, n int) net.Conn {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		u.Path, u.Host, token, len(data))
	if _, err := conn.Write(data[:n]); err != nil {
		t.Fatal(err)
	}
	return conn
}

// An idle PATCH (the link stalls) is ended after IdleTimeout with 408
// transfer_interrupted; what came is kept and the client resumes.
func TestUploadIdlePatchTimesOut(t *testing.T) {
	w := newWorld(t)
	base, _ := uploadsServer(t, w, photos.UploadConfig{IdleTimeout: 300 * time.Millisecond})
	tc := &tusClient{t: t, url: base, token: w.w1.Token}
	data := housePhoto(t, 41)
	loc := tc.mustCreate(len(data), photoMeta(shaHex(data), "hh1", "house"))
	conn := startPatch(t, tc.token, loc, data, 100)
	// Without the server's idle timeout nothing would come before ours.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to an idle PATCH: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	answer{res.StatusCode, res.Header, b}.wantProblem(t, http.StatusRequestTimeout, syncproto.CodeTransferInterrupted)
	head := tc.head(loc)
	if off := head.header.Get("Upload-Offset"); off != "100" {
		t.Fatalf("offset after the idle PATCH %q, want 100", off)
	}
	if a := tc.patch(loc, 100, data[100:]); a.status != http.StatusNoContent {
		t.Fatalf("resume: %d %s", a.status, a.body)
	}
}

// An upload cut mid-chunk is logged as an interrupted transfer, not as a
// bad request (monitoring would read weak links as client bugs).
func TestUploadCutIsLoggedAsInterrupted(t *testing.T) {
	var logs logBuffer
	w := newWorld(t, func(c *app.Config) { c.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	data := housePhoto(t, 42)
	loc := w.t1.mustCreate(len(data), photoMeta(shaHex(data), "hh1", "house"))
	cutPatch(t, w.t1, loc, data)
	var access map[string]any
	for i := 0; access == nil; i++ { // the access line is written after the answer
		for _, l := range logs.lines() {
			if l["method"] == http.MethodPatch && l["path"] == "/v1/uploads/*" {
				access = l
			}
		}
		if i == 500 {
			t.Fatal("no access log line for the PATCH")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if access["msg"] != "http interrupted" || access["status"] != float64(photos.StatusClientClosed) {
		t.Errorf("access log %v, want msg \"http interrupted\" and status 499", access)
	}
	found := false
	for _, l := range logs.lines() {
		found = found || (l["msg"] == "upload: transfer interrupted" && l["reason"] == "unexpected_eof")
	}
	if !found {
		t.Errorf("no \"upload: transfer interrupted\" line in\n%v", logs.lines())
	}
}

// One user may have MaxActivePerUser upload requests in progress; more
// are refused with rate_limited and Retry-After, other users are not.
func TestUploadsPerUserCap(t *testing.T) {
	w := newWorld(t)
	base, dir := uploadsServer(t, w, photos.UploadConfig{MaxActivePerUser: 1, IdleTimeout: time.Minute})
	tc1 := &tusClient{t: t, url: base, token: w.w1.Token}
	tc2 := &tusClient{t: t, url: base, token: w.w2.Token}
	data := housePhoto(t, 43)
	loc := tc1.mustCreate(len(data), photoMeta(shaHex(data), "hh1", "house"))
	conn := startPatch(t, tc1.token, loc, data, 100)
	// The PATCH is in progress once its first bytes are stored (a HEAD
	// would ask tusd to interrupt it).
	bin := filepath.Join(dir, path.Base(loc))
	for i := 0; fileSize(bin) != 100; i++ {
		if i == 500 {
			t.Fatal("the first PATCH did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	other := housePhoto(t, 44)
	a := tc1.create(len(other), photoMeta(shaHex(other), "hh1", "house"))
	a.wantProblem(t, http.StatusTooManyRequests, syncproto.CodeRateLimited)
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	tc2.mustCreate(len(other), photoMeta(shaHex(other), "hh2", "house"))
	conn.Close()
	for i := 0; ; i++ { // the server notices the cut when it reads
		if a := tc1.create(len(other), photoMeta(shaHex(other), "hh1", "house")); a.status == http.StatusCreated {
			break
		} else if i == 500 {
			t.Fatalf("still refused after the first PATCH ended: %d %s", a.status, a.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An upload that the upload directory's free space cannot take (beyond
// MinFreeBytes) is refused 503 storage_full with a Retry-After before a
// byte is written, not half-way through with a full disk.
func TestUploadRefusedWhenTheDiskIsFull(t *testing.T) {
	w := newWorld(t)
	base, dir := uploadsServer(t, w, photos.UploadConfig{MinFreeBytes: 1 << 62})
	tc := &tusClient{t: t, url: base, token: w.w1.Token}
	data := housePhoto(t, 45)
	a := tc.create(len(data), photoMeta(shaHex(data), "hh1", "house"))
	a.wantProblem(t, http.StatusServiceUnavailable, syncproto.CodeStorageFull)
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the refused upload left %d files", len(entries))
	}
}
