package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A photo's content (its bytes, stored once by server/photos) and its
// filings are two things. A filing puts the content in one household's file
// as one kind; it is a record like every synced record: collection
// "photos", unit_id = its household's village, so pull, scope moves and the
// commitment check need nothing photo-specific. The first filing of a
// content has the content's SHA-256 as its id (the shape old clients
// know); any further one syncproto.PhotoFilingID. Every record written
// carries the content's hash in its field sha256.

// CheckPhotoUpload implements server.PhotoRecords.
func (e *Engine) CheckPhotoUpload(ctx context.Context, a *server.Actor, sha, household string) (string, error) {
	if err := mayUploadPhotos(a); err != nil {
		return "", err
	}
	var canon string
	err := e.read(ctx, a, func(t *txn) error {
		hh, err := t.photoHousehold(household)
		if err == nil {
			canon = hh.ID
		}
		return err
	})
	return canon, err
}

// AddPhoto implements server.PhotoRecords.
func (e *Engine) AddPhoto(ctx context.Context, a *server.Actor, p server.Photo) (existed bool, err error) {
	if err := mayUploadPhotos(a); err != nil {
		return false, err
	}
	err = e.write(ctx, a, func(t *txn) error {
		hh, err := t.photoHousehold(p.HouseholdID)
		if err != nil {
			return err
		}
		p.HouseholdID = hh.ID
		id, cur, err := t.filing(p.SHA256, hh.ID, p.Kind)
		if err != nil || (cur != nil && !cur.Deleted) {
			existed = cur != nil
			return err
		}
		if p.Flags, p.DistanceM, err = t.photoEvidence(p, hh); err != nil {
			return err
		}
		r, err := t.photoRecord(id, p, hh.UnitID, cur)
		if err != nil {
			return err
		}
		return t.audit("photo.add", syncproto.CollPhotos, id, map[string]any{"sha256": p.SHA256,
			"household_id": hh.ID, "kind": p.Kind, "filename": p.Filename, "flags": p.Flags, "version": r.Version})
	})
	return existed, err
}

// filing returns the record id of the filing of content sha under
// household as kind, and its record (nil when there is none yet): the
// content's first filing has id sha, any other PhotoFilingID.
func (t *txn) filing(sha, household, kind string) (string, *server.Record, error) {
	first, err := t.get(syncproto.CollPhotos, sha)
	if err != nil {
		return "", nil, err
	}
	if first == nil {
		return sha, nil, nil
	}
	if p, err := photoOf(first); err != nil || (p.HouseholdID == household && p.Kind == kind) {
		return sha, first, err
	}
	id := syncproto.PhotoFilingID(sha, household, kind)
	cur, err := t.get(syncproto.CollPhotos, id)
	return id, cur, err
}

// photoRecord writes the filing id of p at the next version, reviving cur
// when it is a deleted record of the same filing.
func (t *txn) photoRecord(id string, p server.Photo, unit string, cur *server.Record) (*server.Record, error) {
	fields, err := photoFields(p, t.now)
	if err != nil {
		return nil, err
	}
	r := cur
	if r == nil {
		r = &server.Record{Collection: syncproto.CollPhotos, ID: id, CreatedBy: t.a.UserID}
	}
	if err := t.bump(r); err != nil {
		return nil, err
	}
	r.Deleted, r.Fields = false, fields
	r.UnitID, r.HouseholdID = unit, p.HouseholdID
	r.FieldVersions = make(map[string]int64, len(fields))
	for f := range fields {
		r.FieldVersions[f] = r.Version
	}
	return r, t.put(r)
}

// photoFields encodes p as the fields of its record.
func photoFields(p server.Photo, now time.Time) (map[string]json.RawMessage, error) {
	f := syncproto.PhotoFields{SHA256: p.SHA256, HouseholdID: p.HouseholdID, Kind: p.Kind, Width: p.Width,
		Height: p.Height, GPS: p.GPS, UploadedBy: p.UploadedBy, UploadedAt: ts(now), Flags: p.Flags,
		DistanceM: p.DistanceM}
	if f.Flags == nil {
		f.Flags = []string{}
	}
	if p.TakenAt != "" {
		f.TakenAt = &p.TakenAt
	}
	return recordFields(f)
}

// photoHousehold loads the live household a photo is filed under, following
// a merged duplicate's alias, and checks that it is in the actor's subtree.
// Codes unknown_household, out_of_scope.
func (t *txn) photoHousehold(id string) (*server.Record, error) {
	id, err := t.canonicalID(syncproto.CollHouseholds, id)
	if err != nil {
		return nil, err
	}
	hh, err := t.get(syncproto.CollHouseholds, id)
	if err != nil {
		return nil, err
	}
	if hh == nil || hh.Deleted {
		return nil, server.Errorf(syncproto.CodeUnknownHousehold, "household %q does not exist", id)
	}
	if !t.covers(hh.UnitID) {
		return nil, server.Errorf(syncproto.CodeOutOfScope, "household %q is outside your jurisdiction", id)
	}
	return hh, nil
}

