package clientsdk_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// picture draws a w×h image whose left half is red and right half blue,
// so that orientation can be checked after decoding.
func picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 220, A: 255}
			if x >= w/2 {
				c = color.RGBA{B: 220, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// withOrientation inserts an EXIF APP1 segment with the given orientation
// tag right after a JPEG's SOI marker.
func withOrientation(jpg []byte, orientation uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, // header, IFD0 at 8, one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(orientation >> 8), byte(orientation), 0, 0, // Orientation SHORT
		0, 0, 0, 0} // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	return append(append(append([]byte{}, jpg[:2]...), app1...), jpg[2:]...)
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPreparePhoto(t *testing.T) {
	var big bytes.Buffer
	if err := png.Encode(&big, picture(1800, 900)); err != nil {
		t.Fatal(err)
	}
	p, err := clientsdk.PreparePhoto(bytes.NewReader(big.Bytes()), clientsdk.PhotoOptions{MaxEdge: 1600, Quality: 80})
	if err != nil || p.Width != 1600 || p.Height != 800 {
		t.Fatalf("downscale: %v %dx%d", err, p.Width, p.Height)
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(p.Data)); err != nil || format != "jpeg" || cfg.Width != 1600 {
		t.Fatalf("output: %v %s %+v", err, format, cfg)
	}
	// Orientation 6: the camera was turned; the stored pixels must be
	// rotated 90° clockwise to stand upright.
	turned := withOrientation(encodeJPEG(t, picture(400, 200)), 6)
	p, err = clientsdk.PreparePhoto(bytes.NewReader(turned), clientsdk.PhotoOptions{MaxEdge: 1600, Quality: 80})
	if err != nil || p.Width != 200 || p.Height != 400 {
		t.Fatalf("orientation: %v %dx%d", err, p.Width, p.Height)
	}
	img, _ := jpeg.Decode(bytes.NewReader(p.Data))
	if r, _, b, _ := img.At(100, 20).RGBA(); r < b { // red (the old left) is now on top
		t.Fatalf("top of the upright image is not red: r=%d b=%d", r, b)
	}
	orig := encodeJPEG(t, picture(50, 40))
	p, err = clientsdk.PreparePhoto(bytes.NewReader(orig), clientsdk.PhotoOptions{KeepOriginal: true})
	if err != nil || !bytes.Equal(p.Data, orig) {
		t.Fatalf("KeepOriginal changed the bytes: %v", err)
	}
	if _, err := clientsdk.PreparePhoto(strings.NewReader("GIF89a not a photo"), clientsdk.PhotoOptions{}); !errors.Is(err, clientsdk.ErrInvalidPhoto) {
		t.Fatalf("not an image: %v", err)
	}
}

// photosSupported probes the server for the photo endpoints; the photo
// upload work happens in parallel with this SDK.
func photosSupported(t *testing.T, env *ruhutest.Env) {
	t.Helper()
	c := env.Login("worker1", "probe-"+t.Name())
	st, _ := c.Do(http.MethodPost, "/v1/photos/missing", syncproto.MissingPhotosRequest{SHA256: []string{}})
	if st == http.StatusNotFound {
		t.Skip("server has no POST /v1/photos/missing yet")
	}
	req, _ := http.NewRequest(http.MethodOptions, env.URL+"/v1/uploads/", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		t.Skip("server has no tus endpoint at /v1/uploads/ yet")
	}
}

// photoFile writes a photo of w×h to a temporary file.
func photoFile(t *testing.T, w, h int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "house.jpg")
	if err := os.WriteFile(path, encodeJPEG(t, noisy(w, h)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// noisy is a picture that JPEG cannot compress to almost nothing, so that
// uploads take several chunks.
func noisy(w, h int) *image.RGBA {
	img := picture(w, h)
	seed := uint32(7)
	for i := range img.Pix {
		seed = seed*1664525 + 1013904223
		img.Pix[i] ^= byte(seed >> 24 & 0x3f)
	}
	return img
}

type progressLog struct {
	mu sync.Mutex
	p  []clientsdk.Progress
}

func (l *progressLog) add(p clientsdk.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p = append(l.p, p)
}

func (l *progressLog) photos() []clientsdk.Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []clientsdk.Progress
	for _, p := range l.p {
		if p.Phase == clientsdk.PhasePhotos {
			out = append(out, p)
		}
	}
	return out
}

func TestPhotoUploadCutMidwayResumes(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	photosSupported(t, env)
	isPatch := func(r *http.Request) bool { return r.Method == http.MethodPatch }
	// The second chunk reaches the server, its answer is lost, and the
	// tablet dies there (one attempt).
	cut := &cutter{base: http.DefaultTransport, drop: func(r *http.Request, n int) bool { return isPatch(r) && n == 2 }}
	dir := t.TempDir()
	opts := []clientsdk.Option{clientsdk.WithChunkSize(16 << 10)}
	tab := reopen(t, dir, env, append(opts, clientsdk.WithHTTPClient(&http.Client{Transport: cut}),
		clientsdk.WithRetry(1, time.Millisecond, time.Millisecond))...)
	login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(20))
	ph, err := tab.AddPhoto(ctx, hh, "house", photoFile(t, 640, 480))
	if err != nil || ph.Status != clientsdk.PhotoQueued || ph.Size < 4*(16<<10) {
		t.Fatalf("add photo: %+v %v", ph, err)
	}
	if _, err := tab.Sync(ctx); !errors.Is(err, clientsdk.ErrUnreachable) {
		t.Fatalf("cut sync: %v", err)
	}
	tab.Close()

	log := &progressLog{}
	tab = reopen(t, dir, env, append(opts, clientsdk.WithHTTPClient(&http.Client{Transport: cut}),
		clientsdk.WithProgress(log.add))...)
	rep := mustSync(t, tab)
	if rep.PhotosUploaded != 1 || rep.PhotosUnsupported || len(rep.PhotoErrors) != 0 {
		t.Fatalf("resumed sync: %+v", rep)
	}
	prog := log.photos()
	if len(prog) == 0 || prog[0].Done != 3*(16<<10) || prog[len(prog)-1].Done != ph.Size {
		t.Fatalf("progress %+v: the resumed upload must start after the two chunks the server holds", prog)
	}
	if n := cut.count("POST /v1/uploads/"); n != 1 {
		t.Fatalf("%d uploads created, want 1 (resumed, not restarted)", n)
	}
	r := get(t, tab, syncproto.CollPhotos, ph.SHA256)
	var f struct {
		HouseholdID string `json:"household_id"`
		Kind        string `json:"kind"`
		Width       int    `json:"width"`
	}
	if err := r.Decode(&f); err != nil || f.HouseholdID != hh || f.Kind != "house" || f.Width != 640 {
		t.Fatalf("photo record %s: %v", r.Fields, err)
	}
	checkOriginal(t, env, ph.SHA256, ph.Path)
}

func checkOriginal(t *testing.T, env *ruhutest.Env, sha, path string) {
	t.Helper()
	c := env.Login("worker1", "fetch-"+t.Name())
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/v1/photos/"+sha+"/original", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	want, _ := os.ReadFile(path)
	if res.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
		t.Fatalf("GET original: %d, %d bytes, want %d", res.StatusCode, len(got), len(want))
	}
}

func TestPhotoAlreadyOnServerIsNotUploadedAgain(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	photosSupported(t, env)
	a, b := tablet(t, env), tablet(t, env)
	login(t, a, "worker1")
	login(t, b, "worker2")
	hh := create(t, a, syncproto.CollHouseholds, household(21))
	file := photoFile(t, 300, 200)
	if _, err := a.AddPhoto(ctx, hh, "document", file); err != nil {
		t.Fatal(err)
	}
	mustSync(t, a)
	mustSync(t, b)
	spy := &cutter{base: http.DefaultTransport}
	b.Close()
	b = reopen(t, b.Dir(), env, clientsdk.WithHTTPClient(&http.Client{Transport: spy}))
	if _, err := b.AddPhoto(ctx, hh, "document", file); err != nil {
		t.Fatal(err)
	}
	rep := mustSync(t, b)
	if rep.PhotosUploaded != 1 || spy.count("POST /v1/uploads/") != 0 {
		t.Fatalf("report %+v, %d uploads", rep, spy.count("POST /v1/uploads/"))
	}
	photos, _ := b.Photos(ctx)
	if len(photos) != 1 || photos[0].Status != clientsdk.PhotoUploaded {
		t.Fatalf("photos %+v", photos)
	}
}

func TestAddPhotoChecksItsInput(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	tab := tablet(t, env)
	login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(22))
	file := photoFile(t, 64, 48)
	if _, err := tab.AddPhoto(ctx, hh, "selfie", file); !errors.Is(err, clientsdk.ErrInvalidRecord) {
		t.Fatalf("bad kind: %v", err)
	}
	if _, err := tab.AddPhoto(ctx, "no-such-household", "house", file); !errors.Is(err, clientsdk.ErrNotFound) {
		t.Fatalf("unknown household: %v", err)
	}
	text := filepath.Join(t.TempDir(), "notes.txt")
	_ = os.WriteFile(text, []byte("hello"), 0o600)
	if _, err := tab.AddPhoto(ctx, hh, "house", text); !errors.Is(err, clientsdk.ErrInvalidPhoto) {
		t.Fatalf("not a photo: %v", err)
	}
	p1, err := tab.AddPhoto(ctx, hh, "house", file)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := tab.AddPhoto(ctx, hh, "house", file)
	if err != nil || p2.SHA256 != p1.SHA256 {
		t.Fatalf("same photo twice: %v", err)
	}
	if list, _ := tab.Photos(ctx); len(list) != 1 {
		t.Fatalf("photos queued: %d", len(list))
	}
}

