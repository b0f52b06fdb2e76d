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
	// OldestChange is when the oldest queued mutation was made.
	OldestChange time.Time `json:"oldest_change,omitzero"`
	LastSync     time.Time `json:"last_sync,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
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
	var oldest string
	if err := c.db.QueryRowContext(ctx, `SELECT coalesce(min(created_at), '') FROM outbox`).Scan(&oldest); err != nil {
		return nil, err
	}
	st.OldestChange, _ = time.Parse(time.RFC3339Nano, oldest)
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

// Session is a login kept on this device.
type Session struct {
	Username string `json:"username"`
	Current  bool   `json:"current"`
	// AccessExpires and RefreshExpires are the tokens' expiry times; a
	// zero RefreshExpires means the device holds no refresh token and the
	// user must log in again before syncing.
	AccessExpires  time.Time `json:"access_expires,omitzero"`
	RefreshExpires time.Time `json:"refresh_expires,omitzero"`
}

// Sessions lists the logins kept on this device. It works offline.
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	current, err := getMeta(ctx, c.db, metaCurrentUser)
	if err != nil {
		return nil, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT user_id, username, access_expires, refresh_token, refresh_expires
		FROM sessions ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var id, aexp, refresh, rexp string
		var s Session
		if err := rows.Scan(&id, &s.Username, &aexp, &refresh, &rexp); err != nil {
			return nil, err
		}
		s.Current = id == current
		s.AccessExpires, _ = time.Parse(time.RFC3339Nano, aexp)
		if refresh != "" {
			s.RefreshExpires, _ = time.Parse(time.RFC3339Nano, rexp)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
