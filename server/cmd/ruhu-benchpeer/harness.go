package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/ruhu-org/ruhu/server/cmd/internal/serveproc"
	"github.com/ruhu-org/ruhu/server/storetest"
)

type options struct {
	Docs, Updates, Batch, Page, Runs int
	Ruhu, PouchDir, PouchVersion     string
	NoPouch, Keep                    bool
	Work                             string
}

// normal fills in defaults.
func (o options) normal() options {
	if o.Updates == 0 {
		o.Updates = o.Docs / 5
	}
	o.Updates = min(o.Updates, o.Docs)
	o.Batch, o.Page, o.Runs = max(o.Batch, 1), max(o.Page, 1), max(o.Runs, 1)
	return o
}

// phase is one measured phase of one run on one server.
type phase struct {
	Docs int
	Wall time.Duration
	CPU  time.Duration // server utime+stime
	Wire int64         // request + response body bytes
}

func (p phase) rate() float64 { return float64(p.Docs) / p.Wall.Seconds() }

// cpuPer1k is server CPU seconds per 1,000 documents.
func (p phase) cpuPer1k() float64 { return p.CPU.Seconds() / float64(p.Docs) * 1000 }

// result is one run on one server.
type result struct {
	Server              string
	Push, Pull, Update  phase
	PeakRSS, Disk       int64
	DiskDetail          string
	StartRSS, StartDisk int64
}

// target is a server under test, started fresh for each run.
type target interface {
	name() string
	// start starts the server on a fresh data directory under dir.
	start(ctx context.Context, dir string) error
	// proc is the server process.
	proc() *serveproc.Proc
	// push sends docs[lo:hi] as new documents.
	push(ctx context.Context, lo, hi int) (wire int64, err error)
	// pull reads every document, paged, and returns how many it decoded.
	pull(ctx context.Context) (n int, wire int64, err error)
	// prepareUpdates encodes the update batches for docs[0:n] (not timed).
	prepareUpdates(n int) error
	// update sends the prepared update batches.
	update(ctx context.Context) (wire int64, err error)
	// stop stops the server gracefully.
	stop() error
	dataDir() string
}

// targetBase is what both targets hold: the documents, the options, the
// run's directory, the server process and a client of it, and the
// encoded push and update batches.
type targetBase struct {
	docs    []map[string]json.RawMessage
	o       options
	dir     string
	p       *serveproc.Proc
	c       *client
	batches [][]byte
	updates [][]byte
}

func (b *targetBase) proc() *serveproc.Proc { return b.p }
func (b *targetBase) dataDir() string       { return filepath.Join(b.dir, "data") }
func (b *targetBase) stop() error           { return stopProc(b.p) }

