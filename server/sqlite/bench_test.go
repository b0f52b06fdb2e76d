package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/sqlite"
	"github.com/ruhu-org/ruhu/server/storetest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The push and pull benchmarks each run beside the raw SQLite rate for the
// same work measured in the same run, and report both: the targets are push
// ≥ 25 % of raw batched insert and pull ≥ 50 % of raw range scan.

const benchBatch = 500

func benchDB(b *testing.B) (*sqlite.DB, *server.Actor) {
	b.Helper()
	dir := b.TempDir()
	ctx := context.Background()
	if err := app.SeedDemo(ctx, dir, auth.FastArgon2); err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	u, err := db.UserByUsername(ctx, "worker1")
	if err != nil {
		b.Fatal(err)
	}
	return db, &server.Actor{UserID: u.ID, UnitID: u.UnitID, UnitPath: u.UnitPath, DeviceID: "bench", Roles: u.Roles}
}

// BenchmarkPush measures POST /v1/sync/push's service: batches of 500 new
// households of ~1.5 KB each (validation, merge, dedupe, audit chain,
// mutation log), beside raw batched inserts of the same bytes. Push and raw
// batches alternate so that both see the same machine load.
func BenchmarkPush(b *testing.B) {
	const batches = 10
	var pushDur, rawDur time.Duration
	n := 0
	for range b.N {
		db, a := benchDB(b)
		raw := rawDB(b, b.TempDir())
		if _, err := raw.Exec(`CREATE TABLE raw (id TEXT PRIMARY KEY, fields TEXT NOT NULL) STRICT`); err != nil {
			b.Fatal(err)
		}
		for i := range batches {
			req := &syncproto.PushRequest{DeviceID: "bench"}
			encoded := make([]string, 0, benchBatch)
			for j := range benchBatch {
				id := i*benchBatch + j + 1
				m := syncproto.Mutation{MutationID: int64(id), Collection: "households",
					ID: fmt.Sprintf("h%08d", id), Op: "upsert", Fields: storetest.BenchFields(id)}
				req.Mutations = append(req.Mutations, m)
				f, _ := json.Marshal(m.Fields)
				encoded = append(encoded, string(f))
			}
			start := time.Now()
			res, err := db.Push(context.Background(), a, req)
			if err != nil {
				b.Fatal(err)
			}
			pushDur += time.Since(start)
			if s := res.Results[0].Status; s != syncproto.StatusApplied {
				b.Fatalf("status %s %+v", s, res.Results[0].Error)
			}
			start = time.Now()
			rawInsert(b, raw, req.Mutations, encoded)
			rawDur += time.Since(start)
			n += benchBatch
		}
	}
	pushRate, rawRate := float64(n)/pushDur.Seconds(), float64(n)/rawDur.Seconds()
	b.ReportMetric(pushRate, "push-mutations/s")
	b.ReportMetric(rawRate, "raw-inserts/s")
	b.ReportMetric(100*pushRate/rawRate, "%-of-raw")
}

