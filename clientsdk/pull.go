package clientsdk

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ruhu-org/ruhu/syncproto"
)

// pullAll pulls the current user's feed until has_more is false. Each page
// is stored with its cursor in one transaction, so a cut pull resumes at
// the first page not stored.
func (c *Client) pullAll(ctx context.Context, rep *SyncReport) error {
	user, err := c.currentUser(ctx)
	if err != nil {
		return err
	}
	for {
		s, err := findSession(ctx, c.db, user)
		if err != nil {
			return err
		}
		if s == nil {
			return ErrNotLoggedIn
		}
		q := url.Values{"cursor": {s.Cursor}, "limit": {strconv.Itoa(c.opts.pullLimit)}}
		var page syncproto.PullResponse
		if err := c.call(ctx, user, http.MethodGet, "/v1/sync/pull?"+q.Encode(), nil, &page); err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		if err := c.storePage(ctx, user, &page, rep); err != nil {
			return err
		}
		c.report(Progress{Phase: PhasePull, Done: int64(rep.Pulled)})
		if !page.HasMore {
			return nil
		}
	}
}

func (c *Client) storePage(ctx context.Context, user string, page *syncproto.PullResponse, rep *SyncReport) error {
	part := &SyncReport{}
	err := inTx(ctx, c.db, func(tx *sql.Tx) error {
		for i := range page.Changes {
			if err := c.applyChange(ctx, tx, &page.Changes[i], part); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET cursor = ? WHERE user_id = ?`, page.Cursor, user)
		return err
	})
	if err == nil {
		rep.add(part)
	}
	return err
}

// applyChange stores the server's state of one record. A tombstone purges
// the record (a record with queued edits stays hidden until they are
// pushed: the server keeps them in a conflict). Queued fields keep showing
// over the new state, and the first queued mutation's base moves up when
// the change did not touch what it edits.
func (c *Client) applyChange(ctx context.Context, tx *sql.Tx, ch *syncproto.Change, rep *SyncReport) error {
	r, err := loadRow(ctx, tx, ch.Collection, ch.ID)
	if err != nil {
		return err
	}
	if r.exists && ch.Version < r.Version {
		return nil // an older state than one a push result already gave
	}
	r.Version, r.ServerDeleted = ch.Version, ch.Deleted
	r.Meta = "{}"
	if len(ch.Meta) > 0 && string(ch.Meta) != "null" {
		r.Meta = string(ch.Meta)
	}
	if ch.Deleted {
		r.ServerFields = nil
		rep.Purged++
	} else if r.ServerFields, err = decodeFields(string(ch.Fields)); err != nil {
		return err
	}
	rep.Pulled++
	entries, err := entriesFor(ctx, tx, ch.Collection, ch.ID)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		// Nothing queued for the record (always so for a tablet joining
		// its village): the view is the server's state, written once —
		// what writeRow, recompute and fastForward would come to in five
		// more statements.
		if r.ServerDeleted || r.ServerFields == nil {
			_, err := tx.ExecContext(ctx, `DELETE FROM records WHERE collection = ? AND id = ?`, ch.Collection, ch.ID)
			return err
		}
		r.View = r.ServerFields
		return c.writeRow(ctx, tx, r)
	}
	if err := c.writeRow(ctx, tx, r); err != nil {
		return err
	}
	if err := c.recompute(ctx, tx, ch.Collection, ch.ID); err != nil {
		return err
	}
	return c.fastForward(ctx, tx, ch.Collection, ch.ID)
}

// Pull fetches the server's changes without pushing (for example right
// after resolving a conflict). Errors as Sync.
func (c *Client) Pull(ctx context.Context) (*SyncReport, error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	if c.isClosed() {
		return nil, ErrClosed
	}
	rep := c.newReport()
	err := c.pullAll(ctx, rep)
	rep.Finished = c.now()
	return rep, err
}
