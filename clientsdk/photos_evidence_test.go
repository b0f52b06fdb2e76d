package clientsdk_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// Issue #16: a photo re-encoded on the tablet keeps its capture time and
// GPS position, and the server records both.
func TestPreparedPhotoKeepsTimeAndPlace(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	photosSupported(t, env)
	tab := tablet(t, env)
	login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(24))
	taken := time.Date(2024, 5, 1, 10, 11, 12, 0, time.FixedZone("", 8*3600))
	// A camera file with its capture time and position.
	src := exif.Insert(encodeJPEG(t, noisy(400, 300)), exif.Segment(taken, &exif.GPS{Lat: 25.0389, Lon: 102.7183}))
	path := filepath.Join(t.TempDir(), "IMG_0001.jpg")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	ph, err := tab.AddPhoto(ctx, hh, "house", path)
	if err != nil {
		t.Fatal(err)
	}
	prepared, _ := os.ReadFile(ph.Path)
	if m := exif.Read(bytesReader(prepared)); m.TakenAt != "2024-05-01T10:11:12+08:00" || m.GPS == nil {
		t.Fatalf("prepared EXIF %+v, want time and place", m)
	}
	mustSync(t, tab)
	var f syncproto.PhotoFields
	if err := get(t, tab, syncproto.CollPhotos, ph.SHA256).Decode(&f); err != nil {
		t.Fatal(err)
	}
	if f.TakenAt == nil || *f.TakenAt != "2024-05-01T10:11:12+08:00" || f.GPS == nil ||
		int(f.GPS.Lat*1e4) != 250389 || int(f.GPS.Lon*1e4) != 1027183 || f.Width != 400 || f.Height != 300 {
		t.Fatalf("photo record %+v (gps %+v)", f, f.GPS)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
