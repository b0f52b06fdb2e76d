package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server"
)

// AppendAudit appends e to the county's hash chain (At is now when zero).
// The chain head lives in memory, locked with the county's head row; the
// rows are inserted at the end of the transaction.
func (t *tx) AppendAudit(e server.AuditEntry) error {
	if err := t.writable(); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = t.db.Now()
	}
	r, err := server.NewAuditRow(t.auditSeq, t.auditHash, e)
	if err != nil {
		return err
	}
	r.County = t.county
	t.audit = append(t.audit, r)
	t.auditSeq, t.auditHash = r.Seq, r.Hash
	return nil
}

const insertAudit = `INSERT INTO audit_log (county_id, seq, at, actor_id, device_id, action, object_type, object_id,
	detail, prev_hash, hash, detail_zstd)
SELECT $1, u.seq, u.at, u.actor_id, u.device_id, u.action, u.object_type, u.object_id, u.detail, u.prev_hash, u.hash,
	u.detail_zstd
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
	$10::text[], $11::text[], $12::bytea[]) AS u (seq, at, actor_id, device_id, action, object_type, object_id, detail,
	prev_hash, hash, detail_zstd)`

// flushAudit inserts the buffered audit rows with one statement.
func (t *tx) flushAudit() error {
	if len(t.audit) == 0 {
		return nil
	}
	n := len(t.audit)
	seq := make([]int64, n)
	cols := make([][]string, 9)
	for i := range cols {
		cols[i] = make([]string, n)
	}
	details := make([]string, n)
	for i, r := range t.audit {
		details[i] = r.Detail
	}
	plain, zs := server.StoredDetails(details)
	for i, r := range t.audit {
		seq[i] = r.Seq
		for j, v := range []string{r.At, r.ActorID, r.DeviceID, r.Action, r.ObjectType, r.ObjectID, plain[i], r.PrevHash, r.Hash} {
			cols[j][i] = v
		}
	}
	if _, err := t.pg.Exec(t.ctx, insertAudit, t.county, seq, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5],
		cols[6], cols[7], cols[8], zs); err != nil {
		return wrap("append audit", err)
	}
	t.audit = t.audit[:0]
	return nil
}

const auditCols = `county_id, seq, at, actor_id, device_id, action, object_type, object_id, detail, prev_hash, hash,
	detail_zstd`

func scanAuditRow(row pgx.CollectableRow) (server.AuditRow, error) {
	var r server.AuditRow
	var z []byte
	err := row.Scan(&r.County, &r.Seq, &r.At, &r.ActorID, &r.DeviceID, &r.Action, &r.ObjectType, &r.ObjectID,
		&r.Detail, &r.PrevHash, &r.Hash, &z)
	r.Detail = server.LoadDetail(r.Detail, z)
	return r, err
}

// AuditOf returns the audit entries about one object, oldest first (by
// county and chain order), Detail as json.RawMessage.
func (t *tx) AuditOf(objectType, objectID string) ([]server.AuditEntry, error) {
	if err := t.flushAudit(); err != nil {
		return nil, err
	}
	counties, err := t.counties()
	if err != nil {
		return nil, err
	}
	rows, err := t.pg.Query(t.ctx, `SELECT `+auditCols+` FROM audit_log WHERE county_id = ANY($1)
		AND object_type = $2 AND object_id = $3 ORDER BY county_id, seq`, counties, objectType, objectID)
	if err != nil {
		return nil, fmt.Errorf("audit of %s %s: %w", objectType, objectID, err)
	}
	rs, err := pgx.CollectRows(rows, scanAuditRow)
	if err != nil {
		return nil, fmt.Errorf("audit of %s %s: %w", objectType, objectID, err)
	}
	out := make([]server.AuditEntry, len(rs))
	for i, r := range rs {
		at, _ := time.Parse(time.RFC3339Nano, r.At)
		out[i] = server.AuditEntry{Seq: r.Seq, At: at, ActorID: r.ActorID, DeviceID: r.DeviceID, Action: r.Action,
			ObjectType: r.ObjectType, ObjectID: r.ObjectID, Detail: json.RawMessage(r.Detail)}
	}
	return out, nil
}

// auditRows streams the audit rows of county ("" for all) in chain order.
func (t *tx) auditRows(county string, fn func(server.AuditRow) error) error {
	rows, err := t.pg.Query(t.ctx, `SELECT `+auditCols+` FROM audit_log WHERE $1 = '' OR county_id = $1
		ORDER BY county_id, seq`, county)
	if err != nil {
		return fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanAuditRow(rows)
		if err != nil {
			return fmt.Errorf("read audit: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return wrap("read audit", rows.Err())
}
