package clientsdk

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ruhu-org/ruhu/syncproto"
)

// pullAll pulls the current user's feed until has_more is false. Each page
// is stored with its cursor in one transaction, so a cut pull resumes at
// the first page not stored. The next page is fetched while one is being
// stored: its cursor is in the page, and it is stored only after it.
func (c *Client) pullAll(ctx context.Context, rep *SyncReport) error {
	user, err := c.currentUser(ctx)
	if err != nil {
		return err
	}
	s, err := findSession(ctx, c.db, user)
	if err != nil {
		return err
	}
	if s == nil {
		return ErrNotLoggedIn
	}
	ctx, cancel := context.WithCancel(ctx)
	next := c.fetchPage(ctx, user, s.Cursor)
	defer func() {
		cancel()
		if next != nil {
			<-next // no request outlives the pull
		}
	}()
	for {
		res := <-next
		next = nil
		if res.err != nil {
			return fmt.Errorf("pull: %w", res.err)
		}
		if res.page.HasMore {
			next = c.fetchPage(ctx, user, res.page.Cursor)
		}
		if err := c.storePage(ctx, user, res.page, rep); err != nil {
			return err
		}
		c.report(Progress{Phase: PhasePull, Done: int64(rep.Pulled)})
		if !res.page.HasMore {
			return nil
		}
	}
}

type fetched struct {
	page *syncproto.PullResponse
	err  error
}

// fetchPage starts fetching the page after cursor. The access token is
// taken before it returns, so the request does not wait for the store's
// one connection while a page is being written.
func (c *Client) fetchPage(ctx context.Context, user, cursor string) <-chan fetched {
	out := make(chan fetched, 1)
	token, err := c.accessToken(ctx, user)
	if err != nil {
		out <- fetched{err: err}
		return out
	}
	q := url.Values{"cursor": {cursor}, "limit": {strconv.Itoa(c.opts.pullLimit)}}
	go func() {
		page := &syncproto.PullResponse{}
		err := c.callWith(ctx, user, token, http.MethodGet, "/v1/sync/pull?"+q.Encode(), nil, page)
		out <- fetched{page, err}
	}()
	return out
}

func (c *Client) storePage(ctx context.Context, user string, page *syncproto.PullResponse, rep *SyncReport) error {
	part := &SyncReport{}
	err := inTx(ctx, c.db, func(tx *sql.Tx) error {
		w, err := c.newPageWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		for i := range page.Changes {
			if err := w.apply(ctx, &page.Changes[i], part); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET cursor = ? WHERE user_id = ?`, page.Cursor, user)
		return err
	})
	if err == nil {
		rep.add(part)
	}
	return err
}

// pageWriter stores the changes of one page in its transaction. The
// statements every change runs are prepared once per page: parsing them
// again for each record cost more than running them.
type pageWriter struct {
	c   *Client
	tx  *sql.Tx
	now string // updated_at of every row the page writes
	// queued holds the records the outbox has entries of, read once per
	// page (the outbox is short, and empty after a push).
	queued map[recordKey]bool
	// version returns the version held for a record; upsert writes a
	// record unless the row holds a newer version; purge deletes a row.
	version, upsert, purge *sql.Stmt
}

type recordKey struct{ collection, id string }

// upsertPulledSQL stores the server's state of a record with nothing
// queued, unless a push result already gave a newer one: the fields (?4)
// are both the server's state and the view, bound once, and SQLite reads
// the household of a member or an investigation from them (householdOf).
const upsertPulledSQL = `INSERT INTO records (collection, id, version, server_fields, server_deleted, meta,
	view, household_id, updated_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?4,
	CASE WHEN ?1 = '` + syncproto.CollHouseholds + `' THEN ?2 WHEN json_type(?4, '$.household_id') = 'text'
		THEN json_extract(?4, '$.household_id') ELSE '' END, ?6)
	ON CONFLICT (collection, id) DO UPDATE SET version = excluded.version, server_fields = excluded.server_fields,
	server_deleted = excluded.server_deleted, meta = excluded.meta, view = excluded.view,
	household_id = excluded.household_id, updated_at = excluded.updated_at
	WHERE excluded.version >= records.version`

func (c *Client) newPageWriter(ctx context.Context, tx *sql.Tx) (*pageWriter, error) {
	w := &pageWriter{c: c, tx: tx, now: c.nowString(), queued: map[recordKey]bool{}}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT collection, record_id FROM outbox`)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k recordKey
		if err := rows.Scan(&k.collection, &k.id); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		w.queued[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.version, `SELECT version FROM records WHERE collection = ? AND id = ?`},
		{&w.upsert, upsertPulledSQL},
		{&w.purge, `DELETE FROM records WHERE collection = ? AND id = ?`},
	} {
		s, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("prepare pull statements: %w", err)
		}
		*p.stmt = s
	}
	return w, nil
}

