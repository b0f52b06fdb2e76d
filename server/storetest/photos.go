package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Issue #5: photo records, without the upload path (server/photos tests
// that end to end).

func photoSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func wantPhotoCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := server.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}

func testPhotoRecordIsSyncedAndScoped(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	ctx := context.Background()
	records := photoRecords(env)
	w1 := env.Login("worker1", "tab-01")
	push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)))
	push1(w1, ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)))
	a1, a3 := env.Actor("worker1", "tab-01"), env.Actor("worker3", "tab-03")
	sha := photoSHA("photo 1")

	// Checks before upload: household exists and is in scope.
	if got, err := records.CheckPhotoUpload(ctx, a1, sha, "hh1"); err != nil || got != "hh1" {
		t.Fatalf("CheckPhotoUpload = %q, %v", got, err)
	}
	_, err := records.CheckPhotoUpload(ctx, a1, sha, "nope")
	wantPhotoCode(t, err, syncproto.CodeUnknownHousehold)
	_, err = records.CheckPhotoUpload(ctx, a3, sha, "hh1")
	wantPhotoCode(t, err, syncproto.CodeOutOfScope)
	// The read-only village committee adds nothing to the file (a
	// commitment photo would unlock submit).
	committee := env.Actor("committee1", "tab-c")
	_, err = records.CheckPhotoUpload(ctx, committee, sha, "hh1")
	wantPhotoCode(t, err, syncproto.CodeForbidden)
	_, err = records.AddPhoto(ctx, committee, server.Photo{SHA256: sha, HouseholdID: "hh1", Kind: "commitment", UploadedBy: committee.UserID})
	wantPhotoCode(t, err, syncproto.CodeForbidden)

	p := server.Photo{SHA256: sha, HouseholdID: "hh1", Kind: "house", Width: 3000, Height: 4000,
		TakenAt: "2024-05-01T10:11:12+08:00", GPS: &syncproto.PhotoGPS{Lat: 30.25, Lon: 120.5}, UploadedBy: a1.UserID, Filename: "IMG_0001.jpg"}
	if existed, err := records.AddPhoto(ctx, a1, p); err != nil || existed {
		t.Fatalf("AddPhoto = %v, %v", existed, err)
	}
	state, _ := stateOf(w1, "")
	ch := live(t, state, syncproto.CollPhotos, sha)
	want := map[string]any{"household_id": "hh1", "kind": "house", "width": 3000.0, "height": 4000.0,
		"taken_at": "2024-05-01T10:11:12+08:00", "gps": map[string]any{"lat": 30.25, "lon": 120.5},
		"uploaded_by": a1.UserID, "uploaded_at": env.Now().UTC().Format(time.RFC3339), "sha256": sha, "flags": []any{}}
	if got := fieldsOf(t, ch); !reflect.DeepEqual(got, want) {
		t.Fatalf("photo fields\n got %v\nwant %v", got, want)
	}
	if au := auditOf(t, env, syncproto.CollPhotos, sha); len(au) != 1 || au[0].Action != "photo.add" ||
		au[0].ActorID != a1.UserID || detailOf(t, au[0])["household_id"] != "hh1" || detailOf(t, au[0])["filename"] != "IMG_0001.jpg" {
		t.Fatalf("audit %+v", au)
	}

	// Again for the same household: nothing new. For another: a second
	// filing (photo_filings.go tests it end to end).
	if existed, err := records.AddPhoto(ctx, a1, p); err != nil || !existed {
		t.Fatalf("second AddPhoto = %v, %v", existed, err)
	}
	if again, _ := stateOf(w1, ""); again[syncproto.CollPhotos+"/"+sha].Version != ch.Version {
		t.Fatal("a second AddPhoto of the same photo changed its record")
	}
	p.HouseholdID = "hh2"
	if existed, err := records.AddPhoto(ctx, a1, p); err != nil || existed {
		t.Fatalf("AddPhoto for hh2 = %v, %v", existed, err)
	}

	// Another village neither pulls nor finds it.
	w3 := env.Login("worker3", "tab-03")
	if s3, _ := stateOf(w3, ""); len(s3) != 0 {
		t.Fatalf("worker3 pulled %d records", len(s3))
	}
	_, err = records.FindPhoto(ctx, a3, sha)
	wantPhotoCode(t, err, syncproto.CodeNotFound)
	got, err := records.FindPhoto(ctx, a1, sha)
	if err != nil || got.HouseholdID != "hh1" || got.Kind != "house" || got.GPS == nil || got.TakenAt == "" {
		t.Fatalf("FindPhoto = %+v, %v", got, err)
	}

	missing, err := records.PhotosWithoutRecord(ctx, a1, []string{photoSHA("x"), sha, photoSHA("y")})
	if err != nil || !reflect.DeepEqual(missing, []string{photoSHA("x"), photoSHA("y")}) {
		t.Fatalf("PhotosWithoutRecord = %v, %v", missing, err)
	}
	// Scoped: another township's worker learns nothing about it.
	missing, err = records.PhotosWithoutRecord(ctx, a3, []string{sha})
	if err != nil || !reflect.DeepEqual(missing, []string{sha}) {
		t.Fatalf("PhotosWithoutRecord(worker3) = %v, %v", missing, err)
	}
}

func testPhotoFollowsMergedAndMovedHousehold(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	ctx := context.Background()
	records := photoRecords(env)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)))
	// The same head registered on another tablet: merged into hh1.
	res := push1(w2, ruhutest.Upsert(hhs, "hh1-dup", 0, ruhutest.Household("t1-v1", 1)))
	if res.CanonicalID != "hh1" {
		t.Fatalf("duplicate household result %+v", res)
	}
	a2 := env.Actor("worker2", "tab-02")
	sha := photoSHA("commitment")
	if got, err := records.CheckPhotoUpload(ctx, a2, sha, "hh1-dup"); err != nil || got != "hh1" {
		t.Fatalf("CheckPhotoUpload(alias) = %q, %v", got, err)
	}
	if _, err := records.AddPhoto(ctx, a2, server.Photo{SHA256: sha, HouseholdID: "hh1-dup", Kind: "commitment",
		Width: 10, Height: 10, UploadedBy: a2.UserID}); err != nil {
		t.Fatal(err)
	}
	state, cursor := stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, syncproto.CollPhotos, sha)); f["household_id"] != "hh1" || f["taken_at"] != nil || f["gps"] != nil {
		t.Fatalf("photo fields %v", f)
	}

	// The household moves to another village: its photo goes with it.
	r1 := env.Login("reviewer1", "tab-r1")
	hh := live(t, state, hhs, "hh1")
	wantResult(t, push1(r1, ruhutest.Upsert(hhs, "hh1", hh.Version, map[string]any{"unit_id": "t1-v2"})), syncproto.StatusApplied, "")
	after, _ := stateOf(w1, cursor)
	if ch, ok := after[syncproto.CollPhotos+"/"+sha]; !ok || !ch.Deleted {
		t.Fatalf("worker1 (t1-v1) got %+v for the moved photo, want a tombstone", ch)
	}
	_, err := records.FindPhoto(ctx, env.Actor("worker1", "tab-01"), sha)
	wantPhotoCode(t, err, syncproto.CodeNotFound)
	if _, err := records.FindPhoto(ctx, env.Actor("reviewer1", "tab-r1"), sha); err != nil {
		t.Fatalf("reviewer1 FindPhoto: %v", err)
	}
}
