package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
)

var _ server.Store = (*DB)(nil)

// errReadOnly is returned by a write method of a read transaction.
var errReadOnly = errors.New("sqlite: write in a read-only transaction")

// tx implements server.Tx on one SQLite transaction. Records go through a
// per-transaction cache (cache.go); audit rows, mutation-log rows and
// records are buffered and written with multi-row statements; the version
// sequence and the audit chain head are kept in memory and written back at
// the end.
type tx struct {
	db       *DB
	ctx      context.Context
	tx       *sql.Tx
	readOnly bool
	// seq is the version sequence (loaded on first use, -1 before).
	seq, seqLoaded int64
	audit          *auditChain
	// aliases is false while the aliases table is empty (no lookups needed).
	aliases, aliasesLoaded bool
	logged                 [][]any
	cache                  map[string]*server.Record
	dbVersion              map[string]int64 // the version of each cached record's row, 0 for none
	pending                map[string]*server.Record
	pendingOrder           []string
	heads                  map[string]*server.Record
	headKey                map[string]string
	// stmts caches prepared statements for the transaction: the driver
	// would otherwise parse the same SQL for every mutation.
	stmts map[string]*sql.Stmt
}

// Write implements server.Store: SQLite has one writer, so every write is
// serialised whatever the county.
func (db *DB) Write(ctx context.Context, county string, fn func(server.Tx) error) error {
	return db.writeTx(ctx, func(stx *sql.Tx) error {
		t := db.newTx(ctx, stx, false)
		defer t.close()
		if err := fn(t); err != nil {
			return err
		}
		return t.finish()
	})
}

// Read implements server.Store.
func (db *DB) Read(ctx context.Context, fn func(server.Tx) error) error {
	return db.readTx(ctx, func(stx *sql.Tx) error {
		t := db.newTx(ctx, stx, true)
		defer t.close()
		return fn(t)
	})
}

func (db *DB) newTx(ctx context.Context, stx *sql.Tx, readOnly bool) *tx {
	return &tx{db: db, ctx: ctx, tx: stx, readOnly: readOnly, seq: -1,
		cache: map[string]*server.Record{}, dbVersion: map[string]int64{}, pending: map[string]*server.Record{},
		heads: map[string]*server.Record{}, headKey: map[string]string{}}
}

func (t *tx) stmt(q string) (*sql.Stmt, error) {
	if s, ok := t.stmts[q]; ok {
		return s, nil
	}
	var s *sql.Stmt
	var err error
	if shared := t.readShared(q); shared != nil {
		s = t.tx.StmtContext(t.ctx, shared)
	} else if s, err = t.tx.PrepareContext(t.ctx, q); err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = s
	return s, nil
}

// readShared is the read pool's shared statement of q for a read
// transaction (nil for a write, or while it is being prepared).
func (t *tx) readShared(q string) *sql.Stmt {
	if !t.readOnly || t.db.stmts == nil {
		return nil
	}
	return t.db.stmts.get(q)
}

// exec runs a cached prepared statement.
func (t *tx) exec(q string, args ...any) error {
	if t.readOnly {
		return errReadOnly
	}
	s, err := t.stmt(q)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(t.ctx, args...)
	return err
}

// query runs a cached prepared query, after flushing pending records when
// it reads records.
func (t *tx) query(q string, args ...any) (*sql.Rows, error) {
	if err := t.flushFor(q); err != nil {
		return nil, err
	}
	s, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(t.ctx, args...)
}

// queryRow runs a cached prepared single-row query and scans it.
func (t *tx) queryRow(q string, args []any, dest ...any) error {
	rows, err := t.query(q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// flushFor flushes pending records before a query that reads them.
func (t *tx) flushFor(q string) error {
	if len(t.pendingOrder) == 0 || !strings.Contains(q, "records") {
		return nil
	}
	return t.flush()
}

func (t *tx) close() {
	for _, s := range t.stmts {
		s.Close()
	}
	t.stmts = nil
}

// finish writes the buffered rows and the sequence back.
func (t *tx) finish() error {
	if err := t.flush(); err != nil {
		return err
	}
	if err := t.flushAudit(); err != nil {
		return err
	}
	if err := bulkInsert(t, "mutation_log", mutationLogCols, t.logged); err != nil {
		return err
	}
	t.logged = nil
	if t.seqLoaded == 0 {
		return nil
	}
	return t.exec(`UPDATE version_seq SET value = ? WHERE id = 1`, t.seq)
}

// NextVersion implements server.Tx: one server-wide sequence.
func (t *tx) NextVersion() (int64, error) {
	if t.readOnly {
		return 0, errReadOnly
	}
	if t.seqLoaded == 0 {
		if err := t.tx.QueryRowContext(t.ctx, `SELECT value FROM version_seq WHERE id = 1`).Scan(&t.seq); err != nil {
			return 0, fmt.Errorf("read version sequence: %w", err)
		}
		t.seqLoaded = 1
	}
	t.seq++
	return t.seq, nil
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t.UTC()
}
