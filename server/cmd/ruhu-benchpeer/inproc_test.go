package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/syncproto"
)

// BenchmarkHTTPSync pushes, pulls and updates households through the real
// HTTP handler in-process, so that pprof sees the whole request path:
//
//	go test -run='^$' -bench=HTTPSync -benchtime=1x -cpuprofile=cpu.out ./server/cmd/ruhu-benchpeer/
func BenchmarkHTTPSync(b *testing.B) {
	const docs = 10_000
	o := options{Docs: docs, Updates: docs, Batch: 500, Page: 500}.normal()
	all := makeDocs(docs)
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		r, done := inprocRuhu(b, all, o)
		b.StartTimer()
		pushAll(b, ctx, r, o)
		for range 3 {
			if n, _, err := r.pull(ctx); err != nil || n != docs {
				b.Fatal(n, err)
			}
		}
		b.StopTimer()
		if err := r.prepareUpdates(o.Updates); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := r.update(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		done()
	}
}

// BenchmarkHTTPPull times only the pull of 10,000 households (pushed
// before the timer starts), client decoding included; one iteration is one
// whole pull. Profile it alone with
//
//	go test -run='^$' -bench=HTTPPull -benchtime=20x -cpuprofile=cpu.out ./server/cmd/ruhu-benchpeer/
func BenchmarkHTTPPull(b *testing.B) {
	const docs = 10_000
	o := options{Docs: docs, Batch: 500, Page: 500}.normal()
	ctx := context.Background()
	r, done := inprocRuhu(b, makeDocs(docs), o)
	defer done()
	pushAll(b, ctx, r, o)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if n, _, err := r.pull(ctx); err != nil || n != docs {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(docs*b.N)/b.Elapsed().Seconds(), "docs/s")
}

// inprocRuhu serves a freshly seeded demo county from an in-process HTTP
// server and returns a ruhu target logged in as worker1, with its push
// batches encoded, and a func that closes it all.
func inprocRuhu(b *testing.B, all []map[string]json.RawMessage, o options) (*ruhuTarget, func()) {
	b.Helper()
	dir := b.TempDir()
	ctx := context.Background()
	if err := app.SeedDemo(ctx, dir, auth.FastArgon2); err != nil {
		b.Fatal(err)
	}
	a, err := app.Open(ctx, app.Config{DataDir: dir, Hasher: auth.FastArgon2})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	r := newRuhu("", all, o)
	r.c = newClient(srv.URL)
	body, _ := json.Marshal(syncproto.LoginRequest{Username: "worker1", Password: app.DemoPassword, DeviceID: benchDevice})
	var tok syncproto.TokenResponse
	if _, err := r.c.do(ctx, "POST", "/v1/auth/login", body, &tok); err != nil {
		b.Fatal(err)
	}
	r.c.token = tok.AccessToken
	r.versions = make([]int64, len(all))
	for lo := 0; lo < len(all); lo += o.Batch {
		req := syncproto.PushRequest{DeviceID: benchDevice}
		for i := lo; i < min(lo+o.Batch, len(all)); i++ {
			req.Mutations = append(req.Mutations, syncproto.Mutation{MutationID: int64(i + 1),
				Collection: syncproto.CollHouseholds, ID: docID(i), Op: syncproto.OpUpsert, Fields: all[i]})
		}
		enc, _ := json.Marshal(req)
		r.batches = append(r.batches, enc)
	}
	return r, func() { srv.Close(); a.Close() }
}

// pushAll pushes every document of r in batches.
func pushAll(b *testing.B, ctx context.Context, r *ruhuTarget, o options) {
	b.Helper()
	for lo := 0; lo < o.Docs; lo += o.Batch {
		if _, err := r.push(ctx, lo, min(lo+o.Batch, o.Docs)); err != nil {
			b.Fatal(err)
		}
	}
}
