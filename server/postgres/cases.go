package postgres

import "github.com/ruhu-org/ruhu/server"

// RecordsIn returns the live records of collection filed under any of
// units, in version order.
func (t *tx) RecordsIn(collection string, units []string) ([]*server.Record, error) {
	if len(units) == 0 {
		return nil, nil
	}
	return t.findRecords(`r.collection = $2 AND NOT r.deleted AND r.unit_id = ANY($3)`, collection, units)
}
