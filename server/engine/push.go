package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Push applies a device's mutations in order, exactly once each, in one
// transaction. Per-mutation problems become results; only internal errors
// fail the whole push. One push applies at most Limits.PushWork new
// mutations for at most Limits.PushTime: the rest are answered as not
// processed (Incomplete) and the device pushes them again.
func (e *Engine) Push(ctx context.Context, a *server.Actor, req *syncproto.PushRequest) (*syncproto.PushResponse, error) {
	if !rules.ValidDeviceID(req.DeviceID) {
		return nil, server.Errorf(syncproto.CodeValidation, "device_id must be 1–128 characters of letters, digits and . _ : @ -")
	}
	resp := &syncproto.PushResponse{Results: make([]syncproto.MutationResult, 0, len(req.Mutations))}
	lim := e.limits()
	err := e.write(ctx, a, func(t *txn) error {
		resp.Results, resp.Incomplete = resp.Results[:0], false
		last, err := t.tx.DeviceLast(req.DeviceID, a.UserID)
		if err != nil {
			return err
		}
		if err := t.tx.Prefetch(req.Mutations); err != nil {
			return err
		}
		start, deadline, work := last, e.now().Add(lim.PushTime), 0
		for i := range req.Mutations {
			m := &req.Mutations[i]
			if isNew(m, last) && (work >= lim.PushWork || (work > 0 && !e.now().Before(deadline))) {
				resp.Incomplete = true
			}
			if resp.Incomplete && isNew(m, last) {
				resp.Results = append(resp.Results, notProcessed(m, last))
				continue
			}
			res, applied, err := t.pushOne(req.DeviceID, m, last)
			if err != nil {
				return err
			}
			resp.Results = append(resp.Results, res)
			if applied {
				last, work = m.MutationID, work+1
			}
		}
		resp.LastMutationID = last
		if last != start {
			if err := t.tx.SetDeviceLast(req.DeviceID, a.UserID, last, t.now); err != nil {
				return fmt.Errorf("advance device: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// isNew reports whether m would be applied now (not a replay, not refused
// for its id).
func isNew(m *syncproto.Mutation, last int64) bool {
	return m.MutationID > last && m.MutationID <= syncproto.MaxMutationID
}

// notProcessed answers a mutation the push's budget left out. Clients
// already push a mutation answered mutation_id_not_increasing again; it is
// neither logged nor audited, and the device's counter stays at last.
func notProcessed(m *syncproto.Mutation, last int64) syncproto.MutationResult {
	return syncproto.MutationResult{MutationID: m.MutationID, Status: syncproto.StatusRejected,
		Error: &syncproto.ResultError{Code: syncproto.CodeMutationOutOfOrder,
			Message: fmt.Sprintf("not processed: this push reached the server's budget after mutation %d; push it again", last)}}
}

// pushOne answers one mutation: refused when its id is out of range, from
// the log when the device pushed it before, else applied now.
func (t *txn) pushOne(device string, m *syncproto.Mutation, last int64) (syncproto.MutationResult, bool, error) {
	switch {
	case m.MutationID > syncproto.MaxMutationID:
		return syncproto.MutationResult{MutationID: m.MutationID, Status: syncproto.StatusRejected,
			Error: &syncproto.ResultError{Code: syncproto.CodeMutationOutOfOrder,
				Message: fmt.Sprintf("mutation_id must be at most %d", syncproto.MaxMutationID)}}, false, nil
	case m.MutationID <= last:
		res, err := t.replay(device, m, last)
		return res, false, err
	}
	res, err := t.applyLogged(device, m)
	if err != nil {
		return res, false, fmt.Errorf("apply mutation %d: %w", m.MutationID, err)
	}
	return res, true, nil
}

// replay answers a mutation id the device already pushed with its stored
// result.
func (t *txn) replay(device string, m *syncproto.Mutation, last int64) (syncproto.MutationResult, error) {
	stored, ok := t.results[m.MutationID] // pushed earlier in this batch
	if !ok {
		var err error
		stored, ok, err = t.tx.LoggedResult(device, t.a.UserID, m.MutationID)
		if err != nil {
			return syncproto.MutationResult{}, fmt.Errorf("find stored result: %w", err)
		}
		if !ok {
			return syncproto.MutationResult{MutationID: m.MutationID, Status: syncproto.StatusRejected,
				Error: &syncproto.ResultError{Code: syncproto.CodeMutationOutOfOrder,
					Message: fmt.Sprintf("mutation_id %d is not above the device's last applied id %d", m.MutationID, last)}}, nil
		}
	}
	var res syncproto.MutationResult
	if err := json.Unmarshal(stored, &res); err != nil {
		return res, fmt.Errorf("decode stored result: %w", err)
	}
	res.Replayed = true
	return res, nil
}

// applyLogged applies one new mutation and records its result.
func (t *txn) applyLogged(device string, m *syncproto.Mutation) (syncproto.MutationResult, error) {
	t.m = m
	defer func() { t.m = nil }()
	sent := *m // apply may replace m.Fields (alias references); the log keeps what was sent
	var res syncproto.MutationResult
	var unit string
	err := t.guarded(func() error {
		var err error
		res, unit, err = t.apply(m)
		return err
	})
	if err != nil && server.ErrorCode(err) == "" {
		return res, err
	}
	if err != nil {
		res = syncproto.MutationResult{MutationID: m.MutationID, Status: syncproto.StatusRejected,
			Error: &syncproto.ResultError{Code: server.ErrorCode(err), Message: server.ErrorMessage(err)}}
		unit = t.a.UnitID // kept for review by the pusher's unit and those above it
		if aerr := t.tx.AppendAudit(server.AuditEntry{At: t.now, ActorID: t.a.UserID, DeviceID: device, Action: "mutation.rejected",
			ObjectType: m.Collection, ObjectID: m.ID, Detail: map[string]any{"mutation_id": m.MutationID,
				"code": res.Error.Code, "message": res.Error.Message}}); aerr != nil {
			return res, aerr
		}
	}
	res.MutationID = m.MutationID
	err = t.logMutation(device, &sent, &res, unit)
	return res, err
}

func (t *txn) logMutation(device string, m *syncproto.Mutation, res *syncproto.MutationResult, unit string) error {
	keep := false
	if res.Status == syncproto.StatusRejected || res.Status == syncproto.StatusConflict {
		var err error
		if keep, err = t.keepPayload(m, res); err != nil {
			return err
		}
	}
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	entry := server.MutationLogEntry{DeviceID: device, MutationID: m.MutationID, UserID: t.a.UserID,
		Collection: m.Collection, RecordID: m.ID, Op: m.Op, BaseVersion: m.BaseVersion, Status: res.Status,
		UnitID: unit, Result: out, CreatedAt: t.now}
	if keep {
		// The input is kept for a person, exactly as sent.
		if entry.Payload, err = json.Marshal(m); err != nil {
			return err
		}
	}
	if res.Error != nil {
		entry.ErrorCode = res.Error.Code
	}
	if t.results == nil {
		t.results = map[int64][]byte{}
	}
	t.results[m.MutationID] = out
	return t.tx.LogMutation(entry)
}
