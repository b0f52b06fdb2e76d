package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// ListRejections lists rejected mutations pushed by users of the actor's
// subtree, newest first, with the payload exactly as sent and the reason.
func (db *DB) ListRejections(ctx context.Context, a *server.Actor, limit int) ([]syncproto.Rejection, error) {
	if limit <= 0 || limit > syncproto.MaxRejectionLimit {
		limit = syncproto.DefaultRejectionLimit
	}
	rows, err := db.read.QueryContext(ctx, `SELECT device_id, user_id, payload, result, created_at FROM mutation_log
		WHERE status = 'rejected' AND unit_id IN (SELECT id FROM units WHERE substr(path, 1, length(?)) = ?)
		ORDER BY created_at DESC, device_id, mutation_id DESC LIMIT ?`, a.UnitPath, a.UnitPath, limit)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	defer rows.Close()
	out := []syncproto.Rejection{}
	for rows.Next() {
		var r syncproto.Rejection
		var payload, result string
		if err := rows.Scan(&r.DeviceID, &r.UserID, &payload, &result, &r.RejectedAt); err != nil {
			return nil, err
		}
		var res syncproto.MutationResult
		if err := json.Unmarshal([]byte(payload), &r.Mutation); err != nil {
			return nil, fmt.Errorf("decode kept payload: %w", err)
		}
		if err := json.Unmarshal([]byte(result), &res); err != nil {
			return nil, fmt.Errorf("decode kept result: %w", err)
		}
		r.Error = res.Error
		out = append(out, r)
	}
	return out, rows.Err()
}
