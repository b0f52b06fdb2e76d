package clientsdk

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Refusal marks a record whose last pushed change the server refused. The
// record stays visible with what was typed until the issue is retried
// (RetryIssue) or discarded (DismissIssue).
type Refusal struct {
	MutationID int64  `json:"mutation_id"`
	Op         string `json:"op"`
	Code       string `json:"code"`
	Message    string `json:"message"`
}

// Issues returns the conflicts and rejections of pushed mutations that
// were not dismissed, oldest first. A conflict's issue goes away by itself
// once its conflicts are resolved (seen by Resolve or the next Sync).
func (c *Client) Issues(ctx context.Context) ([]Issue, error) {
	return c.issuesWhere(ctx, `1`)
}

func (c *Client) issuesWhere(ctx context.Context, where string, args ...any) ([]Issue, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	rows, err := c.db.QueryContext(ctx, `SELECT mutation_id, user_id, collection, record_id, op, status, code, message,
		conflict_ids, fields, created_at FROM issues WHERE dismissed = 0 AND `+where+` ORDER BY mutation_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Issue{}
	for rows.Next() {
		var is Issue
		var ids, fields, at string
		if err := rows.Scan(&is.MutationID, &is.UserID, &is.Collection, &is.RecordID, &is.Op, &is.Status, &is.Code,
			&is.Message, &ids, &fields, &at); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(ids), &is.ConflictIDs)
		if is.Fields, err = decodeFields(fields); err != nil {
			return nil, err
		}
		is.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, is)
	}
	return out, rows.Err()
}

// DismissIssue hides an issue the user has dealt with. For a refused
// change this discards what was typed: the record shows the server's
// state again. Errors: ErrNotFound (no such open issue).
func (c *Client) DismissIssue(ctx context.Context, mutationID int64) error {
	if c.isClosed() {
		return ErrClosed
	}
	res, err := c.db.ExecContext(ctx, `UPDATE issues SET dismissed = 1 WHERE mutation_id = ? AND dismissed = 0`, mutationID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: no open issue #%d", ErrNotFound, mutationID)
	}
	return nil
}

// RetryIssue queues a refused change again under the current user, with
// fields (corrections; nil clears a field) laid over what was sent, and
// dismisses the issue. A refused delete is queued again as a delete.
// Errors: ErrNotFound (no such open issue), ErrInvalidRecord (the
// corrected record breaks the schema, the issue is a conflict — decide it
// with Resolve — or a signature: sign again), ErrNotLoggedIn.
func (c *Client) RetryIssue(ctx context.Context, mutationID int64, fields Fields) error {
	list, err := c.issuesWhere(ctx, `mutation_id = ?`, mutationID)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("%w: no open issue #%d", ErrNotFound, mutationID)
	}
	is := list[0]
	switch {
	case is.Status != syncproto.StatusRejected:
		return fmt.Errorf("%w: issue #%d is a conflict: decide it with Resolve", ErrInvalidRecord, mutationID)
	case !writable(is.Collection):
		return fmt.Errorf("%w: a refused %s is not sent again: sign again", ErrInvalidRecord, is.Collection)
	}
	changes, err := toRaw(fields)
	if err != nil {
		return err
	}
	merged := Fields{}
	for f, v := range overlay(is.Fields, changes) {
		merged[f] = v
	}
	return c.edit(ctx, func(tx *sql.Tx, user string) error {
		row, err := loadRow(ctx, tx, is.Collection, is.RecordID)
		if err != nil {
			return err
		}
		if is.Op == syncproto.OpDelete {
			err = c.enqueueDelete(ctx, tx, user, is.Collection, is.RecordID)
		} else {
			err = c.requeue(ctx, tx, user, &is, merged, row.ServerFields == nil)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE issues SET dismissed = 1 WHERE mutation_id = ?`, mutationID)
		return err
	})
}

// requeue checks a refused upsert's corrected fields and queues them.
func (c *Client) requeue(ctx context.Context, tx *sql.Tx, user string, is *Issue, fields Fields, create bool) error {
	raw, err := c.checkEditIn(tx, is.Collection, fields, create)
	if err != nil {
		return err
	}
	_, err = c.enqueueUpsert(ctx, tx, user, is.Collection, is.RecordID, raw)
	return err
}

// settleIssues dismisses the current user's conflict issues whose
// conflicts are all settled (resolved on the server).
func (c *Client) settleIssues(ctx context.Context, settled func(conflictID string) bool) error {
	user, err := c.currentUser(ctx)
	if err != nil {
		return err
	}
	list, err := c.issuesWhere(ctx, `status != ? AND user_id = ?`, syncproto.StatusRejected, user)
	if err != nil {
		return err
	}
	for _, is := range list {
		if len(is.ConflictIDs) == 0 || !allOf(is.ConflictIDs, settled) {
			continue
		}
		if _, err := c.db.ExecContext(ctx, `UPDATE issues SET dismissed = 1 WHERE mutation_id = ?`, is.MutationID); err != nil {
			return fmt.Errorf("settle issue %d: %w", is.MutationID, err)
		}
	}
	return nil
}

func allOf(ids []string, pred func(string) bool) bool {
	return !slices.ContainsFunc(ids, func(id string) bool { return !pred(id) })
}

// withRefusals marks the records of list whose last change was refused,
// and adds those the server never accepted (a refused create), so that
// nothing typed disappears from view. keep selects the refused records
// that belong in list.
func (c *Client) withRefusals(ctx context.Context, list []Record, collection string, keep func(is *Issue) bool) ([]Record, error) {
	refused, err := c.issuesWhere(ctx, `status = ? AND collection = ?`, syncproto.StatusRejected, collection)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(list))
	for i := range list {
		byID[list[i].ID] = i
	}
	for _, is := range refused {
		if !keep(&is) {
			continue
		}
		r := &Refusal{MutationID: is.MutationID, Op: is.Op, Code: is.Code, Message: is.Message}
		if i, ok := byID[is.RecordID]; ok {
			list[i].Refused = r
			continue
		}
		if is.Op == syncproto.OpDelete {
			continue
		}
		byID[is.RecordID] = len(list)
		list = append(list, Record{Collection: collection, ID: is.RecordID, Fields: is.Fields, Refused: r})
	}
	slices.SortFunc(list, func(a, b Record) int { return strings.Compare(a.ID, b.ID) })
	return list, nil
}

// householdOfIssue is the household a refused change belongs to.
func householdOfIssue(is *Issue) string {
	if is.Collection == syncproto.CollHouseholds {
		return is.RecordID
	}
	var hh string
	_ = json.Unmarshal(is.Fields["household_id"], &hh)
	return hh
}

// getRefused returns a record only a refused create left, or ErrNotFound.
func (c *Client) getRefused(ctx context.Context, collection, id string) (*Record, error) {
	list, err := c.withRefusals(ctx, nil, collection, func(is *Issue) bool { return is.RecordID == id })
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: %s/%s", ErrNotFound, collection, id)
	}
	return &list[0], nil
}
