package engine

// Reads for the township office console (server/console): what came in
// per village, the review queue and the household file (一户一档). Every
// read is bounded by the actor's subtree here, once; the console only
// renders what these return.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// ConsoleLimit bounds the records of one collection a console read loads;
// a subtree holding more is answered from the first ConsoleLimit (by
// version) and marked Truncated.
const ConsoleLimit = 20000

// QueuePageSize is the number of households on one page of the queue.
const QueuePageSize = 50

// VillageActivity is what came in from one village since a date.
type VillageActivity struct {
	UnitID, Name                                   string
	Households, Investigations, Signatures, Photos int
	// OpenConflicts counts every open conflict of the village; Rejected
	// the pushes refused since the date.
	OpenConflicts, Rejected int
}

// PendingInvestigation is a live, unsubmitted investigation that lacks a
// second valid signature or whose household lacks the commitment photo.
type PendingInvestigation struct {
	ID, HouseholdID, HeadName, UnitID, Village, Date string
	ValidSigners                                     int
	Commitment                                       bool
	CreatedAt                                        time.Time
}

// Overview is the console's front page.
type Overview struct {
	Since     time.Time
	Villages  []VillageActivity
	Pending   []PendingInvestigation
	Truncated bool
}

// QueueFilter selects households of the queue. Zero fields select all.
type QueueFilter struct {
	Village, Category string
	// Conflicts: with an open conflict; Unsigned: no investigation with
	// two valid signatures; NoCommitment: no commitment photo (承诺书).
	Conflicts, Unsigned, NoCommitment bool
	Page                              int // from 1
}

// QueueRow is one household of the queue; the head's ID number is masked.
type QueueRow struct {
	ID, HeadName, HeadIDNumber, Address, Category, UnitID, Village string
	Members, Investigations, Photos, OpenConflicts                 int
	Signed, Submitted, Commitment                                  bool
	CreatedAt                                                      time.Time
}

// QueueCounts counts the households of the village and category filters,
// before the flag filters.
type QueueCounts struct {
	All, Conflicts, Unsigned, NoCommitment int
}

// Queue is one page of the review queue.
type Queue struct {
	Filter      QueueFilter
	Rows        []QueueRow
	Total       int // households matching every filter
	Counts      QueueCounts
	Page, Pages int
	Villages    []server.Unit // the actor's villages, for the filter
	Truncated   bool
}

// FileRecord is a record of a household file with its fields decoded;
// sensitive fields are masked unless HouseholdFile.Masked is false.
type FileRecord struct {
	ID        string
	Version   int64
	Fields    map[string]any
	CreatedBy string // display name
	CreatedAt time.Time
}

// FileSignature is one signature on an investigation form.
type FileSignature struct {
	ID, Signer, Role, SignedAt string
	// Valid: it signs the investigation's current content and its signer
	// counts; otherwise it is stale (the form changed after signing).
	Valid bool
}

// FileInvestigation is an investigation form with its signature state.
type FileInvestigation struct {
	FileRecord
	Submitted     bool
	SubmittedAt   string
	Satisfied     bool
	ValidSigners  []string // display names
	Signatures    []FileSignature
	OpenConflicts int
}

// FilePhoto is one photo filed under the household.
type FilePhoto struct {
	ID string
	syncproto.PhotoFields
	UploadedByName string
}

// AuditLine is an entry of the audit trail of the household's records.
type AuditLine struct {
	Seq                                  int64
	At                                   time.Time
	Actor, Device, Action, Object, Which string
	Detail                               json.RawMessage // nil when masked
}

// HouseholdFile is the whole file of one household (一户一档).
type HouseholdFile struct {
	Household      FileRecord
	Village        server.Unit
	Members        []FileRecord
	Investigations []FileInvestigation
	Photos         []FilePhoto
	Conflicts      []syncproto.Conflict // open ones
	Audit          []AuditLine
	Benefit        Benefit
	// Masked is true when the actor's role does not need the sensitive
	// fields (ID numbers, health, disability, bank account).
	Masked bool
	// id is the household's canonical id (for the access log).
	id string
}

