package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ruhu-org/ruhu/server"
)

var _ server.Store = (*DB)(nil)

// DB is an open ruhu database on PostgreSQL: a connection pool.
type DB struct {
	pool *pgxpool.Pool
	// Now is the clock (UTC). Times stored as timestamptz keep microseconds.
	Now func() time.Time
}

// Open connects to the database at url (a PostgreSQL URL or key=value
// string) and applies pending migrations.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	db := &DB{pool: pool, Now: func() time.Time { return time.Now().UTC() }}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool. It is safe to call twice.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.pool.Ping(ctx)
}

// Write runs fn in one write transaction on the data of county, serialised
// with every other writer of county by the lock on its county_heads row.
// County "" is the server-wide chain of entries about no county (a failed
// login for an unknown name).
func (db *DB) Write(ctx context.Context, county string, fn func(server.Tx) error) error {
	return classify(db.write(ctx, county, fn))
}

func (db *DB) write(ctx context.Context, county string, fn func(server.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(ptx pgx.Tx) error {
		t := db.newTx(ctx, ptx, county, true)
		if err := t.lockHead(); err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		return t.finish()
	})
}

// Read runs fn in a read-only REPEATABLE READ transaction (one snapshot).
func (db *DB) Read(ctx context.Context, fn func(server.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return pgx.BeginTxFunc(ctx, db.pool, opts, func(ptx pgx.Tx) error {
		return fn(db.newTx(ctx, ptx, "", false))
	})
}

// Secret returns the named secret, creating it with n random bytes the
// first time (concurrent first calls agree on one value).
func (db *DB) Secret(ctx context.Context, name string, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	key := "secret." + name
	if _, err := db.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
		key, base64.StdEncoding.EncodeToString(b)); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	var v string
	if err := db.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return base64.StdEncoding.DecodeString(v)
}

// Counties lists the root units' ids, sorted.
func (db *DB) Counties(ctx context.Context) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM units WHERE parent_id IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("counties: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("counties: %w", err)
	}
	return out, nil
}

// AuditRows calls fn for every audit row of county ("" for every county),
// in (county, seq) order, from one snapshot.
func (db *DB) AuditRows(ctx context.Context, county string, fn func(server.AuditRow) error) error {
	return db.Read(ctx, func(st server.Tx) error {
		return st.(*tx).auditRows(county, fn)
	})
}

// classify marks a write refused for want of space (SQLSTATE 53100
// disk_full, or ENOSPC) as server.StorageFull, and one refused by a
// read-only database as server.StorageReadOnly; the transaction was rolled
// back.
func classify(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "53100" || errors.Is(err, syscall.ENOSPC) {
		return server.StorageFull(err)
	}
	// 25006 read_only_sql_transaction: a standby, or a database set
	// default_transaction_read_only (maintenance).
	if errors.As(err, &pe) && pe.Code == "25006" {
		return server.StorageReadOnly(err)
	}
	return err
}

// isUnique reports whether err is a unique or primary key violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// wrap adds context to err, mapping a unique violation to server.ErrExists.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if isUnique(err) {
		return fmt.Errorf("%s: %w (%v)", what, server.ErrExists, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
