package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server"
)

var _ server.Tx = (*tx)(nil)

// tx is one transaction: a write transaction on one county (county set),
// or a read-only snapshot (county "").
type tx struct {
	db     *DB
	ctx    context.Context
	pg     pgx.Tx
	county string
	write  bool // a write transaction of county ("" is the county-less chain)
	now    time.Time
	all    []string // every county, loaded by a read transaction on demand

	// The county's head, locked by a write transaction and written back
	// at the end, and the audit rows and mutation log rows to insert then.
	version   int64
	auditSeq  int64
	auditHash string
	audit     []server.AuditRow
	logged    []server.MutationLogEntry

	// The record cache (cache.go).
	cache        map[recKey]*server.Record
	pending      map[recKey]*server.Record
	pendingOrder []recKey
	heads        map[string]*server.Record
	headKey      map[string]string
	aliases      map[recKey]string // canonical ids looked up or added
	aliasesKnown bool              // noAliases has been looked up
	noAliases    bool              // no county in reach has an alias
}

type recKey struct{ collection, id string }

func (db *DB) newTx(ctx context.Context, ptx pgx.Tx, county string, write bool) *tx {
	return &tx{db: db, ctx: ctx, pg: ptx, county: county, write: write, now: db.Now().UTC(),
		cache: map[recKey]*server.Record{}, pending: map[recKey]*server.Record{},
		heads: map[string]*server.Record{}, headKey: map[string]string{}, aliases: map[recKey]string{}}
}

// errReadOnly is returned by the write methods of a read transaction.
var errReadOnly = errors.New("write in a read-only transaction")

// writable fails in a read transaction.
func (t *tx) writable() error {
	if !t.write {
		return errReadOnly
	}
	return nil
}

// counties is the county_id filter of queries: the write transaction's
// county, or every county for a read transaction.
func (t *tx) counties() ([]string, error) {
	if t.write {
		return []string{t.county}, nil
	}
	if t.all != nil {
		return t.all, nil
	}
	rows, err := t.pg.Query(t.ctx, `SELECT county_id FROM county_heads ORDER BY county_id`)
	if err != nil {
		return nil, fmt.Errorf("list counties: %w", err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list counties: %w", err)
	}
	t.all = append([]string{}, all...)
	return t.all, nil
}

// lockHead locks the county's head row, creating it the first time, and
// loads the version counter and audit head.
func (t *tx) lockHead() error {
	err := t.pg.QueryRow(t.ctx, `SELECT version, audit_seq, audit_hash FROM county_heads WHERE county_id = $1 FOR UPDATE`,
		t.county).Scan(&t.version, &t.auditSeq, &t.auditHash)
	if !errors.Is(err, pgx.ErrNoRows) {
		return wrap("lock county "+t.county, err)
	}
	if _, err := t.pg.Exec(t.ctx, `INSERT INTO county_heads (county_id, version, audit_seq, audit_hash)
		VALUES ($1, 0, 0, $2) ON CONFLICT (county_id) DO NOTHING`, t.county, server.GenesisHash); err != nil {
		return wrap("create county head", err)
	}
	return t.lockHead()
}

// finish writes what the transaction buffered and the county's head.
func (t *tx) finish() error {
	if err := t.flush(); err != nil {
		return err
	}
	if err := t.flushAudit(); err != nil {
		return err
	}
	if err := t.flushLog(); err != nil {
		return err
	}
	_, err := t.pg.Exec(t.ctx, `UPDATE county_heads SET version = $2, audit_seq = $3, audit_hash = $4 WHERE county_id = $1`,
		t.county, t.version, t.auditSeq, t.auditHash)
	return wrap("update county head", err)
}

// NextVersion takes the next version of the county.
func (t *tx) NextVersion() (int64, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	t.version++
	return t.version, nil
}

// countyOfPath is the county of a unit path '/county/…/' ("" for none).
func countyOfPath(path string) string {
	c, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return c
}

// exec runs a statement that changes rows of the county.
func (t *tx) exec(what, sql string, args ...any) (int64, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	tag, err := t.pg.Exec(t.ctx, sql, args...)
	if err != nil {
		return 0, wrap(what, err)
	}
	return tag.RowsAffected(), nil
}

// insert runs an INSERT … ON CONFLICT DO NOTHING: server.ErrExists when
// it inserted nothing.
func (t *tx) insert(what, sql string, args ...any) error {
	n, err := t.exec(what, sql, args...)
	if err == nil && n == 0 {
		return fmt.Errorf("%s: %w", what, server.ErrExists)
	}
	return err
}
