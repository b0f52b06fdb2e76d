package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ruhu-org/ruhu/syncproto"
)

// A push reads and writes records through a per-transaction cache:
//
//   - get answers primary-key reads from memory after the first (a push
//     prefetches every record its mutations name in a few IN queries);
//   - put keeps written records in memory and flush writes them with
//     multi-row statements, before any query that reads records by other
//     criteria and at the end of the push;
//   - heads tracks the live household of each head ID number seen, so the
//     duplicate-household check needs no query for a known head.
//
// Everything happens inside the push's one transaction, so nothing changes
// for other readers: they see the whole push at commit or nothing.

func recKey(collection, id string) string { return collection + "/" + id }

// get returns a record (nil when there is none), from the cache when
// possible.
func (p *pushTx) get(collection, id string) (*record, error) {
	k := recKey(collection, id)
	if r, ok := p.cache[k]; ok {
		return r, nil
	}
	s, err := p.stmt(p.ctx, `SELECT `+recordCols+` FROM records WHERE collection = ? AND id = ?`)
	if err != nil {
		return nil, err
	}
	r, err := scanRecord(s.QueryRowContext(p.ctx, collection, id))
	if errors.Is(err, sql.ErrNoRows) {
		r, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", k, err)
	}
	p.cache[k] = r
	return r, nil
}

// findRecords runs a query on records after flushing pending writes, and
// returns the cached copy of each record it finds.
func (p *pushTx) findRecords(where string, args ...any) ([]*record, error) {
	if err := p.flush(); err != nil {
		return nil, err
	}
	rs, err := findRecords(p.ctx, p, where, args...)
	for i, r := range rs {
		rs[i] = p.cached(r)
	}
	return rs, err
}

// cached returns the cache's copy of a record just read from the database,
// caching r when there is none, so that a push holds one copy per record.
func (p *pushTx) cached(r *record) *record {
	k := recKey(r.Collection, r.ID)
	if c := p.cache[k]; c != nil {
		return c
	}
	p.cache[k] = r
	return r
}

// put records r as written: it is cached and written at the next flush.
func (p *pushTx) put(r *record) {
	k := recKey(r.Collection, r.ID)
	if !r.stored {
		r.CreatedAt = p.now
	}
	r.stored, r.oldVersion = true, r.Version
	p.wrote = true
	p.cache[k] = r
	if _, ok := p.pending[k]; !ok {
		p.pendingOrder = append(p.pendingOrder, k)
	}
	p.pending[k] = r
	if r.Collection != syncproto.CollHouseholds {
		return
	}
	if old, ok := p.headKey[r.ID]; ok && (old != r.DedupeKey || r.Deleted) {
		if p.heads[old] == r {
			p.heads[old] = nil // one live household per head: now none
		}
		delete(p.headKey, r.ID)
	}
	if !r.Deleted && r.DedupeKey != "" {
		p.heads[r.DedupeKey], p.headKey[r.ID] = r, r.DedupeKey
	}
}

// liveHead returns the live household whose head has ID number key, other
// than the household except.
func (p *pushTx) liveHead(key, except string) (*record, error) {
	if key == "" {
		return nil, nil
	}
	if h, ok := p.heads[key]; ok {
		if h == nil || h.ID == except {
			return nil, nil
		}
		return h, nil
	}
	rs, err := p.findRecords(`collection = 'households' AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0`, key)
	if err != nil {
		return nil, err
	}
	p.heads[key] = nil
	for _, r := range rs {
		p.heads[key], p.headKey[r.ID] = r, key
	}
	return p.liveHead(key, except)
}

var recordWriteCols = []string{"version", "collection", "id", "unit_id", "household_id", "parent_id", "dedupe_key",
	"deleted", "fields", "field_versions", "meta", "created_by", "created_at", "updated_at"}

