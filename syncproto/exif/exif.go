// Package exif reads the orientation, capture time and GPS position of a
// JPEG's EXIF block (server/photos, on upload) and writes a minimal block
// holding only capture time and position (clientsdk, when it re-encodes a
// photo: the evidence is kept, the rest of the EXIF is not).
package exif

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"time"
)

// Meta is what ruhu reads from a photo's EXIF block. The zero value
// means "nothing known".
type Meta struct {
	Orientation int    // 1–8, or 0 when absent or invalid
	TakenAt     string // RFC 3339, or "" when absent or invalid
	GPS         *GPS   // nil when absent or invalid
}

// chinaTime is the zone assumed for an EXIF time that carries no offset.
var chinaTime = time.FixedZone("CST", 8*60*60)

// EXIF tags read by Parse.
const (
	TagOrientation        = 0x0112
	TagExifIFD            = 0x8769
	TagGPSIFD             = 0x8825
	TagDateTimeOriginal   = 0x9003
	TagOffsetTimeOriginal = 0x9011
	TagGPSLatitudeRef     = 1
	TagGPSLatitude        = 2
	TagGPSLongitudeRef    = 3
	TagGPSLongitude       = 4
)

// TIFF field types used by Parse, and the size of one value of each.
const (
	TypeASCII    = 2
	TypeShort    = 3
	TypeLong     = 4
	TypeRational = 5
)

var typeSize = map[uint16]uint64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// JPEG returns the TIFF payload of the first APP1 "Exif" segment of the
// JPEG in r, or nil. It reads only the segments before the first scan, each
// at most 64 KiB, so its cost does not grow with the image.
func JPEG(r io.Reader) []byte {
	br := bufio.NewReader(r)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return nil
	}
	for {
		marker, err := nextMarker(br)
		if err != nil || marker == 0xD9 || marker == 0xDA { // EOI, SOS
			return nil
		}
		if marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) { // no length
			continue
		}
		var lenBuf [2]byte
		if _, err := io.ReadFull(br, lenBuf[:]); err != nil {
			return nil
		}
		n := int(binary.BigEndian.Uint16(lenBuf[:])) - 2
		if n < 0 {
			return nil
		}
		if marker != 0xE1 || n < 6 {
			if _, err := br.Discard(n); err != nil {
				return nil
			}
			continue
		}
		seg := make([]byte, n)
		if _, err := io.ReadFull(br, seg); err != nil {
			return nil
		}
		if tiff, ok := bytes.CutPrefix(seg, []byte("Exif\x00\x00")); ok {
			return tiff
		}
	}
}

// nextMarker reads a JPEG marker (0xFF, optional 0xFF fill, code).
func nextMarker(br *bufio.Reader) (byte, error) {
	b, err := br.ReadByte()
	if err != nil {
		return 0, err
	}
	if b != 0xFF {
		return 0, io.ErrUnexpectedEOF // not at a marker: corrupt header
	}
	for b == 0xFF {
		if b, err = br.ReadByte(); err != nil {
			return 0, err
		}
	}
	return b, nil
}

// tiffData is a TIFF structure (the body of an EXIF block). Every read is
// bounds-checked; a bad offset reads as "absent", never as a panic.
type tiffData struct {
	b  []byte
	bo binary.ByteOrder
}

// ifdEntry is one field of an IFD; off is where its value bytes start.
type ifdEntry struct {
	typ   uint16
	count uint32
	off   uint64
}

// Parse reads orientation, capture time and GPS position from a TIFF
// payload. Whatever is missing or malformed is left at its zero value.
func Parse(b []byte) Meta {
	var t tiffData
	switch {
	case len(b) < 8:
		return Meta{}
	case bytes.HasPrefix(b, []byte("II*\x00")):
		t = tiffData{b, binary.LittleEndian}
	case bytes.HasPrefix(b, []byte("MM\x00*")):
		t = tiffData{b, binary.BigEndian}
	default:
		return Meta{}
	}
	ifd0 := t.ifd(uint64(t.bo.Uint32(b[4:8])))
	var m Meta
	if o, ok := t.uint(ifd0[TagOrientation]); ok && o >= 1 && o <= 8 {
		m.Orientation = int(o)
	}
	if off, ok := t.uint(ifd0[TagExifIFD]); ok {
		exif := t.ifd(uint64(off))
		m.TakenAt = exifTime(t.ascii(exif[TagDateTimeOriginal]), t.ascii(exif[TagOffsetTimeOriginal]))
	}
	if off, ok := t.uint(ifd0[TagGPSIFD]); ok {
		m.GPS = t.gps(t.ifd(uint64(off)))
	}
	return m
}