// run runs o.Runs interleaved runs and returns every result.
func run(ctx context.Context, o options, log io.Writer) ([]result, error) {
	o = o.normal()
	work := o.Work
	if work == "" {
		d, err := os.MkdirTemp("", "ruhu-bench-peer-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		work = d
	}
	bin := o.Ruhu
	if bin == "" {
		fmt.Fprintln(log, "building ruhu …")
		bin = filepath.Join(work, "ruhu")
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "github.com/ruhu-org/ruhu/server/cmd/ruhu")
		cmd.Env, cmd.Stdout, cmd.Stderr = append(os.Environ(), "CGO_ENABLED=0"), log, log
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("build ruhu: %w", err)
		}
	}
	// The servers run in their own directories: the paths must not be
	// relative.
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	var pouchBin string
	if !o.NoPouch {
		if pouchBin, err = installPouch(ctx, o, work, log); err != nil {
			return nil, err
		}
		if pouchBin, err = filepath.Abs(pouchBin); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(log, "encoding %d documents …\n", o.Docs)
	docs := makeDocs(o.Docs)
	var out []result
	for r := range o.Runs {
		targets := []target{newRuhu(bin, docs, o)}
		if !o.NoPouch {
			p := newPouch(pouchBin, docs, o)
			if r%2 == 0 {
				targets = append(targets, p)
			} else {
				targets = append([]target{p}, targets...)
			}
		}
		for _, t := range targets {
			dir := filepath.Join(work, fmt.Sprintf("run%d-%s", r+1, t.name()))
			res, err := runOne(ctx, t, dir, o)
			if err != nil {
				return out, fmt.Errorf("run %d, %s: %w", r+1, t.name(), err)
			}
			fmt.Fprintf(log, "run %d %-5s push %7.0f/s  pull %7.0f/s  update %7.0f/s  rss %s  disk %s\n", r+1, t.name(),
				res.Push.rate(), res.Pull.rate(), res.Update.rate(), mib(res.PeakRSS), mib(res.Disk))
			out = append(out, res)
			if o.Keep {
				fmt.Fprintf(log, "kept %s\n", dir)
			} else if err := os.RemoveAll(dir); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// runOne runs the three phases on a fresh server.
func runOne(ctx context.Context, t target, dir string, o options) (result, error) {
	res := result{Server: t.name()}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, err
	}
	if err := t.start(ctx, dir); err != nil {
		return res, err
	}
	stopped := false
	defer func() {
		if !stopped {
			t.stop()
		}
	}()
	res.StartRSS, _ = t.proc().Status("VmRSS")
	res.StartDisk = dirSize(t.dataDir())
	measure := func(p *phase, docs int, fn func() (int64, error)) error {
		cpu0, t0 := t.proc().CPU(), time.Now()
		wire, err := fn()
		p.Wall, p.CPU, p.Docs, p.Wire = time.Since(t0), t.proc().CPU()-cpu0, docs, wire
		return err
	}
	if err := measure(&res.Push, o.Docs, func() (int64, error) {
		var wire int64
		for lo := 0; lo < o.Docs; lo += o.Batch {
			w, err := t.push(ctx, lo, min(lo+o.Batch, o.Docs))
			if err != nil {
				return wire, fmt.Errorf("push %d: %w", lo, err)
			}
			wire += w
		}
		return wire, nil
	}); err != nil {
		return res, err
	}
	if err := measure(&res.Pull, o.Docs, func() (int64, error) {
		n, wire, err := t.pull(ctx)
		if err == nil && n != o.Docs {
			err = fmt.Errorf("pulled %d documents, want %d", n, o.Docs)
		}
		return wire, err
	}); err != nil {
		return res, err
	}
	if err := t.prepareUpdates(o.Updates); err != nil {
		return res, err
	}
	if err := measure(&res.Update, o.Updates, func() (int64, error) { return t.update(ctx) }); err != nil {
		return res, err
	}
	res.PeakRSS, _ = t.proc().Status("VmHWM")
	stopped = true
	if err := t.stop(); err != nil {
		return res, err
	}
	res.Disk = dirSize(t.dataDir())
	res.DiskDetail = diskDetail(t.dataDir())
	return res, nil
}

// makeDocs returns the documents' fields, the ones make bench pushes
// (~1.5 KB households).
func makeDocs(n int) []map[string]json.RawMessage {
	docs := make([]map[string]json.RawMessage, n)
	for i := range docs {
		docs[i] = storetest.BenchFields(i + 1)
	}
	return docs
}

func docID(i int) string { return fmt.Sprintf("h%08d", i+1) }

// changedFields are the two fields an update changes.
func changedFields(i int) map[string]json.RawMessage {
	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	return map[string]json.RawMessage{"category": q("tekun"), "notes": q(fmt.Sprintf("复查 %d：家庭情况有变化。", i))}
}

// --- processes and /proc ---------------------------------------------------

// dirSize is the bytes the files under dir take on disk.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				n += st.Blocks * 512
			} else {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// diskDetail names the largest files under dir.
func diskDetail(dir string) string {
	var parts []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := dirSize(filepath.Join(dir, e.Name())); n >= 1<<20 || (!e.IsDir() && n > 0 && len(entries) < 8) {
			parts = append(parts, fmt.Sprintf("%s %s", e.Name(), mib(n)))
		}
	}
	return strings.Join(parts, ", ")
}

// startProc starts a server (ruhu serve, node) in dir, its output in
// dir/server.log, in a process group of its own.
func startProc(dir string, name string, args ...string) (*serveproc.Proc, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	lf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, err := serveproc.Start(cmd)
	if err != nil {
		lf.Close()
		return nil, err
	}
	go func() { <-p.Exited(); lf.Close() }()
	return p, nil
}

// stopProc stops a server with SIGTERM, killing it after 30 s. How it
// exited does not matter to the benchmark (node ends by the signal), only
// that it did within the time.
func stopProc(p *serveproc.Proc) error {
	if err := p.Stop(30 * time.Second); errors.Is(err, serveproc.ErrStopTimeout) {
		return err
	}
	return nil
}

// client is one HTTP connection's worth of client, as a tablet has.
type client struct {
	http  *http.Client
	base  string
	token string
}

func newClient(base string) *client {
	return &client{base: base, http: &http.Client{Timeout: 5 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}}
}

// do sends body and decodes the answer into out (when not nil), returning
// the bytes of the two bodies.
func (c *client) do(ctx context.Context, method, path string, body []byte, out any) (int64, error) {
	b, err := c.send(ctx, method, path, body, nil)
	if err != nil {
		return 0, err
	}
	if out != nil {
		if err := decodeJSON(b, out); err != nil {
			return 0, fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return int64(len(body) + len(b)), nil
}

// send sends body and returns the answer's body, read into buf (grown as
// needed), an error unless 2xx.
func (c *client) send(ctx context.Context, method, path string, body, buf []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := readBody(resp, buf[:0])
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %.300s", method, path, resp.Status, b)
	}
	return b, nil
}

// readBody appends resp's body to b, in one piece when its length is
// known.
func readBody(resp *http.Response, b []byte) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n < 1<<30 {
		b = slices.Grow(b, int(n))
	}
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, 64<<10)
		}
		n, err := resp.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// decodeJSON is how the clients of both servers decode every answer:
// with go-json-experiment/json (encoding/json/v2 to be), which validates
// the whole body (syntax and UTF-8, raw values such as fields and docs
// included) in one pass, several times faster than encoding/json.
func decodeJSON(b []byte, v any) error {
	return jsonv2.Unmarshal(b, v)
}
