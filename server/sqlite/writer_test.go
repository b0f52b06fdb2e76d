package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestWritesInArrivalOrder: writes that queue for the writer get it in the
// order they came (database/sql alone picks a waiter at random), and one
// that gives up while queued leaves without taking a turn.
func TestWritesInArrivalOrder(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE arrivals (n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	release, holding := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.writeTx(ctx, func(*sql.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	const n = 10
	done := make(chan error, n)
	gaveUp, cancel := context.WithCancel(ctx)
	quit := make(chan error, 1)
	for i := range n {
		go func() {
			done <- db.writeTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO arrivals (n) VALUES (?)`, i)
				return err
			})
		}()
		if i == n/2 {
			go func() {
				quit <- db.writeTx(gaveUp, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO arrivals (n) VALUES (-1)`)
					return err
				})
			}()
		}
		// Long enough for the goroutine to reach the queue, even on a
		// busy machine; the order is what the test is about.
		time.Sleep(30 * time.Millisecond)
	}
	cancel()
	if err := <-quit; !errors.Is(err, context.Canceled) {
		t.Fatalf("a write cancelled while queued: %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	rows, err := db.read.QueryContext(ctx, `SELECT n FROM arrivals ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("writes applied in the order %v, want %v", got, want)
	}
}
