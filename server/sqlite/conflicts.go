package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// recordConflictFor stores a conflict about r (which may not exist yet) and
// returns its id. It does not touch the record.
func (p *pushTx) recordConflictFor(r *record, kind, field string, serverVal, clientVal json.RawMessage, detail string) (string, error) {
	id := p.db.NewID()
	op, base, mid := syncproto.OpUpsert, int64(0), int64(0)
	if p.m != nil {
		op, base, mid = p.m.Op, p.m.BaseVersion, p.m.MutationID
	}
	if len(serverVal) == 0 {
		serverVal = json.RawMessage("null")
	}
	if len(clientVal) == 0 {
		clientVal = json.RawMessage("null")
	}
	_, err := p.ExecContext(p.ctx, `INSERT INTO conflicts (id, kind, collection, record_id, field, server_value, client_value,
		base_version, op, detail, device_id, user_id, mutation_id, unit_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, kind, r.Collection, r.ID, field, string(serverVal), string(clientVal), base, op, detail,
		p.a.DeviceID, p.a.UserID, mid, r.UnitID, p.now)
	if err != nil {
		return "", fmt.Errorf("insert conflict: %w", err)
	}
	return id, p.audit.append(p.ctx, server.AuditEntry{ActorID: p.a.UserID, DeviceID: p.a.DeviceID, Action: "conflict.create",
		ObjectType: r.Collection, ObjectID: r.ID, Detail: map[string]any{"conflict_id": id, "kind": kind, "field": field,
			"server_value": serverVal, "client_value": clientVal, "mutation_id": mid}})
}

// recordConflict stores a conflict about a stored record and refreshes the
// record's open-conflict count (a meta change: the record gets a new
// version unless it already has one in this mutation). The caller saves.
func (p *pushTx) recordConflict(r *record, kind, field string, serverVal, clientVal json.RawMessage, detail string) (string, error) {
	id, err := p.recordConflictFor(r, kind, field, serverVal, clientVal, detail)
	if err != nil || !r.stored {
		return id, err
	}
	return id, p.refreshConflictCount(r)
}

func (p *pushTx) refreshConflictCount(r *record) error {
	var n int
	if err := p.QueryRowContext(p.ctx, `SELECT count(*) FROM conflicts WHERE collection = ? AND record_id = ? AND status = 'open'`,
		r.Collection, r.ID).Scan(&n); err != nil {
		return fmt.Errorf("count conflicts: %w", err)
	}
	r.Meta.OpenConflicts = n
	if r.Version == r.oldVersion {
		r.Version = p.nextVersion()
	}
	return nil
}

// wholeConflict keeps a whole mutation in a conflict, applying nothing but
// the record's meta.
func (p *pushTx) wholeConflict(res syncproto.MutationResult, cur *record, kind, field string, serverVal, clientVal json.RawMessage, detail string) (syncproto.MutationResult, string, error) {
	cid, err := p.recordConflict(cur, kind, field, serverVal, clientVal, detail)
	if err != nil {
		return res, "", err
	}
	if cur.stored {
		if err := p.save(cur); err != nil {
			return res, "", err
		}
	}
	return p.conflictResult(res, cur, cid), cur.UnitID, nil
}

const conflictCols = `id, kind, collection, record_id, field, server_value, client_value, base_version, op, detail,
	device_id, user_id, created_at, status, coalesce(resolution, ''), coalesce(resolved_by, ''), coalesce(resolved_at, ''),
	coalesce(version_after, 0), unit_id`

func scanConflict(sc interface{ Scan(...any) error }) (*syncproto.Conflict, string, error) {
	var c syncproto.Conflict
	var sv, cv, resolution, unit string
	err := sc.Scan(&c.ID, &c.Kind, &c.Collection, &c.RecordID, &c.Field, &sv, &cv, &c.BaseVersion, &c.Op, &c.Detail,
		&c.DeviceID, &c.UserID, &c.CreatedAt, &c.Status, &resolution, &c.ResolvedBy, &c.ResolvedAt, &c.Version, &unit)
	if err != nil {
		return nil, "", err
	}
	c.ServerValue, c.ClientValue = json.RawMessage(sv), json.RawMessage(cv)
	if resolution != "" {
		c.Resolution = json.RawMessage(resolution)
	}
	return &c, unit, nil
}

// ListConflicts lists conflicts in the actor's subtree with the given status
// ("open", "resolved" or "all"), oldest first (conflict ids are ULIDs), at
// most limit of them after the id after. A conflict that points at a
// household outside the actor's subtree (a person or a head registered in
// another jurisdiction) says so without naming that household.
func (db *DB) ListConflicts(ctx context.Context, a *server.Actor, status, after string, limit int) ([]syncproto.Conflict, error) {
	out := []syncproto.Conflict{}
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+conflictCols+` FROM conflicts c
			WHERE (? = 'all' OR c.status = ?) AND c.unit_id IN (SELECT id FROM units WHERE substr(path, 1, length(?)) = ?)
			AND c.id > ? ORDER BY c.id LIMIT ?`, status, status, a.UnitPath, a.UnitPath, after, limit)
		if err != nil {
			return fmt.Errorf("list conflicts: %w", err)
		}
		for rows.Next() {
			c, _, err := scanConflict(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, *c)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for i := range out {
			if err := maskForeignHousehold(ctx, tx, a, &out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// foreignValue replaces a server value naming a household the reader may
// not see.
var foreignValue = json.RawMessage(`{"outside_jurisdiction":true}`)

func maskForeignHousehold(ctx context.Context, q querier, a *server.Actor, c *syncproto.Conflict) error {
	if c.Kind != syncproto.KindPersonInTwoHouseholds && c.Kind != syncproto.KindDuplicateHousehold {
		return nil
	}
	var ref struct {
		HouseholdID string `json:"household_id"`
	}
	if json.Unmarshal(c.ServerValue, &ref) != nil || ref.HouseholdID == "" {
		return nil
	}
	var path string
	err := q.QueryRowContext(ctx, `SELECT u.path FROM records r JOIN units u ON u.id = r.unit_id
		WHERE r.collection = 'households' AND r.id = ?`, ref.HouseholdID).Scan(&path)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("conflict household scope: %w", err)
	}
	if err != nil || !a.Covers(path) {
		c.ServerValue = foreignValue
	}
	return nil
}

// ResolveConflict applies a person's decision on a conflict as a new
// version. Codes: not_found, forbidden, out_of_scope,
// conflict_already_resolved, invalid_choice, plus the codes of a push when
// the chosen value is itself invalid or collides again.
func (db *DB) ResolveConflict(ctx context.Context, a *server.Actor, id string, req syncproto.ResolveRequest) (*syncproto.Conflict, error) {
	if !a.HasAny(syncproto.RoleTownshipReviewer, syncproto.RoleVillageWorker) {
		return nil, server.Errorf(syncproto.CodeForbidden, "conflicts are resolved by township reviewers and the record's village workers")
	}
	var out *syncproto.Conflict
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		c, unit, err := scanConflict(tx.QueryRowContext(ctx, `SELECT `+conflictCols+` FROM conflicts WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return server.Errorf(syncproto.CodeNotFound, "no conflict %q", id)
		}
		if err != nil {
			return fmt.Errorf("find conflict: %w", err)
		}
		p, err := db.beginPush(ctx, tx, a)
		if err != nil {
			return err
		}
		defer p.close()
		if !p.covers(unit) {
			return server.Errorf(syncproto.CodeNotFound, "no conflict %q", id)
		}
		if c.Status != syncproto.ConflictOpen {
			return server.Errorf(syncproto.CodeConflictResolved, "the conflict was already resolved")
		}
		version, err := p.resolve(c, req)
		if err != nil {
			return err
		}
		if err := p.closeConflict(c, req, version); err != nil {
			return err
		}
		out = c
		return p.finish()
	})
	return out, err
}

