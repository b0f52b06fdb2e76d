package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/server/postgres/pgtest"
)

// BenchmarkChanges pulls a county of 50,000 records in pages of 1,000 and
// reports records per second (the pull hot path).
func BenchmarkChanges(b *testing.B) {
	const n, page = 50000, 1000
	db, err := Open(context.Background(), pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	seedBenchUnits(b, db)
	seedRecords(b, db, n)
	// As autovacuum would: without statistics the planner sorts every
	// remaining row of the scope for each page of a scoped pull.
	if _, err := db.pool.Exec(context.Background(), `ANALYZE records`); err != nil {
		b.Fatal(err)
	}
	for _, scoped := range []bool{false, true} {
		b.Run(fmt.Sprintf("scoped=%v", scoped), func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				if got := pullAll(b, db, scoped, page); got != n {
					b.Fatalf("pulled %d, want %d", got, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "records/s")
		})
	}
}

// BenchmarkPut writes 50,000 records in transactions of 500 and reports
// records per second.
func BenchmarkPut(b *testing.B) {
	db, err := Open(context.Background(), pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		seedRecordsPrefix(b, db, 50000, fmt.Sprint("r", i, "-"))
	}
	b.ReportMetric(float64(50000*b.N)/time.Since(start).Seconds(), "records/s")
}

// seedBenchUnits creates county c with villages c-v0 … c-v3.
func seedBenchUnits(b *testing.B, db *DB) {
	err := db.Write(context.Background(), "c", func(tx server.Tx) error {
		units := []server.Unit{{ID: "c", Level: "county", Path: "/c/"}, {ID: "c-t", ParentID: "c", Level: "township", Path: "/c/c-t/"}}
		for i := range 4 {
			id := fmt.Sprint("c-v", i)
			units = append(units, server.Unit{ID: id, ParentID: "c-t", Level: "village", Path: "/c/c-t/" + id + "/"})
		}
		for _, u := range units {
			if err := tx.InsertUnit(u, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func seedRecords(b *testing.B, db *DB, n int) { seedRecordsPrefix(b, db, n, "h") }

func seedRecordsPrefix(b *testing.B, db *DB, n int, prefix string) {
	fields := map[string]json.RawMessage{"head_id_number": json.RawMessage(`"110101199003071234"`),
		"address": json.RawMessage(`"1 Main Street, Village Two"`), "size": json.RawMessage(`4`),
		"income": json.RawMessage(`{"farm":1200,"wages":3400}`)}
	for done := 0; done < n; {
		err := db.Write(context.Background(), "c", func(tx server.Tx) error {
			for i := 0; i < 500 && done+i < n; i++ {
				v, _ := tx.NextVersion()
				r := &server.Record{Record: merge.Record{Version: v, Fields: fields, FieldVersions: map[string]int64{"size": v}},
					Collection: "households", ID: fmt.Sprint(prefix, done+i), UnitID: fmt.Sprint("c-v", (done+i)%4), CreatedBy: "u"}
				if err := tx.Put(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += 500
	}
}

func pullAll(b *testing.B, db *DB, scoped bool, page int) int {
	var cursor int64
	total := 0
	for {
		var got int
		err := db.Read(context.Background(), func(tx server.Tx) error {
			var scope []string
			if scoped {
				scope = []string{"c-v0", "c-v1", "c-v2", "c-v3", "c-v4"}
			}
			cs, err := tx.Changes(scope, !scoped, cursor, page)
			if len(cs) > 0 {
				cursor = cs[len(cs)-1].Version
			}
			got = len(cs)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		total += got
		if got < page {
			return total
		}
	}
}
