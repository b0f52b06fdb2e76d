package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/cmd/internal/serveproc"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/sqlite"
	"github.com/ruhu-org/ruhu/syncproto"
)

// TestKillMidPushLosesNothing runs the real binary as a subprocess, kills it
// with SIGKILL while pushes are in flight, restarts it, pushes every mutation
// again and checks that each was applied exactly once.
func TestKillMidPushLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ruhu")
	build := exec.Command("go", "build", "-o", bin, "github.com/ruhu-org/ruhu/server/cmd/ruhu")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	if out, err := exec.Command(bin, "demo", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}

	const batches, perBatch = 10, 500
	all := makeBatches(batches, perBatch)

	srv := startServer(t, bin, data)
	token := loginHTTP(t, srv.url, "kill-dev")
	// Push batches back to back; kill the server part-way through one.
	done, ack := make(chan int, 1), make(chan struct{}, batches)
	go func() {
		sent := 0
		for _, b := range all {
			if _, err := pushHTTP(srv.url, token, b); err != nil {
				break
			}
			sent++
			ack <- struct{}{}
		}
		done <- sent
	}()
	for range 3 {
		<-ack
	}
	time.Sleep(15 * time.Millisecond) // the fourth batch is being applied
	srv.kill(t)
	acked := <-done
	t.Logf("server killed after %d acknowledged batches of %d", acked, batches)
	if acked == batches {
		t.Fatalf("the server was not killed mid-stream; make the batches bigger")
	}

	srv = startServer(t, bin, data)
	defer srv.stop(t)
	token = loginHTTP(t, srv.url, "kill-dev")
	applied, replayed := 0, 0
	for _, b := range all {
		res, err := pushHTTP(srv.url, token, b)
		if err != nil {
			t.Fatalf("re-push: %v", err)
		}
		for _, r := range res.Results {
			if r.Status != syncproto.StatusApplied {
				t.Fatalf("mutation %d: status %s %+v", r.MutationID, r.Status, r.Error)
			}
			if r.Replayed {
				replayed++
			} else {
				applied++
			}
		}
	}
	t.Logf("after restart: %d replayed, %d applied now", replayed, applied)
	if replayed < acked*perBatch {
		t.Errorf("only %d replays, but %d mutations were acknowledged before the kill", replayed, acked*perBatch)
	}
	srv.stop(t)

	db, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	total := batches * perBatch
	assertCount(t, db.Path(), `SELECT count(*) FROM records WHERE collection = 'households'`, total)
	assertCount(t, db.Path(), `SELECT count(DISTINCT id) FROM records WHERE collection = 'households'`, total)
	assertCount(t, db.Path(), `SELECT count(*) FROM mutation_log WHERE device_id = 'kill-dev'`, total)
	assertCount(t, db.Path(), `SELECT count(*) FROM audit_log WHERE action = 'record.upsert'`, total)
	if _, brk, err := engine.New(db).VerifyAudit(context.Background()); err != nil || brk != nil {
		t.Fatalf("audit chain after kill: %v %+v", err, brk)
	}
}

func makeBatches(n, per int) [][]syncproto.Mutation {
	out := make([][]syncproto.Mutation, n)
	id := int64(0)
	for b := range out {
		for range per {
			id++
			birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(id))
			prefix := "530121" + birth.Format("20060102") + "123"
			head := syncproto.CompleteIDNumber(prefix)
			f := map[string]json.RawMessage{
				"unit_id":        json.RawMessage(`"t1-v1"`),
				"head_name":      json.RawMessage(`"户主"`),
				"head_id_number": json.RawMessage(`"` + head + `"`),
				"address":        json.RawMessage(`"` + strings.Repeat("东村", 40) + `"`),
				"notes":          json.RawMessage(`"` + strings.Repeat("入户调查记录", 60) + `"`),
			}
			out[b] = append(out[b], syncproto.Mutation{MutationID: id, Collection: "households",
				ID: fmt.Sprintf("hh-%06d", id), Op: syncproto.OpUpsert, Fields: f})
		}
	}
	return out
}

// proc is a `ruhu serve` subprocess.
type proc struct {
	*serveproc.Proc
	url string
}

func startServer(t *testing.T, bin, data string) *proc {
	t.Helper()
	return startServerArgs(t, bin, "--data", data)
}

// startServerArgs starts `ruhu serve` with args on a free port and waits
// until it is ready.
func startServerArgs(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	addr, err := serveproc.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	p := tryStart(bin, addr, args...)
	if p == nil {
		t.Fatal("server did not become ready")
	}
	return p
}

// tryStart starts `ruhu serve --addr addr` with args and waits until it
// is ready; nil when it exits first or is not ready within 10 s.
func tryStart(bin, addr string, args ...string) *proc {
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr}, args...)...)
	if os.Getenv("RUHU_TEST_VERBOSE") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	sp, err := serveproc.Start(cmd)
	if err != nil {
		return nil
	}
	p := &proc{Proc: sp, url: "http://" + addr}
	if err := sp.WaitReady(context.Background(), p.url+"/readyz", 10*time.Second); err != nil {
		sp.Kill()
		return nil
	}
	return p
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.Kill()
}

// stop ends the server with SIGTERM; it must exit cleanly (a killed
// server is not stopped again).
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.Stop(time.Minute); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
}

func loginHTTP(t *testing.T, url, device string) string {
	t.Helper()
	return loginAs(t, url, "worker1", device)
}

func loginAs(t *testing.T, url, username, device string) string {
	t.Helper()
	body, _ := json.Marshal(syncproto.LoginRequest{Username: username, Password: app.DemoPassword, DeviceID: device})
	res, err := http.Post(url+"/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok syncproto.TokenResponse
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	return tok.AccessToken
}

func pushHTTP(url, token string, ms []syncproto.Mutation) (*syncproto.PushResponse, error) {
	return pushDevice(url, token, "kill-dev", ms)
}

func assertCount(t *testing.T, dbPath, query string, want int) {
	t.Helper()
	out, err := exec.Command("sqlite3", "-readonly", dbPath, query).Output()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v", query, err)
	}
	if got := strings.TrimSpace(string(out)); got != fmt.Sprint(want) {
		t.Errorf("%s = %s, want %d", query, got, want)
	}
}
