package clientsdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// TestFieldDay is a day of field work synced over a village's link: a
// worker records households with their members, an investigation and
// camera photos (12 MP, EXIF time and GPS) offline, then syncs through a
// proxy that limits the link and cuts every connection periodically, until
// everything is on the server. It takes minutes, so it runs only with
// RUHU_FIELD_TEST=1; sizes and the link are set by environment variables
// (fieldEnv below), e.g.
//
//	RUHU_FIELD_TEST=1 RUHU_FIELD_PHOTOS=3 go test -run TestFieldDay -v ./clientsdk/
func TestFieldDay(t *testing.T) {
	if os.Getenv("RUHU_FIELD_TEST") != "1" {
		t.Skip("field test: set RUHU_FIELD_TEST=1 to run it")
	}
	var (
		households = fieldEnv(t, "RUHU_FIELD_HOUSEHOLDS", 10)
		members    = fieldEnv(t, "RUHU_FIELD_MEMBERS", 4)
		photos     = fieldEnv(t, "RUHU_FIELD_PHOTOS", 10)
		megapixels = fieldEnv(t, "RUHU_FIELD_MP", 12)
		kbits      = fieldEnv(t, "RUHU_FIELD_KBITS", 256)
		cutEvery   = time.Duration(fieldEnv(t, "RUHU_FIELD_CUT_S", 30)) * time.Second
		budget     = time.Duration(fieldEnv(t, "RUHU_FIELD_TIMEOUT_MIN", 60)) * time.Minute
	)
	ctx := context.Background()
	env := ruhutest.New(t)
	village := syncproto.UnitPosition{Lat: ptr(26.58), Lng: ptr(106.71)}
	env.Login("admin", "field-admin").JSON(http.MethodPut, "/v1/admin/units/t1-v1/position", village, http.StatusOK, nil)
	proxy, err := startFieldProxy(env.Srv.Listener.Addr().String(), int64(kbits)*1000, cutEvery)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()

	var retries int
	tab, err := clientsdk.Open(t.TempDir(), proxy.URL(), clientsdk.WithRetry(4, 500*time.Millisecond, 4*time.Second),
		clientsdk.WithProgress(func(p clientsdk.Progress) {
			if p.Phase == clientsdk.PhaseRetry {
				retries++
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	login(t, tab, "worker1")

	// The day's work, offline.
	prepStart := time.Now()
	visit := time.Date(2024, 5, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	w := int(math.Sqrt(float64(megapixels) * 1e6 * 4 / 3))
	base := cameraPicture(w, w*3/4)
	src := filepath.Join(t.TempDir(), "IMG.jpg")
	want := map[string]*clientsdk.Photo{}
	var payload int64
	for i := range households {
		hh := create(t, tab, syncproto.CollHouseholds, household(300+i))
		for j := range members {
			create(t, tab, syncproto.CollMembers, clientsdk.Fields{"household_id": hh, "name": "成员",
				"id_number": ruhutest.IDNumber(5000 + 10*i + j), "relation": "子女"})
		}
		create(t, tab, syncproto.CollInvestigations, clientsdk.Fields{"household_id": hh, "date": visit.Format(time.DateOnly)})
		for k := range photos {
			n := i*photos + k
			taken := visit.Add(time.Duration(n) * 3 * time.Minute)
			gps := &exif.GPS{Lat: *village.Lat + float64(k)*1e-4, Lon: *village.Lng - float64(i)*1e-4}
			mark(base, n)
			if err := os.WriteFile(src, exif.Insert(encodeJPEGQ(t, base, 92), exif.Segment(taken, gps)), 0o600); err != nil {
				t.Fatal(err)
			}
			ph, err := tab.AddPhoto(ctx, hh, "house", src)
			if err != nil {
				t.Fatal(err)
			}
			want[ph.SHA256] = ph
			payload += ph.Size
		}
	}
	t.Logf("prepared %d households × %d members, %d photos of %d MP (%dx%d) in %v: %d bytes, %d per photo on average",
		households, members, len(want), megapixels, w, w*3/4, time.Since(prepStart).Round(time.Second), payload,
		payload/int64(max(1, len(want))))

	// Sync until everything is there, resuming after every failure.
	start := time.Now()
	var restarts int
	for {
		if time.Since(start) > budget {
			t.Fatalf("not done after %v", budget)
		}
		rep, err := tab.Sync(ctx)
		if err == nil && rep.PhotosPending == 0 && len(rep.PhotoErrors) == 0 && outbox(t, tab) == 0 {
			break
		}
		restarts++
		t.Logf("sync %d ended after %v: err %v", restarts, time.Since(start).Round(time.Second), err)
	}
	took := time.Since(start)

	// Everything arrived exactly once (serverState fails on a duplicate),
	// with its time and place and no evidence flag.
	state := serverState(t, env)
	count := map[string]int{}
	for _, ch := range state {
		count[ch.Collection]++
		if ch.Collection != syncproto.CollPhotos {
			continue
		}
		var f syncproto.PhotoFields
		if err := json.Unmarshal(ch.Fields, &f); err != nil {
			t.Fatal(err)
		}
		if want[ch.ID] == nil || f.TakenAt == nil || f.GPS == nil || len(f.Flags) != 0 || f.DistanceM == nil {
			t.Errorf("photo %s: %+v", ch.ID, f)
		}
	}
	if count[syncproto.CollHouseholds] != households || count[syncproto.CollMembers] != households*members ||
		count[syncproto.CollInvestigations] != households || count[syncproto.CollPhotos] != len(want) {
		t.Fatalf("server holds %v", count)
	}
	up, down := proxy.wireUp.Load(), proxy.wireDown.Load()
	fmt.Printf("FIELD DAY: link %d kbit/s, cut every %v; %d photos, payload %d bytes (photos); wire %d up + %d down = %d bytes (%.2f× payload); took %v; %d syncs restarted, %d request retries, %d connections cut\n",
		kbits, cutEvery, len(want), payload, up, down, up+down, float64(up+down)/float64(payload),
		took.Round(time.Second), restarts, retries, proxy.cuts.Load())
}

func fieldEnv(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// cameraPicture is a w×h picture with smooth gradients and a little grain,
// which JPEG compresses about as well as a photo of a house.
func cameraPicture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(11)
	for y := range h {
		for x := range w {
			seed = seed*1664525 + 1013904223
			g := byte(seed>>24) & 0x0f
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] =
				byte(x*255/w)+g, byte(y*255/h)+g, byte((x+y)*127/(w+h))+g, 255
		}
	}
	return img
}

// mark makes picture n differ from every other: a block at a place of its own.
func mark(img *image.RGBA, n int) {
	b := img.Bounds()
	x0, y0 := (n*97)%(b.Dx()-64), (n*61)%(b.Dy()-64)
	for y := y0; y < y0+64; y++ {
		for x := x0; x < x0+64; x++ {
			i := img.PixOffset(x, y)
			img.Pix[i] = byte(n * 37)
		}
	}
}

func encodeJPEGQ(t *testing.T, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
