package photos

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/ruhu-org/ruhu/server"
)

// tiffField is one field of a test EXIF IFD; data holds its value bytes in
// the block's byte order.
type tiffField struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiffBuilder writes EXIF (TIFF) blocks in one byte order.
type tiffBuilder struct{ bo byteOrder }

func (b tiffBuilder) short(tag, v uint16) tiffField {
	return tiffField{tag, typeShort, 1, b.bo.AppendUint16(nil, v)}
}

func (b tiffBuilder) long(tag uint16, v uint32) tiffField {
	return tiffField{tag, typeLong, 1, b.bo.AppendUint32(nil, v)}
}

func (b tiffBuilder) ascii(tag uint16, s string) tiffField {
	return tiffField{tag, typeASCII, uint32(len(s) + 1), append([]byte(s), 0)}
}

// rationals makes a RATIONAL field from numerator/denominator pairs.
func (b tiffBuilder) rationals(tag uint16, nd ...uint32) tiffField {
	var data []byte
	for _, v := range nd {
		data = b.bo.AppendUint32(data, v)
	}
	return tiffField{tag, typeRational, uint32(len(nd) / 2), data}
}

// build lays out IFD0, then the Exif IFD and the GPS IFD when given, each
// followed by its out-of-line values, and links them from IFD0.
func (b tiffBuilder) build(ifd0, exif, gps []tiffField) []byte {
	ifd0 = append([]tiffField(nil), ifd0...)
	next := 8 + ifdSize(ifd0) + 12*countNonEmpty(exif, gps)
	if len(exif) > 0 {
		ifd0 = append(ifd0, b.long(tagExifIFD, uint32(next)))
		next += ifdSize(exif)
	}
	if len(gps) > 0 {
		ifd0 = append(ifd0, b.long(tagGPSIFD, uint32(next)))
	}
	var buf bytes.Buffer
	if b.bo == binary.LittleEndian {
		buf.WriteString("II*\x00")
	} else {
		buf.WriteString("MM\x00*")
	}
	buf.Write(b.bo.AppendUint32(nil, 8))
	for _, ifd := range [][]tiffField{ifd0, exif, gps} {
		if len(ifd) > 0 {
			b.writeIFD(&buf, ifd)
		}
	}
	return buf.Bytes()
}

func countNonEmpty(ifds ...[]tiffField) int {
	n := 0
	for _, ifd := range ifds {
		if len(ifd) > 0 {
			n++
		}
	}
	return n
}

// ifdSize is the size of an IFD with its out-of-line values.
func ifdSize(fields []tiffField) int {
	n := 2 + 12*len(fields) + 4
	for _, f := range fields {
		if len(f.data) > 4 {
			n += len(f.data) + len(f.data)%2
		}
	}
	return n
}

// writeIFD appends an IFD at the current end of buf, then its values.
func (b tiffBuilder) writeIFD(buf *bytes.Buffer, fields []tiffField) {
	data := buf.Len() + 2 + 12*len(fields) + 4
	var values []byte
	buf.Write(b.bo.AppendUint16(nil, uint16(len(fields))))
	for _, f := range fields {
		buf.Write(b.bo.AppendUint16(nil, f.tag))
		buf.Write(b.bo.AppendUint16(nil, f.typ))
		buf.Write(b.bo.AppendUint32(nil, f.count))
		if len(f.data) <= 4 {
			buf.Write(append(f.data, make([]byte, 4-len(f.data))...))
			continue
		}
		buf.Write(b.bo.AppendUint32(nil, uint32(data+len(values))))
		values = append(values, f.data...)
		if len(f.data)%2 == 1 {
			values = append(values, 0)
		}
	}
	buf.Write([]byte{0, 0, 0, 0}) // no next IFD
	buf.Write(values)
}

// cameraExif is the EXIF block of a phone photo: orientation, capture time
// (with offset when offset != ""), and 30°15'30.5"N 120°10'0"E.
func cameraExif(bo byteOrder, orientation uint16, offset string) []byte {
	b := tiffBuilder{bo}
	exif := []tiffField{b.ascii(tagDateTimeOriginal, "2024:05:01 10:11:12")}
	if offset != "" {
		exif = append(exif, b.ascii(tagOffsetTimeOriginal, offset))
	}
	gps := []tiffField{
		b.ascii(tagGPSLatitudeRef, "N"),
		b.rationals(tagGPSLatitude, 30, 1, 15, 1, 305, 10),
		b.ascii(tagGPSLongitudeRef, "E"),
		b.rationals(tagGPSLongitude, 120, 1, 10, 1, 0, 1),
	}
	return b.build([]tiffField{b.short(tagOrientation, orientation)}, exif, gps)
}

// withExif inserts an APP1 Exif segment holding tiff right after the SOI.
func withExif(jpg, tiff []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// jpegMarkers lists the markers of a JPEG's segments up to the first scan.
func jpegMarkers(t *testing.T, jpg []byte) []byte {
	t.Helper()
	var markers []byte
	for i := 2; i+4 <= len(jpg); {
		if jpg[i] != 0xFF {
			t.Fatalf("no marker at offset %d", i)
		}
		m := jpg[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
	}
	return markers
}

func encodeTestJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeTestPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// solid returns a w×h image of one colour.
func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// pngBomb is a valid PNG header claiming w×h RGBA pixels, with a few bytes
// of image data.
func pngBomb(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, deflate, no filter, no interlace
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00})...)
	return append(out, pngChunk("IEND", nil)...)
}

// jpegBomb is a small real JPEG whose SOF0 claims 65535×65535 pixels.
func jpegBomb(t testing.TB) []byte {
	jpg := encodeTestJPEG(t, solid(16, 16, color.White))
	i := bytes.Index(jpg, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("encoder wrote no SOF0")
	}
	binary.BigEndian.PutUint16(jpg[i+5:], 65535) // height
	binary.BigEndian.PutUint16(jpg[i+7:], 65535) // width
	return jpg
}

// writeTemp writes data to a new file in a test temp dir and returns its
// path and SHA-256.
func writeTemp(t testing.TB, data []byte) (path, sum string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "upload")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return path, hex.EncodeToString(s[:])
}

// wantCode fails t unless err carries the error code want.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := server.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (err %v), want %q", got, err, want)
	}
}