// consoleRead runs fn in a read snapshot for an actor who may read
// household records. Code forbidden for others (the admin).
func (e *Engine) consoleRead(ctx context.Context, a *server.Actor, fn func(*txn) error) error {
	if !a.HasAny(server.FieldRoles...) || a.UnitPath == "" {
		return server.Errorf(syncproto.CodeForbidden, "your role does not read household files")
	}
	return e.read(ctx, a, fn)
}

// villages returns the villages of the actor's subtree by path, or only the
// village only (code not_found when it is not one of them).
func (t *txn) villages(only string) ([]server.Unit, error) {
	var out []server.Unit
	for _, u := range t.units {
		if u.Level == syncproto.LevelVillage && t.a.Covers(u.Path) && (only == "" || u.ID == only) {
			out = append(out, u)
		}
	}
	if only != "" && len(out) == 0 {
		return nil, server.Errorf(syncproto.CodeNotFound, "no village %q in your jurisdiction", only)
	}
	slices.SortFunc(out, func(a, b server.Unit) int { return cmp.Compare(a.Path, b.Path) })
	return out, nil
}

func unitIDs(us []server.Unit) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

// liveIn loads live records of collection in units created since,
// reporting whether ConsoleLimit cut the list.
func (t *txn) liveIn(collection string, units []string, since time.Time) ([]*server.Record, bool, error) {
	rs, err := t.tx.LiveRecordsIn(collection, units, since, ConsoleLimit+1)
	if err != nil {
		return nil, false, fmt.Errorf("load %s: %w", collection, err)
	}
	if len(rs) > ConsoleLimit {
		return rs[:ConsoleLimit], true, nil
	}
	return rs, false, nil
}

// subtree is every live household-file record of some villages, by
// collection.
type subtree struct {
	households, members, investigations, signatures, photos []*server.Record
	truncated                                               bool
}

func (t *txn) loadSubtree(units []string, since time.Time, colls ...string) (*subtree, error) {
	s := &subtree{}
	for _, c := range colls {
		rs, cut, err := t.liveIn(c, units, since)
		if err != nil {
			return nil, err
		}
		s.truncated = s.truncated || cut
		switch c {
		case syncproto.CollHouseholds:
			s.households = rs
		case syncproto.CollMembers:
			s.members = rs
		case syncproto.CollInvestigations:
			s.investigations = rs
		case syncproto.CollSignatures:
			s.signatures = rs
		case syncproto.CollPhotos:
			s.photos = rs
		}
	}
	return s, nil
}

// commitments returns the households with a commitment photo.
func commitments(photos []*server.Record) map[string]bool {
	out := map[string]bool{}
	for _, p := range photos {
		if p.Field("kind") == "commitment" {
			out[p.HouseholdID] = true
		}
	}
	return out
}

func validSigners(inv *server.Record) int {
	if inv.Meta.Signatures == nil {
		return 0
	}
	return len(inv.Meta.Signatures.ValidSigners)
}

// ConsoleOverview answers the console's front page: per village of the
// actor's subtree, the households, investigations, signatures and photos
// created since, the open conflicts and the pushes rejected since; and the
// unsubmitted investigations missing a signature or the commitment photo.
// Code forbidden (a role that reads no household file).
func (e *Engine) ConsoleOverview(ctx context.Context, a *server.Actor, since time.Time) (*Overview, error) {
	out := &Overview{Since: since}
	err := e.consoleRead(ctx, a, func(t *txn) error {
		vs, err := t.villages("")
		if err != nil {
			return err
		}
		ids := unitIDs(vs)
		recent, err := t.loadSubtree(ids, since, syncproto.CollHouseholds, syncproto.CollInvestigations,
			syncproto.CollSignatures, syncproto.CollPhotos)
		if err != nil {
			return err
		}
		all, err := t.loadSubtree(ids, time.Time{}, syncproto.CollHouseholds, syncproto.CollInvestigations, syncproto.CollPhotos)
		if err != nil {
			return err
		}
		out.Truncated = recent.truncated || all.truncated
		if out.Villages, err = t.activity(vs, recent, since); err != nil {
			return err
		}
		out.Pending = t.pending(all)
		return nil
	})
	return out, err
}

