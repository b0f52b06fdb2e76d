package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/storetest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// BenchmarkTabletJoin measures a fresh tablet joining a village of 2,000
// households with 4 members each (≈ 10,000 records) through clientsdk,
// writing its local store included: wall time, the CPU time of server and
// tablet together (cpu-s, steadier than wall time on a busy machine), the
// bytes on the wire (wire-MiB, as sent: headers and gzip included) and the
// JSON they carry (json-MiB).
//
//	go test -run='^$' -bench=TabletJoin -benchtime=1x ./server/cmd/ruhu-benchpeer/
func BenchmarkTabletJoin(b *testing.B) {
	const households, members = 2000, 4
	ctx := context.Background()
	dir := b.TempDir()
	if err := app.SeedDemo(ctx, dir, auth.FastArgon2); err != nil {
		b.Fatal(err)
	}
	a, err := app.Open(ctx, app.Config{DataDir: dir, Hasher: auth.FastArgon2,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	u, err := a.Engine.UserByUsername(ctx, "worker1")
	if err != nil {
		b.Fatal(err)
	}
	actor := &server.Actor{UserID: u.ID, UnitID: u.UnitID, UnitPath: u.UnitPath, DeviceID: "seed", Roles: u.Roles}
	seedVillage(b, a, actor, households, members)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	for _, limit := range []int{syncproto.DefaultPullLimit, syncproto.MaxPullLimit} {
		b.Run(fmt.Sprintf("page=%d", limit), func(b *testing.B) {
			for range b.N {
				var wire, body atomic.Int64
				tr := http.DefaultTransport.(*http.Transport).Clone()
				dial := tr.DialContext
				tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
					conn, err := dial(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					return countingConn{conn, &wire}, nil
				}
				hc := &http.Client{Timeout: time.Minute, Transport: countingTransport{tr, &body}}
				c, err := clientsdk.Open(b.TempDir(), srv.URL, clientsdk.WithHTTPClient(hc), clientsdk.WithPullLimit(limit))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Login(ctx, "worker2", app.DemoPassword); err != nil {
					b.Fatal(err)
				}
				wire.Store(0)
				body.Store(0)
				cpu0 := cpuTime()
				start := time.Now()
				rep, err := c.Pull(ctx)
				took := time.Since(start)
				cpu := cpuTime() - cpu0
				if err != nil {
					b.Fatal(err)
				}
				if want := households * (1 + members); rep.Pulled < want {
					b.Fatalf("pulled %d records, want %d", rep.Pulled, want)
				}
				c.Close()
				st, err := os.Stat(filepath.Join(c.Dir(), clientsdk.StoreFile))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(st.Size())/(1<<20), "store-MiB")
				b.ReportMetric(took.Seconds(), "join-s")
				b.ReportMetric(cpu.Seconds(), "cpu-s")
				b.ReportMetric(float64(wire.Load())/(1<<20), "wire-MiB")
				b.ReportMetric(float64(body.Load())/(1<<20), "json-MiB")
				b.ReportMetric(float64(rep.Pulled), "records")
			}
		})
	}
}

// seedVillage pushes households of ~1.5 KB, each with members, into
// worker1's village.
func seedVillage(b *testing.B, a *app.App, actor *server.Actor, households, members int) {
	q := func(s string) json.RawMessage { v, _ := json.Marshal(s); return v }
	var ms []syncproto.Mutation
	flush := func() {
		req := &syncproto.PushRequest{DeviceID: actor.DeviceID, Mutations: ms}
		res, err := a.Engine.Push(context.Background(), actor, req)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res.Results {
			if r.Status != syncproto.StatusApplied {
				b.Fatalf("seed mutation %d: %s %+v", r.MutationID, r.Status, r.Error)
			}
		}
		ms = ms[:0]
	}
	id := int64(0)
	for h := 1; h <= households; h++ {
		hid := fmt.Sprintf("h%08d", h)
		id++
		ms = append(ms, syncproto.Mutation{MutationID: id, Collection: syncproto.CollHouseholds, ID: hid,
			Op: syncproto.OpUpsert, Fields: storetest.BenchFields(h)})
		for k := range members {
			n := h*members + k
			prefix := fmt.Sprintf("54%04d%s%03d", n/30000%10000,
				time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n%30000).Format("20060102"), n%1000)[:17]
			id++
			ms = append(ms, syncproto.Mutation{MutationID: id, Collection: syncproto.CollMembers,
				ID: fmt.Sprintf("m%08d", n), Op: syncproto.OpUpsert, Fields: map[string]json.RawMessage{
					"household_id": q(hid), "name": q(fmt.Sprintf("成员%d", n)),
					"id_number": q(syncproto.CompleteIDNumber(prefix)), "relation": q("子女"),
					"sex": q([]string{"male", "female"}[k%2]), "employment": q("务农"),
					"notes": q(strings.Repeat("身体健康，在家务农。", 8))}})
		}
		if len(ms) >= 500 {
			flush()
		}
	}
	if len(ms) > 0 {
		flush()
	}
}

// cpuTime is the CPU time (user and system) the process used so far: the
// server's and the tablet's together, since both run in it. Unlike wall
// time it hardly changes with what else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingConn counts the bytes a connection reads and writes: what goes
// over the wire, headers and compression included.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// countingTransport counts request and response body bytes as the client
// sees them (decompressed).
type countingTransport struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.ContentLength > 0 {
		t.n.Add(req.ContentLength)
	}
	resp, err := t.rt.RoundTrip(req)
	if err == nil {
		resp.Body = countingBody{resp.Body, t.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
