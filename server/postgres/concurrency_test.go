package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
)

// TestPullerNeverSkipsAVersion is the gap test: two writers of one county
// take versions and put records while sleeping inside their transactions,
// and a puller that reads Changes after its cursor as fast as it can must
// see every record exactly once. Were versions taken outside the county
// lock, a later version could commit first, the cursor would pass the
// earlier one, and that record would never be pulled.
func TestPullerNeverSkipsAVersion(t *testing.T) {
	db := open(t)
	const writers, txs = 2, 60
	ctx := context.Background()
	var wg sync.WaitGroup
	done := make(chan struct{})
	var mu sync.Mutex
	written := map[string]bool{}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range txs {
				ids, err := writeSlowly(ctx, db, w, i)
				if err != nil {
					t.Errorf("writer %d tx %d: %v", w, i, err)
					return
				}
				mu.Lock()
				for _, id := range ids {
					written[id] = true
				}
				mu.Unlock()
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	seen, pulls := pullUntil(t, db, done)
	if len(written) != writers*txs*2 {
		t.Fatalf("%d records written, want %d", len(written), writers*txs*2)
	}
	for id := range written {
		if seen[id] != 1 {
			t.Errorf("record %s pulled %d times, want once", id, seen[id])
		}
	}
	t.Logf("%d records, %d pulls", len(written), pulls)
}

// writeSlowly puts two records in one transaction, sleeping between taking
// a version and committing.
func writeSlowly(ctx context.Context, db *DB, w, i int) ([]string, error) {
	var ids []string
	err := db.Write(ctx, "c", func(tx server.Tx) error {
		ids = ids[:0]
		for j := range 2 {
			v, err := tx.NextVersion()
			if err != nil {
				return err
			}
			time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond)
			id := fmt.Sprintf("w%d-%d-%d", w, i, j)
			r := &server.Record{Collection: "households", ID: id, UnitID: "c-v1", CreatedBy: "u"}
			r.Version = v
			if err := tx.Put(r); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond)
		return nil
	})
	return ids, err
}

// pullUntil pulls with a cursor until done is closed and one more pull
// finds nothing; it counts how often each record was seen.
func pullUntil(t *testing.T, db *DB, done <-chan struct{}) (map[string]int, int) {
	seen := map[string]int{}
	var cursor int64
	pulls := 0
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		var got int
		read(t, db, func(tx server.Tx) error {
			cs, err := tx.Changes(nil, true, cursor, 7)
			for _, c := range cs {
				if c.Version <= cursor {
					t.Errorf("change %d at or before cursor %d", c.Version, cursor)
				}
				seen[c.ID]++
				cursor = c.Version
			}
			got = len(cs)
			return err
		})
		pulls++
		if finished && got == 0 {
			return seen, pulls
		}
	}
}

// TestAuditChainsUnderConcurrentWriters appends audit rows from several
// writers of the same county and of another county at once: each chain
// stays intact with dense sequence numbers.
func TestAuditChainsUnderConcurrentWriters(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	counties := []string{"a", "a", "a", "b", "b"}
	const txs = 25
	for g, county := range counties {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range txs {
				err := db.Write(ctx, county, func(tx server.Tx) error {
					for j := range 1 + (i % 3) {
						if err := tx.AppendAudit(server.AuditEntry{ActorID: fmt.Sprint("g", g), Action: "test.append",
							ObjectType: "thing", ObjectID: fmt.Sprint(i, "-", j), Detail: map[string]int{"i": i, "j": j}}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Errorf("writer %d: %v", g, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	perCounty := int64(0)
	for i := range txs {
		perCounty += int64(1 + i%3)
	}
	var v server.ChainVerifier
	seqs := map[string]int64{}
	if err := db.AuditRows(ctx, "", func(r server.AuditRow) error { v.Add(r); seqs[r.County] = r.Seq; return nil }); err != nil {
		t.Fatal(err)
	}
	if v.Break != nil {
		t.Fatalf("chain break: %+v", *v.Break)
	}
	if want := perCounty * int64(len(counties)); v.Rows != want {
		t.Errorf("rows = %d, want %d", v.Rows, want)
	}
	if seqs["a"] != 3*perCounty || seqs["b"] != 2*perCounty {
		t.Errorf("last seqs = %v, want a %d, b %d", seqs, 3*perCounty, 2*perCounty)
	}
	n := 0
	if err := db.AuditRows(ctx, "b", func(r server.AuditRow) error {
		if r.County != "b" {
			t.Errorf("AuditRows(b) returned a row of %q", r.County)
		}
		n++
		return nil
	}); err != nil || int64(n) != 2*perCounty {
		t.Errorf("AuditRows(b) = %d rows, %v", n, err)
	}
}