// resolve applies the decision and returns the record's version after it.
func (p *pushTx) resolve(c *syncproto.Conflict, req syncproto.ResolveRequest) (int64, error) {
	choice := req.Choice
	switch {
	case len(req.Value) > 0 && choice == "":
		if c.Field == "" || c.Kind == syncproto.KindPersonInTwoHouseholds {
			return 0, server.Errorf(syncproto.CodeInvalidChoice, "this conflict takes a choice, not a value")
		}
		if err := rules.ValidateField(c.Collection, c.Field, req.Value); err != nil {
			return 0, err
		}
	case choice == syncproto.ChoiceServer:
		return p.currentVersion(c)
	case choice == syncproto.ChoiceClient:
	default:
		return 0, server.Errorf(syncproto.CodeInvalidChoice, `give "choice": "server" or "client", or a "value"`)
	}
	m, err := p.resolutionMutation(c, req)
	if err != nil {
		return 0, err
	}
	p.m = m
	res, _, err := p.apply(m)
	if err != nil {
		return 0, err
	}
	if res.Status == syncproto.StatusConflict {
		return 0, server.Errorf(c.Kind, "the chosen value collides again (%s); nothing was applied", res.Status)
	}
	return res.Version, nil
}

// resolutionMutation builds the mutation that carries the chosen value, based
// on the record's current version so that it cannot conflict by itself.
func (p *pushTx) resolutionMutation(c *syncproto.Conflict, req syncproto.ResolveRequest) (*syncproto.Mutation, error) {
	cur, err := p.get(c.Collection, c.RecordID)
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
			if err := p.undelete(cur); err != nil {
				return nil, err
			}
			m.BaseVersion = cur.Version
		}
	}
	return m, nil
}