// activity counts what came in per village.
func (t *txn) activity(vs []server.Unit, recent *subtree, since time.Time) ([]VillageActivity, error) {
	idx := map[string]*VillageActivity{}
	out := make([]VillageActivity, len(vs))
	for i, v := range vs {
		out[i] = VillageActivity{UnitID: v.ID, Name: v.Name}
		idx[v.ID] = &out[i]
	}
	count := func(rs []*server.Record, f func(*VillageActivity)) {
		for _, r := range rs {
			if va := idx[r.UnitID]; va != nil {
				f(va)
			}
		}
	}
	count(recent.households, func(v *VillageActivity) { v.Households++ })
	count(recent.investigations, func(v *VillageActivity) { v.Investigations++ })
	count(recent.signatures, func(v *VillageActivity) { v.Signatures++ })
	count(recent.photos, func(v *VillageActivity) { v.Photos++ })
	conflicts, err := t.tx.Conflicts(t.a.UnitPath, syncproto.ConflictOpen, "", ConsoleLimit)
	if err != nil {
		return nil, fmt.Errorf("list conflicts: %w", err)
	}
	for _, c := range conflicts {
		if va := idx[c.UnitID]; va != nil {
			va.OpenConflicts++
		}
	}
	rejected, err := t.tx.Rejections(t.a.UnitPath, nil, ConsoleLimit)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	// A rejection is kept under its pusher's unit (store reads do not
	// return it): the pusher's village is found again from the user.
	units := map[string]string{}
	for _, r := range rejected {
		if r.CreatedAt.Before(since) {
			continue
		}
		unit, ok := units[r.UserID]
		if !ok {
			if u, err := t.tx.UserByID(r.UserID); err != nil {
				return nil, fmt.Errorf("pusher of a rejection: %w", err)
			} else if u != nil {
				unit = u.UnitID
			}
			units[r.UserID] = unit
		}
		if va := idx[cmp.Or(r.UnitID, unit)]; va != nil {
			va.Rejected++
		}
	}
	return out, nil
}

