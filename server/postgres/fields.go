package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/syncproto"
)

// SchemaFields implements server.Tx.
func (t *tx) SchemaFields(county string) ([]syncproto.ExtraField, error) {
	rows, err := t.pg.Query(t.ctx, `SELECT definition FROM schema_fields WHERE county_id = $1
		ORDER BY collection, name`, county)
	if err != nil {
		return nil, fmt.Errorf("list schema fields: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (syncproto.ExtraField, error) {
		var def []byte
		var f syncproto.ExtraField
		if err := row.Scan(&def); err != nil {
			return f, err
		}
		return f, json.Unmarshal(def, &f)
	})
	if out == nil {
		out = []syncproto.ExtraField{}
	}
	return out, wrap("list schema fields", err)
}

// InsertSchemaField implements server.Tx.
func (t *tx) InsertSchemaField(county string, f syncproto.ExtraField) error {
	if county != t.county && t.county != "" {
		return fmt.Errorf("insert schema field: county %q is not the transaction's %q", county, t.county)
	}
	def, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return t.insert("insert schema field "+f.Collection+"."+f.Name,
		`INSERT INTO schema_fields (county_id, collection, name, definition, created_at)
		VALUES ($1, $2, $3, $4, $5::timestamptz) ON CONFLICT DO NOTHING`,
		county, f.Collection, f.Name, string(def), f.CreatedAt)
}

// DeleteSchemaField implements server.Tx.
func (t *tx) DeleteSchemaField(county, collection, name string) (bool, error) {
	n, err := t.exec("delete schema field "+collection+"."+name,
		`DELETE FROM schema_fields WHERE county_id = $1 AND collection = $2 AND name = $3`, county, collection, name)
	return n > 0, err
}
