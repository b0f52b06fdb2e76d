package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/sqlite"
)

// TestBackupDuringPushes backs up a data directory while three tablets push
// to the server running on it: the copy passes integrity_check and audit
// verify, and is one point in time — every device's counter, its logged
// mutations and its households agree, between the counts before and after
// the backup. The photo store is copied without its tmp directory, and a
// restore of the copy serves the same data.
func TestBackupDuringPushes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := app.SeedDemo(ctx, data, auth.FastArgon2); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join("ab", "ab"+strings.Repeat("0", 62), "original")
	for _, p := range []string{photo, filepath.Join("tmp", "half-written")} {
		if err := os.MkdirAll(filepath.Join(data, "photos", filepath.Dir(p)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "photos", p), []byte("jpeg "+p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a, err := app.Open(ctx, app.Config{DataDir: data, Hasher: auth.FastArgon2, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	defer func() { srv.Close(); a.Close() }()

	const tablets, batches, per = 3, 40, 50
	var acked atomic.Int64
	started, stop := make(chan struct{}, tablets), make(chan struct{})
	var wg sync.WaitGroup
	for i := range tablets {
		device := fmt.Sprintf("tab-%d", i)
		token := loginAs(t, srv.URL, "worker1", device)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b, batch := range tabletBatches(i, batches, per) {
				if b == 2 {
					started <- struct{}{}
				}
				select {
				case <-stop:
					return
				default:
				}
				if _, err := pushDevice(srv.URL, token, device, batch); err != nil {
					t.Errorf("push: %v", err)
					return
				}
				acked.Add(per)
			}
		}()
	}
	for range tablets {
		<-started
	}
	low := acked.Load()
	out := filepath.Join(dir, "backup")
	code, stdout, msg := runCmd(t, ctx, "", "backup", "--data", data, out)
	high := acked.Load() + tablets*per // a batch in flight may be in the copy, not yet acknowledged
	close(stop)
	wg.Wait()
	if code != 0 || msg != "" || !strings.Contains(stdout, "copy verified: integrity ok, audit chain intact") {
		t.Fatalf("backup: code %d, error %q, output %q", code, msg, stdout)
	}
	t.Logf("backup:\n%s", stdout)

	copyDB := openRaw(t, filepath.Join(out, sqlite.FileName))
	var total int64
	for i := range tablets {
		device := fmt.Sprintf("tab-%d", i)
		last := count(t, copyDB, `SELECT coalesce(max(last_mutation_id), 0) FROM devices WHERE device_id = ?`, device)
		logged := count(t, copyDB, `SELECT count(*) FROM mutation_log WHERE device_id = ?`, device)
		hhs := count(t, copyDB, `SELECT count(*) FROM records WHERE collection = 'households' AND id LIKE ?`, fmt.Sprintf("t%d-%%", i))
		upserts := count(t, copyDB, `SELECT count(*) FROM audit_log WHERE action = 'record.upsert' AND object_id LIKE ?`, fmt.Sprintf("t%d-%%", i))
		if last != logged || logged != hhs || hhs != upserts || last%per != 0 {
			t.Fatalf("%s in the copy: counter %d, logged %d, households %d, audited %d: not one point in time", device, last, logged, hhs, upserts)
		}
		total += hhs
	}
	if total < low || total > high {
		t.Fatalf("the copy holds %d households; %d were acknowledged before the backup began, at most %d after", total, low, high)
	}
	t.Logf("copy holds %d pushed households (acknowledged: %d before, ≤ %d after)", total, low, high)
	if b, err := os.ReadFile(filepath.Join(out, "photos", photo)); err != nil || string(b) != "jpeg "+photo {
		t.Fatalf("photo not copied: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(out, "photos", "tmp")); err == nil {
		t.Fatal("the photo store's tmp directory was copied")
	}
	if st, err := os.Stat(filepath.Join(out, sqlite.FileName)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("copy mode %v %v", st.Mode(), err)
	}

	// A second backup into the same directory is refused; restore puts the
	// copy in place, and refuses to overwrite a database.
	if code, _, msg := runCmd(t, ctx, "", "backup", "--data", data, out); code == 0 || !strings.Contains(msg, "must not exist") {
		t.Fatalf("backup over an existing directory: %d %q", code, msg)
	}
	if code, _, msg := runCmd(t, ctx, "", "restore", "--data", data, out); code == 0 || !strings.Contains(msg, "already holds a database") {
		t.Fatalf("restore over a live database: %d %q", code, msg)
	}
	restored := filepath.Join(dir, "restored")
	if code, stdout, msg := runCmd(t, ctx, "", "restore", "--data", restored, out); code != 0 || msg != "" {
		t.Fatalf("restore: %d %q %q", code, msg, stdout)
	}
	r := openRaw(t, filepath.Join(restored, sqlite.FileName))
	if got := count(t, r, `SELECT count(*) FROM records WHERE collection = 'households' AND id LIKE 't%'`); got != total {
		t.Fatalf("restored %d households, the copy has %d", got, total)
	}
	code, stdout, msg = runCmd(t, ctx, "", "audit", "verify", "--data", restored)
	if code != 0 || !strings.Contains(stdout, "intact") {
		t.Fatalf("audit verify of the restore: %d %q %q", code, stdout, msg)
	}
	if st, _ := loginVia(t, restored, "worker1", app.DemoPassword); st != 200 {
		t.Fatalf("login on the restored data: %d", st)
	}
}

func TestBackupRefusesPostgresAndBadArgs(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{
		{"backup", "--data", t.TempDir()},
		{"backup", "--data", t.TempDir(), "a", "b"},
		{"backup", "--db", "postgres://x/y", "--data", t.TempDir(), filepath.Join(t.TempDir(), "o")},
		{"restore", "--data", t.TempDir()},
	} {
		if code, _, msg := runCmd(t, ctx, "", args...); code != 2 || msg == "" {
			t.Errorf("%v: code %d, error %q", args, code, msg)
		}
	}
	if code, _, msg := runCmd(t, ctx, "", "backup", "--data", t.TempDir(), filepath.Join(t.TempDir(), "o")); code != 1 || !strings.Contains(msg, "no ruhu database") {
		t.Errorf("backup of an empty directory: %d %q", code, msg)
	}
}

func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
