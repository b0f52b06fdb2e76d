package photos

import (
	"bytes"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// bitWriter writes JPEG entropy-coded bits, stuffing 0x00 after 0xFF.
type bitWriter struct {
	buf bytes.Buffer
	acc byte
	n   uint
}

func (w *bitWriter) bits(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | byte(v>>uint(i)&1)
		if w.n++; w.n == 8 {
			w.buf.WriteByte(w.acc)
			if w.acc == 0xFF {
				w.buf.WriteByte(0)
			}
			w.acc, w.n = 0, 0
		}
	}
}

// flush pads the last byte with 1 bits and returns the data written.
func (w *bitWriter) flush() []byte {
	for w.n != 0 {
		w.bits(1, 1)
	}
	out := bytes.Clone(w.buf.Bytes())
	w.buf.Reset()
	return out
}

func jpegSegment(out *bytes.Buffer, marker byte, payload []byte) {
	out.Write([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
	out.Write(payload)
}

// progressiveJPEG is a valid grey progressive JPEG of side×side pixels in
// scans scans (at least 2): a DC scan, then scans of the AC band, each
// coded as a few end-of-band runs — a handful of bytes that make the decoder visit every
// block of the image again (libjpeg-turbo's LJT-01-003).
func progressiveJPEG(side, scans int) []byte {
	var out bytes.Buffer
	out.Write([]byte{0xFF, 0xD8})
	jpegSegment(&out, 0xDB, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...))
	jpegSegment(&out, 0xC2, []byte{8, byte(side >> 8), byte(side), byte(side >> 8), byte(side), 1, 1, 0x11, 0})
	oneCode := make([]byte, 16)
	oneCode[0] = 1                                                          // one code of length 1: "0"
	jpegSegment(&out, 0xC4, append(append([]byte{0x00}, oneCode...), 0x00)) // DC: difference 0
	jpegSegment(&out, 0xC4, append(append([]byte{0x10}, oneCode...), 0xE0)) // AC: EOB run of 2^14+
	blocks := ((side + 7) / 8) * ((side + 7) / 8)
	var w bitWriter
	jpegSegment(&out, 0xDA, []byte{1, 1, 0x00, 0, 0, 0x00})
	for range blocks {
		w.bits(0, 1)
	}
	out.Write(w.flush())
	for i := range scans - 1 {
		ah := byte(1)
		if i == 0 {
			ah = 0
		}
		jpegSegment(&out, 0xDA, []byte{1, 1, 0x00, 1, 63, ah << 4})
		for range (blocks + 32767) / 32768 {
			w.bits(0, 1)
			w.bits(0x3FFF, 14) // a run of 32768 blocks
		}
		out.Write(w.flush())
	}
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

// TestSecurityProcessRefusesScanBombs: a progressive JPEG's decoding cost
// grows with its number of scans times its pixels, and a scan of a 49 MP
// image can be coded in under 100 bytes — 25 MiB of them keep a photo
// worker busy for hours. Ordinary progressive JPEGs have about ten scans.
func TestSecurityProcessRefusesScanBombs(t *testing.T) {
	for _, sc := range []struct {
		name string
		data []byte
		code string // "" accepted
	}{
		{"ordinary progressive", progressiveJPEG(64, 10), ""},
		{"at the limit", progressiveJPEG(64, 100), ""},
		{"over the limit", progressiveJPEG(64, 101), syncproto.CodeImageTooLarge},
		{"scan bomb", progressiveJPEG(1000, 2000), syncproto.CodeImageTooLarge},
		{"scans hidden behind extraneous bytes", bytes.ReplaceAll(progressiveJPEG(64, 200),
			[]byte{0xFF, 0xDA}, []byte{0x00, 0xFF, 0x00, 0xFF, 0xFF, 0xDA}), syncproto.CodeImageTooLarge},
	} {
		t.Run(sc.name, func(t *testing.T) {
			path, sha := writeTemp(t, sc.data)
			start := time.Now()
			res, err := Process(path, sha, Limits{})
			if sc.code == "" {
				if err != nil || res.Width != 64 {
					t.Fatalf("Process = %+v, %v", res, err)
				}
				return
			}
			wantCode(t, err, sc.code)
			t.Logf("refused in %v", time.Since(start))
		})
	}
}
