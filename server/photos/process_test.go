package photos

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/ruhu-org/ruhu/syncproto"
)

var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	grey  = color.RGBA{128, 128, 128, 255}
)

// markedLandscape is a 400×200 grey image with a red square in its top-left
// corner and a green one in its top-right, as the sensor stored it.
func markedLandscape() *image.RGBA {
	img := solid(400, 200, grey)
	for y := range 40 {
		for x := range 40 {
			img.Set(x, y, red)
			img.Set(399-x, y, green)
		}
	}
	return img
}

// cornerColour names the colour near a corner ("tl", "tr", "bl", "br") of
// img: "red", "green", "grey" or "other".
func cornerColour(img image.Image, corner string) string {
	b := img.Bounds()
	x, y := b.Min.X+20, b.Min.Y+20
	if strings.HasSuffix(corner, "r") {
		x = b.Max.X - 21
	}
	if strings.HasPrefix(corner, "b") {
		y = b.Max.Y - 21
	}
	r, g, bl, _ := img.At(x, y).RGBA()
	c := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
	near := func(want color.RGBA) bool {
		return abs(c[0]-int(want.R)) < 40 && abs(c[1]-int(want.G)) < 40 && abs(c[2]-int(want.B)) < 40
	}
	switch {
	case near(red):
		return "red"
	case near(green):
		return "green"
	case near(grey):
		return "grey"
	}
	return "other"
}

func abs(n int) int { return max(n, -n) }

func decodeJPEG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("derivative is not a JPEG: %v", err)
	}
	return img
}

func TestProcessOrientation(t *testing.T) {
	scenarios := []struct {
		orientation uint16
		w, h        int
		red, green  string // corners of the upright image
	}{
		{1, 400, 200, "tl", "tr"},
		{2, 400, 200, "tr", "tl"},
		{3, 400, 200, "br", "bl"},
		{4, 400, 200, "bl", "br"},
		{5, 200, 400, "tl", "bl"},
		{6, 200, 400, "tr", "br"},
		{7, 200, 400, "br", "tr"},
		{8, 200, 400, "bl", "tl"},
	}
	src := encodeTestJPEG(t, markedLandscape())
	for _, sc := range scenarios {
		for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
			path, sum := writeTemp(t, withExif(src, cameraExif(bo, sc.orientation, "")))
			res, err := Process(path, sum, Limits{})
			if err != nil {
				t.Fatalf("orientation %d: %v", sc.orientation, err)
			}
			if res.Width != sc.w || res.Height != sc.h || res.LargeW != sc.w || res.LargeH != sc.h {
				t.Fatalf("orientation %d: size %d×%d, large %d×%d, want %d×%d",
					sc.orientation, res.Width, res.Height, res.LargeW, res.LargeH, sc.w, sc.h)
			}
			large := decodeJPEG(t, res.Large)
			if large.Bounds().Dx() != sc.w || large.Bounds().Dy() != sc.h {
				t.Fatalf("orientation %d: large decodes as %v", sc.orientation, large.Bounds())
			}
			for _, corner := range []string{"tl", "tr", "bl", "br"} {
				want := "grey"
				switch corner {
				case sc.red:
					want = "red"
				case sc.green:
					want = "green"
				}
				if got := cornerColour(large, corner); got != want {
					t.Errorf("orientation %d (%v): corner %s is %s, want %s", sc.orientation, bo, corner, got, want)
				}
			}
		}
	}
}

