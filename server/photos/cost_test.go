package photos

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/ruhu-org/ruhu/syncproto"
)

// allocated is the bytes f allocates on the heap.
func allocated(f func()) int64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int64(after.TotalAlloc - before.TotalAlloc)
}

// noisy fills img's pixels with noise through set.
func noisy(w, h int, set func(x, y int, v uint8)) {
	rng := rand.New(rand.NewPCG(3, 4))
	for y := range h {
		for x := range w {
			set(x, y, uint8(rng.IntN(256)))
		}
	}
}

// The estimated cost covers what decoding and resizing really allocate,
// without inflating it: a photo is neither let past the budget nor
// refused for memory it would not use.
func TestDecodeCostMatchesAllocations(t *testing.T) {
	const w, h = 1600, 1200
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	noisy(w, h, func(x, y int, v uint8) { rgba.Set(x, y, color.RGBA{v, v / 2, 255 - v, 255}) })
	gray := image.NewGray(image.Rect(0, 0, w, h))
	noisy(w, h, func(x, y int, v uint8) { gray.SetGray(x, y, color.Gray{v}) })
	rgba64 := image.NewRGBA64(image.Rect(0, 0, w, h))
	noisy(w, h, func(x, y int, v uint8) { rgba64.Set(x, y, color.RGBA64{uint16(v) << 8, 0, uint16(v), 0xFFFF}) })
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	noisy(w, h, func(x, y int, v uint8) { nrgba.Set(x, y, color.NRGBA{v, v, 0, v}) })
	paletted := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White, color.Gray{128}})
	noisy(w, h, func(x, y int, v uint8) { paletted.SetColorIndex(x, y, v%3) })
	for _, sc := range []struct {
		name string
		data []byte
	}{
		{"baseline JPEG 4:2:0", encodeTestJPEG(t, rgba)},
		{"grey JPEG", encodeTestJPEG(t, gray)},
		{"progressive grey JPEG", progressiveJPEG(w, 10)},
		{"8-bit RGB PNG", encodeTestPNG(t, rgba)},
		{"8-bit RGBA PNG", encodeTestPNG(t, nrgba)},
		{"16-bit PNG", encodeTestPNG(t, rgba64)},
		{"grey PNG", encodeTestPNG(t, gray)},
		{"palette PNG", encodeTestPNG(t, paletted)},
	} {
		t.Run(sc.name, func(t *testing.T) {
			path, sha := writeTemp(t, sc.data)
			p, err := inspect(path, sha, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.close()
			var perr error
			got := allocated(func() { _, perr = p.process() })
			if perr != nil {
				t.Fatal(perr)
			}
			t.Logf("estimated %.1f MB, allocated %.1f MB", float64(p.cost())/1e6, float64(got)/1e6)
			if got > p.cost()*21/20 {
				t.Errorf("allocated %d bytes, more than the estimate %d", got, p.cost())
			}
			if p.cost() > 2*got+2<<20 {
				t.Errorf("estimate %d bytes, more than twice the %d allocated", p.cost(), got)
			}
		})
	}
}

