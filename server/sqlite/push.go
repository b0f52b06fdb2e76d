package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// pushTx is the state of one push (or resolution) inside its write
// transaction: the actor, the unit tree, the version sequence and the audit
// chain head, all kept in memory and flushed at the end.
type pushTx struct {
	db    *DB
	ctx   context.Context
	tx    *sql.Tx
	a     *server.Actor
	units map[string]server.Unit
	audit *auditChain
	seq   int64
	now   string
	// mutation being applied, for conflict rows
	m *syncproto.Mutation
	// wrote is set by every write through ExecContext.
	wrote bool
	// aliases is false while the aliases table is empty (no lookups needed).
	aliases bool
	// logged holds this push's mutation_log rows until finish; results
	// answers replays of ids pushed earlier in the same batch.
	logged  [][]any
	results map[int64]string
	// The record cache (cache.go): cached records (nil: known absent),
	// records written but not yet flushed, and live households by head.
	cache        map[string]*record
	pending      map[string]*record
	pendingOrder []string
	heads        map[string]*record
	headKey      map[string]string
	// stmts caches prepared statements for the transaction: the driver
	// would otherwise parse the same SQL for every mutation.
	stmts map[string]*sql.Stmt
}

func (p *pushTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := p.stmts[q]; ok {
		return s, nil
	}
	s, err := p.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if p.stmts == nil {
		p.stmts = map[string]*sql.Stmt{}
	}
	p.stmts[q] = s
	return s, nil
}

