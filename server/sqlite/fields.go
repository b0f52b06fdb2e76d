package sqlite

import (
	"encoding/json"
	"fmt"

	"github.com/ruhu-org/ruhu/syncproto"
)

// SchemaFields implements server.Tx.
func (t *tx) SchemaFields(county string) ([]syncproto.ExtraField, error) {
	rows, err := t.query(`SELECT definition FROM schema_fields WHERE county_id = ? ORDER BY collection, name`, county)
	if err != nil {
		return nil, fmt.Errorf("list schema fields: %w", err)
	}
	defer rows.Close()
	out := []syncproto.ExtraField{}
	for rows.Next() {
		var def string
		var f syncproto.ExtraField
		if err := rows.Scan(&def); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(def), &f); err != nil {
			return nil, fmt.Errorf("schema field: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// InsertSchemaField implements server.Tx.
func (t *tx) InsertSchemaField(county string, f syncproto.ExtraField) error {
	def, err := json.Marshal(f)
	if err != nil {
		return err
	}
	err = t.exec(`INSERT INTO schema_fields (county_id, collection, name, definition, created_at) VALUES (?, ?, ?, ?, ?)`,
		county, f.Collection, f.Name, string(def), f.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert schema field %s.%s: %w", f.Collection, f.Name, exists(err))
	}
	return nil
}

// DeleteSchemaField implements server.Tx.
func (t *tx) DeleteSchemaField(county, collection, name string) (bool, error) {
	if t.readOnly {
		return false, errReadOnly
	}
	s, err := t.stmt(`DELETE FROM schema_fields WHERE county_id = ? AND collection = ? AND name = ?`)
	if err != nil {
		return false, err
	}
	res, err := s.ExecContext(t.ctx, county, collection, name)
	if err != nil {
		return false, fmt.Errorf("delete schema field %s.%s: %w", collection, name, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