// undelete revives a deleted record so that a kept edit can be applied.
func (p *pushTx) undelete(r *record) error {
	r.Deleted = false
	r.Version = p.nextVersion()
	r.DedupeKey = dedupeKey(r)
	if r.Collection == syncproto.CollHouseholds {
		other, err := p.liveByKey(r.Collection, r.DedupeKey, r.ID)
		if err != nil {
			return err
		}
		if other != nil {
			return server.Errorf(syncproto.CodeDuplicateHousehold, "another live household has this head")
		}
		if err := p.checkMembersUnique(r); err != nil {
			return err
		}
	}
	return p.save(r)
}

// checkMembersUnique refuses to revive a household one of whose live
// members is, meanwhile, a live member of another live household (拆户拼户).
func (p *pushTx) checkMembersUnique(hh *record) error {
	var n int
	err := p.QueryRowContext(p.ctx, `SELECT count(*) FROM records m WHERE m.collection = 'members' AND m.household_id = ?
		AND m.deleted = 0 AND m.dedupe_key != '' AND EXISTS (SELECT 1 FROM records o WHERE o.collection = 'members'
			AND o.dedupe_key = m.dedupe_key AND o.deleted = 0 AND o.household_id != m.household_id
			AND o.household_id IN (SELECT id FROM records WHERE collection = 'households' AND deleted = 0))`, hh.ID).Scan(&n)
	if err != nil {
		return fmt.Errorf("members of %s: %w", hh.ID, err)
	}
	if n > 0 {
		return server.Errorf(syncproto.CodePersonInTwoHouses, "a member of this household is now a member of another household")
	}
	return nil
}

func (p *pushTx) currentVersion(c *syncproto.Conflict) (int64, error) {
	cur, err := p.get(c.Collection, c.RecordID)
	if err != nil || cur == nil {
		return 0, err
	}
	return cur.Version, nil
}

// closeConflict marks the conflict resolved, refreshes the record's
// open-conflict count and audits the decision.
func (p *pushTx) closeConflict(c *syncproto.Conflict, req syncproto.ResolveRequest, version int64) error {
	resolution := mustJSON(req)
	if _, err := p.ExecContext(p.ctx, `UPDATE conflicts SET status = 'resolved', resolution = ?, resolved_by = ?,
		resolved_at = ?, version_after = ? WHERE id = ?`, string(resolution), p.a.UserID, p.now, version, c.ID); err != nil {
		return fmt.Errorf("close conflict: %w", err)
	}
	cur, err := p.get(c.Collection, c.RecordID)
	if err != nil {
		return err
	}
	if cur != nil {
		if err := p.refreshConflictCount(cur); err != nil {
			return err
		}
		if err := p.save(cur); err != nil {
			return err
		}
		version = cur.Version
	}
	c.Status, c.Resolution, c.ResolvedBy, c.ResolvedAt, c.Version = syncproto.ConflictResolved, resolution, p.a.UserID, p.now, version
	return p.audit.append(p.ctx, server.AuditEntry{ActorID: p.a.UserID, DeviceID: p.a.DeviceID, Action: "conflict.resolve",
		ObjectType: c.Collection, ObjectID: c.RecordID, Detail: map[string]any{"conflict_id": c.ID, "kind": c.Kind,
			"field": c.Field, "resolution": resolution, "version": version}})
}
