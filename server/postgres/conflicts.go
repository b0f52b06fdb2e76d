package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// CanonicalID follows an alias; id itself when it is none. A transaction
// asks once whether there is any alias at all, and remembers each answer.
func (t *tx) CanonicalID(collection, id string) (string, error) {
	k := recKey{collection, id}
	if c, ok := t.aliases[k]; ok {
		return c, nil
	}
	if err := t.loadNoAliases(); err != nil || t.noAliases {
		return id, err
	}
	counties, err := t.counties()
	if err != nil {
		return "", err
	}
	canon := id
	err = t.pg.QueryRow(t.ctx, `SELECT canonical_id FROM aliases WHERE county_id = ANY($1) AND collection = $2
		AND alias_id = $3`, counties, collection, id).Scan(&canon)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("find alias: %w", err)
	}
	t.aliases[k] = canon
	return canon, nil
}

func (t *tx) loadNoAliases() error {
	if t.aliasesKnown {
		return nil
	}
	counties, err := t.counties()
	if err != nil {
		return err
	}
	var any bool
	if err := t.pg.QueryRow(t.ctx, `SELECT EXISTS (SELECT 1 FROM aliases WHERE county_id = ANY($1))`,
		counties).Scan(&any); err != nil {
		return fmt.Errorf("aliases: %w", err)
	}
	t.aliasesKnown, t.noAliases = true, !any
	return nil
}

// AddAlias records that alias (a device's id) stands for canonical.
func (t *tx) AddAlias(collection, alias, canonical string) error {
	err := t.insert("add alias", `INSERT INTO aliases (county_id, collection, alias_id, canonical_id, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, t.county, collection, alias, canonical, t.now)
	if err == nil {
		t.aliases[recKey{collection, alias}], t.aliasesKnown, t.noAliases = canonical, true, false
	}
	return err
}

// AddScopeExit records that a record left unit fromUnit at version.
func (t *tx) AddScopeExit(version int64, collection, id, fromUnit string) error {
	return t.insert("add scope exit", `INSERT INTO scope_exits (county_id, version, collection, id, from_unit_id)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, t.county, version, collection, id, fromUnit)
}

// AddConflict stores a new conflict (ErrExists when its id is taken). It
// fills in CreatedAt and Status when they are empty.
func (t *tx) AddConflict(c *server.StoredConflict) error {
	if c.CreatedAt == "" {
		c.CreatedAt = t.now.Format(time.RFC3339Nano)
	}
	if c.Status == "" {
		c.Status = syncproto.ConflictOpen
	}
	return t.insert("add conflict", `INSERT INTO conflicts (county_id, id, kind, collection, record_id, field,
		server_value, client_value, client_household, base_version, op, detail, device_id, user_id, mutation_id,
		unit_id, status, resolution, resolved_by, resolved_at, version_after, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT DO NOTHING`,
		t.county, c.ID, c.Kind, c.Collection, c.RecordID, c.Field, jsonOrNull(c.ServerValue), jsonOrNull(c.ClientValue),
		clientHousehold(c.ClientValue), c.BaseVersion, c.Op, c.Detail, c.DeviceID, c.UserID, c.MutationID,
		c.UnitID, c.Status, nullJSON(c.Resolution), nullString(c.ResolvedBy), nullString(c.ResolvedAt),
		nullInt(c.Version), c.CreatedAt)
}

const conflictCols = `c.id, c.kind, c.collection, c.record_id, c.field, c.server_value, c.client_value, c.base_version,
	c.op, c.detail, c.device_id, c.user_id, c.created_at, c.status, coalesce(c.resolution, ''),
	coalesce(c.resolved_by, ''), coalesce(c.resolved_at, ''), coalesce(c.version_after, 0), c.mutation_id, c.unit_id`

func scanConflict(row pgx.CollectableRow) (server.StoredConflict, error) {
	var c server.StoredConflict
	var sv, cv, resolution string
	err := row.Scan(&c.ID, &c.Kind, &c.Collection, &c.RecordID, &c.Field, &sv, &cv, &c.BaseVersion, &c.Op, &c.Detail,
		&c.DeviceID, &c.UserID, &c.CreatedAt, &c.Status, &resolution, &c.ResolvedBy, &c.ResolvedAt, &c.Version,
		&c.MutationID, &c.UnitID)
	c.ServerValue, c.ClientValue = json.RawMessage(sv), json.RawMessage(cv)
	if resolution != "" {
		c.Resolution = json.RawMessage(resolution)
	}
	return c, err
}