// flush writes pending records: their old rows (keyed by version) are
// deleted and their current state inserted, with multi-row statements.
// Flushed rows belong to mutations already applied, so they do not count as
// writes of the mutation being applied.
func (p *pushTx) flush() error {
	if len(p.pendingOrder) == 0 {
		return nil
	}
	wrote := p.wrote
	defer func() { p.wrote = wrote }()
	var old []any
	rows := make([][]any, 0, len(p.pendingOrder))
	for _, k := range p.pendingOrder {
		r := p.pending[k]
		if r.dbVersion != 0 {
			old = append(old, r.dbVersion)
		}
		meta, err := json.Marshal(r.Meta)
		if err != nil {
			return fmt.Errorf("marshal meta: %w", err)
		}
		rows = append(rows, []any{r.Version, r.Collection, r.ID, r.UnitID, r.HouseholdID, r.ParentID, r.DedupeKey,
			r.Deleted, string(encodeRawMap(r.Fields)), string(encodeVersions(r.FieldVersions)), string(meta),
			r.CreatedBy, r.CreatedAt, p.now})
	}
	for len(old) > 0 {
		n := min(len(old), maxInArgs)
		q := `DELETE FROM records WHERE version IN (` + placeholders(n) + `)`
		if _, err := p.ExecContext(p.ctx, q, old[:n]...); err != nil {
			return fmt.Errorf("flush records: %w", err)
		}
		old = old[n:]
	}
	if err := bulkInsert(p.ctx, p, "records", recordWriteCols, rows); err != nil {
		return err
	}
	for _, k := range p.pendingOrder {
		r := p.pending[k]
		r.dbVersion = r.Version
	}
	clear(p.pending)
	p.pendingOrder = p.pendingOrder[:0]
	return nil
}

// prefetch loads, in a few queries, every record a batch of mutations
// names (the records themselves, their households and investigations) and
// the live households of every head ID number it carries.
func (p *pushTx) prefetch(ms []syncproto.Mutation) error {
	ids := map[string]map[string]bool{}
	add := func(coll, id string) {
		if id == "" {
			return
		}
		if ids[coll] == nil {
			ids[coll] = map[string]bool{}
		}
		ids[coll][id] = true
	}
	heads := map[string]bool{}
	for i := range ms {
		m := &ms[i]
		add(m.Collection, m.ID)
		add(syncproto.CollHouseholds, stringField(m.Fields, "household_id"))
		add(syncproto.CollInvestigations, stringField(m.Fields, "investigation_id"))
		if m.Collection == syncproto.CollHouseholds {
			if k := stringField(m.Fields, "head_id_number"); k != "" {
				heads[k] = true
			}
		}
	}
	for coll, set := range ids {
		if err := p.prefetchIDs(coll, set); err != nil {
			return err
		}
	}
	return p.prefetchHeads(heads)
}

func (p *pushTx) prefetchIDs(coll string, set map[string]bool) error {
	list := make([]any, 0, len(set))
	for id := range set {
		if _, ok := p.cache[recKey(coll, id)]; !ok {
			list = append(list, id)
			p.cache[recKey(coll, id)] = nil // known absent unless found
		}
	}
	for len(list) > 0 {
		n := min(len(list), maxInArgs)
		args := append([]any{coll}, list[:n]...)
		rs, err := findRecords(p.ctx, p.tx, `collection = ? AND id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return err
		}
		for _, r := range rs {
			p.cache[recKey(r.Collection, r.ID)] = r
		}
		list = list[n:]
	}
	return nil
}

func (p *pushTx) prefetchHeads(set map[string]bool) error {
	list := make([]any, 0, len(set))
	for k := range set {
		list = append(list, k)
		p.heads[k] = nil
	}
	for len(list) > 0 {
		n := min(len(list), maxInArgs)
		rs, err := findRecords(p.ctx, p.tx, `collection = 'households' AND dedupe_key != '' AND deleted = 0
			AND dedupe_key IN (`+placeholders(n)+`)`, list[:n]...)
		if err != nil {
			return err
		}
		for _, r := range rs {
			r = p.cached(r)
			p.heads[r.DedupeKey], p.headKey[r.ID] = r, r.DedupeKey
		}
		list = list[n:]
	}
	return nil
}
