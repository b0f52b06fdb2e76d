package clientsdk

import (
	"context"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Status is a summary of the device's state.
type Status struct {
	DeviceID  string          `json:"device_id"`
	ServerURL string          `json:"server_url"`
	User      *syncproto.User `json:"user,omitempty"`
	// Outbox is the number of queued mutations; OutboxByUser splits it by
	// author (username).
	Outbox        int            `json:"outbox"`
	OutboxByUser  map[string]int `json:"outbox_by_user"`
	PhotosQueued  int            `json:"photos_queued"`
	Issues        int            `json:"issues"`
	OpenConflicts int            `json:"open_conflicts"` // as of the last fetch
	LastSync      time.Time      `json:"last_sync,omitzero"`
	LastError     string         `json:"last_error,omitempty"`
}

// Status reports the outbox size, queued photos, issues and the last sync.
// It works offline.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	st := &Status{DeviceID: c.deviceID, ServerURL: c.server, OutboxByUser: map[string]int{}}
	if u, err := c.CurrentUser(ctx); err == nil {
		st.User = u
	}
	counts := []struct {
		dst *int
		q   string
	}{
		{&st.Outbox, `SELECT count(*) FROM outbox`},
		{&st.PhotosQueued, `SELECT count(*) FROM photos WHERE status = 'queued'`},
		{&st.Issues, `SELECT count(*) FROM issues WHERE dismissed = 0`},
		{&st.OpenConflicts, `SELECT count(*) FROM conflicts WHERE status = 'open'`},
	}
	for _, cnt := range counts {
		if err := c.db.QueryRowContext(ctx, cnt.q).Scan(cnt.dst); err != nil {
			return nil, err
		}
	}
	if err := c.outboxByUser(ctx, st.OutboxByUser); err != nil {
		return nil, err
	}
	last, err := getMeta(ctx, c.db, metaLastSync)
	if err != nil {
		return nil, err
	}
	st.LastSync, _ = time.Parse(time.RFC3339Nano, last)
	st.LastError, err = getMeta(ctx, c.db, metaLastError)
	return st, err
}

func (c *Client) outboxByUser(ctx context.Context, out map[string]int) error {
	rows, err := c.db.QueryContext(ctx, `SELECT coalesce(s.username, o.user_id), count(*) FROM outbox o
		LEFT JOIN sessions s ON s.user_id = o.user_id GROUP BY o.user_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return err
		}
		out[name] = n
	}
	return rows.Err()
}
