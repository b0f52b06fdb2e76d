package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// ListRejections lists rejected mutations pushed by users of the actor's
// subtree, newest first, with the payload exactly as sent and the reason.
func (e *Engine) ListRejections(ctx context.Context, a *server.Actor, limit int) ([]syncproto.Rejection, error) {
	if limit <= 0 || limit > syncproto.MaxRejectionLimit {
		limit = syncproto.DefaultRejectionLimit
	}
	out := []syncproto.Rejection{}
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		rows, err := tx.Rejections(a.UnitPath, limit)
		if err != nil {
			return fmt.Errorf("list rejections: %w", err)
		}
		for _, row := range rows {
			r := syncproto.Rejection{DeviceID: row.DeviceID, UserID: row.UserID,
				RejectedAt: row.CreatedAt.UTC().Format(time.RFC3339Nano)}
			var res syncproto.MutationResult
			if err := json.Unmarshal(row.Payload, &r.Mutation); err != nil {
				return fmt.Errorf("decode kept payload: %w", err)
			}
			if err := json.Unmarshal(row.Result, &res); err != nil {
				return fmt.Errorf("decode kept result: %w", err)
			}
			r.Error = res.Error
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
