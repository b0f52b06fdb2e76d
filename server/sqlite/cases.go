package sqlite

import (
	"encoding/json"

	"github.com/ruhu-org/ruhu/server"
)

// RecordsIn implements server.Tx.
func (t *tx) RecordsIn(collection string, units []string) ([]*server.Record, error) {
	if len(units) == 0 {
		return nil, nil
	}
	ids, err := json.Marshal(units)
	if err != nil {
		return nil, err
	}
	return t.findRecords(`collection = ? AND deleted = 0 AND unit_id IN (SELECT value FROM json_each(?))`, collection, string(ids))
}
