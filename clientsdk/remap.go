package clientsdk

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Remap is an id the server merged into another record (the same
// household registered on two tablets, the same person added twice).
type Remap struct {
	Collection string `json:"collection"`
	From       string `json:"from"`
	To         string `json:"to"`
}

// remap replaces a merged id by its canonical id everywhere on the device:
// the record, the queued mutations, household_id references in records,
// queued fields and photos. The alias is kept so that Get and Update with
// the old id still find the record.
func (c *Client) remap(ctx context.Context, tx *sql.Tx, collection, from, to string, rep *SyncReport) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO aliases (collection, alias_id, canonical_id) VALUES (?, ?, ?)`,
		collection, from, to); err != nil {
		return fmt.Errorf("save alias: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET record_id = ? WHERE collection = ? AND record_id = ?`,
		to, collection, from); err != nil {
		return err
	}
	if err := c.moveRow(ctx, tx, collection, from, to); err != nil {
		return err
	}
	if collection == syncproto.CollHouseholds {
		if err := c.remapHouseholdRefs(ctx, tx, from, to); err != nil {
			return err
		}
	}
	rep.Remapped = append(rep.Remapped, Remap{Collection: collection, From: from, To: to})
	return c.recompute(ctx, tx, collection, to)
}

// moveRow drops the alias's row, or renames it when the device does not
// hold the canonical record yet, keeping what the device showed until the
// next pull brings the canonical content.
func (c *Client) moveRow(ctx context.Context, tx *sql.Tx, collection, from, to string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM records WHERE collection = ? AND id = ?`, collection, to).Scan(&n); err != nil {
		return err
	}
	q := `UPDATE records SET id = ?, household_id = CASE WHEN collection = 'households' THEN ? ELSE household_id END,
		server_fields = coalesce(server_fields, view) WHERE collection = ? AND id = ?`
	args := []any{to, to, collection, from}
	if n > 0 {
		q, args = `DELETE FROM records WHERE collection = ? AND id = ?`, []any{collection, from}
	}
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}

// remapHouseholdRefs points every household_id naming from at to.
func (c *Client) remapHouseholdRefs(ctx context.Context, tx *sql.Tx, from, to string) error {
	stmts := []string{
		`UPDATE records SET household_id = ?2,
			view = CASE WHEN view IS NULL THEN NULL ELSE json_set(view, '$.household_id', ?2) END,
			server_fields = CASE WHEN json_extract(server_fields, '$.household_id') = ?1
				THEN json_set(server_fields, '$.household_id', ?2) ELSE server_fields END
			WHERE household_id = ?1 AND collection != 'households'`,
		`UPDATE outbox SET fields = json_set(fields, '$.household_id', ?2)
			WHERE json_extract(fields, '$.household_id') = ?1`,
		`UPDATE outbox SET before = json_set(before, '$.household_id', ?2)
			WHERE json_extract(before, '$.household_id') = ?1`,
		`UPDATE photos SET household_id = ?2 WHERE household_id = ?1`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, from, to); err != nil {
			return fmt.Errorf("remap household %s: %w", from, err)
		}
	}
	return nil
}

// Aliases returns the ids the server merged into other records, as
// alias → canonical id.
func (c *Client) Aliases(ctx context.Context) ([]Remap, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT collection, alias_id, canonical_id FROM aliases ORDER BY collection, alias_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Remap{}
	for rows.Next() {
		var r Remap
		if err := rows.Scan(&r.Collection, &r.From, &r.To); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
