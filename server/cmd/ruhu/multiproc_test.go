package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server/postgres/pgtest"
	"github.com/ruhu-org/ruhu/syncproto"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestTwoProcessesOnePostgres runs two `ruhu serve` processes on one
// PostgreSQL database. Three tablets push alternately to both; the same
// batch is sent to both processes at once (a retry through a load
// balancer); one process is SIGKILLed mid-batch and restarted; then every
// tablet pushes its whole outbox again. Every mutation must be applied
// exactly once, and `ruhu audit verify` must pass.
func TestTwoProcessesOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary on PostgreSQL")
	}
	url := pgtest.URL(t)
	dir := t.TempDir()
	bin := buildRuhu(t, dir)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("ruhu %v: %v\n%s", args, err, out)
		}
	}
	run("demo", "--db", url, "--data", filepath.Join(dir, "a"))
	a := startServerDB(t, bin, filepath.Join(dir, "a"), url)
	b := startServerDB(t, bin, filepath.Join(dir, "b"), url)
	defer func() { b.stop(t) }()

	const tablets, batches, perBatch = 3, 6, 200
	outbox := make([][][]syncproto.Mutation, tablets)
	tokens := make([]string, tablets)
	for i := range outbox {
		outbox[i] = tabletBatches(i, batches, perBatch)
		tokens[i] = loginAs(t, a.url, "worker1", fmt.Sprintf("tab-%d", i))
	}

	// The same first batch reaches both processes at the same time.
	var wg sync.WaitGroup
	for _, p := range []*proc{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = pushDevice(p.url, tokens[0], "tab-0", outbox[0][0])
		}()
	}
	wg.Wait()

	// Tablets push alternately to a and b; a is killed mid-stream.
	killed := make(chan struct{})
	for i := range tablets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n, batch := range outbox[i] {
				p := a
				if n%2 == 1 {
					p = b
				}
				select {
				case <-killed:
					p = b
				default:
				}
				// Like a tablet, resend a batch whose answer did not come
				// (the process was killed) before anything newer: to b.
				for attempt := 0; attempt < 50; attempt++ {
					if _, err := pushDevice(p.url, tokens[i], fmt.Sprintf("tab-%d", i), batch); err == nil {
						break
					}
					p = b
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	a.kill(t)
	close(killed)
	wg.Wait()
	a = startServerDB(t, bin, filepath.Join(dir, "a"), url)
	defer func() { a.stop(t) }()

	// Every tablet pushes its whole outbox again, alternating processes.
	for i := range tablets {
		for n, batch := range outbox[i] {
			p := []*proc{a, b}[(n+i)%2]
			res, err := pushDevice(p.url, tokens[i], fmt.Sprintf("tab-%d", i), batch)
			if err != nil {
				t.Fatalf("re-push tablet %d batch %d: %v", i, n, err)
			}
			for _, r := range res.Results {
				if r.Status != syncproto.StatusApplied {
					t.Fatalf("tablet %d mutation %d: %s %+v", i, r.MutationID, r.Status, r.Error)
				}
			}
		}
	}
	total := tablets * batches * perBatch
	pgCount(t, url, `SELECT count(*) FROM records WHERE collection = 'households'`, total)
	pgCount(t, url, `SELECT count(DISTINCT id) FROM records WHERE collection = 'households'`, total)
	pgCount(t, url, `SELECT count(*) FROM mutation_log`, total)
	pgCount(t, url, `SELECT count(*) FROM audit_log WHERE action = 'record.upsert'`, total)
	a.stop(t)
	b.stop(t)
	out, err := exec.Command(bin, "audit", "verify", "--db", url).CombinedOutput()
	if err != nil {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// buildRuhu builds the binary into dir.
func buildRuhu(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ruhu")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/ruhu-org/ruhu/server/cmd/ruhu").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// tabletBatches is tablet i's outbox: households with ids and head ID
// numbers of its own.
func tabletBatches(i, n, per int) [][]syncproto.Mutation {
	out := makeBatches(n, per)
	for _, batch := range out {
		for k := range batch {
			m := &batch[k]
			m.ID = fmt.Sprintf("t%d-%s", i, m.ID)
			var head string
			_ = json.Unmarshal(m.Fields["head_id_number"], &head)
			prefix := head[:14] + fmt.Sprintf("9%02d", i) // the sequence digits name the tablet
			m.Fields["head_id_number"] = json.RawMessage(`"` + syncproto.CompleteIDNumber(prefix) + `"`)
		}
	}
	return out
}

func startServerDB(t *testing.T, bin, data, url string) *proc {
	t.Helper()
	return startServerArgs(t, bin, "--data", data, "--db", url)
}

func pushDevice(url, token, device string, ms []syncproto.Mutation) (*syncproto.PushResponse, error) {
	body, _ := json.Marshal(syncproto.PushRequest{DeviceID: device, Mutations: ms})
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/sync/push", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("push: status %d", res.StatusCode)
	}
	var out syncproto.PushResponse
	return &out, json.NewDecoder(res.Body).Decode(&out)
}

func pgCount(t *testing.T, url, query string, want int) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var got int
	if err := conn.QueryRow(context.Background(), query).Scan(&got); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if got != want {
		t.Errorf("%s = %d, want %d", query, got, want)
	}
}
