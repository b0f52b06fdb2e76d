package photos_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ruhu-org/ruhu/server/photos"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Photo ingest through the real HTTP tus path, beside the raw pipeline
// (BenchmarkRawPipeline12MP, and its 4-way parallel form below). The server
// runs in a child process (this test binary, TestPhotoIngestServer) so that
// its peak RSS is the server's alone, not the benchmark's 48 MB fixture.

const ingestServerEnv = "RUHU_INGEST_SERVER"

// ingestReady is the line the child prints when it serves.
type ingestReady struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// TestPhotoIngestServer is the benchmarks' server process; it skips unless
// started by one.
func TestPhotoIngestServer(t *testing.T) {
	if os.Getenv(ingestServerEnv) == "" {
		t.Skip("the photo-ingest benchmarks' server process")
	}
	env := ruhutest.New(t)
	c := env.Login("worker1", "bench")
	c.Push(ruhutest.Upsert(syncproto.CollHouseholds, "hh1", 0, ruhutest.Household("t1-v1", 1)))
	b, _ := json.Marshal(ingestReady{URL: env.URL, Token: c.Token})
	fmt.Printf("%s %s\n", ingestServerEnv, b)
	io.Copy(io.Discard, os.Stdin) // serve until the benchmark closes stdin
}

// ingestServer is a running child server.
type ingestServer struct {
	ingestReady
	pid int
}

func startIngestServer(b *testing.B) *ingestServer {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPhotoIngestServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), ingestServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), ingestServerEnv+" "); ok {
			s := &ingestServer{pid: cmd.Process.Pid}
			if err := json.Unmarshal([]byte(line), &s.ingestReady); err != nil {
				b.Fatal(err)
			}
			go io.Copy(io.Discard, stdout)
			return s
		}
	}
	b.Fatalf("the server process ended before serving: %v", sc.Err())
	return nil
}

// memMB reads a Vm* field (VmHWM: peak resident set) of the server in MB.
func (s *ingestServer) memMB(b *testing.B, field string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, s.pid)
	return 0
}

// benchIngest uploads distinct 12 MP JPEGs, parallel at a time, through
// POST + one PATCH each, and reports images/s and the server's peak RSS.
func benchIngest(b *testing.B, parallel int) {
	srv := startIngestServer(b)
	tc := &tusClient{t: b, url: srv.URL, token: srv.Token}
	base := photos.Photo12MP()
	var n atomic.Int64
	next := func() []byte { // the same pixels, a new SHA-256
		return photos.WithSegment(base, 0xFE, fmt.Appendf(nil, "bench %d", n.Add(1)))
	}
	b.SetBytes(int64(len(base)) * int64(parallel))
	idle := srv.memMB(b, "VmRSS")
	images := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for range parallel {
			data := next()
			wg.Go(func() {
				if a := tc.upload(data, photoMeta(shaHex(data), "hh1", "house")); a.status != http.StatusNoContent {
					b.Errorf("upload: %d %s", a.status, a.body)
				}
			})
		}
		wg.Wait()
		images += parallel
	}
	reportRate(b, images)
	b.ReportMetric(srv.memMB(b, "VmHWM"), "peak-RSS-MB")
	b.ReportMetric(idle, "idle-RSS-MB")
}

func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkIngest12MP uploads one photo at a time.
func BenchmarkIngest12MP(b *testing.B) { benchIngest(b, 1) }

// BenchmarkIngest12MPParallel4 uploads four photos at a time; the server
// decodes two at once (UploadConfig.Workers).
func BenchmarkIngest12MPParallel4(b *testing.B) { benchIngest(b, 4) }

// BenchmarkRawPipeline12MPParallel4 is the raw pipeline four at a time, the
// floor BenchmarkIngest12MPParallel4 is measured against.
func BenchmarkRawPipeline12MPParallel4(b *testing.B) {
	path := filepath.Join(b.TempDir(), "photo.jpg")
	if err := os.WriteFile(path, photos.Photo12MP(), 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(photos.Photo12MP())) * 4)
	images := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if err := photos.RawPipeline(path); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		images += 4
	}
	reportRate(b, images)
}
