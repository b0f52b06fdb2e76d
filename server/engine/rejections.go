package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// rejectionChunk is how many kept rejections one store read fetches while a
// page fills, so a page of large payloads is never loaded whole.
const rejectionChunk = 100

// ListRejections lists rejected mutations pushed by users of the actor's
// subtree, newest first, with the payload exactly as sent (when it was
// kept) and the reason: at most limit, and no more than
// Limits.PullPageBytes of kept payloads (at least one) per page.
// after is the Next of the previous page. Error code bad_request for a
// malformed cursor.
func (e *Engine) ListRejections(ctx context.Context, a *server.Actor, after string, limit int) (*syncproto.RejectionList, error) {
	if limit <= 0 || limit > syncproto.MaxRejectionLimit {
		limit = syncproto.DefaultRejectionLimit
	}
	key, err := parseRejectionCursor(after)
	if err != nil {
		return nil, err
	}
	page := &syncproto.RejectionList{Rejections: []syncproto.Rejection{}}
	err = e.Store.Read(ctx, func(tx server.Tx) error {
		page.Rejections, page.Next = page.Rejections[:0], ""
		return fillRejections(tx, a.UnitPath, key, limit, e.limits().PullPageBytes, page)
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// fillRejections reads chunks after key until the page holds limit
// rejections or its bytes run out; Next is set when more may follow.
func fillRejections(tx server.Tx, path string, key *server.RejectionKey, limit, maxBytes int, page *syncproto.RejectionList) error {
	size := 0
	for {
		n := min(rejectionChunk, limit-len(page.Rejections)+1)
		rows, err := tx.Rejections(path, key, n)
		if err != nil {
			return fmt.Errorf("list rejections: %w", err)
		}
		for i := range rows {
			row := &rows[i]
			if len(page.Rejections) == limit || (len(page.Rejections) > 0 && size+len(row.Payload) > maxBytes) {
				page.Next = rejectionCursor(key)
				return nil
			}
			r, err := rejectionOf(row)
			if err != nil {
				return err
			}
			page.Rejections = append(page.Rejections, r)
			size += len(row.Payload) + len(row.Result)
			key = &server.RejectionKey{CreatedAt: row.CreatedAt, DeviceID: row.DeviceID, UserID: row.UserID, MutationID: row.MutationID}
		}
		if len(rows) < n {
			return nil // the store has no more
		}
	}
}

// rejectionOf turns a logged rejection into its wire form; a dropped
// payload leaves the mutation's logged identity only.
func rejectionOf(row *server.MutationLogEntry) (syncproto.Rejection, error) {
	r := syncproto.Rejection{DeviceID: row.DeviceID, UserID: row.UserID,
		RejectedAt: row.CreatedAt.UTC().Format(time.RFC3339Nano)}
	var res syncproto.MutationResult
	if err := json.Unmarshal(row.Result, &res); err != nil {
		return r, fmt.Errorf("decode kept result: %w", err)
	}
	r.Error, r.PayloadDropped = res.Error, res.PayloadDropped
	if row.Payload == nil {
		r.Mutation = syncproto.Mutation{MutationID: row.MutationID, Collection: row.Collection, ID: row.RecordID,
			Op: row.Op, BaseVersion: row.BaseVersion}
		if r.PayloadDropped == "" {
			r.PayloadDropped = syncproto.DropRejectedQuota
		}
		return r, nil
	}
	if err := json.Unmarshal(row.Payload, &r.Mutation); err != nil {
		return r, fmt.Errorf("decode kept payload: %w", err)
	}
	return r, nil
}

// rejectionCursor encodes a listing position as an opaque after= value.
func rejectionCursor(k *server.RejectionKey) string {
	s := fmt.Sprintf("%s|%s|%s|%d", k.CreatedAt.UTC().Format(time.RFC3339Nano), k.DeviceID, k.UserID, k.MutationID)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func parseRejectionCursor(s string) (*server.RejectionKey, error) {
	if s == "" {
		return nil, nil
	}
	bad := server.Errorf(syncproto.CodeBadRequest, "after is not a cursor from a rejections page")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 1024 {
		return nil, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 {
		return nil, bad
	}
	at, err1 := time.Parse(time.RFC3339Nano, parts[0])
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, bad
	}
	return &server.RejectionKey{CreatedAt: at.UTC(), DeviceID: parts[1], UserID: parts[2], MutationID: id}, nil
}

// rejectedQuota is a user's count of kept rejected payloads on one UTC day,
// kept in settings under quotaKey.
type rejectedQuota struct {
	day  string
	kept int
}

func quotaKey(user string) string { return "rejected_payloads/" + user }

// keepPayload reports whether a rejected or conflicting mutation's payload
// is kept for review, and sets res.PayloadDropped when it is not: a role
// that may not write the collection never has one kept (nobody could act
// on it), and a user keeps at most Limits.RejectedPayloadsPerDay a UTC day.
func (t *txn) keepPayload(m *syncproto.Mutation, res *syncproto.MutationResult) (bool, error) {
	if !t.a.HasAny(server.WriteRoles[m.Collection]...) {
		res.PayloadDropped = syncproto.DropNotWritable
		return false, nil
	}
	day := t.now.UTC().Format(time.DateOnly)
	if t.quota == nil || t.quota.day != day {
		q, err := t.loadQuota(day)
		if err != nil {
			return false, err
		}
		t.quota = q
	}
	if t.quota.kept >= t.e.limits().RejectedPayloadsPerDay {
		res.PayloadDropped = syncproto.DropRejectedQuota
		return false, nil
	}
	t.quota.kept++
	if err := t.tx.SetSetting(quotaKey(t.a.UserID), fmt.Sprintf("%s %d", day, t.quota.kept)); err != nil {
		return false, fmt.Errorf("count kept payload: %w", err)
	}
	return true, nil
}

// loadQuota reads the user's count for day (0 when the stored one is of
// another day).
func (t *txn) loadQuota(day string) (*rejectedQuota, error) {
	q := &rejectedQuota{day: day}
	s, ok, err := t.tx.Setting(quotaKey(t.a.UserID))
	if err != nil {
		return nil, fmt.Errorf("read payload quota: %w", err)
	}
	if d, n, found := strings.Cut(s, " "); ok && found && d == day {
		q.kept, _ = strconv.Atoi(n)
	}
	return q, nil
}