// ifd returns the entries of the IFD at off by tag; nil when off is bad.
func (t tiffData) ifd(off uint64) map[uint16]ifdEntry {
	if off+2 > uint64(len(t.b)) {
		return nil
	}
	n := uint64(t.bo.Uint16(t.b[off:]))
	entries := make(map[uint16]ifdEntry)
	for i := range n {
		e := off + 2 + 12*i
		if e+12 > uint64(len(t.b)) {
			break
		}
		typ, count := t.bo.Uint16(t.b[e+2:]), t.bo.Uint32(t.b[e+4:])
		size, known := typeSize[typ]
		if !known {
			continue
		}
		val := e + 8
		if size*uint64(count) > 4 {
			val = uint64(t.bo.Uint32(t.b[e+8:]))
		}
		if val+size*uint64(count) <= uint64(len(t.b)) {
			entries[t.bo.Uint16(t.b[e:])] = ifdEntry{typ, count, val}
		}
	}
	return entries
}

// uint returns the first value of a SHORT or LONG field.
func (t tiffData) uint(e ifdEntry) (uint32, bool) {
	switch {
	case e.count == 0:
		return 0, false
	case e.typ == TypeShort:
		return uint32(t.bo.Uint16(t.b[e.off:])), true
	case e.typ == TypeLong:
		return t.bo.Uint32(t.b[e.off:]), true
	}
	return 0, false
}

// ascii returns an ASCII field without its NUL terminator and padding.
func (t tiffData) ascii(e ifdEntry) string {
	if e.typ != TypeASCII {
		return ""
	}
	s := string(t.b[e.off : e.off+uint64(e.count)])
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// rationals returns the n RATIONAL values of a field.
func (t tiffData) rationals(e ifdEntry, n int) ([]float64, bool) {
	if e.typ != TypeRational || int(e.count) < n {
		return nil, false
	}
	vals := make([]float64, n)
	for i := range vals {
		p := e.off + 8*uint64(i)
		num, den := t.bo.Uint32(t.b[p:]), t.bo.Uint32(t.b[p+4:])
		if den == 0 {
			return nil, false
		}
		vals[i] = float64(num) / float64(den)
	}
	return vals, true
}

// gps returns the position in a GPS IFD, or nil. A missing reference is
// taken as N or E (China is in both); (0, 0) is a camera without a fix.
func (t tiffData) gps(ifd map[uint16]ifdEntry) *GPS {
	lat, ok1 := t.degrees(ifd[TagGPSLatitude], t.ascii(ifd[TagGPSLatitudeRef]), "S")
	lon, ok2 := t.degrees(ifd[TagGPSLongitude], t.ascii(ifd[TagGPSLongitudeRef]), "W")
	if !ok1 || !ok2 || math.Abs(lat) > 90 || math.Abs(lon) > 180 || (lat == 0 && lon == 0) {
		return nil
	}
	return &GPS{Lat: lat, Lon: lon}
}

// degrees converts a degrees/minutes/seconds field to signed degrees.
func (t tiffData) degrees(e ifdEntry, ref, negative string) (float64, bool) {
	dms, ok := t.rationals(e, 3)
	if !ok || dms[1] >= 60 || dms[2] >= 60 {
		return 0, false
	}
	d := dms[0] + dms[1]/60 + dms[2]/3600
	if strings.EqualFold(ref, negative) {
		d = -d
	}
	return d, true
}

// exifTime converts an EXIF "2006:01:02 15:04:05" time and its optional
// "+08:00" offset to RFC 3339; without an offset it assumes China time.
func exifTime(datetime, offset string) string {
	loc := chinaTime
	if o, err := time.Parse("-07:00", offset); err == nil {
		_, secs := o.Zone()
		loc = time.FixedZone("", secs)
	}
	ts, err := time.ParseInLocation("2006:01:02 15:04:05", datetime, loc)
	if err != nil {
		return ""
	}
	return ts.Format(time.RFC3339)
}

// GPS is a position in degrees as the camera wrote it (WGS-84 for a
// phone's own GPS); south and west are negative.
type GPS struct {
	Lat float64
	Lon float64
}

// Read returns what the EXIF block of the JPEG in r says (Parse of JPEG).
func Read(r io.Reader) Meta { return Parse(JPEG(r)) }