// FindPhoto implements server.PhotoRecords: the oldest live filing of sha
// in a's subtree.
func (e *Engine) FindPhoto(ctx context.Context, a *server.Actor, sha string) (*server.Photo, error) {
	var p *server.Photo
	err := e.read(ctx, a, func(t *txn) error {
		rs, err := t.tx.PhotoFilings([]string{sha})
		if err != nil {
			return fmt.Errorf("find photo filings: %w", err)
		}
		for _, r := range rs {
			if !r.Deleted && t.covers(r.UnitID) {
				p, err = photoOf(r)
				return err
			}
		}
		return server.Errorf(syncproto.CodeNotFound, "photo %s not found", sha)
	})
	return p, err
}

// photoOf decodes a photo record.
func photoOf(r *server.Record) (*server.Photo, error) {
	var f syncproto.PhotoFields
	if err := json.Unmarshal(r.FieldsJSON(), &f); err != nil {
		return nil, fmt.Errorf("photo %s fields: %w", r.ID, err)
	}
	p := &server.Photo{ID: r.ID, SHA256: f.SHA256, HouseholdID: r.HouseholdID, Kind: f.Kind, Width: f.Width,
		Height: f.Height, GPS: f.GPS, UploadedBy: f.UploadedBy, Flags: f.Flags, DistanceM: f.DistanceM}
	if p.SHA256 == "" {
		p.SHA256 = r.ID
	}
	if f.TakenAt != nil {
		p.TakenAt = *f.TakenAt
	}
	p.UploadedAt, _ = time.Parse(time.RFC3339, f.UploadedAt)
	return p, nil
}

// PhotosWithoutRecord implements server.PhotoRecords.
func (e *Engine) PhotosWithoutRecord(ctx context.Context, a *server.Actor, shas []string) ([]string, error) {
	missing := []string{}
	err := e.read(ctx, a, func(t *txn) error {
		have, err := t.filedContents(shas)
		for _, s := range shas {
			if !have[s] {
				missing = append(missing, s)
			}
		}
		return err
	})
	return missing, err
}

// filedContents returns those of shas with a live filing in the actor's
// subtree (every subtree for the system actor, whose UnitPath is "").
func (t *txn) filedContents(shas []string) (map[string]bool, error) {
	have := make(map[string]bool, len(shas))
	rs, err := t.tx.PhotoFilings(shas)
	if err != nil {
		return nil, fmt.Errorf("find photo filings: %w", err)
	}
	for _, r := range rs {
		if r.Deleted || (t.a.UnitPath != "" && !t.covers(r.UnitID)) {
			continue
		}
		if p, err := photoOf(r); err == nil {
			have[p.SHA256] = true
		}
	}
	return have, nil
}

// PhotoFiled implements server.PhotoRecords.
func (e *Engine) PhotoFiled(ctx context.Context, sha string) (bool, error) {
	var have map[string]bool
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		t := &txn{e: e, tx: tx, a: &server.Actor{}, units: map[string]server.Unit{}}
		var err error
		have, err = t.filedContents([]string{sha})
		return err
	})
	return have[sha], err
}

// MissingFilings implements server.PhotoRecords.
func (e *Engine) MissingFilings(ctx context.Context, a *server.Actor, filings []syncproto.PhotoFiling) ([]syncproto.PhotoFiling, error) {
	missing := []syncproto.PhotoFiling{}
	err := e.read(ctx, a, func(t *txn) error {
		for _, f := range filings {
			ok, err := t.hasFiling(f)
			if err != nil {
				return err
			}
			if !ok {
				missing = append(missing, f)
			}
		}
		return nil
	})
	return missing, err
}

// hasFiling reports whether filing f is live in the actor's subtree. A
// household that is unknown or outside the subtree has no filing: the
// upload is refused with the reason.
func (t *txn) hasFiling(f syncproto.PhotoFiling) (bool, error) {
	hh, err := t.photoHousehold(f.HouseholdID)
	if code := server.ErrorCode(err); code == syncproto.CodeUnknownHousehold || code == syncproto.CodeOutOfScope {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_, cur, err := t.filing(f.SHA256, hh.ID, f.Kind)
	return cur != nil && !cur.Deleted, err
}

// mayUploadPhotos refuses roles that may not add to a household's file (the
// village committee reads only, and a commitment photo unlocks submit).
// Code forbidden.
func mayUploadPhotos(a *server.Actor) error {
	if !a.HasAny(server.PhotoUploadRoles...) {
		return server.Errorf(syncproto.CodeForbidden, "your role may not add photos to a household's file")
	}
	return nil
}