func TestProcessExifMetadata(t *testing.T) {
	scenarios := []struct {
		name     string
		exif     []byte
		takenAt  string
		lat, lon float64 // 0, 0: want no GPS
	}{
		{"no offset is China time", cameraExif(binary.LittleEndian, 1, ""), "2024-05-01T10:11:12+08:00", 30.25847222, 120.16666667},
		{"offset tag wins", cameraExif(binary.BigEndian, 1, "+09:00"), "2024-05-01T10:11:12+09:00", 30.25847222, 120.16666667},
		{"negative offset", cameraExif(binary.BigEndian, 6, "-05:00"), "2024-05-01T10:11:12-05:00", 30.25847222, 120.16666667},
		{"no exif", nil, "", 0, 0},
		{"corrupt exif", []byte("MM\x00*\xff\xff\xff\xff garbage"), "", 0, 0},
	}
	src := encodeTestJPEG(t, solid(64, 48, grey))
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			data := src
			if sc.exif != nil {
				data = withExif(src, sc.exif)
			}
			path, sum := writeTemp(t, data)
			res, err := Process(path, sum, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.TakenAt != sc.takenAt {
				t.Errorf("TakenAt = %q, want %q", res.TakenAt, sc.takenAt)
			}
			switch {
			case sc.lat == 0 && res.GPS != nil:
				t.Errorf("GPS = %+v, want none", *res.GPS)
			case sc.lat != 0 && res.GPS == nil:
				t.Errorf("GPS = nil, want %v, %v", sc.lat, sc.lon)
			case sc.lat != 0 && (math.Abs(res.GPS.Lat-sc.lat) > 1e-6 || math.Abs(res.GPS.Lon-sc.lon) > 1e-6):
				t.Errorf("GPS = %+v, want %v, %v", *res.GPS, sc.lat, sc.lon)
			}
		})
	}
}

func TestProcessStripsExif(t *testing.T) {
	src := withExif(encodeTestJPEG(t, solid(1200, 900, grey)), cameraExif(binary.LittleEndian, 6, "+08:00"))
	if !bytes.Contains(src, []byte("Exif\x00\x00")) {
		t.Fatal("test photo carries no EXIF")
	}
	path, sum := writeTemp(t, src)
	res, err := Process(path, sum, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.GPS == nil {
		t.Fatal("the original's GPS was not read, so its absence below proves nothing")
	}
	for name, jpg := range map[string][]byte{"large": res.Large, "thumb": res.Thumb} {
		if bytes.Contains(jpg, []byte("Exif")) {
			t.Errorf("%s contains an Exif header", name)
		}
		for _, m := range jpegMarkers(t, jpg) {
			if m >= 0xE1 && m <= 0xEF {
				t.Errorf("%s has an APP%d segment", name, m-0xE0)
			}
		}
	}
}

func TestProcessSizes(t *testing.T) {
	scenarios := []struct {
		name           string
		w, h           int
		png            bool
		largeW, largeH int
		thumbW, thumbH int
	}{
		{"landscape photo shrinks", 3000, 1500, false, 1024, 512, 256, 128},
		{"portrait photo shrinks", 1500, 3000, false, 512, 1024, 128, 256},
		{"medium photo is not enlarged", 300, 200, false, 300, 200, 256, 170},
		{"small png is not enlarged", 100, 80, true, 100, 80, 100, 80},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			img := solid(sc.w, sc.h, grey)
			data, format := encodeTestJPEG(t, img), "jpeg"
			if sc.png {
				data, format = encodeTestPNG(t, img), "png"
			}
			path, sum := writeTemp(t, data)
			res, err := Process(path, sum, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != format || res.Width != sc.w || res.Height != sc.h {
				t.Errorf("got %s %d×%d, want %s %d×%d", res.Format, res.Width, res.Height, format, sc.w, sc.h)
			}
			large, thumb := decodeJPEG(t, res.Large).Bounds(), decodeJPEG(t, res.Thumb).Bounds()
			if res.LargeW != sc.largeW || res.LargeH != sc.largeH || large.Dx() != sc.largeW || large.Dy() != sc.largeH {
				t.Errorf("large %d×%d (decodes %v), want %d×%d", res.LargeW, res.LargeH, large, sc.largeW, sc.largeH)
			}
			if res.ThumbW != sc.thumbW || res.ThumbH != sc.thumbH || thumb.Dx() != sc.thumbW || thumb.Dy() != sc.thumbH {
				t.Errorf("thumb %d×%d (decodes %v), want %d×%d", res.ThumbW, res.ThumbH, thumb, sc.thumbW, sc.thumbH)
			}
		})
	}
}

