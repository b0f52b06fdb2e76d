package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// recordConflictFor stores a conflict about r (which may not exist yet) and
// returns its id. It does not touch the record.
func (t *txn) recordConflictFor(r *server.Record, kind, field string, serverVal, clientVal json.RawMessage, detail string) (string, error) {
	id := t.e.NewID()
	op, base, mid := syncproto.OpUpsert, int64(0), int64(0)
	if t.m != nil {
		op, base, mid = t.m.Op, t.m.BaseVersion, t.m.MutationID
	}
	if len(serverVal) == 0 {
		serverVal = json.RawMessage("null")
	}
	if len(clientVal) == 0 {
		clientVal = json.RawMessage("null")
	}
	t.wrote = true
	c := &server.StoredConflict{Conflict: syncproto.Conflict{ID: id, Kind: kind, Collection: r.Collection, RecordID: r.ID,
		Field: field, ServerValue: serverVal, ClientValue: clientVal, BaseVersion: base, Op: op, Detail: detail,
		DeviceID: t.a.DeviceID, UserID: t.a.UserID, CreatedAt: t.now.Format(time.RFC3339Nano), Status: syncproto.ConflictOpen},
		MutationID: mid, UnitID: r.UnitID}
	if err := t.tx.AddConflict(c); err != nil {
		return "", fmt.Errorf("insert conflict: %w", err)
	}
	return id, t.audit("conflict.create", r.Collection, r.ID, map[string]any{"conflict_id": id, "kind": kind, "field": field,
		"server_value": serverVal, "client_value": clientVal, "mutation_id": mid})
}

// recordConflict stores a conflict about a stored record and refreshes the
// record's open-conflict count (a meta change: the record gets a new
// version unless it already has one in this mutation). The caller saves.
func (t *txn) recordConflict(r *server.Record, kind, field string, serverVal, clientVal json.RawMessage, detail string) (string, error) {
	id, err := t.recordConflictFor(r, kind, field, serverVal, clientVal, detail)
	if err != nil || !r.Stored {
		return id, err
	}
	return id, t.refreshConflictCount(r)
}

func (t *txn) refreshConflictCount(r *server.Record) error {
	n, err := t.tx.OpenConflicts(r.Collection, r.ID)
	if err != nil {
		return fmt.Errorf("count conflicts: %w", err)
	}
	r.Meta.OpenConflicts = n
	if r.Version == r.OldVersion {
		return t.bump(r)
	}
	return nil
}

// wholeConflict keeps a whole mutation in a conflict, applying nothing but
// the record's meta.
func (t *txn) wholeConflict(res syncproto.MutationResult, cur *server.Record, kind, field string, serverVal, clientVal json.RawMessage, detail string) (syncproto.MutationResult, string, error) {
	cid, err := t.recordConflict(cur, kind, field, serverVal, clientVal, detail)
	if err != nil {
		return res, "", err
	}
	if cur.Stored {
		if err := t.save(cur); err != nil {
			return res, "", err
		}
	}
	return t.conflictResult(res, cur, cid), cur.UnitID, nil
}

// ListConflicts lists conflicts in the actor's subtree with the given status
// ("open", "resolved" or "all"), oldest first (conflict ids are ULIDs), at
// most limit of them after the id after. A conflict that points at a
// household outside the actor's subtree (a person or a head registered in
// another jurisdiction) says so without naming that household.
func (e *Engine) ListConflicts(ctx context.Context, a *server.Actor, status, after string, limit int) ([]syncproto.Conflict, error) {
	out := []syncproto.Conflict{}
	err := e.read(ctx, a, func(t *txn) error {
		list, err := t.tx.Conflicts(a.UnitPath, status, after, limit)
		if err != nil {
			return fmt.Errorf("list conflicts: %w", err)
		}
		for i := range list {
			if err := t.maskForeignHousehold(&list[i].Conflict); err != nil {
				return err
			}
			maskConflict(a, &list[i].Conflict)
			out = append(out, list[i].Conflict)
		}
		return nil
	})
	return out, err
}

// foreignValue replaces a server value naming a household the reader may
// not see.
var foreignValue = json.RawMessage(`{"outside_jurisdiction":true}`)

