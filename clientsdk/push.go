package clientsdk

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"

	"github.com/ruhu-org/ruhu/syncproto"
)

// batch is a run of queued mutations pushed in one request.
type batch struct {
	userID  string
	entries []entry
	// repeat: the batch stopped before a second mutation of a record it
	// holds. That one waits until the first one's result is stored and the
	// record pulled, so that its base can move up (fastForward) instead of
	// conflicting with the device's own change.
	repeat bool
}

// pushAll pushes the outbox in order, a batch at a time. Each batch holds
// mutations of one author (pushed with that author's session) and at most
// one mutation per record. When the server's budget cuts a push
// (incomplete), the mutations it did not process stay at the head of the
// outbox, ids unchanged, and the next batch starts with them: nothing is
// skipped or reordered.
func (c *Client) pushAll(ctx context.Context, rep *SyncReport) error {
	total, err := c.outboxSize(ctx)
	if err != nil {
		return err
	}
	for done := 0; ; {
		b, err := c.nextBatch(ctx)
		if err != nil || len(b.entries) == 0 {
			return err
		}
		res, err := c.pushBatch(ctx, b)
		if err != nil {
			return err
		}
		left, err := c.storeResults(ctx, b, res, rep)
		if err != nil {
			return err
		}
		if left == len(b.entries) {
			return fmt.Errorf("push: the server processed none of %d mutations (incomplete)", left)
		}
		done += len(b.entries) - left
		c.report(Progress{Phase: PhasePush, Done: int64(done), Total: int64(max(total, done))})
		if b.repeat {
			if err := c.pullAll(ctx, rep); err != nil {
				return err
			}
		}
	}
}

// nextBatch takes the next batch from the head of the outbox and marks it
// sent, in one transaction: from now on its entries never change.
func (c *Client) nextBatch(ctx context.Context) (*batch, error) {
	b := &batch{}
	err := inTx(ctx, c.db, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+entryCols+` FROM outbox ORDER BY mutation_id LIMIT ?`, c.opts.batchSize)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		head, err := scanEntries(rows)
		if err != nil {
			return err
		}
		b.cut(head)
		for _, e := range b.entries {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET sent = 1 WHERE mutation_id = ?`, e.MutationID); err != nil {
				return err
			}
		}
		return nil
	})
	return b, err
}

// cut keeps the longest prefix of head by one author with no record twice.
func (b *batch) cut(head []entry) {
	seen := map[[2]string]bool{}
	for _, e := range head {
		key := [2]string{e.Collection, e.RecordID}
		if len(b.entries) > 0 && e.UserID != b.userID {
			return
		}
		if seen[key] {
			b.repeat = true
			return
		}
		seen[key], b.userID = true, e.UserID
		b.entries = append(b.entries, e)
	}
}

// pushBatch sends a batch. A cut connection is retried as is: the server
// answers mutation ids it already applied from its log (replayed).
func (c *Client) pushBatch(ctx context.Context, b *batch) (*syncproto.PushResponse, error) {
	req := syncproto.PushRequest{DeviceID: c.deviceID, Mutations: make([]syncproto.Mutation, len(b.entries))}
	for i := range b.entries {
		req.Mutations[i] = b.entries[i].mutation()
	}
	var res syncproto.PushResponse
	if err := c.call(ctx, b.userID, http.MethodPost, "/v1/sync/push", req, &res); err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	if len(res.Results) != len(b.entries) {
		return nil, fmt.Errorf("push: %d results for %d mutations", len(res.Results), len(b.entries))
	}
	for i, r := range res.Results {
		if r.MutationID != b.entries[i].MutationID {
			return nil, fmt.Errorf("push: result %d is for mutation %d, not %d", i, r.MutationID, b.entries[i].MutationID)
		}
	}
	return &res, nil
}

func (c *Client) outboxSize(ctx context.Context) (int, error) {
	var n int
	err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&n)
	return n, err
}
