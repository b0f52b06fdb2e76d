package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// TestCrashRecovery kills `ruhu serve` with SIGKILL at a random moment
// while three tablets (the real clientsdk) push households and upload
// photos, RUHU_CRASH_ITERATIONS times (default 3; `make crash` runs 100,
// RUHU_CRASH_SEED repeats a run). After every kill `ruhu audit verify`
// must pass and no household may exist twice; at the end every tablet
// syncs its outbox and every mutation and photo must be on the server
// exactly once.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	iterations := envInt("RUHU_CRASH_ITERATIONS", 3)
	seed := uint64(envInt("RUHU_CRASH_SEED", int(time.Now().UnixNano()%1e9)))
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("%d iterations, RUHU_CRASH_SEED=%d", iterations, seed)
	ctx := context.Background()
	dir := t.TempDir()
	bin := buildRuhu(t, dir)
	data := filepath.Join(dir, "data")
	runBin(t, bin, "demo", "--data", data)
	addr := freeAddr(t)
	srv := startAt(t, bin, addr, data)
	defer func() { srv.kill(t) }()

	const tabletsN, perRound = 3, 40
	tablets := make([]*clientsdk.Client, tabletsN)
	for i := range tablets {
		c, err := clientsdk.Open(filepath.Join(dir, fmt.Sprintf("tablet-%d", i)), "http://"+addr,
			clientsdk.WithRetry(2, 20*time.Millisecond, 100*time.Millisecond), clientsdk.WithBatchSize(50),
			clientsdk.WithChunkSize(32<<10))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Login(ctx, "worker1", app.DemoPassword); err != nil {
			t.Fatal(err)
		}
		tablets[i] = c
	}
	created, photos := 0, 0
	kills, cut := 0, 0
	for it := range iterations {
		for i, c := range tablets {
			var first string
			for k := range perRound {
				id, err := c.Create(ctx, syncproto.CollHouseholds, householdFields(i, it*perRound+k))
				if err != nil {
					t.Fatal(err)
				}
				if first == "" {
					first = id
				}
			}
			pic := filepath.Join(dir, fmt.Sprintf("pic-%d-%d.jpg", i, it))
			writeNoisyJPEG(t, pic, rng)
			if _, err := c.AddPhoto(ctx, first, syncproto.PhotoKinds[0], pic); err != nil {
				t.Fatal(err)
			}
			created, photos = created+perRound, photos+1
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, c := range tablets {
			wg.Add(1)
			go func() { // it may fail: the server dies
				defer wg.Done()
				if _, err := c.Sync(ctx); err != nil {
					mu.Lock()
					cut++
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		srv.kill(t)
		kills++
		wg.Wait()
		if out, err := exec.Command(bin, "audit", "verify", "--data", data).CombinedOutput(); err != nil {
			t.Fatalf("iteration %d: audit verify after SIGKILL: %v\n%s", it, err, out)
		}
		db := openRaw(t, filepath.Join(data, "ruhu.db"))
		if n, d := count(t, db, `SELECT count(*) FROM records WHERE collection = 'households'`),
			count(t, db, `SELECT count(DISTINCT json_extract(fields, '$.head_id_number')) FROM records WHERE collection = 'households'`); n != d {
			t.Fatalf("iteration %d: %d households for %d heads", it, n, d)
		}
		db.Close()
		srv = startAt(t, bin, addr, data)
	}

	// Every outbox goes out; then nothing is missing and nothing doubled.
	for i, c := range tablets {
		var err error
		for range 5 {
			var rep *clientsdk.SyncReport
			if rep, err = c.Sync(ctx); err == nil && rep.PhotosPending == 0 && len(rep.Rejected) == 0 {
				break
			}
		}
		st, serr := c.Status(ctx)
		if err != nil || serr != nil || st.Outbox != 0 || st.PhotosQueued != 0 {
			t.Fatalf("tablet %d after the last sync: %v %v, status %+v", i, err, serr, st)
		}
	}
	srv.stop(t)
	db := openRaw(t, filepath.Join(data, "ruhu.db"))
	want := map[string]int64{
		`SELECT count(*) FROM records WHERE collection = 'households'`:                                                 int64(created),
		`SELECT count(DISTINCT json_extract(fields, '$.head_id_number')) FROM records WHERE collection = 'households'`: int64(created),
		`SELECT count(*) FROM mutation_log WHERE collection = 'households' AND status = 'applied'`:                     int64(created),
		`SELECT count(*) FROM mutation_log WHERE status <> 'applied'`:                                                  0,
		`SELECT count(*) FROM audit_log WHERE action = 'record.upsert' AND object_type = 'households'`:                 int64(created),
		`SELECT count(*) FROM records WHERE collection = 'photos'`:                                                     int64(photos),
		`SELECT count(DISTINCT json_extract(fields, '$.sha256')) FROM records WHERE collection = 'photos'`:             int64(photos),
	}
	for q, n := range want {
		if got := count(t, db, q); got != n {
			t.Errorf("%s = %d, want %d", q, got, n)
		}
	}
	shas, err := filepath.Glob(filepath.Join(data, "photos", "??", "*"))
	if err != nil || len(shas) != photos {
		t.Errorf("photo store holds %d photos, want %d (%v)", len(shas), photos, err)
	}
	if out, err := exec.Command(bin, "audit", "verify", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("final audit verify: %v\n%s", err, out)
	}
	t.Logf("%d kills cut %d of %d tablet syncs", kills, cut, kills*tabletsN)
	t.Logf("%d kills; %d households and %d photos from %d tablets arrived exactly once; audit intact", kills, created, photos, tabletsN)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func runBin(t *testing.T, bin string, args ...string) {
	t.Helper()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("ruhu %v: %v\n%s", args, err, out)
	}
}

// startAt starts `ruhu serve` on a fixed address (the tablets keep their
// server URL across restarts) and waits until it is ready; the port may
// take a moment to be free again after a kill.
func startAt(t *testing.T, bin, addr, data string) *proc {
	t.Helper()
	for range 20 {
		if p := tryStart(bin, addr, "--data", data); p != nil {
			return p
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("server did not become ready")
	return nil
}

// householdFields is tablet i's n-th household, with a head ID number of
// its own (valid birth date and check character, unique per tablet and n).
func householdFields(i, n int) clientsdk.Fields {
	f := clientsdk.Fields{}
	for k, v := range ruhutest.Household("t1-v1", 1) {
		f[k] = v
	}
	p := i*100_000 + n
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p/1000)
	first17 := fmt.Sprintf("530121%s%03d", birth.Format("20060102"), p%1000)
	f["head_id_number"] = syncproto.CompleteIDNumber(first17)
	f["address"] = strings.Repeat("东村", 20)
	return f
}

// writeNoisyJPEG writes a 1200×900 photo that compresses badly (so it
// takes several tus chunks) and differs from every other.
func writeNoisyJPEG(t *testing.T, path string, rng *rand.Rand) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1200, 900))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	img.SetRGBA(0, 0, color.RGBA{A: 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