// rawInsert inserts the same field bytes with a plain prepared INSERT in one
// transaction, on a database opened the same way.
func rawInsert(b *testing.B, db *sql.DB, ms []syncproto.Mutation, encoded []string) {
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.Prepare(`INSERT INTO raw (id, fields) VALUES (?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for j, m := range ms {
		if _, err := st.Exec(m.ID, encoded[j]); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// rawDB opens a plain database with the same pragmas as the server's
// writer, so the raw rate is SQLite's best for the same settings.
func rawDB(b *testing.B, dir string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "raw.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(10000)&_pragma=cache_size(-32000)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	return db
}

// pullStore is a 1,000,000-record store built once per benchmark run.
var pullStore struct {
	once sync.Once
	dir  string
	err  error
}

const pullRecords = 1_000_000

// buildPullStore fills records directly (the pull benchmark measures
// reading, not pushing): 1,000,000 records spread over the six demo
// villages, ~600 bytes of fields each.
func buildPullStore(b *testing.B) string {
	pullStore.once.Do(func() {
		dir, err := mkdirTemp()
		if err != nil {
			pullStore.err = err
			return
		}
		pullStore.dir = dir
		ctx := context.Background()
		if err := app.SeedDemo(ctx, dir, auth.FastArgon2); err != nil {
			pullStore.err = err
			return
		}
		db := rawDB(b, dir)
		defer db.Close()
		path := filepath.Join(dir, sqlite.FileName)
		if _, err := db.Exec(`ATTACH DATABASE ? AS r`, path); err != nil {
			pullStore.err = err
			return
		}
		villages := []string{"t1-v1", "t1-v2", "t1-v3", "t2-v1", "t2-v2", "t2-v3"}
		tx, _ := db.Begin()
		st, err := tx.Prepare(`INSERT INTO r.records (version, collection, id, unit_id, household_id, fields, field_versions, meta,
			created_by, created_at, updated_at) VALUES (?, 'households', ?, ?, ?, ?, '{}', '{}', 'bench', '', '')`)
		if err != nil {
			pullStore.err = err
			return
		}
		fields := fmt.Sprintf(`{"unit_id":"t1-v1","head_name":"户主","address":"%s","notes":"%s"}`,
			strings.Repeat("东村", 30), strings.Repeat("入户调查记录。", 20))
		for i := 1; i <= pullRecords; i++ {
			id := fmt.Sprintf("h%08d", i)
			if _, err := st.Exec(i, id, villages[i%len(villages)], id, fields); err != nil {
				pullStore.err = err
				return
			}
		}
		st.Close()
		if _, err := tx.Exec(`UPDATE r.version_seq SET value = ?`, pullRecords); err != nil {
			pullStore.err = err
			return
		}
		pullStore.err = tx.Commit()
	})
	if pullStore.err != nil {
		b.Fatal(pullStore.err)
	}
	return pullStore.dir
}

// BenchmarkPull pages through the whole 1,000,000-record store as a county
// user (limit 5000) and encodes every page as the API does, beside a
// raw range scan of the same rows and columns.
func BenchmarkPull(b *testing.B) {
	dir := buildPullStore(b)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	u, err := db.UserByUsername(ctx, "county")
	if err != nil {
		b.Fatal(err)
	}
	county := &server.Actor{UserID: u.ID, UnitPath: u.UnitPath, Roles: u.Roles}
	v, _ := db.UserByUsername(ctx, "worker1")
	village := &server.Actor{UserID: v.ID, UnitPath: v.UnitPath, Roles: v.Roles}
	var pullRate, villageRate, rawRate float64
	b.ResetTimer()
	for range b.N {
		pullRate = pullAll(b, db, county)
		villageRate = pullAll(b, db, village)
		rawRate = rawScanRate(b, db.Path())
	}
	b.ReportMetric(pullRate, "pull-records/s")
	b.ReportMetric(villageRate, "village-pull-records/s")
	b.ReportMetric(rawRate, "raw-scan-rows/s")
	b.ReportMetric(100*pullRate/rawRate, "%-of-raw")
}

func pullAll(b *testing.B, db *sqlite.DB, a *server.Actor) float64 {
	start := time.Now()
	cursor, n := "", 0
	for {
		res, err := db.Pull(context.Background(), a, cursor, syncproto.MaxPullLimit)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.AppendJSON(nil)) == 0 { // as GET /v1/sync/pull encodes it
			b.Fatal("empty page")
		}
		n += len(res.Changes)
		cursor = res.Cursor
		if !res.HasMore {
			break
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

func rawScanRate(b *testing.B, path string) float64 {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	n, after := 0, int64(0)
	for {
		rows, err := db.Query(`SELECT version, collection, id, deleted, fields, fields_s2, meta FROM records WHERE version > ? ORDER BY version LIMIT ?`,
			after, syncproto.MaxPullLimit)
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
			break
		}
	}
	return float64(n) / time.Since(start).Seconds()
}