// Conflict loads one conflict; nil when none.
func (t *tx) Conflict(id string) (*server.StoredConflict, error) {
	counties, err := t.counties()
	if err != nil {
		return nil, err
	}
	rows, err := t.pg.Query(t.ctx, `SELECT `+conflictCols+` FROM conflicts c WHERE c.county_id = ANY($1) AND c.id = $2`,
		counties, id)
	if err != nil {
		return nil, fmt.Errorf("find conflict: %w", err)
	}
	cs, err := pgx.CollectRows(rows, scanConflict)
	if err != nil || len(cs) == 0 {
		return nil, wrap("find conflict", err)
	}
	return &cs[0], nil
}

// Conflicts lists the conflicts of units under path with status ("open",
// "resolved", "all"), by id, at most limit after id after.
func (t *tx) Conflicts(path, status, after string, limit int) ([]server.StoredConflict, error) {
	counties, err := t.pathCounties(path)
	if err != nil {
		return nil, err
	}
	rows, err := t.pg.Query(t.ctx, `SELECT `+conflictCols+` FROM conflicts c WHERE c.county_id = ANY($1)
		AND ($2 = 'all' OR c.status = $2) AND c.id > $3
		AND c.unit_id IN (SELECT u.id FROM units u WHERE u.county_id = c.county_id AND starts_with(u.path, $4))
		ORDER BY c.id LIMIT $5`, counties, status, after, path, limit)
	if err != nil {
		return nil, fmt.Errorf("list conflicts: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanConflict)
	if out == nil {
		out = []server.StoredConflict{}
	}
	return out, wrap("list conflicts", err)
}

// OpenConflicts counts the open conflicts about a record.
func (t *tx) OpenConflicts(collection, id string) (int, error) {
	counties, err := t.counties()
	if err != nil {
		return 0, err
	}
	var n int
	err = t.pg.QueryRow(t.ctx, `SELECT count(*) FROM conflicts WHERE county_id = ANY($1) AND collection = $2
		AND record_id = $3 AND status = 'open'`, counties, collection, id).Scan(&n)
	return n, wrap("count conflicts", err)
}

// CloseConflict stores a conflict's resolution: status resolved, with
// Resolution, ResolvedBy, ResolvedAt (now when empty) and Version.
func (t *tx) CloseConflict(c *server.StoredConflict) error {
	if c.ResolvedAt == "" {
		c.ResolvedAt = t.now.Format(time.RFC3339Nano)
	}
	c.Status = syncproto.ConflictResolved
	n, err := t.exec("close conflict", `UPDATE conflicts SET status = 'resolved', resolution = $3, resolved_by = $4,
		resolved_at = $5, version_after = $6 WHERE county_id = $1 AND id = $2`,
		t.county, c.ID, nullJSON(c.Resolution), c.ResolvedBy, c.ResolvedAt, c.Version)
	if err == nil && n == 0 {
		return fmt.Errorf("close conflict: no conflict %q in county %q", c.ID, t.county)
	}
	return err
}

// MoveRecordConflicts files the conflicts about a record under unit.
func (t *tx) MoveRecordConflicts(collection, id, unit string) error {
	_, err := t.exec("move conflicts", `UPDATE conflicts SET unit_id = $2 WHERE county_id = $1 AND collection = $3
		AND record_id = $4`, t.county, unit, collection, id)
	return err
}

// MoveHouseholdConflicts files under unit the conflicts about the records
// of household and those keeping a never-created member of it.
func (t *tx) MoveHouseholdConflicts(household, unit string) error {
	if err := t.flush(); err != nil {
		return err
	}
	_, err := t.exec("move household conflicts", `UPDATE conflicts c SET unit_id = $2 WHERE c.county_id = $1 AND (
		(c.collection, c.record_id) IN (SELECT r.collection, r.id FROM records r WHERE r.county_id = $1
			AND r.household_id = $3)
		OR (c.kind = 'person_in_two_households' AND c.client_household = $3
			AND NOT EXISTS (SELECT 1 FROM records r WHERE r.county_id = c.county_id AND r.collection = c.collection
				AND r.id = c.record_id)))`, t.county, unit, household)
	return err
}

// clientHousehold is the string household_id of a client value, "" when
// it has none.
func clientHousehold(v json.RawMessage) string {
	var ref struct {
		HouseholdID string `json:"household_id"`
	}
	if json.Unmarshal(v, &ref) != nil {
		return ""
	}
	return ref.HouseholdID
}
