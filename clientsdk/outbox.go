package clientsdk

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/ruhu-org/ruhu/syncproto"
)

// entry is a queued mutation.
type entry struct {
	MutationID  int64
	UserID      string
	Collection  string
	RecordID    string
	Op          string
	BaseVersion int64
	Fields      fieldMap
	Before      fieldMap
	Sent        bool
}

func (e *entry) mutation() syncproto.Mutation {
	m := syncproto.Mutation{MutationID: e.MutationID, Collection: e.Collection, ID: e.RecordID, Op: e.Op,
		BaseVersion: e.BaseVersion}
	if e.Op == syncproto.OpUpsert {
		m.Fields = e.Fields
	}
	return m
}

const entryCols = `mutation_id, user_id, collection, record_id, op, base_version, fields, before, sent`

func scanEntries(rows *sql.Rows) ([]entry, error) {
	defer rows.Close()
	var out []entry
	for rows.Next() {
		var e entry
		var fields, before string
		if err := rows.Scan(&e.MutationID, &e.UserID, &e.Collection, &e.RecordID, &e.Op, &e.BaseVersion,
			&fields, &before, &e.Sent); err != nil {
			return nil, err
		}
		var err error
		if e.Fields, err = decodeFields(fields); err != nil {
			return nil, err
		}
		if e.Before, err = decodeFields(before); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// entriesFor lists a record's queued mutations in order.
func entriesFor(ctx context.Context, q querier, collection, id string) ([]entry, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+entryCols+` FROM outbox WHERE collection = ? AND record_id = ?
		ORDER BY mutation_id`, collection, id)
	if err != nil {
		return nil, fmt.Errorf("outbox of %s/%s: %w", collection, id, err)
	}
	return scanEntries(rows)
}

// enqueueUpsert queues the fields of changes that differ from the view and
// updates the view. It coalesces them into the record's last queued
// mutation when that is safe (see canCoalesce). It reports whether
// anything changed.
func (c *Client) enqueueUpsert(ctx context.Context, tx *sql.Tx, userID, collection, id string, changes fieldMap) (bool, error) {
	r, err := loadRow(ctx, tx, collection, id)
	if err != nil {
		return false, err
	}
	fields, before := fieldMap{}, fieldMap{}
	for f, v := range changes {
		if r.View == nil || !jsonEqual(r.View[f], v) {
			fields[f], before[f] = v, valueOr(r.View, f)
		}
	}
	if len(fields) == 0 {
		return false, nil
	}
	entries, err := entriesFor(ctx, tx, collection, id)
	if err != nil {
		return false, err
	}
	ok := false
	if n := len(entries); n > 0 {
		if ok, err = c.canCoalesce(ctx, tx, &entries[n-1], r, userID, fields); err != nil {
			return false, err
		}
		if ok {
			err = c.coalesce(ctx, tx, &entries[n-1], fields, before)
		}
	}
	if !ok {
		e := entry{UserID: userID, Collection: collection, RecordID: id, Op: syncproto.OpUpsert,
			BaseVersion: r.Version, Fields: fields, Before: before}
		err = c.insertEntry(ctx, tx, &e)
	}
	if err != nil {
		return false, err
	}
	return true, c.recompute(ctx, tx, collection, id)
}

func valueOr(m fieldMap, f string) json.RawMessage {
	if v, ok := m[f]; ok {
		return v
	}
	return jsonNull
}

// canCoalesce says whether new fields may join queued entry e instead of
// making a mutation of their own: e was never sent (the server may have
// applied a sent one), is an upsert by the same user, was made on the
// record version the device still holds (else its base would hide changes
// the user has since seen and turn them into false conflicts), and moving
// the fields earlier in the queue cannot break an order: either e is the
// last entry, or no field names another record.
func (c *Client) canCoalesce(ctx context.Context, tx *sql.Tx, e *entry, r *recordRow, userID string, fields fieldMap) (bool, error) {
	if e.Sent || e.Op != syncproto.OpUpsert || e.UserID != userID || e.BaseVersion != r.Version {
		return false, nil
	}
	if !hasRefs(fields) {
		return true, nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT max(mutation_id) FROM outbox`).Scan(&last); err != nil {
		return false, err
	}
	return last == e.MutationID, nil
}

func hasRefs(fields fieldMap) bool {
	for _, f := range []string{"household_id", "investigation_id", "unit_id"} {
		if _, ok := fields[f]; ok {
			return true
		}
	}
	return false
}

// coalesce merges fields into e. A field changed back to the value it had
// before e is dropped (unless e creates the record).
func (c *Client) coalesce(ctx context.Context, tx *sql.Tx, e *entry, fields, before fieldMap) error {
	for f, v := range fields {
		if _, seen := e.Before[f]; !seen {
			e.Before[f] = before[f]
		}
		e.Fields[f] = v
		if e.BaseVersion > 0 && jsonEqual(e.Before[f], v) {
			delete(e.Fields, f)
			delete(e.Before, f)
		}
	}
	if len(e.Fields) == 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE mutation_id = ? AND sent = 0`, e.MutationID)
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE outbox SET fields = ?, before = ? WHERE mutation_id = ? AND sent = 0`,
		encodeFields(e.Fields), encodeFields(e.Before), e.MutationID)
	return err
}

func (c *Client) insertEntry(ctx context.Context, tx *sql.Tx, e *entry) error {
	id, err := nextMutationID(ctx, tx)
	if err != nil {
		return err
	}
	e.MutationID = id
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (mutation_id, user_id, collection, record_id, op, base_version,
		fields, before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, e.UserID, e.Collection, e.RecordID, e.Op,
		e.BaseVersion, encodeFields(e.Fields), encodeFields(e.Before), c.nowString())
	if err != nil {
		return fmt.Errorf("queue mutation: %w", err)
	}
	return nil
}

// enqueueDelete queues a delete. A record the server never saw is simply
// dropped with its queued mutations.
func (c *Client) enqueueDelete(ctx context.Context, tx *sql.Tx, userID, collection, id string) error {
	r, err := loadRow(ctx, tx, collection, id)
	if err != nil {
		return err
	}
	if r.View == nil {
		return ErrNotFound
	}
	entries, err := entriesFor(ctx, tx, collection, id)
	if err != nil {
		return err
	}
	if r.ServerFields == nil && !anySent(entries) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE collection = ? AND record_id = ?`, collection, id); err != nil {
			return err
		}
		return c.recompute(ctx, tx, collection, id)
	}
	e := entry{UserID: userID, Collection: collection, RecordID: id, Op: syncproto.OpDelete,
		BaseVersion: r.Version, Fields: fieldMap{}, Before: maps.Clone(r.View)}
	if err := c.insertEntry(ctx, tx, &e); err != nil {
		return err
	}
	return c.recompute(ctx, tx, collection, id)
}

