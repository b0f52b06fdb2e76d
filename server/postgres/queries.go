package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server"
)

// Queries on records by other criteria than their key: each flushes
// pending writes first (findRecords, flushQuery).

// LiveMember returns a live member of household with ID number key.
func (t *tx) LiveMember(key, household string) (*server.Record, error) {
	if key == "" {
		return nil, nil
	}
	return t.findRecord(`r.collection = 'members' AND r.dedupe_key = $2 AND r.dedupe_key <> '' AND NOT r.deleted
		AND r.household_id = $3`, key, household)
}

// MemberElsewhere returns a live member with ID number key, other than
// self, of a live household other than household.
func (t *tx) MemberElsewhere(key, self, household string) (*server.Record, error) {
	if key == "" {
		return nil, nil
	}
	return t.findRecord(`r.collection = 'members' AND r.dedupe_key = $2 AND r.dedupe_key <> '' AND NOT r.deleted
		AND r.id <> $3 AND r.household_id <> $4 AND EXISTS (SELECT 1 FROM records h WHERE h.county_id = r.county_id
			AND h.collection = 'households' AND h.id = r.household_id AND NOT h.deleted)`, key, self, household)
}

// MembersElsewhere counts the live members of household that are live
// members of another live household.
func (t *tx) MembersElsewhere(household string) (int, error) {
	var n int
	err := t.flushQueryRow(`SELECT count(*) FROM records m WHERE m.county_id = ANY($1) AND m.collection = 'members'
		AND m.household_id = $2 AND NOT m.deleted AND m.dedupe_key <> ''
		AND EXISTS (SELECT 1 FROM records o WHERE o.county_id = m.county_id AND o.collection = 'members'
			AND o.dedupe_key = m.dedupe_key AND o.dedupe_key <> '' AND NOT o.deleted AND o.household_id <> m.household_id
			AND EXISTS (SELECT 1 FROM records h WHERE h.county_id = o.county_id AND h.collection = 'households'
				AND h.id = o.household_id AND NOT h.deleted))`, []any{household}, &n)
	return n, wrap("members elsewhere", err)
}

// Children returns every record of household but the household itself.
func (t *tx) Children(household string) ([]*server.Record, error) {
	return t.findRecords(`r.household_id = $2 AND r.collection <> 'households'`, household)
}

// LiveMembers returns the live members of household.
func (t *tx) LiveMembers(household string) ([]*server.Record, error) {
	return t.findRecords(`r.collection = 'members' AND r.household_id = $2 AND NOT r.deleted`, household)
}

// Signatures returns the signature records of an investigation, deleted
// or not.
func (t *tx) Signatures(investigation string) ([]*server.Record, error) {
	return t.findRecords(`r.collection = 'signatures' AND r.parent_id = $2 AND r.parent_id <> ''`, investigation)
}

// ValidSigners returns, sorted and distinct, the owners of the keys of the
// live signatures on investigation that carry contentHash.
func (t *tx) ValidSigners(investigation, contentHash string) ([]string, error) {
	rows, err := t.flushQuery(`SELECT DISTINCT k.user_id FROM records s
		JOIN signing_keys k ON k.key_id = (s.fields::jsonb ->> 'key_id')
		WHERE s.county_id = ANY($1) AND s.collection = 'signatures' AND s.parent_id = $2 AND s.parent_id <> ''
		AND NOT s.deleted AND (s.fields::jsonb ->> 'content_hash') = $3 ORDER BY k.user_id`, investigation, contentHash)
	if err != nil {
		return nil, wrap("valid signers", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if out == nil {
		out = []string{}
	}
	return out, wrap("valid signers", err)
}

// HasCommitmentPhoto reports whether a live photo of kind commitment is
// filed under household.
func (t *tx) HasCommitmentPhoto(household string) (bool, error) {
	var ok bool
	err := t.flushQueryRow(`SELECT EXISTS (SELECT 1 FROM records r WHERE r.county_id = ANY($1)
		AND r.household_id = $2 AND r.collection = 'photos' AND NOT r.deleted
		AND (r.fields::jsonb ->> 'kind') = 'commitment')`, []any{household}, &ok)
	return ok, wrap("commitment photo", err)
}

// PhotoFilings returns the photo records, live or deleted, that file any
// of the contents shas (by id or by field sha256).
func (t *tx) PhotoFilings(shas []string) ([]*server.Record, error) {
	rs, err := t.findRecords(`r.collection = 'photos' AND (r.id = ANY($2) OR (r.fields::jsonb ->> 'sha256') = ANY($2))`, shas)
	return rs, wrap("photo filings", err)
}

// flushQuery flushes pending records and runs a query whose first argument
// is the county filter.
func (t *tx) flushQuery(sql string, args ...any) (pgx.Rows, error) {
	if err := t.flush(); err != nil {
		return nil, err
	}
	counties, err := t.counties()
	if err != nil {
		return nil, err
	}
	return t.pg.Query(t.ctx, sql, append([]any{counties}, args...)...)
}

// flushQueryRow is flushQuery for one row, scanned into dest.
func (t *tx) flushQueryRow(sql string, args []any, dest ...any) error {
	if err := t.flush(); err != nil {
		return err
	}
	counties, err := t.counties()
	if err != nil {
		return err
	}
	if err := t.pg.QueryRow(t.ctx, sql, append([]any{counties}, args...)...).Scan(dest...); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return nil
}
