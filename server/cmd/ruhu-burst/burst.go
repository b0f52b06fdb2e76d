package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Config is one burst.
type Config struct {
	Ruhu           string // the ruhu binary
	Dir            string // working directory: data/, server.log
	Tablets        int    // tablets (500)
	Concurrency    int    // tablets at once (64)
	PerVillage     int    // tablets per village (10)
	Households     int    // new households per tablet and morning (20)
	Members        int    // members per household, the head included (4)
	Investigations int    // signed investigations per tablet and morning (2)
	Mornings       int    // mornings against the same server (2)
	// OneAddress makes every tablet come from one address (a township
	// office behind one NAT) instead of an address of its own.
	OneAddress bool
	Log        io.Writer
}

// Report is what a burst measured.
type Report struct {
	Ops       map[string]*opStats
	Mutations int           // applied
	PushWall  time.Duration // wall time of the mornings
	PeakRSS   int64         // the server's VmHWM, bytes
	DBBytes   int64         // ruhu.db and its WAL after the run
	Audit     string        // ruhu audit verify's answer
	// ServerCPU and ClientCPU are the CPU time the server and this
	// process (the tablets' side) took over the mornings; Load the
	// machine's load average before and after them.
	ServerCPU, ClientCPU time.Duration
	Load                 [2]string
}

type opStats struct {
	lat     []time.Duration
	errors  int
	retries int
	first   string
}

func (s *opStats) quantile(q float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	sorted := slices.Clone(s.lat)
	slices.Sort(sorted)
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// recorder collects latencies from the tablets' goroutines.
type recorder struct {
	mu  sync.Mutex
	ops map[string]*opStats
}

func (r *recorder) add(op string, d time.Duration, retries int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.ops[op]
	if s == nil {
		s = &opStats{}
		r.ops[op] = s
	}
	s.retries += retries
	if err != nil {
		s.errors++
		if s.first == "" {
			s.first = err.Error()
		}
		return
	}
	s.lat = append(s.lat, d)
}

// village is one burst village: its id and its two workers.
type village struct {
	id   string
	a, b *signer
}

// Run seeds a fresh server, sets up the villages (yesterday's work: units,
// workers, their keys), then runs the mornings: every tablet logs in,
// pulls its village and pushes its day's work, Concurrency at a time.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	data := filepath.Join(cfg.Dir, "data")
	if out, err := exec.Command(cfg.Ruhu, "demo", "--data", data).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ruhu demo: %v\n%s", err, out)
	}
	srv, err := startServer(cfg.Ruhu, data)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c := &api{url: srv.url, http: &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		MaxIdleConnsPerHost: cfg.Concurrency, MaxIdleConns: cfg.Concurrency}}}
	t0 := time.Now()
	villages, err := setUp(ctx, c, cfg)
	if err != nil {
		return nil, fmt.Errorf("set up: %w", err)
	}
	fmt.Fprintf(cfg.Log, "set up %d villages (2 workers and their keys each) in %v\n", len(villages), time.Since(t0).Round(time.Millisecond))
	rec := &recorder{ops: map[string]*opStats{}}
	rep := &Report{Ops: rec.ops}
	cursors := make([]string, cfg.Tablets)
	rep.Load[0] = loadAvg()
	cpu0, self0 := srv.CPU(), selfCPU()
	start := time.Now()
	for m := range cfg.Mornings {
		t0 := time.Now()
		n, err := morning(ctx, c, cfg, m, villages, cursors, rec)
		if err != nil {
			return nil, err
		}
		rep.Mutations += n
		fmt.Fprintf(cfg.Log, "morning %d: %d tablets, %d mutations applied in %v\n", m+1, cfg.Tablets, n, time.Since(t0).Round(time.Millisecond))
	}
	rep.PushWall = time.Since(start)
	rep.ServerCPU, rep.ClientCPU, rep.Load[1] = srv.CPU()-cpu0, selfCPU()-self0, loadAvg()
	if rep.PeakRSS, err = srv.peakRSS(); err != nil {
		return nil, err
	}
	if err := srv.stop(); err != nil {
		return nil, fmt.Errorf("stop the server: %w", err)
	}
	for _, f := range []string{"ruhu.db", "ruhu.db-wal"} {
		if st, err := os.Stat(filepath.Join(data, f)); err == nil {
			rep.DBBytes += st.Size()
		}
	}
	out, err := exec.Command(cfg.Ruhu, "audit", "verify", "--data", data).CombinedOutput()
	rep.Audit = string(out)
	if err != nil {
		return rep, fmt.Errorf("audit verify: %v: %s", err, out)
	}
	return rep, nil
}