// pending lists the unsubmitted investigations lacking a signature or the
// commitment photo, newest first.
func (t *txn) pending(all *subtree) []PendingInvestigation {
	heads := map[string]string{}
	for _, h := range all.households {
		heads[h.ID] = h.Field("head_name")
	}
	committed := commitments(all.photos)
	var out []PendingInvestigation
	for _, inv := range all.investigations {
		n := validSigners(inv)
		if inv.Meta.Submitted || (n >= 2 && committed[inv.HouseholdID]) {
			continue
		}
		out = append(out, PendingInvestigation{ID: inv.ID, HouseholdID: inv.HouseholdID, HeadName: heads[inv.HouseholdID],
			UnitID: inv.UnitID, Village: t.units[inv.UnitID].Name, Date: inv.Field("date"), ValidSigners: n,
			Commitment: committed[inv.HouseholdID], CreatedAt: inv.CreatedAt})
	}
	slices.SortStableFunc(out, func(a, b PendingInvestigation) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out
}

// ConsoleQueue answers one page of the review queue: the households of the
// actor's subtree (of one village, one category) with what they lack,
// newest first. Codes: forbidden, not_found (a village outside the
// subtree), validation_failed (an unknown category).
func (e *Engine) ConsoleQueue(ctx context.Context, a *server.Actor, f QueueFilter) (*Queue, error) {
	if f.Category != "" && !slices.Contains(syncproto.Categories, f.Category) {
		return nil, server.Errorf(syncproto.CodeValidation, "unknown category %q", f.Category)
	}
	f.Page = max(f.Page, 1)
	out := &Queue{Filter: f}
	err := e.consoleRead(ctx, a, func(t *txn) error {
		var err error
		if out.Villages, err = t.villages(""); err != nil {
			return err
		}
		vs, err := t.villages(f.Village)
		if err != nil {
			return err
		}
		s, err := t.loadSubtree(unitIDs(vs), time.Time{}, syncproto.CollHouseholds, syncproto.CollMembers,
			syncproto.CollInvestigations, syncproto.CollPhotos)
		if err != nil {
			return err
		}
		out.Truncated = s.truncated
		t.fillQueue(out, s)
		return nil
	})
	return out, err
}

// fillQueue builds the rows of s, counts and filters them, and keeps the
// page asked for.
func (t *txn) fillQueue(q *Queue, s *subtree) {
	rows := map[string]*QueueRow{}
	var all []*QueueRow
	for _, h := range s.households {
		if q.Filter.Category != "" && h.Field("category") != q.Filter.Category {
			continue
		}
		r := &QueueRow{ID: h.ID, HeadName: h.Field("head_name"), HeadIDNumber: syncproto.MaskIDNumber(h.Field("head_id_number")),
			Address: h.Field("address"), Category: h.Field("category"), UnitID: h.UnitID, Village: t.units[h.UnitID].Name,
			OpenConflicts: h.Meta.OpenConflicts, CreatedAt: h.CreatedAt}
		rows[h.ID] = r
		all = append(all, r)
	}
	for _, m := range s.members {
		if r := rows[m.HouseholdID]; r != nil {
			r.Members++
			r.OpenConflicts += m.Meta.OpenConflicts
		}
	}
	for _, inv := range s.investigations {
		if r := rows[inv.HouseholdID]; r != nil {
			r.Investigations++
			r.OpenConflicts += inv.Meta.OpenConflicts
			r.Signed = r.Signed || validSigners(inv) >= 2
			r.Submitted = r.Submitted || inv.Meta.Submitted
		}
	}
	for _, p := range s.photos {
		if r := rows[p.HouseholdID]; r != nil {
			r.Photos++
			r.Commitment = r.Commitment || p.Field("kind") == "commitment"
		}
	}
	f := q.Filter
	for _, r := range all {
		q.Counts.All++
		q.Counts.Conflicts += b2i(r.OpenConflicts > 0)
		q.Counts.Unsigned += b2i(!r.Signed)
		q.Counts.NoCommitment += b2i(!r.Commitment)
		if (f.Conflicts && r.OpenConflicts == 0) || (f.Unsigned && r.Signed) || (f.NoCommitment && r.Commitment) {
			continue
		}
		q.Rows = append(q.Rows, *r)
	}
	slices.SortStableFunc(q.Rows, func(a, b QueueRow) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	q.Total = len(q.Rows)
	q.Pages = max(1, (q.Total+QueuePageSize-1)/QueuePageSize)
	q.Page = min(f.Page, q.Pages)
	lo := (q.Page - 1) * QueuePageSize
	q.Rows = q.Rows[lo:min(lo+QueuePageSize, q.Total)]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ConsoleHousehold answers the file of one household of the actor's
// subtree: the household and its members (sensitive fields masked unless
// the actor holds one of server.SensitiveRoles), investigation forms with their
// signatures, photos, open conflicts and the audit trail of its records.
// id may be a merged duplicate's alias. Codes: forbidden, not_found (no
// such household, deleted, or outside the subtree).
func (e *Engine) ConsoleHousehold(ctx context.Context, a *server.Actor, id string) (*HouseholdFile, error) {
	out := &HouseholdFile{Masked: masks(a)}
	err := e.consoleRead(ctx, a, func(t *txn) error {
		canon, err := t.tx.CanonicalID(syncproto.CollHouseholds, id)
		if err != nil {
			return fmt.Errorf("follow alias: %w", err)
		}
		hh, err := t.get(syncproto.CollHouseholds, canon)
		if err != nil {
			return err
		}
		if hh == nil || hh.Deleted || !t.covers(hh.UnitID) {
			return server.Errorf(syncproto.CodeNotFound, "no household %q", id)
		}
		children, err := t.tx.Children(hh.ID)
		if err != nil {
			return fmt.Errorf("load household records: %w", err)
		}
		out.id = hh.ID
		return t.fillFile(out, hh, children)
	})
	if err != nil || out.Masked {
		return out, err
	}
	// Who opened a file with full ID numbers and health data is part of
	// the trace (PIPL: access to sensitive personal information is logged).
	return out, e.write(ctx, a, func(t *txn) error {
		return t.audit("household.view", syncproto.CollHouseholds, out.id, map[string]any{"fields": "sensitive"})
	})
}

// fillFile fills the file of hh from its records.
func (t *txn) fillFile(f *HouseholdFile, hh *server.Record, children []*server.Record) error {
	names := userNames{t: t, names: map[string]string{}}
	f.Household, f.Village = t.fileRecord(hh, f.Masked, &names), t.units[hh.UnitID]
	sigs := map[string][]*server.Record{}
	var invs []*server.Record
	for _, c := range children {
		if !c.Deleted && c.Collection == syncproto.CollInvestigations {
			invs = append(invs, c)
		}
		if !c.Deleted && c.Collection == syncproto.CollSignatures {
			sigs[c.ParentID] = append(sigs[c.ParentID], c)
		}
	}
	for _, c := range children {
		if c.Deleted {
			continue
		}
		switch c.Collection {
		case syncproto.CollMembers:
			f.Members = append(f.Members, t.fileRecord(c, f.Masked, &names))
		case syncproto.CollInvestigations:
			inv, err := t.fileInvestigation(c, sigs[c.ID], f.Masked, &names)
			if err != nil {
				return err
			}
			f.Investigations = append(f.Investigations, inv)
		case syncproto.CollPhotos:
			p := FilePhoto{ID: c.ID}
			if err := json.Unmarshal(c.FieldsJSON(), &p.PhotoFields); err != nil {
				return fmt.Errorf("photo %s fields: %w", c.ID, err)
			}
			p.UploadedByName = names.of(p.UploadedBy)
			f.Photos = append(f.Photos, p)
		}
	}
	var err error
	if f.Benefit, err = t.fileBenefit(hh, invs); err != nil {
		return err
	}
	if err := t.fileConflicts(f, hh, children); err != nil {
		return err
	}
	return t.fileAudit(f, hh, children, &names)
}

// userNames finds display names of users, once each.
type userNames struct {
	t     *txn
	names map[string]string
}

func (n *userNames) of(id string) string {
	if id == "" {
		return ""
	}
	if name, ok := n.names[id]; ok {
		return name
	}
	name := id
	if u, err := n.t.tx.UserByID(id); err == nil && u != nil {
		name = u.DisplayName
	}
	n.names[id] = name
	return name
}

// fileRecord decodes a record's fields, masking the sensitive ones.
func (t *txn) fileRecord(r *server.Record, masked bool, names *userNames) FileRecord {
	fields := map[string]any{}
	schema := syncproto.Schemas[r.Collection]
	for k, raw := range r.Fields {
		if spec := schema.Fields[k]; masked && spec.Sensitive && string(raw) != "null" {
			// Masked as pull masks it; what pull withholds, the page says so.
			if raw = maskValue(spec, raw); string(raw) == "null" {
				fields[k] = "（已隐藏）"
				continue
			}
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		fields[k] = v
	}
	return FileRecord{ID: r.ID, Version: r.Version, Fields: fields, CreatedBy: names.of(r.CreatedBy), CreatedAt: r.CreatedAt}
}

// fileInvestigation is an investigation with who signed it and whether
// each signature is on its current content.
func (t *txn) fileInvestigation(inv *server.Record, sigs []*server.Record, masked bool, names *userNames) (FileInvestigation, error) {
	out := FileInvestigation{FileRecord: t.fileRecord(inv, masked, names), Submitted: inv.Meta.Submitted,
		SubmittedAt: inv.Meta.SubmittedAt, OpenConflicts: inv.Meta.OpenConflicts}
	if ids, ok := out.Fields["investigators"].([]any); ok {
		for i, id := range ids {
			if s, ok := id.(string); ok {
				ids[i] = names.of(s)
			}
		}
	}
	state := inv.Meta.Signatures
	if state != nil {
		out.Satisfied = state.Satisfied
		for _, id := range state.ValidSigners {
			out.ValidSigners = append(out.ValidSigners, names.of(id))
		}
	}
	for _, s := range sigs {
		key, err := t.tx.Key(s.Field("key_id"))
		if err != nil {
			return out, fmt.Errorf("signature key: %w", err)
		}
		fs := FileSignature{ID: s.ID, Role: s.Field("role"), SignedAt: s.Field("signed_at"), Signer: names.of(s.CreatedBy)}
		if key != nil {
			fs.Signer = names.of(key.UserID)
			fs.Valid = state != nil && s.Field("content_hash") == state.ContentHash && slices.Contains(state.ValidSigners, key.UserID)
		}
		out.Signatures = append(out.Signatures, fs)
	}
	return out, nil
}

// fileConflicts lists the open conflicts about the household's records,
// masking a foreign household named in one.
func (t *txn) fileConflicts(f *HouseholdFile, hh *server.Record, children []*server.Record) error {
	mine := map[string]bool{syncproto.CollHouseholds + "/" + hh.ID: true}
	for _, c := range children {
		mine[c.Collection+"/"+c.ID] = true
	}
	list, err := t.tx.Conflicts(t.units[hh.UnitID].Path, syncproto.ConflictOpen, "", ConsoleLimit)
	if err != nil {
		return fmt.Errorf("list conflicts: %w", err)
	}
	for i := range list {
		c := &list[i].Conflict
		if !mine[c.Collection+"/"+c.RecordID] {
			continue
		}
		if err := t.maskForeignHousehold(c); err != nil {
			return err
		}
		f.Conflicts = append(f.Conflicts, *c)
	}
	return nil
}

// maxAuditLines bounds the audit trail shown with a household file.
const maxAuditLines = 500

// fileAudit gathers the audit entries of the household's records, oldest
// first; their details are left out when the file is masked (they may
// carry the values written).
func (t *txn) fileAudit(f *HouseholdFile, hh *server.Record, children []*server.Record, names *userNames) error {
	var entries []server.AuditEntry
	for _, r := range append([]*server.Record{hh}, children...) {
		es, err := t.auditOf(r.Collection, r.ID)
		if err != nil {
			return fmt.Errorf("audit of %s: %w", r.ID, err)
		}
		entries = append(entries, es...)
	}
	slices.SortFunc(entries, func(a, b server.AuditEntry) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Seq, b.Seq))
	})
	if len(entries) > maxAuditLines {
		entries = entries[len(entries)-maxAuditLines:]
	}
	for _, e := range entries {
		l := AuditLine{Seq: e.Seq, At: e.At, Actor: names.of(e.ActorID), Device: e.DeviceID, Action: e.Action,
			Object: e.ObjectType, Which: e.ObjectID}
		if !f.Masked {
			l.Detail = detailJSON(e.Detail)
		}
		f.Audit = append(f.Audit, l)
	}
	return nil
}

// detailJSON returns an audit detail as JSON (nil when there is none).
func detailJSON(d any) json.RawMessage {
	switch v := d.(type) {
	case nil:
		return nil
	case json.RawMessage:
		return v
	case []byte:
		return v
	case string:
		return json.RawMessage(v)
	}
	return mustJSON(d)
}

// Benefit is the computed per-capita income and benefit of a household
// file, with what the computation rested on.
type Benefit struct {
	Result policy.Result
	// PolicyFrom is the county policy version applied.
	PolicyFrom string
	// Notes say what the computation rested on.
	Notes []string
}

// fileBenefit computes the household's benefit today with the case
// procedure's computation (benefitInput, the county's policy in force):
// on the household's open case when it has one, else as a case would be
// on the latest investigation.
func (t *txn) fileBenefit(hh *server.Record, invs []*server.Record) (Benefit, error) {
	cr := &caseRec{c: syncproto.Case{HouseholdID: hh.ID, Category: hh.Field("category")}}
	cases, err := t.casesUnder(hh.UnitID)
	if err != nil {
		return Benefit{}, err
	}
	var notes []string
	for _, c := range cases {
		if c.c.HouseholdID == hh.ID && slices.Contains(openStates, c.c.State) {
			cr = c
			notes = append(notes, "按案件 "+c.c.Number+" 测算")
		}
	}
	if cr.rec == nil {
		if latest := latestInvestigation(invs); latest != nil {
			cr.c.InvestigationID = latest.ID
		}
	}
	if cr.c.InvestigationID != "" {
		notes = append(notes, "收入与刚性支出取自入户调查表 "+cr.c.InvestigationID)
	} else {
		notes = append(notes, "尚无入户调查表：收入取自家庭成员登记")
	}
	res, p, err := t.benefit(cr)
	if server.ErrorCode(err) == syncproto.CodeInvalidPolicy {
		return Benefit{Notes: append(notes, "本县没有可用的政策参数："+server.ErrorMessage(err))}, nil
	}
	if err != nil {
		return Benefit{}, err
	}
	return Benefit{Result: res, PolicyFrom: p.EffectiveFrom, Notes: notes}, nil
}

// latestInvestigation is the live investigation with the latest date
// (then the latest created); nil when none.
func latestInvestigation(invs []*server.Record) *server.Record {
	var best *server.Record
	for _, inv := range invs {
		if best == nil || cmp.Or(cmp.Compare(inv.Field("date"), best.Field("date")), inv.CreatedAt.Compare(best.CreatedAt)) > 0 {
			best = inv
		}
	}
	return best
}

// HouseholdHead is what lists of cases show of a household; the ID
// number is masked.
type HouseholdHead struct {
	ID, HeadName, HeadIDNumber, Address, UnitID, Village string
}

// ConsoleHeads returns the heads of the households of ids that lie in the
// actor's subtree (others are left out, as if they did not exist), by id.
// Code forbidden.
func (e *Engine) ConsoleHeads(ctx context.Context, a *server.Actor, ids []string) (map[string]HouseholdHead, error) {
	out := map[string]HouseholdHead{}
	if len(ids) > ConsoleLimit {
		return nil, server.Errorf(syncproto.CodeValidation, "at most %d households at once", ConsoleLimit)
	}
	err := e.consoleRead(ctx, a, func(t *txn) error {
		for _, id := range ids {
			hh, err := t.get(syncproto.CollHouseholds, id)
			if err != nil {
				return err
			}
			if hh == nil || !t.covers(hh.UnitID) {
				continue
			}
			out[id] = HouseholdHead{ID: id, HeadName: hh.Field("head_name"), HeadIDNumber: syncproto.MaskIDNumber(hh.Field("head_id_number")),
				Address: hh.Field("address"), UnitID: hh.UnitID, Village: t.units[hh.UnitID].Name}
		}
		return nil
	})
	return out, err
}
