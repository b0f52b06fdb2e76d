package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Photo records live in records like every synced record: collection
// "photos", id = the photo's SHA-256, unit_id = its household's village, so
// pull, scope moves and checkCommitment need nothing photo-specific. The
// content is stored once (server/photos), so there is one record per
// content: the first upload files it under its household; uploading the same
// bytes again for that household changes nothing, and for another household
// is refused with already_exists (a photo documents one household; the same
// file under two households is a mistake on the device).

var _ server.PhotoRecords = (*DB)(nil)

// CheckPhotoUpload implements server.PhotoRecords.
func (db *DB) CheckPhotoUpload(ctx context.Context, a *server.Actor, sha, household string) (string, error) {
	var canon string
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		hh, err := photoHousehold(ctx, tx, a, household)
		if err != nil {
			return err
		}
		canon = hh.ID
		_, err = existingPhoto(ctx, tx, sha, hh.ID)
		return err
	})
	return canon, err
}

// AddPhoto implements server.PhotoRecords.
func (db *DB) AddPhoto(ctx context.Context, a *server.Actor, p server.Photo) (existed bool, err error) {
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		hh, err := photoHousehold(ctx, tx, a, p.HouseholdID)
		if err != nil {
			return err
		}
		cur, err := existingPhoto(ctx, tx, p.SHA256, hh.ID)
		if err != nil || (cur != nil && !cur.Deleted) {
			existed = cur != nil
			return err
		}
		p.HouseholdID = hh.ID
		r, err := db.photoRecord(ctx, tx, a, p, hh.UnitID, cur)
		if err != nil {
			return err
		}
		return db.auditTx(ctx, tx, a, "photo.add", syncproto.CollPhotos, p.SHA256, map[string]any{
			"household_id": hh.ID, "kind": p.Kind, "filename": p.Filename, "version": r.Version})
	})
	return existed, err
}

// photoRecord writes the record of p at the next version, reviving cur
// when a deleted record of the same photo exists.
func (db *DB) photoRecord(ctx context.Context, tx *sql.Tx, a *server.Actor, p server.Photo, unit string, cur *record) (*record, error) {
	fields, err := photoFields(p, db.Now())
	if err != nil {
		return nil, err
	}
	version, err := nextVersion(ctx, tx)
	if err != nil {
		return nil, err
	}
	r := cur
	if r == nil {
		r = &record{Collection: syncproto.CollPhotos, ID: p.SHA256, CreatedBy: a.UserID}
	}
	r.Version, r.Deleted, r.Fields = version, false, fields
	r.UnitID, r.HouseholdID = unit, p.HouseholdID
	r.FieldVersions = make(map[string]int64, len(fields))
	for f := range fields {
		r.FieldVersions[f] = version
	}
	return r, saveRecord(ctx, tx, r, db.now())
}

// photoFields encodes p as the fields of its record.
func photoFields(p server.Photo, now time.Time) (map[string]json.RawMessage, error) {
	f := syncproto.PhotoFields{HouseholdID: p.HouseholdID, Kind: p.Kind, Width: p.Width, Height: p.Height,
		GPS: p.GPS, UploadedBy: p.UploadedBy, UploadedAt: now.UTC().Format(time.RFC3339)}
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

// nextVersion takes the next value of the server-wide version sequence.
func nextVersion(ctx context.Context, tx *sql.Tx) (int64, error) {
	var v int64
	if err := tx.QueryRowContext(ctx, `SELECT value FROM version_seq WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read version sequence: %w", err)
	}
	v++
	if _, err := tx.ExecContext(ctx, `UPDATE version_seq SET value = ? WHERE id = 1`, v); err != nil {
		return 0, fmt.Errorf("advance version sequence: %w", err)
	}
	return v, nil
}

// photoHousehold loads the live household a photo is filed under, following
// a merged duplicate's alias, and checks that it is in a's subtree. Codes
// unknown_household, out_of_scope.
func photoHousehold(ctx context.Context, q querier, a *server.Actor, id string) (*record, error) {
	id, err := canonicalID(ctx, q, syncproto.CollHouseholds, id)
	if err != nil {
		return nil, err
	}
	hh, err := findRecord(ctx, q, syncproto.CollHouseholds, id)
	if err != nil {
		return nil, err
	}
	if hh == nil || hh.Deleted {
		return nil, server.Errorf(syncproto.CodeUnknownHousehold, "household %q does not exist", id)
	}
	covered, err := unitCovered(ctx, q, a, hh.UnitID)
	if err != nil {
		return nil, err
	}
	if !covered {
		return nil, server.Errorf(syncproto.CodeOutOfScope, "household %q is outside your jurisdiction", id)
	}
	return hh, nil
}

// existingPhoto returns the record of photo sha (nil when there is none),
// or already_exists when a live one is filed under another household.
func existingPhoto(ctx context.Context, q querier, sha, household string) (*record, error) {
	cur, err := findRecord(ctx, q, syncproto.CollPhotos, sha)
	if err != nil || cur == nil {
		return nil, err
	}
	if !cur.Deleted && cur.HouseholdID != household {
		return nil, server.Errorf(syncproto.CodeAlreadyExists,
			"this photo (the same file) is already filed under another household")
	}
	return cur, nil
}

// unitCovered reports whether unit lies in a's subtree.
func unitCovered(ctx context.Context, q querier, a *server.Actor, unit string) (bool, error) {
	var path string
	err := q.QueryRowContext(ctx, `SELECT path FROM units WHERE id = ?`, unit).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find unit %q: %w", unit, err)
	}
	return a.Covers(path), nil
}

// FindPhoto implements server.PhotoRecords.
func (db *DB) FindPhoto(ctx context.Context, a *server.Actor, sha string) (*server.Photo, error) {
	var p *server.Photo
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		r, err := findRecord(ctx, tx, syncproto.CollPhotos, sha)
		if err != nil {
			return err
		}
		covered := false
		if r != nil && !r.Deleted {
			if covered, err = unitCovered(ctx, tx, a, r.UnitID); err != nil {
				return err
			}
		}
		if !covered {
			return server.Errorf(syncproto.CodeNotFound, "photo %s not found", sha)
		}
		p, err = photoOf(r)
		return err
	})
	return p, err
}

// photoOf decodes a photo record.
func photoOf(r *record) (*server.Photo, error) {
	var f syncproto.PhotoFields
	if err := json.Unmarshal(r.fieldsJSON(), &f); err != nil {
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
func (db *DB) PhotosWithoutRecord(ctx context.Context, shas []string) ([]string, error) {
	have := make(map[string]bool, len(shas))
	for start := 0; start < len(shas); start += maxInArgs {
		marks, args := inList(shas[start:min(start+maxInArgs, len(shas))])
		rows, err := db.read.QueryContext(ctx, `SELECT id FROM records
			WHERE collection = 'photos' AND deleted = 0 AND id IN (`+marks+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find photos: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			have[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	missing := []string{}
	for _, s := range shas {
		if !have[s] {
			missing = append(missing, s)
		}
	}
	return missing, nil
}
