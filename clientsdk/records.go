package clientsdk

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/oklog/ulid/v2"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Fields are the values of an edit: plain Go values (marshalled with
// encoding/json) or json.RawMessage. A nil value clears the field.
type Fields map[string]any

// Record is a record as the device shows it: the server's last known
// state with the device's queued edits laid over it.
type Record struct {
	Collection string `json:"collection"`
	ID         string `json:"id"`
	// Version is the server version the local copy builds on; 0 until the
	// server has acknowledged the record.
	Version int64                      `json:"version"`
	Fields  map[string]json.RawMessage `json:"fields"`
	// Meta is the server-computed state of the last pull (signature
	// state, open conflicts, submission).
	Meta syncproto.RecordMeta `json:"meta"`
	// Pending is true while edits of the record wait in the outbox.
	Pending bool `json:"pending"`
	// Refused is set when the server refused the record's last pushed
	// change (see Issues); a record the server never accepted shows what
	// was typed, with Version 0.
	Refused *Refusal `json:"refused,omitempty"`
}

// String returns a string field ("" when absent or not a string).
func (r *Record) String(field string) string {
	var s string
	_ = json.Unmarshal(r.Fields[field], &s)
	return s
}

// Decode unmarshals the record's fields into v (a struct or a map).
func (r *Record) Decode(v any) error {
	return json.Unmarshal([]byte(encodeFields(r.Fields)), v)
}

// Create stores a new record of collection (households, members or
// investigations) and queues it for the server. It returns the record's
// id, a new ULID. Errors: ErrNotLoggedIn, ErrInvalidRecord.
func (c *Client) Create(ctx context.Context, collection string, fields Fields) (string, error) {
	raw, err := c.checkEdit(collection, fields, true)
	if err != nil {
		return "", err
	}
	id := ulid.Make().String()
	return id, c.edit(ctx, func(tx *sql.Tx, user string) error {
		_, err := c.enqueueUpsert(ctx, tx, user, collection, id, raw)
		return err
	})
}

// Update changes fields of a record. Only the values that differ from the
// device's view are queued, with the version the device holds as
// base_version. Errors: ErrNotLoggedIn, ErrNotFound, ErrInvalidRecord.
func (c *Client) Update(ctx context.Context, collection, id string, fields Fields) error {
	raw, err := c.checkEdit(collection, fields, false)
	if err != nil {
		return err
	}
	return c.edit(ctx, func(tx *sql.Tx, user string) error {
		id, err := resolveAlias(ctx, tx, collection, id)
		if err != nil {
			return err
		}
		r, err := loadRow(ctx, tx, collection, id)
		if err != nil {
			return err
		}
		if r.View == nil {
			return fmt.Errorf("%w: %s/%s", ErrNotFound, collection, id)
		}
		_, err = c.enqueueUpsert(ctx, tx, user, collection, id, raw)
		return err
	})
}

// Delete deletes a record locally and queues the delete. Errors:
// ErrNotLoggedIn, ErrNotFound, ErrInvalidRecord.
func (c *Client) Delete(ctx context.Context, collection, id string) error {
	if !writable(collection) {
		return fmt.Errorf("%w: %s cannot be deleted from a device", ErrInvalidRecord, collection)
	}
	return c.edit(ctx, func(tx *sql.Tx, user string) error {
		id, err := resolveAlias(ctx, tx, collection, id)
		if err != nil {
			return err
		}
		if err := c.enqueueDelete(ctx, tx, user, collection, id); errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: %s/%s", ErrNotFound, collection, id)
		} else if err != nil {
			return err
		}
		return nil
	})
}

// edit runs a local change for the current user in one transaction.
func (c *Client) edit(ctx context.Context, fn func(tx *sql.Tx, user string) error) error {
	user, err := c.currentUser(ctx)
	if err != nil {
		return err
	}
	return inTx(ctx, c.db, func(tx *sql.Tx) error { return fn(tx, user) })
}

// resolveAlias follows an id the server merged into another record.
func resolveAlias(ctx context.Context, q querier, collection, id string) (string, error) {
	var canon string
	err := q.QueryRowContext(ctx, `SELECT canonical_id FROM aliases WHERE collection = ? AND alias_id = ?`,
		collection, id).Scan(&canon)
	if errors.Is(err, sql.ErrNoRows) {
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("alias: %w", err)
	}
	return canon, nil
}

// Get returns a record as the device shows it, following ids the server
// merged into another record. Errors: ErrNotFound.
func (c *Client) Get(ctx context.Context, collection, id string) (*Record, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	id, err := resolveAlias(ctx, c.db, collection, id)
	if err != nil {
		return nil, err
	}
	rs, err := c.listWhere(ctx, `r.collection = ? AND r.id = ?`, collection, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return c.getRefused(ctx, collection, id)
	}
	rs, err = c.withRefusals(ctx, rs, collection, func(is *Issue) bool { return is.RecordID == id })
	if err != nil {
		return nil, err
	}
	return &rs[0], nil
}

// List returns the visible records of a collection, oldest id first,
// with those whose last change the server refused (Record.Refused).
func (c *Client) List(ctx context.Context, collection string) ([]Record, error) {
	rs, err := c.listWhere(ctx, `r.collection = ?`, collection)
	if err != nil {
		return nil, err
	}
	return c.withRefusals(ctx, rs, collection, func(*Issue) bool { return true })
}

// ListByHousehold returns the visible records of a collection that belong
// to a household (members, investigations, photos).
func (c *Client) ListByHousehold(ctx context.Context, collection, householdID string) ([]Record, error) {
	hh, err := resolveAlias(ctx, c.db, syncproto.CollHouseholds, householdID)
	if err != nil {
		return nil, err
	}
	rs, err := c.listWhere(ctx, `r.collection = ? AND r.household_id = ?`, collection, hh)
	if err != nil {
		return nil, err
	}
	return c.withRefusals(ctx, rs, collection, func(is *Issue) bool { return householdOfIssue(is) == hh })
}

func (c *Client) listWhere(ctx context.Context, where string, args ...any) ([]Record, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	rows, err := c.db.QueryContext(ctx, `SELECT r.collection, r.id, r.version, r.view, r.meta,
		EXISTS (SELECT 1 FROM outbox o WHERE o.collection = r.collection AND o.record_id = r.id)
		FROM records r WHERE r.view IS NOT NULL AND `+where+` ORDER BY r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		var r Record
		var view, meta string
		if err := rows.Scan(&r.Collection, &r.ID, &r.Version, &view, &meta, &r.Pending); err != nil {
			return nil, err
		}
		if r.Fields, err = decodeFields(view); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(meta), &r.Meta)
		out = append(out, r)
	}
	return out, rows.Err()
}
