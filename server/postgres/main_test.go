package postgres

import (
	"context"
	"encoding/json"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/migrations"
	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/server/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// t0 is the test clock's start.
var t0 = time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)

// open opens a fresh database with a clock that ticks one second a call.
func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var mu sync.Mutex
	now := t0
	db.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	return db
}

// write runs fn in a write transaction on county and fails the test on
// error.
func write(t *testing.T, db *DB, county string, fn func(server.Tx) error) {
	t.Helper()
	if err := db.Write(context.Background(), county, fn); err != nil {
		t.Fatal(err)
	}
}

// read runs fn in a read transaction and fails the test on error.
func read(t *testing.T, db *DB, fn func(server.Tx) error) {
	t.Helper()
	if err := db.Read(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// seedUnits creates county c with township c-t and villages c-v1, c-v2.
func seedUnits(t *testing.T, db *DB, c string) {
	t.Helper()
	write(t, db, c, func(tx server.Tx) error {
		for _, u := range []server.Unit{
			{ID: c, Name: c, Level: "county", Path: "/" + c + "/"},
			{ID: c + "-t", ParentID: c, Name: "t", Level: "township", Path: "/" + c + "/" + c + "-t/"},
			{ID: c + "-v1", ParentID: c + "-t", Name: "v1", Level: "village", Path: "/" + c + "/" + c + "-t/" + c + "-v1/"},
			{ID: c + "-v2", ParentID: c + "-t", Name: "v2", Level: "village", Path: "/" + c + "/" + c + "-t/" + c + "-v2/"},
		} {
			if err := tx.InsertUnit(u, t0); err != nil {
				return err
			}
		}
		return nil
	})
}

// newRecord builds a record at a new version of the transaction.
func newRecord(t *testing.T, tx server.Tx, coll, id, unit string, fields map[string]string) *server.Record {
	t.Helper()
	v, err := tx.NextVersion()
	if err != nil {
		t.Fatal(err)
	}
	r := &server.Record{Record: merge.Record{Version: v, Fields: map[string]json.RawMessage{},
		FieldVersions: map[string]int64{}}, Collection: coll, ID: id, UnitID: unit, CreatedBy: "u1"}
	for k, val := range fields {
		b, _ := json.Marshal(val)
		r.Fields[k], r.FieldVersions[k] = b, v
	}
	return r
}

func TestOpenTwiceConcurrently(t *testing.T) {
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(context.Background(), url)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, err := fs.Glob(migrations.Postgres, "postgres/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v %v", names, err)
	}
	var n int
	if err := db.pool.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(names) {
		t.Fatalf("schema_migrations rows = %d, %v; want %d (each applied once)", n, err, len(names))
	}
}
