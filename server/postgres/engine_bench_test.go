package postgres_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/postgres"
	"github.com/ruhu-org/ruhu/server/postgres/pgtest"
	"github.com/ruhu-org/ruhu/server/storetest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The engine over PostgreSQL, measured beside raw PostgreSQL doing the
// same bulk work in the same run: push through two engines on two pools
// (two server processes) against batched inserts, and pull against a range
// scan. Targets on a 2-core machine: push ≥ 8,000 mutations/s, pull ≥
// 100,000 records/s.

const benchBatch = 500

// benchEngine seeds the demo county in a fresh database and returns an
// engine on its own pool, its URL and the worker's actor.
func benchEngine(b *testing.B, url string) (*engine.Engine, *server.Actor) {
	b.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e := engine.New(db)
	u, err := e.UserByUsername(ctx, "worker1")
	if err != nil {
		b.Fatal(err)
	}
	return e, &server.Actor{UserID: u.ID, UnitID: u.UnitID, UnitPath: u.UnitPath, Roles: u.Roles}
}

func seededURL(b *testing.B) string {
	b.Helper()
	url := pgtest.URL(b)
	if err := app.SeedDemoStore(context.Background(), app.Config{DatabaseURL: url}, auth.FastArgon2); err != nil {
		b.Fatal(err)
	}
	return url
}

// BenchmarkPush pushes 20 batches of 500 new ~1.5 KB households through two
// engines at once (a device each), then inserts the same bytes raw with
// one multi-row statement per batch.
func BenchmarkPush(b *testing.B) {
	const perEngine = 10
	var pushRate, rawRate, dbMiB float64
	for range b.N {
		url := seededURL(b)
		var wg sync.WaitGroup
		engines, actors := [2]*engine.Engine{}, [2]*server.Actor{}
		reqs := [2][]*syncproto.PushRequest{}
		for k := range 2 {
			engines[k], actors[k] = benchEngine(b, url)
			actors[k].DeviceID = []string{"bench-a", "bench-b"}[k]
			for i := range perEngine {
				reqs[k] = append(reqs[k], storetest.BenchPush(actors[k].DeviceID, (k*perEngine+i)*benchBatch+1, benchBatch))
			}
		}
		start := time.Now()
		for k := range 2 {
			e, a := engines[k], actors[k]
			wg.Go(func() {
				for _, req := range reqs[k] {
					res, err := e.Push(context.Background(), a, req)
					if err != nil || res.Results[0].Status != syncproto.StatusApplied {
						b.Errorf("push: %v %+v", err, res)
						return
					}
				}
			})
		}
		wg.Wait()
		pushRate = float64(2*perEngine*benchBatch) / time.Since(start).Seconds()
		dbMiB = float64(tablesSize(b, url)) / (1 << 20)
		rawRate = rawInsertRate(b, url, 2*perEngine)
	}
	b.ReportMetric(pushRate, "push-mutations/s")
	b.ReportMetric(dbMiB, "tables-MiB")
	b.ReportMetric(rawRate, "raw-inserts/s")
	b.ReportMetric(100*pushRate/rawRate, "%-of-raw")
}

// tablesSize is the bytes the database's tables take, with their indexes
// and TOAST.
func tablesSize(b *testing.B, url string) int64 {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CHECKPOINT`); err != nil {
		b.Fatal(err)
	}
	var n int64
	if err := conn.QueryRow(ctx, `SELECT sum(pg_total_relation_size(oid))::bigint FROM pg_class
		WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func rawInsertRate(b *testing.B, url string, batches int) float64 {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE raw (id text PRIMARY KEY, fields text NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	var d time.Duration
	for i := range batches {
		req := storetest.BenchPush("raw", i*benchBatch+1, benchBatch)
		ids, fields := make([]string, benchBatch), make([]string, benchBatch)
		for j, m := range req.Mutations {
			f, _ := json.Marshal(m.Fields)
			ids[j], fields[j] = m.ID, string(f)
		}
		start := time.Now()
		if _, err := conn.Exec(ctx, `INSERT INTO raw (id, fields) SELECT * FROM unnest($1::text[], $2::text[])`, ids, fields); err != nil {
			b.Fatal(err)
		}
		d += time.Since(start)
	}
	return float64(batches*benchBatch) / d.Seconds()
}

// BenchmarkPull pulls a 100,000-record county through the engine as the
// county user (pages of 5,000, encoded as the API does), beside a raw
// range scan of the same rows and columns.
func BenchmarkPull(b *testing.B) {
	const records = 100_000
	url := seededURL(b)
	e, a := benchEngine(b, url)
	a.DeviceID = "load"
	for i := 0; i < records; i += benchBatch {
		if _, err := e.Push(context.Background(), a, storetest.BenchPush("load", i+1, benchBatch)); err != nil {
			b.Fatal(err)
		}
	}
	analyze(b, url)
	u, err := e.UserByUsername(context.Background(), "county")
	if err != nil {
		b.Fatal(err)
	}
	county := &server.Actor{UserID: u.ID, UnitPath: u.UnitPath, Roles: u.Roles}
	var pullRate, rawRate float64
	b.ResetTimer()
	for range b.N {
		pullRate = pullAll(b, e, county)
		rawRate = rawScanRate(b, url)
	}
	b.ReportMetric(pullRate, "pull-records/s")
	b.ReportMetric(rawRate, "raw-scan-rows/s")
	b.ReportMetric(100*pullRate/rawRate, "%-of-raw")
}

func analyze(b *testing.B, url string) {
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

func pullAll(b *testing.B, e *engine.Engine, a *server.Actor) float64 {
	start := time.Now()
	cursor, n := "", 0
	for {
		res, err := e.Pull(context.Background(), a, cursor, syncproto.MaxPullLimit)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.AppendJSON(nil)) == 0 {
			b.Fatal("empty page")
		}
		n += len(res.Changes)
		cursor = res.Cursor
		if !res.HasMore {
			return float64(n) / time.Since(start).Seconds()
		}
	}
}

func rawScanRate(b *testing.B, url string) float64 {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	start := time.Now()
	n, after := 0, int64(0)
	for {
		rows, err := conn.Query(ctx, `SELECT version, collection, id, deleted, fields, fields_s2, meta FROM records
			WHERE county_id = 'demo-county' AND version > $1 ORDER BY version LIMIT $2`, after, syncproto.MaxPullLimit)
		if err != nil {
			b.Fatal(err)
		}
		page := 0
		for rows.Next() {
			var coll, id string
			var deleted bool
			var fields, z, meta []byte
			if err := rows.Scan(&after, &coll, &id, &deleted, &fields, &z, &meta); err != nil {
				b.Fatal(err)
			}
			// The rows as stored, into JSON: compressed fields are
			// decompressed, as the store's pull does.
			if _, err := server.LoadFields(nil, fields, z); err != nil {
				b.Fatal(err)
			}
			page++
		}
		rows.Close()
		n += page
		if page < syncproto.MaxPullLimit {
			return float64(n) / time.Since(start).Seconds()
		}
	}
}
