package sqlite

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
)

// LiveRecordsIn implements server.Tx. created_at is RFC 3339 with trailing
// zeros of the fraction dropped, which does not sort as text within one
// second: the query compares whole seconds and the exact bound is checked
// here.
func (t *tx) LiveRecordsIn(collection string, units []string, since time.Time, limit int) ([]*server.Record, error) {
	if len(units) == 0 || limit <= 0 {
		return nil, nil
	}
	ids, err := json.Marshal(units)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(`SELECT `+recordCols+` FROM records WHERE collection = ? AND deleted = 0
		AND unit_id IN (SELECT value FROM json_each(?)) AND created_at >= ? ORDER BY version LIMIT ?`,
		collection, string(ids), since.UTC().Format("2006-01-02T15:04:05"), limit)
	if err != nil {
		return nil, fmt.Errorf("live records in units: %w", err)
	}
	defer rows.Close()
	var out []*server.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		if !r.CreatedAt.Before(since) {
			out = append(out, t.cached(r))
		}
	}
	return out, rows.Err()
}
