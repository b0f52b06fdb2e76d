package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ruhu-org/ruhu/server"
)

// auditChain appends rows to the audit log inside one write transaction,
// keeping the chain head in memory and the rows in pending until flush,
// which writes them with multi-row INSERTs (a push writes hundreds at once).
// SQLite holds one county, so there is one chain.
type auditChain struct {
	seq     int64
	hash    string
	pending [][]any
}

func (t *tx) chain() (*auditChain, error) {
	if t.audit != nil {
		return t.audit, nil
	}
	c := &auditChain{hash: server.GenesisHash}
	err := t.tx.QueryRowContext(t.ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&c.seq, &c.hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	t.audit = c
	return c, nil
}

// AppendAudit implements server.Tx.
func (t *tx) AppendAudit(e server.AuditEntry) error {
	if t.readOnly {
		return errReadOnly
	}
	c, err := t.chain()
	if err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = t.db.Now()
	}
	r, err := server.NewAuditRow(c.seq, c.hash, e)
	if err != nil {
		return err
	}
	// The detail is compressed at flush, all rows at once.
	c.pending = append(c.pending, []any{r.Seq, r.At, r.ActorID, r.DeviceID, r.Action, r.ObjectType, r.ObjectID,
		r.Detail, nil, r.PrevHash, r.Hash})
	c.seq, c.hash = r.Seq, r.Hash
	return nil
}

var auditCols = []string{"seq", "at", "actor_id", "device_id", "action", "object_type", "object_id", "detail", "detail_zstd",
	"prev_hash", "hash"}

// flushAudit writes buffered audit rows.
func (t *tx) flushAudit() error {
	if t.audit == nil {
		return nil
	}
	const detailCol = 7 // auditCols: detail, then detail_zstd
	details := make([]string, len(t.audit.pending))
	for i, row := range t.audit.pending {
		details[i] = row[detailCol].(string)
	}
	plain, z := server.StoredDetails(details)
	for i, row := range t.audit.pending {
		row[detailCol], row[detailCol+1] = plain[i], z[i]
	}
	err := bulkInsert(t, "audit_log", auditCols, t.audit.pending)
	t.audit.pending = nil
	return err
}

// AuditOf implements server.Tx.
func (t *tx) AuditOf(objectType, objectID string) ([]server.AuditEntry, error) {
	rows, err := t.query(`SELECT seq, at, actor_id, device_id, action, object_type, object_id, detail, detail_zstd
		FROM audit_log WHERE object_type = ? AND object_id = ? ORDER BY seq`, objectType, objectID)
	if err != nil {
		return nil, fmt.Errorf("audit of %s/%s: %w", objectType, objectID, err)
	}
	defer rows.Close()
	var out []server.AuditEntry
	for rows.Next() {
		var e server.AuditEntry
		var at, detail string
		var z []byte
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.DeviceID, &e.Action, &e.ObjectType, &e.ObjectID, &detail, &z); err != nil {
			return nil, err
		}
		e.At, e.Detail = parseTS(at), json.RawMessage(server.LoadDetail(detail, z))
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditRows implements server.Store (one county: county is ignored).
func (db *DB) AuditRows(ctx context.Context, county string, fn func(server.AuditRow) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT seq, at, actor_id, device_id, action, object_type,
		object_id, detail, detail_zstd, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r server.AuditRow
		var z []byte
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.DeviceID, &r.Action, &r.ObjectType,
			&r.ObjectID, &r.Detail, &z, &r.PrevHash, &r.Hash); err != nil {
			return err
		}
		r.Detail = server.LoadDetail(r.Detail, z)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// bulkInsert inserts rows with multi-row INSERT statements of at most 64
// rows each.
func bulkInsert(t *tx, table string, cols []string, rows [][]any) error {
	const chunk = 64
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for len(rows) > 0 {
		n := min(chunk, len(rows))
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, n*len(cols))
		for i := range n {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(one)
			args = append(args, rows[i]...)
		}
		if err := t.exec(sb.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}