// ExecContext runs a cached prepared statement in the transaction.
func (p *pushTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	p.wrote = true
	s, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryContext runs a cached prepared query in the transaction, after
// flushing pending records when it reads records.
func (p *pushTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := p.flushFor(q); err != nil {
		return nil, err
	}
	s, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext runs a cached prepared single-row query, after flushing
// pending records when it reads records.
func (p *pushTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if err := p.flushFor(q); err != nil {
		return p.tx.QueryRowContext(ctx, `SELECT RAISE(ABORT, 'flush failed')`) // Scan reports it
	}
	s, err := p.stmt(ctx, q)
	if err != nil {
		return p.tx.QueryRowContext(ctx, q, args...) // reports the same error on Scan
	}
	return s.QueryRowContext(ctx, args...)
}

// flushFor flushes pending records before a query that reads them.
func (p *pushTx) flushFor(q string) error {
	if len(p.pendingOrder) == 0 || !strings.Contains(q, "records") {
		return nil
	}
	return p.flush()
}

// close releases the cached statements.
func (p *pushTx) close() {
	for _, s := range p.stmts {
		s.Close()
	}
	p.stmts = nil
}

func (db *DB) beginPush(ctx context.Context, tx *sql.Tx, a *server.Actor) (*pushTx, error) {
	p := &pushTx{db: db, ctx: ctx, tx: tx, a: a, units: map[string]server.Unit{}, now: db.now(),
		cache: map[string]*record{}, pending: map[string]*record{}, heads: map[string]*record{}, headKey: map[string]string{}}
	rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(parent_id, ''), name, level, path FROM units`)
	if err != nil {
		return nil, fmt.Errorf("load units: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u server.Unit
		if err := rows.Scan(&u.ID, &u.ParentID, &u.Name, &u.Level, &u.Path); err != nil {
			return nil, err
		}
		p.units[u.ID] = u
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT value FROM version_seq WHERE id = 1`).Scan(&p.seq); err != nil {
		return nil, fmt.Errorf("read version sequence: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM aliases)`).Scan(&p.aliases); err != nil {
		return nil, fmt.Errorf("aliases: %w", err)
	}
	if p.audit, err = db.newAuditChain(ctx, p); err != nil {
		return nil, err
	}
	p.audit.buffer, p.audit.onWrite = true, func() { p.wrote = true }
	return p, nil
}

// nextVersion takes the next value of the server-wide sequence.
func (p *pushTx) nextVersion() int64 {
	p.seq++
	return p.seq
}

// finish writes the buffered rows and the sequence back.
func (p *pushTx) finish() error {
	if err := p.flush(); err != nil {
		return err
	}
	if err := p.audit.flush(p.ctx); err != nil {
		return err
	}
	if err := bulkInsert(p.ctx, p, "mutation_log", mutationLogCols, p.logged); err != nil {
		return err
	}
	p.logged = nil
	_, err := p.tx.ExecContext(p.ctx, `UPDATE version_seq SET value = ? WHERE id = 1`, p.seq)
	return err
}

var mutationLogCols = []string{"device_id", "mutation_id", "user_id", "collection", "record_id", "op",
	"base_version", "status", "error_code", "unit_id", "result", "payload", "created_at"}

// covers reports whether unit id lies in the actor's subtree.
func (p *pushTx) covers(unitID string) bool {
	u, ok := p.units[unitID]
	return ok && p.a.Covers(u.Path)
}

// guarded runs fn, which applies one mutation. Every check that can reject
// a mutation (a *server.Error) runs before its first write, so a rejection
// normally leaves nothing to undo. Should a rejection ever follow a write,
// the whole push fails instead (its transaction rolls back), so nothing
// half-written can be committed. This replaces a per-mutation SAVEPOINT,
// which cost a tenth of push time.
func (p *pushTx) guarded(fn func() error) error {
	p.wrote = false
	err := fn()
	if err != nil && p.wrote && server.ErrorCode(err) != "" {
		return fmt.Errorf("mutation rejected after a write (%v): refusing to commit a partial change", err)
	}
	return err
}

// Push applies a device's mutations in order, exactly once each, in one
// transaction. Per-mutation problems become results; only internal errors
// fail the whole push.
func (db *DB) Push(ctx context.Context, a *server.Actor, req *syncproto.PushRequest) (*syncproto.PushResponse, error) {
	resp := &syncproto.PushResponse{Results: make([]syncproto.MutationResult, 0, len(req.Mutations))}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		resp.Results = resp.Results[:0]
		p, err := db.beginPush(ctx, tx, a)
		if err != nil {
			return err
		}
		defer p.close()
		last, err := deviceLast(ctx, tx, req.DeviceID, a.UserID)
		if err != nil {
			return err
		}
		if err := p.prefetch(req.Mutations); err != nil {
			return err
		}
		start := last
		for i := range req.Mutations {
			m := &req.Mutations[i]
			if m.MutationID > syncproto.MaxMutationID {
				resp.Results = append(resp.Results, syncproto.MutationResult{MutationID: m.MutationID, Status: syncproto.StatusRejected,
					Error: &syncproto.ResultError{Code: syncproto.CodeMutationOutOfOrder,
						Message: fmt.Sprintf("mutation_id must be at most %d", syncproto.MaxMutationID)}})
				continue
			}
			if m.MutationID <= last {
				res, err := p.replay(req.DeviceID, m, last)
				if err != nil {
					return err
				}
				resp.Results = append(resp.Results, res)
				continue
			}
			res, err := p.applyLogged(req.DeviceID, m)
			if err != nil {
				return fmt.Errorf("apply mutation %d: %w", m.MutationID, err)
			}
			resp.Results = append(resp.Results, res)
			last = m.MutationID
		}
		resp.LastMutationID = last
		if last != start {
			if _, err := tx.ExecContext(ctx, `INSERT INTO devices (device_id, user_id, last_mutation_id, updated_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (device_id, user_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id,
				updated_at = excluded.updated_at`, req.DeviceID, a.UserID, last, p.now); err != nil {
				return fmt.Errorf("advance device: %w", err)
			}
		}
		return p.finish()
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// deviceLast is the last mutation id the user pushed from the device. The
// counter is per device and user: mutation ids increase per device, so they
// increase for each of its users too, and no one else's pushes under the
// same device id can touch it.
func deviceLast(ctx context.Context, q querier, device, user string) (int64, error) {
	var last int64
	err := q.QueryRowContext(ctx, `SELECT last_mutation_id FROM devices WHERE device_id = ? AND user_id = ?`, device, user).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return last, err
}

// replay answers a mutation id the device already pushed with its stored
// result.
func (p *pushTx) replay(device string, m *syncproto.Mutation, last int64) (syncproto.MutationResult, error) {
	stored, ok := p.results[m.MutationID] // pushed earlier in this batch
	if !ok {
		err := p.QueryRowContext(p.ctx, `SELECT result FROM mutation_log WHERE device_id = ? AND user_id = ? AND mutation_id = ?`,
			device, p.a.UserID, m.MutationID).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			return syncproto.MutationResult{MutationID: m.MutationID, Status: syncproto.StatusRejected,
				Error: &syncproto.ResultError{Code: syncproto.CodeMutationOutOfOrder,
					Message: fmt.Sprintf("mutation_id %d is not above the device's last applied id %d", m.MutationID, last)}}, nil
		}
		if err != nil {
			return syncproto.MutationResult{}, fmt.Errorf("find stored result: %w", err)
		}
	}
	var res syncproto.MutationResult
	if err := json.Unmarshal([]byte(stored), &res); err != nil {
		return res, fmt.Errorf("decode stored result: %w", err)
	}
	res.Replayed = true
	return res, nil
}

// applyLogged applies one new mutation and records its result.
func (p *pushTx) applyLogged(device string, m *syncproto.Mutation) (syncproto.MutationResult, error) {
	p.m = m
	defer func() { p.m = nil }()
	sent := *m // apply may replace m.Fields (alias references); the log keeps what was sent
	var res syncproto.MutationResult
	var unit string
	err := p.guarded(func() error {
		var err error
		res, unit, err = p.apply(m)
		return err
	})
	if err != nil && server.ErrorCode(err) == "" {
		return res, err
	}
	if err != nil {
		res = syncproto.MutationResult{MutationID: m.MutationID, Status: syncproto.StatusRejected,
			Error: &syncproto.ResultError{Code: server.ErrorCode(err), Message: server.ErrorMessage(err)}}
		unit = p.a.UnitID // kept for review by the pusher's unit and those above it
		if aerr := p.audit.append(p.ctx, server.AuditEntry{ActorID: p.a.UserID, DeviceID: device, Action: "mutation.rejected",
			ObjectType: m.Collection, ObjectID: m.ID, Detail: map[string]any{"mutation_id": m.MutationID,
				"code": res.Error.Code, "message": res.Error.Message}}); aerr != nil {
			return res, aerr
		}
	}
	res.MutationID = m.MutationID
	if err := p.logMutation(device, &sent, res, unit); err != nil {
		return res, err
	}
	return res, nil
}

func (p *pushTx) logMutation(device string, m *syncproto.Mutation, res syncproto.MutationResult, unit string) error {
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	var payload any // NULL unless the input must be kept for a person
	code := ""
	if res.Status == syncproto.StatusRejected || res.Status == syncproto.StatusConflict {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		payload = string(b)
	}
	if res.Error != nil {
		code = res.Error.Code
	}
	p.logged = append(p.logged, []any{device, m.MutationID, p.a.UserID, m.Collection, m.ID, m.Op, m.BaseVersion,
		res.Status, code, unit, string(out), payload, p.now})
	if p.results == nil {
		p.results = map[int64]string{}
	}
	p.results[m.MutationID] = string(out)
	return nil
}