func TestProcessCustomLimits(t *testing.T) {
	path, sum := writeTemp(t, encodeTestJPEG(t, solid(600, 300, grey)))
	res, err := Process(path, sum, Limits{LargeEdge: 500, ThumbEdge: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.LargeW != 500 || res.LargeH != 250 || res.ThumbW != 50 || res.ThumbH != 25 {
		t.Errorf("large %d×%d thumb %d×%d, want 500×250 and 50×25", res.LargeW, res.LargeH, res.ThumbW, res.ThumbH)
	}
	_, err = Process(path, sum, Limits{MaxPixels: 600*300 - 1})
	wantCode(t, err, syncproto.CodeImageTooLarge)
	if _, err := Process(path, sum, Limits{MaxPixels: 600 * 300}); err != nil {
		t.Errorf("photo of exactly MaxPixels refused: %v", err)
	}
}

func TestProcessTransparentPNGOnWhite(t *testing.T) {
	path, sum := writeTemp(t, encodeTestPNG(t, image.NewNRGBA(image.Rect(0, 0, 50, 50))))
	res, err := Process(path, sum, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r, g, b, _ := decodeJPEG(t, res.Large).At(25, 25).RGBA()
	if r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
		t.Errorf("transparent pixel became %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}
}

func TestProcessSHA256(t *testing.T) {
	data := encodeTestJPEG(t, solid(32, 32, grey))
	path, sum := writeTemp(t, data)
	res, err := Process(path, strings.ToUpper(sum), Limits{})
	if err != nil {
		t.Fatalf("upper-case hash refused: %v", err)
	}
	if res.SHA256 != sum {
		t.Errorf("SHA256 = %q, want %q", res.SHA256, sum)
	}
	_, other := writeTemp(t, append(data, 0))
	_, err = Process(path, other, Limits{})
	wantCode(t, err, syncproto.CodeSHA256Mismatch)
	for _, bad := range []string{"", sum[:63], sum + "0", "g" + sum[1:], "../" + sum[3:]} {
		_, err = Process(path, bad, Limits{})
		wantCode(t, err, syncproto.CodeBadRequest)
	}
}

func TestProcessRefusesNonImages(t *testing.T) {
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, solid(20, 20, red), nil); err != nil {
		t.Fatal(err)
	}
	var tiffBuf bytes.Buffer
	if err := imaging.Encode(&tiffBuf, solid(20, 20, red), imaging.TIFF); err != nil {
		t.Fatal(err)
	}
	good := encodeTestJPEG(t, solid(200, 200, grey))
	scenarios := []struct {
		name string
		data []byte
		code string
	}{
		{"text file", []byte("户主姓名,身份证号\n张三,110101199003077777\n"), syncproto.CodeNotAnImage},
		{"empty file", nil, syncproto.CodeNotAnImage},
		{"gif", gifBuf.Bytes(), syncproto.CodeNotAnImage},
		{"tiff", tiffBuf.Bytes(), syncproto.CodeNotAnImage},
		{"png signature, no header", []byte("\x89PNG\r\n\x1a\n"), syncproto.CodeNotAnImage},
		{"truncated jpeg", good[:len(good)/2], syncproto.CodeNotAnImage},
		{"png bomb", pngBomb(100_000, 100_000), syncproto.CodeImageTooLarge},
		{"jpeg bomb", jpegBomb(t), syncproto.CodeImageTooLarge},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			path, sum := writeTemp(t, sc.data)
			res, err := Process(path, sum, Limits{})
			if res != nil {
				t.Errorf("got a result: %+v", res)
			}
			wantCode(t, err, sc.code)
		})
	}
}

// TestProcessBombDecodesNothing shows that a decompression bomb is refused
// from its header: decoding 100000×100000 pixels would allocate 40 GB.
func TestProcessBombDecodesNothing(t *testing.T) {
	for name, data := range map[string][]byte{"png": pngBomb(100_000, 100_000), "jpeg": jpegBomb(t)} {
		path, sum := writeTemp(t, data)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Process(path, sum, Limits{})
		runtime.ReadMemStats(&after)
		wantCode(t, err, syncproto.CodeImageTooLarge)
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%s bomb: Process allocated %d bytes before refusing it", name, n)
		}
	}
}