func anySent(es []entry) bool {
	for _, e := range es {
		if e.Sent {
			return true
		}
	}
	return false
}

// fastForward moves the base of a record's first queued mutation up to the
// server version the device now holds, when nothing the mutation touches
// changed there: the values it was edited from (the whole record, for a
// delete) are still the server's. This keeps a device from conflicting with
// its own earlier, already applied, mutations. Only an unsent first entry
// moves; a sent one may already be applied as it is.
func (c *Client) fastForward(ctx context.Context, tx *sql.Tx, collection, id string) error {
	r, err := loadRow(ctx, tx, collection, id)
	if err != nil || r.ServerFields == nil || r.ServerDeleted {
		return err
	}
	entries, err := entriesFor(ctx, tx, collection, id)
	if err != nil || len(entries) == 0 {
		return err
	}
	e := entries[0]
	if e.Sent || e.BaseVersion >= r.Version || !unchangedSince(&e, r.ServerFields) {
		return nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE outbox SET base_version = ? WHERE mutation_id = ? AND sent = 0`, r.Version, e.MutationID)
	return err
}

func unchangedSince(e *entry, server fieldMap) bool {
	if e.Op == syncproto.OpDelete && len(server) != len(e.Before) {
		return false
	}
	for f, v := range e.Before {
		if !jsonEqual(v, server[f]) {
			return false
		}
	}
	return true
}
