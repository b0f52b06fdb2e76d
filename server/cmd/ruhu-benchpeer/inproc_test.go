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
	for range b.N {
		b.StopTimer()
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
		r.versions = make([]int64, docs)
		for lo := 0; lo < docs; lo += o.Batch {
			req := syncproto.PushRequest{DeviceID: benchDevice}
			for i := lo; i < lo+o.Batch; i++ {
				req.Mutations = append(req.Mutations, syncproto.Mutation{MutationID: int64(i + 1),
					Collection: syncproto.CollHouseholds, ID: docID(i), Op: syncproto.OpUpsert, Fields: all[i]})
			}
			enc, _ := json.Marshal(req)
			r.batches = append(r.batches, enc)
		}
		b.StartTimer()
		for lo := 0; lo < docs; lo += o.Batch {
			if _, err := r.push(ctx, lo, lo+o.Batch); err != nil {
				b.Fatal(err)
			}
		}
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
		srv.Close()
		a.Close()
	}
}