func (t *txn) maskForeignHousehold(c *syncproto.Conflict) error {
	if c.Kind != syncproto.KindPersonInTwoHouseholds && c.Kind != syncproto.KindDuplicateHousehold {
		return nil
	}
	var ref struct {
		HouseholdID string `json:"household_id"`
	}
	if json.Unmarshal(c.ServerValue, &ref) != nil || ref.HouseholdID == "" {
		return nil
	}
	hh, err := t.get(syncproto.CollHouseholds, ref.HouseholdID)
	if err != nil {
		return fmt.Errorf("conflict household scope: %w", err)
	}
	if hh == nil || !t.covers(hh.UnitID) {
		c.ServerValue = foreignValue
	}
	return nil
}

// ResolveConflict applies a person's decision on a conflict as a new
// version. Codes: not_found, forbidden, out_of_scope,
// conflict_already_resolved, invalid_choice, plus the codes of a push when
// the chosen value is itself invalid or collides again.
func (e *Engine) ResolveConflict(ctx context.Context, a *server.Actor, id string, req syncproto.ResolveRequest) (*syncproto.Conflict, error) {
	if !a.HasAny(server.ResolverRoles...) {
		return nil, server.Errorf(syncproto.CodeForbidden, "conflicts are resolved by township reviewers and the record's village workers")
	}
	var out *syncproto.Conflict
	err := e.write(ctx, a, func(t *txn) error {
		sc, err := t.tx.Conflict(id)
		if err != nil {
			return fmt.Errorf("find conflict: %w", err)
		}
		if sc == nil || !t.covers(sc.UnitID) {
			return server.Errorf(syncproto.CodeNotFound, "no conflict %q", id)
		}
		c := &sc.Conflict
		if c.Status != syncproto.ConflictOpen {
			return server.Errorf(syncproto.CodeConflictResolved, "the conflict was already resolved")
		}
		version, err := t.resolve(c, req)
		if err != nil {
			return err
		}
		if err := t.closeConflict(sc, req, version); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// resolve applies the decision and returns the record's version after it.
func (t *txn) resolve(c *syncproto.Conflict, req syncproto.ResolveRequest) (int64, error) {
	choice := req.Choice
	switch {
	case len(req.Value) > 0 && choice == "":
		if c.Field == "" || c.Kind == syncproto.KindPersonInTwoHouseholds {
			return 0, server.Errorf(syncproto.CodeInvalidChoice, "this conflict takes a choice, not a value")
		}
		set, err := t.schemaSet()
		if err != nil {
			return 0, err
		}
		if err := rules.ValidateField(set, c.Collection, c.Field, req.Value); err != nil {
			return 0, err
		}
	case choice == syncproto.ChoiceServer:
		return t.currentVersion(c)
	case choice == syncproto.ChoiceClient:
	default:
		return 0, server.Errorf(syncproto.CodeInvalidChoice, `give "choice": "server" or "client", or a "value"`)
	}
	if err := t.checkResolutionLock(c); err != nil {
		return 0, err
	}
	m, err := t.resolutionMutation(c, req)
	if err != nil {
		return 0, err
	}
	t.m = m
	res, _, err := t.apply(m)
	if err != nil {
		return 0, err
	}
	if res.Status == syncproto.StatusConflict {
		return 0, server.Errorf(c.Kind, "the chosen value collides again (%s); nothing was applied", res.Status)
	}
	return res.Version, nil
}

// checkResolutionLock refuses, before anything is written, a resolution
// that would do what a push may not after submit: change (or revive) a
// submitted investigation, or delete a household one of whose
// investigations was submitted. The conflict may predate the submit. Code
// signed_content_locked.
func (t *txn) checkResolutionLock(c *syncproto.Conflict) error {
	cur, err := t.get(c.Collection, c.RecordID)
	if err != nil || cur == nil {
		return err
	}
	if isLocked(cur) {
		return server.Errorf(syncproto.CodeSignedContentLocked, "the investigation was submitted and is locked; keep the server's state")
	}
	if c.Op == syncproto.OpDelete && cur.Collection == syncproto.CollHouseholds && !cur.Deleted {
		return t.checkHouseholdDelete(cur)
	}
	return nil
}

// resolutionMutation builds the mutation that carries the chosen value, based
// on the record's current version so that it cannot conflict by itself.
func (t *txn) resolutionMutation(c *syncproto.Conflict, req syncproto.ResolveRequest) (*syncproto.Mutation, error) {
	cur, err := t.get(c.Collection, c.RecordID)
	if err != nil {
		return nil, err
	}
	m := &syncproto.Mutation{Collection: c.Collection, ID: c.RecordID, Op: syncproto.OpUpsert}
	if cur != nil {
		m.BaseVersion = cur.Version
	}
	switch {
	case c.Kind == syncproto.KindSignedContentLocked:
		return nil, server.Errorf(syncproto.CodeSignedContentLocked, "the investigation is submitted; its content cannot change")
	case c.Kind == syncproto.KindDuplicateHousehold && cur == nil:
		return nil, server.Errorf(syncproto.CodeDuplicateHousehold, "the head already heads another household; merge it there instead")
	case c.Op == syncproto.OpDelete:
		m.Op = syncproto.OpDelete
	case c.Field != "" && c.Kind != syncproto.KindPersonInTwoHouseholds:
		v := c.ClientValue
		if len(req.Value) > 0 {
			v = req.Value
		}
		m.Fields = map[string]json.RawMessage{c.Field: v}
	default:
		if err := json.Unmarshal(c.ClientValue, &m.Fields); err != nil {
			return nil, fmt.Errorf("decode kept payload: %w", err)
		}
		if cur != nil && cur.Deleted {
			if err := t.undelete(cur); err != nil {
				return nil, err
			}
			m.BaseVersion = cur.Version
		}
	}
	return m, nil
}

// undelete revives a deleted record so that a kept edit can be applied.
func (t *txn) undelete(r *server.Record) error {
	if err := t.bump(r); err != nil {
		return err
	}
	r.Deleted = false
	r.DedupeKey = dedupeKey(r)
	if r.Collection == syncproto.CollHouseholds {
		other, err := t.tx.LiveHousehold(r.DedupeKey, r.ID)
		if err != nil {
			return err
		}
		if other != nil {
			return server.Errorf(syncproto.CodeDuplicateHousehold, "another live household has this head")
		}
		if err := t.checkMembersUnique(r); err != nil {
			return err
		}
	}
	if err := t.save(r); err != nil {
		return err
	}
	if r.Collection == syncproto.CollInvestigations {
		return t.reflagHousehold(r.HouseholdID, r.ID) // its date counts again
	}
	return nil
}

// checkMembersUnique refuses to revive a household one of whose live
// members is, meanwhile, a live member of another live household (拆户拼户).
func (t *txn) checkMembersUnique(hh *server.Record) error {
	n, err := t.tx.MembersElsewhere(hh.ID)
	if err != nil {
		return fmt.Errorf("members of %s: %w", hh.ID, err)
	}
	if n > 0 {
		return server.Errorf(syncproto.CodePersonInTwoHouses, "a member of this household is now a member of another household")
	}
	return nil
}

func (t *txn) currentVersion(c *syncproto.Conflict) (int64, error) {
	cur, err := t.get(c.Collection, c.RecordID)
	if err != nil || cur == nil {
		return 0, err
	}
	return cur.Version, nil
}

// closeConflict marks the conflict resolved, refreshes the record's
// open-conflict count and audits the decision.
func (t *txn) closeConflict(sc *server.StoredConflict, req syncproto.ResolveRequest, version int64) error {
	c := &sc.Conflict
	resolution := mustJSON(req)
	c.Status, c.Resolution, c.ResolvedBy, c.ResolvedAt, c.Version = syncproto.ConflictResolved, resolution, t.a.UserID,
		t.now.Format(time.RFC3339Nano), version
	t.wrote = true
	if err := t.tx.CloseConflict(sc); err != nil {
		return fmt.Errorf("close conflict: %w", err)
	}
	cur, err := t.get(c.Collection, c.RecordID)
	if err != nil {
		return err
	}
	if cur != nil {
		if err := t.refreshConflictCount(cur); err != nil {
			return err
		}
		if err := t.save(cur); err != nil {
			return err
		}
		version = cur.Version
	}
	c.Version = version
	return t.audit("conflict.resolve", c.Collection, c.RecordID, map[string]any{"conflict_id": c.ID, "kind": c.Kind,
		"field": c.Field, "resolution": resolution, "version": version})
}
