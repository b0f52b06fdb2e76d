package sqlite

import (
	"encoding/json"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A transaction reads and writes records through a cache:
//
//   - Record answers primary-key reads from memory after the first (a push
//     prefetches every record its mutations name in a few IN queries);
//   - Put keeps written records in memory and flush writes them with
//     multi-row statements, before any query that reads records by other
//     criteria and at the end of the transaction;
//   - heads tracks the live household of each head ID number seen, so the
//     duplicate-household check needs no query for a known head.
//
// Everything happens inside the one transaction, so nothing changes for
// other readers: they see the whole push at commit or nothing.

func recKey(collection, id string) string { return collection + "/" + id }

// cached returns the cache's copy of a record just read from the database,
// caching r when there is none, so that a transaction holds one copy per
// record.
func (t *tx) cached(r *server.Record) *server.Record {
	k := recKey(r.Collection, r.ID)
	if c := t.cache[k]; c != nil {
		return c
	}
	t.cache[k], t.dbVersion[k] = r, r.Version
	return r
}

// Put implements server.Tx: r is cached and written at the next flush.
func (t *tx) Put(r *server.Record) error {
	if t.readOnly {
		return errReadOnly
	}
	k := recKey(r.Collection, r.ID)
	t.cache[k] = r
	if _, ok := t.pending[k]; !ok {
		t.pendingOrder = append(t.pendingOrder, k)
	}
	t.pending[k] = r
	if r.Collection != syncproto.CollHouseholds {
		return nil
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
	return nil
}

// LiveHousehold implements server.Tx.
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
	rs, err := t.findRecords(`collection = 'households' AND dedupe_key = ? AND dedupe_key != '' AND deleted = 0`, key)
	if err != nil {
		return nil, err
	}
	t.heads[key] = nil
	for _, r := range rs {
		t.heads[key], t.headKey[r.ID] = r, key
	}
	return t.LiveHousehold(key, except)
}

var recordWriteCols = []string{"version", "collection", "id", "unit_id", "household_id", "parent_id", "dedupe_key",
	"deleted", "fields", "fields_s2", "field_versions", "meta", "created_by", "created_at", "updated_at"}

// flush writes pending records: their old rows (keyed by version) are
// deleted and their current state inserted, with multi-row statements.
func (t *tx) flush() error {
	if len(t.pendingOrder) == 0 {
		return nil
	}
	now := ts(t.db.Now())
	var old []any
	colls, fields := make([]string, len(t.pendingOrder)), make([][]byte, len(t.pendingOrder))
	for i, k := range t.pendingOrder {
		colls[i], fields[i] = t.pending[k].Collection, server.EncodeFields(t.pending[k].Fields)
	}
	plain, z := server.StoredFieldsAll(colls, fields)
	rows := make([][]any, 0, len(t.pendingOrder))
	for i, k := range t.pendingOrder {
		r := t.pending[k]
		if v := t.dbVersion[k]; v != 0 {
			old = append(old, v)
		}
		meta, err := json.Marshal(r.Meta)
		if err != nil {
			return fmt.Errorf("marshal meta: %w", err)
		}
		var zf any // NULL, not an empty blob, when stored plain
		if z[i] != nil {
			zf = z[i]
		}
		rows = append(rows, []any{r.Version, r.Collection, r.ID, r.UnitID, r.HouseholdID, r.ParentID, r.DedupeKey,
			r.Deleted, string(plain[i]), zf, string(server.StoredVersions(r.FieldVersions, r.Fields, r.Version)),
			string(meta), r.CreatedBy, ts(r.CreatedAt), now})
	}
	for len(old) > 0 {
		n := min(len(old), maxInArgs)
		if err := t.exec(`DELETE FROM records WHERE version IN (`+placeholders(n)+`)`, old[:n]...); err != nil {
			return fmt.Errorf("flush records: %w", err)
		}
		old = old[n:]
	}
	if err := bulkInsert(t, "records", recordWriteCols, rows); err != nil {
		return err
	}
	for _, k := range t.pendingOrder {
		t.dbVersion[k] = t.pending[k].Version
	}
	clear(t.pending)
	t.pendingOrder = t.pendingOrder[:0]
	return nil
}

// Prefetch implements server.Tx: it loads, in a few queries, every record
// a batch of mutations names (the records themselves, their households and
// investigations) and the live households of every head ID number it
// carries.
func (t *tx) Prefetch(ms []syncproto.Mutation) error {
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
		add(syncproto.CollHouseholds, server.StringField(m.Fields, "household_id"))
		add(syncproto.CollInvestigations, server.StringField(m.Fields, "investigation_id"))
		if m.Collection == syncproto.CollHouseholds {
			if k := server.StringField(m.Fields, "head_id_number"); k != "" {
				heads[k] = true
			}
		}
	}
	for coll, set := range ids {
		if err := t.prefetchIDs(coll, set); err != nil {
			return err
		}
	}
	return t.prefetchHeads(heads)
}

func (t *tx) prefetchIDs(coll string, set map[string]bool) error {
	list := make([]any, 0, len(set))
	for id := range set {
		if _, ok := t.cache[recKey(coll, id)]; !ok {
			list = append(list, id)
			t.cache[recKey(coll, id)] = nil // known absent unless found
		}
	}
	for len(list) > 0 {
		n := min(len(list), maxInArgs)
		args := append([]any{coll}, list[:n]...)
		if _, err := t.findRecordsUncached(`collection = ? AND id IN (`+placeholders(n)+`)`, args...); err != nil {
			return err
		}
		list = list[n:]
	}
	return nil
}

// findRecordsUncached loads records into the cache, replacing the
// known-absent marks prefetch sets.
func (t *tx) findRecordsUncached(where string, args ...any) ([]*server.Record, error) {
	return t.scanRecords(func(r *server.Record) *server.Record {
		k := recKey(r.Collection, r.ID)
		t.cache[k], t.dbVersion[k] = r, r.Version
		return r
	}, where, args...)
}

func (t *tx) prefetchHeads(set map[string]bool) error {
	list := make([]any, 0, len(set))
	for k := range set {
		list = append(list, k)
		t.heads[k] = nil
	}
	for len(list) > 0 {
		n := min(len(list), maxInArgs)
		rs, err := t.findRecords(`collection = 'households' AND dedupe_key != '' AND deleted = 0
			AND dedupe_key IN (`+placeholders(n)+`)`, list[:n]...)
		if err != nil {
			return err
		}
		for _, r := range rs {
			t.heads[r.DedupeKey], t.headKey[r.ID] = r, r.DedupeKey
		}
		list = list[n:]
	}
	return nil
}
