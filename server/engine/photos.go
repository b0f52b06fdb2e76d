package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Photo records live in records like every synced record: collection
// "photos", id = the photo's SHA-256, unit_id = its household's village, so
// pull, scope moves and the commitment check need nothing photo-specific.
// The content is stored once (server/photos), so there is one record per
// content: the first upload files it under its household; uploading the
// same bytes again for that household changes nothing, and for another
// household is refused with already_exists.

// CheckPhotoUpload implements server.PhotoRecords.
func (e *Engine) CheckPhotoUpload(ctx context.Context, a *server.Actor, sha, household string) (string, error) {
	var canon string
	err := e.read(ctx, a, func(t *txn) error {
		hh, err := t.photoHousehold(household)
		if err != nil {
			return err
		}
		canon = hh.ID
		_, err = t.existingPhoto(sha, hh.ID)
		return err
	})
	return canon, err
}

// AddPhoto implements server.PhotoRecords.
func (e *Engine) AddPhoto(ctx context.Context, a *server.Actor, p server.Photo) (existed bool, err error) {
	err = e.write(ctx, a, func(t *txn) error {
		hh, err := t.photoHousehold(p.HouseholdID)
		if err != nil {
			return err
		}
		cur, err := t.existingPhoto(p.SHA256, hh.ID)
		if err != nil || (cur != nil && !cur.Deleted) {
			existed = cur != nil
			return err
		}
		p.HouseholdID = hh.ID
		r, err := t.photoRecord(p, hh.UnitID, cur)
		if err != nil {
			return err
		}
		return t.audit("photo.add", syncproto.CollPhotos, p.SHA256, map[string]any{
			"household_id": hh.ID, "kind": p.Kind, "filename": p.Filename, "version": r.Version})
	})
	return existed, err
}

// photoRecord writes the record of p at the next version, reviving cur
// when a deleted record of the same photo exists.
func (t *txn) photoRecord(p server.Photo, unit string, cur *server.Record) (*server.Record, error) {
	fields, err := photoFields(p, t.now)
	if err != nil {
		return nil, err
	}
	r := cur
	if r == nil {
		r = &server.Record{Collection: syncproto.CollPhotos, ID: p.SHA256, CreatedBy: t.a.UserID}
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
	f := syncproto.PhotoFields{HouseholdID: p.HouseholdID, Kind: p.Kind, Width: p.Width, Height: p.Height,
		GPS: p.GPS, UploadedBy: p.UploadedBy, UploadedAt: ts(now)}
	if p.TakenAt != "" {
		f.TakenAt = &p.TakenAt
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("marshal photo fields: %w", err)
	}
	var fields map[string]json.RawMessage
	return fields, json.Unmarshal(b, &fields)
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

// existingPhoto returns the record of photo sha (nil when there is none),
// or already_exists when a live one is filed under another household.
func (t *txn) existingPhoto(sha, household string) (*server.Record, error) {
	cur, err := t.get(syncproto.CollPhotos, sha)
	if err != nil || cur == nil {
		return nil, err
	}
	if !cur.Deleted && cur.HouseholdID != household {
		return nil, server.Errorf(syncproto.CodeAlreadyExists, "this photo (the same file) is already filed under another household")
	}
	return cur, nil
}

// FindPhoto implements server.PhotoRecords.
func (e *Engine) FindPhoto(ctx context.Context, a *server.Actor, sha string) (*server.Photo, error) {
	var p *server.Photo
	err := e.read(ctx, a, func(t *txn) error {
		r, err := t.get(syncproto.CollPhotos, sha)
		if err != nil {
			return err
		}
		if r == nil || r.Deleted || !t.covers(r.UnitID) {
			return server.Errorf(syncproto.CodeNotFound, "photo %s not found", sha)
		}
		p, err = photoOf(r)
		return err
	})
	return p, err
}

// photoOf decodes a photo record.
func photoOf(r *server.Record) (*server.Photo, error) {
	var f syncproto.PhotoFields
	if err := json.Unmarshal(r.FieldsJSON(), &f); err != nil {
		return nil, fmt.Errorf("photo %s fields: %w", r.ID, err)
	}
	p := &server.Photo{SHA256: r.ID, HouseholdID: r.HouseholdID, Kind: f.Kind, Width: f.Width, Height: f.Height,
		GPS: f.GPS, UploadedBy: f.UploadedBy}
	if f.TakenAt != nil {
		p.TakenAt = *f.TakenAt
	}
	p.UploadedAt, _ = time.Parse(time.RFC3339, f.UploadedAt)
	return p, nil
}

// PhotosWithoutRecord implements server.PhotoRecords.
func (e *Engine) PhotosWithoutRecord(ctx context.Context, shas []string) ([]string, error) {
	missing := []string{}
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		have, err := tx.LivePhotos(shas)
		if err != nil {
			return fmt.Errorf("find photos: %w", err)
		}
		for _, s := range shas {
			if !have[s] {
				missing = append(missing, s)
			}
		}
		return nil
	})
	return missing, err
}
