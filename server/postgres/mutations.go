package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ruhu-org/ruhu/server"
)

// DeviceLast is the last mutation id user pushed from device (0 none).
func (t *tx) DeviceLast(device, user string) (int64, error) {
	counties, err := t.counties()
	if err != nil {
		return 0, err
	}
	var last int64
	err = t.pg.QueryRow(t.ctx, `SELECT last_mutation_id FROM devices WHERE county_id = ANY($1) AND device_id = $2
		AND user_id = $3`, counties, device, user).Scan(&last)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return last, wrap("device last", err)
}

// SetDeviceLast stores the last mutation id user pushed from device.
func (t *tx) SetDeviceLast(device, user string, last int64, at time.Time) error {
	_, err := t.exec("set device last", `INSERT INTO devices (county_id, device_id, user_id, last_mutation_id, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (county_id, device_id, user_id)
		DO UPDATE SET last_mutation_id = excluded.last_mutation_id, updated_at = excluded.updated_at`,
		t.county, device, user, last, at)
	return err
}

// LoggedResult is the stored result of a mutation, logged in this
// transaction or before; ok false when none.
func (t *tx) LoggedResult(device, user string, mutationID int64) ([]byte, bool, error) {
	for i := len(t.logged) - 1; i >= 0; i-- {
		if e := &t.logged[i]; e.DeviceID == device && e.UserID == user && e.MutationID == mutationID {
			return e.Result, true, nil
		}
	}
	counties, err := t.counties()
	if err != nil {
		return nil, false, err
	}
	var result []byte
	err = t.pg.QueryRow(t.ctx, `SELECT result FROM mutation_log WHERE county_id = ANY($1) AND device_id = $2
		AND user_id = $3 AND mutation_id = $4`, counties, device, user, mutationID).Scan(&result)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	return result, err == nil, wrap("logged result", err)
}

// LogMutation logs a pushed mutation with its result; the row is inserted
// at the end of the transaction (a duplicate fails the commit with
// server.ErrExists).
func (t *tx) LogMutation(e server.MutationLogEntry) error {
	if err := t.writable(); err != nil {
		return err
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = t.now
	}
	t.logged = append(t.logged, e)
	return nil
}

const insertLog = `INSERT INTO mutation_log (county_id, device_id, user_id, mutation_id, collection, record_id, op,
	base_version, status, error_code, unit_id, result, payload, created_at)
SELECT $1, u.device_id, u.user_id, u.mutation_id, u.collection, u.record_id, u.op, u.base_version, u.status,
	u.error_code, u.unit_id, u.result, u.payload, u.created_at
FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[],
	$10::text[], $11::text[], $12::text[], $13::text[], $14::timestamptz[])
	AS u (device_id, user_id, mutation_id, collection, record_id, op, base_version, status, error_code, unit_id,
	result, payload, created_at)`

// flushLog inserts the logged mutations with one statement.
func (t *tx) flushLog() error {
	if len(t.logged) == 0 {
		return nil
	}
	n := len(t.logged)
	dev, user, coll, rec, op := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	status, code, unit, result := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	mid, base, payload, at := make([]int64, n), make([]int64, n), make([]pgtype.Text, n), make([]time.Time, n)
	for i, e := range t.logged {
		dev[i], user[i], mid[i], coll[i], rec[i], op[i] = e.DeviceID, e.UserID, e.MutationID, e.Collection, e.RecordID, e.Op
		base[i], status[i], code[i], unit[i], result[i] = e.BaseVersion, e.Status, e.ErrorCode, e.UnitID, string(e.Result)
		payload[i] = pgtype.Text{String: string(e.Payload), Valid: e.Payload != nil}
		at[i] = e.CreatedAt
	}
	if _, err := t.pg.Exec(t.ctx, insertLog, t.county, dev, user, mid, coll, rec, op, base, status, code, unit,
		result, payload, at); err != nil {
		return wrap("log mutations", err)
	}
	t.logged = t.logged[:0]
	return nil
}

// Rejections lists the rejected mutations kept under units below path,
// newest first, after the key after.
func (t *tx) Rejections(path string, after *server.RejectionKey, limit int) ([]server.MutationLogEntry, error) {
	if err := t.flushLog(); err != nil {
		return nil, err
	}
	counties, err := t.pathCounties(path)
	if err != nil {
		return nil, err
	}
	args := []any{counties, path, limit}
	cond := ""
	if after != nil {
		cond = ` AND (m.created_at < $4 OR
			(m.created_at = $4 AND (m.device_id > $5 OR (m.device_id = $5 AND (m.user_id > $6 OR
			(m.user_id = $6 AND m.mutation_id < $7))))))`
		args = append(args, after.CreatedAt, after.DeviceID, after.UserID, after.MutationID)
	}
	rows, err := t.pg.Query(t.ctx, `SELECT m.device_id, m.user_id, m.mutation_id, m.collection, m.record_id, m.op,
		m.base_version, m.status, m.error_code, m.unit_id, m.result, m.payload, m.created_at FROM mutation_log m
		WHERE m.county_id = ANY($1) AND m.status = 'rejected'
		AND m.unit_id IN (SELECT u.id FROM units u WHERE u.county_id = m.county_id AND starts_with(u.path, $2))`+cond+`
		ORDER BY m.created_at DESC, m.device_id, m.user_id, m.mutation_id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanLogEntry)
	if out == nil {
		out = []server.MutationLogEntry{}
	}
	return out, wrap("list rejections", err)
}

func scanLogEntry(row pgx.CollectableRow) (server.MutationLogEntry, error) {
	var e server.MutationLogEntry
	err := row.Scan(&e.DeviceID, &e.UserID, &e.MutationID, &e.Collection, &e.RecordID, &e.Op, &e.BaseVersion,
		&e.Status, &e.ErrorCode, &e.UnitID, &e.Result, &e.Payload, &e.CreatedAt)
	e.CreatedAt = e.CreatedAt.UTC()
	return e, err
}
