package postgres

import (
	"time"

	"github.com/ruhu-org/ruhu/server"
)

// LiveRecordsIn implements server.Tx.
func (t *tx) LiveRecordsIn(collection string, units []string, since time.Time, limit int) ([]*server.Record, error) {
	if len(units) == 0 || limit <= 0 {
		return nil, nil
	}
	if err := t.flush(); err != nil {
		return nil, err
	}
	rs, err := t.loadRecords(`records r WHERE r.county_id = ANY($1) AND r.collection = $2 AND NOT r.deleted
		AND r.unit_id = ANY($3) AND r.created_at >= $4 ORDER BY r.version LIMIT $5`,
		collection, units, since.UTC(), limit)
	for i, r := range rs {
		rs[i] = t.cached(r)
	}
	return rs, err
}
