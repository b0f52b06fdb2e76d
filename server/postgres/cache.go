package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The record cache: Record answers primary-key reads from memory after the
// first (Prefetch loads a push's records in one query); Put keeps written
// records in memory and flush writes them with one multi-row upsert,
// before any query that reads records by other criteria and at the end;
// heads tracks the live household of each head ID number seen, so the
// duplicate-household check needs no query for a known head.

// cached returns the cache's copy of a record just read, caching r when
// there is none, so that a transaction holds one copy per record.
func (t *tx) cached(r *server.Record) *server.Record {
	k := recKey{r.Collection, r.ID}
	if c := t.cache[k]; c != nil {
		return c
	}
	t.cache[k] = r
	return r
}

// trackHead keeps heads up to date after a household is put.
func (t *tx) trackHead(r *server.Record) {
	if r.Collection != syncproto.CollHouseholds {
		return
	}
	if old, ok := t.headKey[r.ID]; ok && (old != r.DedupeKey || r.Deleted) {
		if t.heads[old] == r {
			t.heads[old] = nil // one live household per head: now none
		}
		delete(t.headKey, r.ID)
	}
	if !r.Deleted && r.DedupeKey != "" {
		t.heads[r.DedupeKey], t.headKey[r.ID] = r, r.DedupeKey
	}
}

const upsertRecords = `INSERT INTO records (county_id, version, collection, id, unit_id, household_id, parent_id,
	dedupe_key, deleted, fields, fields_s2, field_versions, meta, created_by, created_at, updated_at)
SELECT $1, u.version, u.collection, u.id, u.unit_id, u.household_id, u.parent_id, u.dedupe_key, u.deleted,
	u.fields, u.fields_s2, u.field_versions, u.meta, u.created_by, u.created_at, $15
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[],
	$10::text[], $16::bytea[], $11::text[], $12::text[], $13::text[], $14::timestamptz[])
	AS u (version, collection, id, unit_id, household_id, parent_id, dedupe_key, deleted,
	fields, fields_s2, field_versions, meta, created_by, created_at)
ON CONFLICT (county_id, collection, id) DO UPDATE SET version = excluded.version, unit_id = excluded.unit_id,
	household_id = excluded.household_id, parent_id = excluded.parent_id, dedupe_key = excluded.dedupe_key,
	deleted = excluded.deleted, fields = excluded.fields, fields_s2 = excluded.fields_s2,
	field_versions = excluded.field_versions,
	meta = excluded.meta, updated_at = excluded.updated_at`

// recordColumns holds pending records column by column, for unnest.
type recordColumns struct {
	version                                         []int64
	collection, id, unit, household, parent, dedupe []string
	deleted                                         []bool
	fields, fieldVersions, meta, createdBy          []string
	fieldsS2                                        [][]byte // nil: NULL, the fields are plain
	createdAt                                       []time.Time
}

func (c *recordColumns) add(r *server.Record) error {
	meta, err := json.Marshal(r.Meta)
	if err != nil {
		return fmt.Errorf("marshal meta of %s/%s: %w", r.Collection, r.ID, err)
	}
	c.version = append(c.version, r.Version)
	c.collection, c.id = append(c.collection, r.Collection), append(c.id, r.ID)
	c.unit, c.household = append(c.unit, r.UnitID), append(c.household, r.HouseholdID)
	c.parent, c.dedupe = append(c.parent, r.ParentID), append(c.dedupe, r.DedupeKey)
	c.deleted = append(c.deleted, r.Deleted)
	plain, z := server.StoredFields(r.Collection, server.EncodeFields(r.Fields))
	c.fields, c.fieldsS2 = append(c.fields, string(plain)), append(c.fieldsS2, z)
	c.fieldVersions = append(c.fieldVersions, string(server.StoredVersions(r.FieldVersions, r.Fields, r.Version)))
	c.meta, c.createdBy = append(c.meta, string(meta)), append(c.createdBy, r.CreatedBy)
	c.createdAt = append(c.createdAt, r.CreatedAt)
	return nil
}

// flush writes pending records with one upsert.
func (t *tx) flush() error {
	if len(t.pendingOrder) == 0 {
		return nil
	}
	var c recordColumns
	for _, k := range t.pendingOrder {
		if err := c.add(t.pending[k]); err != nil {
			return err
		}
	}
	if _, err := t.pg.Exec(t.ctx, upsertRecords, t.county, c.version, c.collection, c.id, c.unit, c.household,
		c.parent, c.dedupe, c.deleted, c.fields, c.fieldVersions, c.meta, c.createdBy, c.createdAt, t.now, c.fieldsS2); err != nil {
		return wrap("write records", err)
	}
	clear(t.pending)
	t.pendingOrder = t.pendingOrder[:0]
	return nil
}

// Prefetch loads in one query every record the mutations name (their own,
// their households and investigations) and, in a second, the live
// households of every head ID number they carry.
func (t *tx) Prefetch(ms []syncproto.Mutation) error {
	var colls, ids []string
	seen := map[recKey]bool{}
	add := func(coll, id string) {
		k := recKey{coll, id}
		if _, cached := t.cache[k]; id == "" || cached || seen[k] {
			return
		}
		seen[k] = true
		colls, ids = append(colls, coll), append(ids, id)
	}
	var heads []string
	for i := range ms {
		m := &ms[i]
		add(m.Collection, m.ID)
		add(syncproto.CollHouseholds, server.StringField(m.Fields, "household_id"))
		add(syncproto.CollInvestigations, server.StringField(m.Fields, "investigation_id"))
		if k := server.StringField(m.Fields, "head_id_number"); k != "" && m.Collection == syncproto.CollHouseholds {
			heads = append(heads, k)
		}
	}
	if err := t.prefetchIDs(colls, ids); err != nil {
		return err
	}
	return t.prefetchHeads(heads)
}

func (t *tx) prefetchIDs(colls, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	rs, err := t.loadRecords(`records r JOIN unnest($2::text[], $3::text[]) AS k (collection, id)
		ON r.collection = k.collection AND r.id = k.id WHERE r.county_id = ANY($1)`, colls, ids)
	if err != nil {
		return err
	}
	for i := range ids {
		t.cache[recKey{colls[i], ids[i]}] = nil // known absent unless found
	}
	for _, r := range rs {
		t.cache[recKey{r.Collection, r.ID}] = r
	}
	return nil
}

func (t *tx) prefetchHeads(keys []string) error {
	var want []string
	for _, k := range keys {
		if _, known := t.heads[k]; !known {
			want = append(want, k)
			t.heads[k] = nil
		}
	}
	if len(want) == 0 {
		return nil
	}
	rs, err := t.findRecords(`r.collection = 'households' AND r.dedupe_key <> '' AND NOT r.deleted
		AND r.dedupe_key = ANY($2)`, want)
	for _, r := range rs {
		t.heads[r.DedupeKey], t.headKey[r.ID] = r, r.DedupeKey
	}
	return err
}

// LiveHousehold returns the live household whose head has ID number key,
// other than except; nil when none.
func (t *tx) LiveHousehold(key, except string) (*server.Record, error) {
	if key == "" {
		return nil, nil
	}
	if h, ok := t.heads[key]; ok {
		if h == nil || h.ID == except {
			return nil, nil
		}
		return h, nil
	}
	if err := t.prefetchHeads([]string{key}); err != nil {
		return nil, err
	}
	return t.LiveHousehold(key, except)
}