// setUp creates the villages under township t1, two workers each, and
// registers each worker's signing key.
func setUp(ctx context.Context, c *api, cfg Config) ([]*village, error) {
	admin, _, err := c.login(ctx, "admin", app.DemoPassword, "burst-admin")
	if err != nil {
		return nil, err
	}
	n := (cfg.Tablets + cfg.PerVillage - 1) / cfg.PerVillage
	out := make([]*village, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for v := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			vil, err := setUpVillage(ctx, c, admin.AccessToken, v)
			out[v] = vil
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func setUpVillage(ctx context.Context, c *api, admin string, v int) (*village, error) {
	vil := &village{id: fmt.Sprintf("bv%03d", v)}
	if _, err := c.call(ctx, http.MethodPost, "/v1/admin/units", admin, syncproto.Unit{ID: vil.id, ParentID: "t1",
		Name: fmt.Sprintf("压测村%d", v), Level: syncproto.LevelVillage}, nil); err != nil {
		return nil, err
	}
	for k, s := range []**signer{&vil.a, &vil.b} {
		name := fmt.Sprintf("bw%03d%c", v, 'a'+k)
		var u syncproto.UserDetail
		if _, err := c.call(ctx, http.MethodPost, "/v1/admin/users", admin, syncproto.CreateUserRequest{Username: name,
			Password: app.DemoPassword, DisplayName: name, Roles: []string{syncproto.RoleVillageWorker}, UnitID: vil.id,
			IDNumber: idNumber(20_000_000 + 2*v + k)}, &u); err != nil {
			return nil, err
		}
		*s = &signer{username: name, userID: u.ID, priv: newKey(name)}
		tok, _, err := c.login(ctx, name, app.DemoPassword, "setup-"+name)
		if err != nil {
			return nil, err
		}
		pub := (*s).priv.Public().(ed25519.PublicKey)
		if _, err := c.call(ctx, http.MethodPost, "/v1/keys", tok.AccessToken,
			syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(pub)}, nil); err != nil {
			return nil, err
		}
	}
	return vil, nil
}

// morning runs every tablet once, Concurrency at a time, and returns the
// mutations applied.
func morning(ctx context.Context, c *api, cfg Config, m int, villages []*village, cursors []string, rec *recorder) (int, error) {
	sem := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	for t := range cfg.Tablets {
		vil := villages[t/cfg.PerVillage]
		d, err := dayOf(cfg, m, t, vil.id, vil.a, vil.b)
		if err != nil {
			return 0, err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tctx := ctx
			if !cfg.OneAddress {
				tctx = from(ctx, fmt.Sprintf("10.%d.%d.%d", 1+t/65536, t/256%256, t%256))
			}
			n := tablet(tctx, c, t, vil, d, &cursors[t], rec)
			mu.Lock()
			applied += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return applied, nil
}

// tablet is one tablet's morning: log in, pull the village from its
// cursor, push the day's work (again from last_mutation_id while the
// server's budget cuts it).
func tablet(ctx context.Context, c *api, t int, vil *village, d *day, cursor *string, rec *recorder) int {
	device := fmt.Sprintf("tab-%03d", t)
	t0 := time.Now()
	tok, retries, err := c.login(ctx, vil.a.username, app.DemoPassword, device)
	rec.add("login", time.Since(t0), retries, err)
	if err != nil {
		return 0
	}
	t0 = time.Now()
	pages, err := pull(ctx, c, tok.AccessToken, cursor, rec)
	rec.add("pull (whole village)", time.Since(t0), 0, err)
	_ = pages
	applied, rest := 0, d.mutations
	for len(rest) > 0 {
		t0 = time.Now()
		var res syncproto.PushResponse
		retries, err := c.call(ctx, http.MethodPost, "/v1/sync/push", tok.AccessToken,
			syncproto.PushRequest{DeviceID: device, Mutations: rest}, &res)
		if err == nil {
			err = checkPush(&res, rest)
		}
		rec.add("push", time.Since(t0), retries, err)
		if err != nil {
			return applied
		}
		k := 0
		for _, r := range res.Results {
			if r.MutationID <= res.LastMutationID {
				k++
				if r.Status == syncproto.StatusApplied {
					applied++
				}
			}
		}
		rest = rest[k:]
	}
	return applied
}

func pull(ctx context.Context, c *api, token string, cursor *string, rec *recorder) (int, error) {
	pages := 0
	for {
		var res syncproto.PullResponse
		t0 := time.Now()
		retries, err := c.call(ctx, http.MethodGet, "/v1/sync/pull?cursor="+*cursor, token, nil, &res)
		rec.add("pull page", time.Since(t0), retries, err)
		if err != nil {
			return pages, err
		}
		pages++
		*cursor = res.Cursor
		if !res.HasMore {
			return pages, nil
		}
	}
}

// checkPush fails unless every processed mutation was applied (a
// rejection or conflict in a burst of fresh records is a bug).
func checkPush(res *syncproto.PushResponse, sent []syncproto.Mutation) error {
	if len(res.Results) != len(sent) {
		return fmt.Errorf("push: %d results for %d mutations", len(res.Results), len(sent))
	}
	for _, r := range res.Results {
		if r.MutationID > res.LastMutationID {
			continue // left out by the budget: pushed again
		}
		if r.Status != syncproto.StatusApplied {
			msg := ""
			if r.Error != nil {
				msg = r.Error.Code + ": " + r.Error.Message
			}
			return fmt.Errorf("push: mutation %d %s %s", r.MutationID, r.Status, msg)
		}
	}
	return nil
}

// selfCPU is this process's user plus system time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAvg is the machine's 1-, 5- and 15-minute load averages ("?" where
// /proc/loadavg cannot be read).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}
