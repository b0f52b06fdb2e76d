package clientsdk

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Conflicts lists the server's conflicts in the current user's
// jurisdiction with status "open", "resolved" or "all" — including those
// other tablets caused on records this one also edits. The list is kept
// for CachedConflicts. Errors: ErrNotLoggedIn, ErrReloginRequired,
// ErrUnreachable, *APIError.
func (c *Client) Conflicts(ctx context.Context, status string) ([]syncproto.Conflict, error) {
	user, err := c.currentUser(ctx)
	if err != nil {
		return nil, err
	}
	var list syncproto.ConflictList
	if err := c.call(ctx, user, http.MethodGet, "/v1/conflicts?"+url.Values{"status": {status}}.Encode(), nil, &list); err != nil {
		return nil, err
	}
	return list.Conflicts, c.cacheConflicts(ctx, list.Conflicts, status != syncproto.ConflictResolved)
}

// refreshConflicts is Sync's last step.
func (c *Client) refreshConflicts(ctx context.Context, rep *SyncReport) error {
	list, err := c.Conflicts(ctx, syncproto.ConflictOpen)
	if err != nil {
		return fmt.Errorf("list conflicts: %w", err)
	}
	rep.OpenConflicts = len(list)
	open := make(map[string]bool, len(list))
	for _, cf := range list {
		open[cf.ID] = true
	}
	return c.settleIssues(ctx, func(id string) bool { return !open[id] })
}

// cacheConflicts stores fetched conflicts. With complete set (list holds
// every open conflict), an open conflict cached before and missing from
// list is no longer open and is dropped.
func (c *Client) cacheConflicts(ctx context.Context, list []syncproto.Conflict, complete bool) error {
	return inTx(ctx, c.db, func(tx *sql.Tx) error {
		now := c.nowString()
		for _, cf := range list {
			body, err := json.Marshal(cf)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO conflicts (id, status, body, fetched_at) VALUES (?, ?, ?, ?)`,
				cf.ID, cf.Status, string(body), now); err != nil {
				return err
			}
		}
		if !complete {
			return nil
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM conflicts WHERE status = 'open' AND fetched_at != ?`, now)
		return err
	})
}

// CachedConflicts returns the conflicts of the last list fetched from the
// server (for display offline), with status "open", "resolved" or "all".
func (c *Client) CachedConflicts(ctx context.Context, status string) ([]syncproto.Conflict, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT body FROM conflicts WHERE ? = 'all' OR status = ? ORDER BY id`, status, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []syncproto.Conflict{}
	for rows.Next() {
		var body string
		var cf syncproto.Conflict
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &cf); err != nil {
			return nil, err
		}
		out = append(out, cf)
	}
	return out, rows.Err()
}

// Resolve decides a conflict on the server: keep the server's value
// (syncproto.ChoiceServer), take the device's (syncproto.ChoiceClient), or
// set value (pass choice ""). The decision is a new version of the record
// that reaches every device with its next pull. Errors: ErrNotLoggedIn,
// ErrReloginRequired, ErrUnreachable, *APIError (conflict_already_resolved,
// invalid_choice, not_found, forbidden, and the codes of a push when the
// chosen value is invalid).
func (c *Client) Resolve(ctx context.Context, conflictID, choice string, value json.RawMessage) (*syncproto.Conflict, error) {
	user, err := c.currentUser(ctx)
	if err != nil {
		return nil, err
	}
	req := syncproto.ResolveRequest{Choice: choice, Value: value}
	var out syncproto.Conflict
	if err := c.call(ctx, user, http.MethodPost, "/v1/conflicts/"+url.PathEscape(conflictID)+"/resolve", req, &out); err != nil {
		return nil, err
	}
	if err := c.cacheConflicts(ctx, []syncproto.Conflict{out}, false); err != nil {
		return nil, err
	}
	return &out, c.settleIssues(ctx, func(id string) bool { return id == out.ID })
}