// jpegHeader is the start of a JPEG whose frame (SOF marker sof) claims
// side×side pixels in comps components of the given sampling, with one
// scan over all of them and garbage data: a decoder allocates what the
// frame asks for, then fails.
func jpegHeader(sof byte, side int, sampling []byte, app14 bool) []byte {
	var out bytes.Buffer
	out.Write([]byte{0xFF, 0xD8})
	if app14 {
		jpegSegment(&out, 0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x02")) // transform 2: YCCK
	}
	jpegSegment(&out, 0xDB, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...))
	sofp := []byte{8, byte(side >> 8), byte(side), byte(side >> 8), byte(side), byte(len(sampling))}
	sos := []byte{byte(len(sampling))}
	for i, s := range sampling {
		sofp = append(sofp, byte(i+1), s, 0)
		sos = append(sos, byte(i+1), 0x00)
	}
	jpegSegment(&out, sof, sofp)
	oneCode := make([]byte, 16)
	oneCode[0] = 1
	jpegSegment(&out, 0xC4, append(append([]byte{0x00}, oneCode...), 0x00))
	jpegSegment(&out, 0xC4, append(append([]byte{0x10}, oneCode...), 0x00))
	se := byte(63)
	if sof == 0xC2 {
		se = 0 // a progressive scan over several components codes DC only
	}
	jpegSegment(&out, 0xDA, append(sos, 0, se, 0))
	out.Write(bytes.Repeat([]byte{0x55}, 64))
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

// pngHeader is a PNG of side×side pixels of the given depth, colour type
// and interlace, with no real image data.
func pngHeader(side uint32, depth, colour, interlace byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, side)
	ihdr = binary.BigEndian.AppendUint32(ihdr, side)
	ihdr = append(ihdr, depth, colour, 0, 0, interlace)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00})...)
	return append(out, pngChunk("IEND", nil)...)
}

// TestProcessRefusesCostlyDecodes: files under the pixel cap (49 MP) whose
// decoding would allocate hundreds of megabytes are refused from their
// headers, allocating next to nothing.
func TestProcessRefusesCostlyDecodes(t *testing.T) {
	const side = 7000
	for _, sc := range []struct {
		name string
		data []byte
	}{
		{"progressive 4:4:4 JPEG", jpegHeader(0xC2, side, []byte{0x11, 0x11, 0x11}, false)},
		{"progressive 4:2:0 JPEG", jpegHeader(0xC2, side, []byte{0x22, 0x11, 0x11}, false)},
		{"CMYK JPEG", jpegHeader(0xC0, side, []byte{0x11, 0x11, 0x11, 0x11}, true)},
		{"16-bit PNG", pngHeader(side, 16, 6, 0)},
		{"interlaced 8-bit PNG", pngHeader(side, 8, 6, 1)},
	} {
		t.Run(sc.name, func(t *testing.T) {
			path, sha := writeTemp(t, sc.data)
			var err error
			got := allocated(func() { _, err = Process(path, sha, Limits{}) })
			if got > 4<<20 {
				t.Errorf("refusing it allocated %.0f MB", float64(got)/1e6)
			}
			wantCode(t, err, syncproto.CodeImageTooComplex)
		})
	}
	// A baseline 4:2:0 JPEG of the same size is within the budget: it is
	// decoded (and found corrupt).
	path, sha := writeTemp(t, jpegHeader(0xC0, side, []byte{0x22, 0x11, 0x11}, false))
	_, err := Process(path, sha, Limits{})
	wantCode(t, err, syncproto.CodeNotAnImage)
}

// The budget admits in order while costs fit, and a waiter that gives up
// leaves no trace.
func TestBudget(t *testing.T) {
	b := newBudget(100)
	ctx := context.Background()
	if err := b.acquire(ctx, 60); err != nil {
		t.Fatal(err)
	}
	got := make(chan int64, 3)
	go func() { b.acquire(ctx, 50); got <- 50 }()
	for b.waiting() != 1 {
		runtime.Gosched()
	}
	// 30 would fit, but waits behind 50 (FIFO: a large photo is not
	// starved by small ones).
	go func() { b.acquire(ctx, 30); got <- 30 }()
	for b.waiting() != 2 {
		runtime.Gosched()
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.acquire(cctx, 10); err == nil {
		t.Fatal("a cancelled acquire succeeded")
	}
	if b.waiting() != 2 {
		t.Errorf("%d waiting, want 2", b.waiting())
	}
	b.release(60)
	<-got
	<-got
	if b.inUse() != 80 {
		t.Errorf("%d in use, want 80", b.inUse())
	}
	// More than the whole budget is taken as the whole budget (Process
	// refuses such a photo before it asks).
	b.release(80)
	if err := b.acquire(ctx, 1000); err != nil || b.inUse() != 100 {
		t.Errorf("oversized acquire: %v, %d in use", err, b.inUse())
	}
}
