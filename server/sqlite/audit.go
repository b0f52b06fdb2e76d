package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
)

// genesisHash is the prev_hash of the first audit row.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// auditChain appends rows to the audit log inside one write transaction,
// keeping the chain head in memory between appends.
type auditChain struct {
	tx   querier
	seq  int64
	hash string
	now  func() time.Time
	// When buffer is set, rows wait in pending until flush, which writes
	// them with multi-row INSERTs (a push writes hundreds at once).
	buffer  bool
	pending [][]any
	onWrite func()
}

func (db *DB) newAuditChain(ctx context.Context, tx querier) (*auditChain, error) {
	c := &auditChain{tx: tx, hash: genesisHash, now: db.Now}
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&c.seq, &c.hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	return c, nil
}

// auditRow is one row as hashed.
type auditRow struct {
	Seq        int64  `json:"seq"`
	At         string `json:"at"`
	ActorID    string `json:"actor_id"`
	DeviceID   string `json:"device_id"`
	Action     string `json:"action"`
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	Detail     string `json:"detail"`
}

// rowHash is SHA-256 over the previous hash and each column of the row,
// every column length-prefixed so no two rows encode alike.
func rowHash(prev string, r auditRow) string {
	h := sha256.New()
	buf := make([]byte, 0, 256)
	buf = append(buf, prev...)
	buf = append(buf, '\n')
	buf = strconv.AppendInt(buf, r.Seq, 10)
	for _, col := range []string{r.At, r.ActorID, r.DeviceID, r.Action, r.ObjectType, r.ObjectID, r.Detail} {
		buf = append(buf, '\n')
		buf = strconv.AppendInt(buf, int64(len(col)), 10)
		buf = append(buf, ':')
		buf = append(buf, col...)
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

func (c *auditChain) append(ctx context.Context, e server.AuditEntry) error {
	detail, ok := e.Detail.(rawDetail)
	if !ok {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit detail: %w", err)
		}
	}
	at := e.At
	if at.IsZero() {
		at = c.now()
	}
	r := auditRow{Seq: c.seq + 1, At: at.UTC().Format(time.RFC3339Nano), ActorID: e.ActorID, DeviceID: e.DeviceID,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: string(detail)}
	h := rowHash(c.hash, r)
	row := []any{r.Seq, r.At, r.ActorID, r.DeviceID, r.Action, r.ObjectType, r.ObjectID, r.Detail, c.hash, h}
	c.seq, c.hash = r.Seq, h
	if c.buffer {
		c.pending = append(c.pending, row)
		if c.onWrite != nil {
			c.onWrite()
		}
		return nil
	}
	return bulkInsert(ctx, c.tx, "audit_log", auditCols, [][]any{row})
}

var auditCols = []string{"seq", "at", "actor_id", "device_id", "action", "object_type", "object_id", "detail", "prev_hash", "hash"}

// flush writes buffered rows.
func (c *auditChain) flush(ctx context.Context) error {
	err := bulkInsert(ctx, c.tx, "audit_log", auditCols, c.pending)
	c.pending = nil
	return err
}

// bulkInsert inserts rows with multi-row INSERT statements of at most 64
// rows each.
func bulkInsert(ctx context.Context, q querier, table string, cols []string, rows [][]any) error {
	const chunk = 64
	for len(rows) > 0 {
		n := min(chunk, len(rows))
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		args := make([]any, 0, n*len(cols))
		for i := range n {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(one)
			args = append(args, rows[i]...)
		}
		if _, err := q.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// Audit appends one entry in its own transaction.
func (db *DB) Audit(ctx context.Context, e server.AuditEntry) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		c, err := db.newAuditChain(ctx, tx)
		if err != nil {
			return err
		}
		return c.append(ctx, e)
	})
}

// AuditBreak describes the first row whose chain does not verify.
type AuditBreak struct {
	Seq    int64
	Reason string
}

// VerifyAudit recomputes the whole chain. It returns the number of rows
// checked and the first break, or nil when the chain is intact.
func (db *DB) VerifyAudit(ctx context.Context) (int64, *AuditBreak, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT seq, at, actor_id, device_id, action, object_type,
		object_id, detail, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, nil, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	prev, want, n := genesisHash, int64(1), int64(0)
	for rows.Next() {
		var r auditRow
		var prevHash, hash string
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.DeviceID, &r.Action, &r.ObjectType,
			&r.ObjectID, &r.Detail, &prevHash, &hash); err != nil {
			return n, nil, err
		}
		n++
		switch {
		case r.Seq != want:
			return n, &AuditBreak{r.Seq, fmt.Sprintf("expected row %d: a row is missing", want)}, nil
		case prevHash != prev:
			return n, &AuditBreak{r.Seq, "prev_hash does not match the previous row's hash"}, nil
		case rowHash(prev, r) != hash:
			return n, &AuditBreak{r.Seq, "row content does not match its hash (edited)"}, nil
		}
		prev, want = hash, want+1
	}
	return n, nil, rows.Err()
}
