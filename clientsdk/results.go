package clientsdk

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/ruhu-org/ruhu/syncproto"
)

// storeResults records the server's answer to a batch in one transaction:
// each acknowledged entry leaves the outbox only together with its result.
func (c *Client) storeResults(ctx context.Context, b *batch, res *syncproto.PushResponse, rep *SyncReport) (left int, err error) {
	part := &SyncReport{}
	err = inTx(ctx, c.db, func(tx *sql.Tx) error {
		var behind []int64
		left = 0
		for i, r := range res.Results {
			e := &b.entries[i]
			if r.Status == syncproto.StatusRejected && r.Error != nil && r.Error.Code == syncproto.CodeMutationOutOfOrder {
				if res.Incomplete && e.MutationID > res.LastMutationID {
					// Not processed: the push reached the server's budget.
					// It stays at the head of the outbox with its id and
					// goes out again next, before anything queued after it.
					left++
					continue
				}
				behind = append(behind, e.MutationID)
				continue
			}
			if err := c.storeResult(ctx, tx, e, r, part); err != nil {
				return fmt.Errorf("store result of mutation %d: %w", e.MutationID, err)
			}
		}
		return c.renumber(ctx, tx, behind, res.LastMutationID)
	})
	if err == nil {
		rep.add(part)
	}
	return left, err
}

func (c *Client) storeResult(ctx context.Context, tx *sql.Tx, e *entry, r syncproto.MutationResult, rep *SyncReport) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE mutation_id = ?`, e.MutationID); err != nil {
		return err
	}
	rep.count(r)
	if r.CanonicalID != "" && r.CanonicalID != e.RecordID {
		if err := c.remap(ctx, tx, e.Collection, e.RecordID, r.CanonicalID, rep); err != nil {
			return err
		}
		e.RecordID = r.CanonicalID
	} else if r.Status == syncproto.StatusApplied || r.Status == syncproto.StatusMerged {
		if err := canonicalRefs(ctx, tx, e.Fields); err != nil {
			return err
		}
		if err := c.acknowledge(ctx, tx, e, r); err != nil {
			return err
		}
	}
	if r.Status == syncproto.StatusRejected || r.Status == syncproto.StatusConflict || len(r.ConflictIDs) > 0 {
		is, err := c.saveIssue(ctx, tx, e, r)
		if err != nil {
			return err
		}
		rep.addIssue(is)
	}
	if err := c.recompute(ctx, tx, e.Collection, e.RecordID); err != nil {
		return err
	}
	return c.fastForward(ctx, tx, e.Collection, e.RecordID)
}

// acknowledge lays an applied or merged mutation over the server state the
// device holds, so the view does not flicker back before the next pull.
// Only "applied" moves the version: the server had nothing newer, so its
// state is exactly the device's plus this mutation. After "merged" the
// server also holds changes the device has not pulled yet; the version
// stays until the pull brings them. A result older than what a pull
// already brought is ignored.
func (c *Client) acknowledge(ctx context.Context, tx *sql.Tx, e *entry, r syncproto.MutationResult) error {
	row, err := loadRow(ctx, tx, e.Collection, e.RecordID)
	if err != nil {
		return err
	}
	if row.exists && r.Version <= row.Version {
		return nil
	}
	if e.Op == syncproto.OpDelete {
		row.ServerDeleted, row.ServerFields = true, nil
	} else {
		row.ServerFields = overlay(row.ServerFields, e.Fields)
	}
	if r.Status == syncproto.StatusApplied {
		row.Version = r.Version
	}
	return c.writeRow(ctx, tx, row)
}

// canonicalRefs points a household_id at the canonical household when an
// earlier result of the same batch merged it away (the server stored the
// canonical id).
func canonicalRefs(ctx context.Context, tx *sql.Tx, fields fieldMap) error {
	var hh string
	if json.Unmarshal(fields["household_id"], &hh) != nil || hh == "" {
		return nil
	}
	canon, err := resolveAlias(ctx, tx, syncproto.CollHouseholds, hh)
	if err != nil || canon == hh {
		return err
	}
	fields["household_id"], err = json.Marshal(canon)
	return err
}

// renumber moves entries the server refused as "mutation id not
// increasing" to the end of the outbox with ids above the server's last
// one for this device; the server applied none of them. This only happens
// when the device's counter fell behind the server's (a store restored
// from a backup), and then it is only a partial repair: a replayed answer
// does not name its record, so an old id the server did log answers for
// some other mutation.
func (c *Client) renumber(ctx context.Context, tx *sql.Tx, ids []int64, serverLast int64) error {
	if len(ids) == 0 {
		return nil
	}
	var next int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(mutation_id), 0) FROM outbox`).Scan(&next); err != nil {
		return err
	}
	counter, err := getMeta(ctx, tx, metaNextMutation)
	if err != nil {
		return err
	}
	var taken int64
	fmt.Sscan(counter, &taken)
	next = max(next, serverLast, taken-1) + 1
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET mutation_id = ?, sent = 0 WHERE mutation_id = ?`, next, id); err != nil {
			return err
		}
		next++
	}
	return setMeta(ctx, tx, metaNextMutation, fmt.Sprint(next))
}

// saveIssue keeps a conflict or rejection for the user to see.
func (c *Client) saveIssue(ctx context.Context, tx *sql.Tx, e *entry, r syncproto.MutationResult) (Issue, error) {
	is := Issue{MutationID: e.MutationID, UserID: e.UserID, Collection: e.Collection, RecordID: e.RecordID,
		Op: e.Op, Status: r.Status, ConflictIDs: r.ConflictIDs, Fields: e.Fields, At: c.now()}
	if r.Error != nil {
		is.Code, is.Message = r.Error.Code, r.Error.Message
	}
	if is.ConflictIDs == nil && r.ConflictID != "" {
		is.ConflictIDs = []string{r.ConflictID}
	}
	ids, _ := json.Marshal(is.ConflictIDs)
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO issues (mutation_id, user_id, collection, record_id, op, status,
		code, message, conflict_ids, fields, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		is.MutationID, is.UserID, is.Collection, is.RecordID, is.Op, is.Status, is.Code, is.Message, string(ids),
		encodeFields(is.Fields), c.nowString())
	return is, err
}