func (w *pageWriter) close() {
	for _, s := range []*sql.Stmt{w.version, w.upsert, w.purge} {
		if s != nil {
			s.Close()
		}
	}
}

// apply stores the server's state of one record, unless the device holds
// a newer one (a push result gave it). A tombstone purges the record (a
// record with queued edits stays hidden until they are pushed: the server
// keeps them in a conflict). Queued fields keep showing over the new
// state, and the first queued mutation's base moves up when the change did
// not touch what it edits.
func (w *pageWriter) apply(ctx context.Context, ch *syncproto.Change, rep *SyncReport) error {
	if w.queued[recordKey{ch.Collection, ch.ID}] {
		return w.c.applyOverQueued(ctx, w.tx, ch, rep)
	}
	// Nothing queued for the record (always so for a tablet joining its
	// village): the view is the server's state, stored as the server sent
	// it — what writeRow, recompute and fastForward would come to, without
	// decoding and encoding the fields again.
	if ch.Deleted {
		var held int64
		err := w.version.QueryRowContext(ctx, ch.Collection, ch.ID).Scan(&held)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("load %s/%s: %w", ch.Collection, ch.ID, err)
		case ch.Version < held:
			return nil
		}
		if _, err := w.purge.ExecContext(ctx, ch.Collection, ch.ID); err != nil {
			return fmt.Errorf("purge %s/%s: %w", ch.Collection, ch.ID, err)
		}
		rep.Pulled++
		rep.Purged++
		return nil
	}
	fields, err := rawObject(ch.Fields)
	if err != nil {
		return err
	}
	res, err := w.upsert.ExecContext(ctx, ch.Collection, ch.ID, ch.Version, fields, changeMeta(ch), w.now)
	if err != nil {
		return fmt.Errorf("write %s/%s: %w", ch.Collection, ch.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("write %s/%s: %w", ch.Collection, ch.ID, err)
	} else if n > 0 {
		rep.Pulled++
	} // else an older state than the one held
	return nil
}

// applyOverQueued stores the server's state of a record the outbox holds
// edits of, and lays them over it.
func (c *Client) applyOverQueued(ctx context.Context, tx *sql.Tx, ch *syncproto.Change, rep *SyncReport) error {
	r, err := loadRow(ctx, tx, ch.Collection, ch.ID)
	if err != nil {
		return err
	}
	if r.exists && ch.Version < r.Version {
		return nil // an older state than one a push result already gave
	}
	r.Version, r.ServerDeleted, r.Meta = ch.Version, ch.Deleted, changeMeta(ch)
	if ch.Deleted {
		r.ServerFields = nil
		rep.Purged++
	} else if r.ServerFields, err = decodeFields(string(ch.Fields)); err != nil {
		return err
	}
	rep.Pulled++
	if err := c.writeRow(ctx, tx, r); err != nil {
		return err
	}
	if err := c.recompute(ctx, tx, ch.Collection, ch.ID); err != nil {
		return err
	}
	return c.fastForward(ctx, tx, ch.Collection, ch.ID)
}

// changeMeta is the meta column of a change ("{}" when it has none).
func changeMeta(ch *syncproto.Change) string {
	if len(ch.Meta) > 0 && string(ch.Meta) != "null" {
		return string(ch.Meta)
	}
	return "{}"
}

// rawObject returns a change's fields as the text the records table keeps:
// the JSON object as sent ("{}" for none or null), or the error
// decodeFields would give. The page decoder has already checked that it is
// valid JSON.
func rawObject(raw json.RawMessage) (string, error) {
	s := bytes.TrimSpace(raw)
	switch {
	case len(s) == 0 || string(s) == "null":
		return "{}", nil
	case s[0] != '{':
		return "", fmt.Errorf("decode fields: %s is not an object", s[:min(len(s), 16)])
	}
	return string(s), nil
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