// Issue #16: the same picture for a second household is uploaded again
// and filed under both; the server's having the content is not enough.
func TestPhotoForSecondHouseholdIsFiled(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	photosSupported(t, env)
	spy := &cutter{base: http.DefaultTransport}
	tab := reopen(t, t.TempDir(), env, clientsdk.WithHTTPClient(&http.Client{Transport: spy}))
	login(t, tab, "worker1")
	hh1 := create(t, tab, syncproto.CollHouseholds, household(22))
	hh2 := create(t, tab, syncproto.CollHouseholds, household(23))
	file := photoFile(t, 320, 240)
	first, err := tab.AddPhoto(ctx, hh1, "notice", file)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, tab)
	if _, err := tab.AddPhoto(ctx, hh2, "notice", file); err != nil {
		t.Fatal(err)
	}
	rep := mustSync(t, tab)
	if rep.PhotosUploaded != 1 || spy.count("POST /v1/uploads/") != 2 {
		t.Fatalf("second sync %+v, %d uploads in all, want the bytes sent again", rep, spy.count("POST /v1/uploads/"))
	}
	for id, hh := range map[string]string{first.SHA256: hh1, syncproto.PhotoFilingID(first.SHA256, hh2, "notice"): hh2} {
		var f syncproto.PhotoFields
		if err := get(t, tab, syncproto.CollPhotos, id).Decode(&f); err != nil || f.HouseholdID != hh || f.SHA256 != first.SHA256 {
			t.Fatalf("filing %s: %+v %v, want household %s", id, f, err, hh)
		}
	}
	photos, _ := tab.Photos(ctx)
	if len(photos) != 2 || photos[0].Status != clientsdk.PhotoUploaded || photos[1].Status != clientsdk.PhotoUploaded {
		t.Fatalf("photos %+v", photos)
	}
}
