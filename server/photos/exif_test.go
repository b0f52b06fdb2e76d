package photos

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"math"
	"testing"

	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// Tags and types the tests build EXIF blocks with.
const (
	tagOrientation        = exif.TagOrientation
	tagExifIFD            = exif.TagExifIFD
	tagGPSIFD             = exif.TagGPSIFD
	tagDateTimeOriginal   = exif.TagDateTimeOriginal
	tagOffsetTimeOriginal = exif.TagOffsetTimeOriginal
	tagGPSLatitudeRef     = exif.TagGPSLatitudeRef
	tagGPSLatitude        = exif.TagGPSLatitude
	tagGPSLongitudeRef    = exif.TagGPSLongitudeRef
	tagGPSLongitude       = exif.TagGPSLongitude
	typeASCII             = exif.TypeASCII
	typeShort             = exif.TypeShort
	typeLong              = exif.TypeLong
	typeRational          = exif.TypeRational
)

func TestParseExif(t *testing.T) {
	b := tiffBuilder{binary.BigEndian}
	dt := func(s string) []tiffField { return []tiffField{b.ascii(tagDateTimeOriginal, s)} }
	pos := func(latRef string, lat []uint32, lonRef string, lon []uint32) []tiffField {
		return []tiffField{
			b.ascii(tagGPSLatitudeRef, latRef), b.rationals(tagGPSLatitude, lat...),
			b.ascii(tagGPSLongitudeRef, lonRef), b.rationals(tagGPSLongitude, lon...),
		}
	}
	dms := func(d, m, s uint32) []uint32 { return []uint32{d, 1, m, 1, s, 1} }
	scenarios := []struct {
		name        string
		tiff        []byte
		orientation int
		takenAt     string
		gps         *GPS
	}{
		{"empty", nil, 0, "", nil},
		{"truncated header", []byte("II*\x00\x08"), 0, "", nil},
		{"IFD0 past the end", []byte("II*\x00\xff\x00\x00\x00"), 0, "", nil},
		{"orientation out of range", b.build([]tiffField{b.short(tagOrientation, 9)}, nil, nil), 0, "", nil},
		{"orientation as LONG", b.build([]tiffField{b.long(tagOrientation, 8)}, nil, nil), 8, "", nil},
		{"zeroed date", b.build(nil, dt("0000:00:00 00:00:00"), nil), 0, "", nil},
		{"blank date", b.build(nil, dt("    :  :     :  :  "), nil), 0, "", nil},
		{"bad offset is ignored", b.build(nil, append(dt("2023:12:31 23:59:59"), b.ascii(tagOffsetTimeOriginal, "CST")), nil),
			0, "2023-12-31T23:59:59+08:00", nil},
		{"south and west", b.build(nil, nil, pos("S", dms(33, 52, 4), "W", dms(151, 12, 26))),
			0, "", &GPS{Lat: -(33 + 52.0/60 + 4.0/3600), Lon: -(151 + 12.0/60 + 26.0/3600)}},
		{"no reference is north and east", b.build(nil, nil, []tiffField{
			b.rationals(tagGPSLatitude, dms(39, 54, 0)...), b.rationals(tagGPSLongitude, dms(116, 23, 0)...)}),
			0, "", &GPS{Lat: 39.9, Lon: 116 + 23.0/60}},
		{"no fix (0, 0)", b.build(nil, nil, pos("N", dms(0, 0, 0), "E", dms(0, 0, 0))), 0, "", nil},
		{"zero denominator", b.build(nil, nil, pos("N", []uint32{30, 0, 0, 1, 0, 1}, "E", dms(120, 0, 0))), 0, "", nil},
		{"latitude out of range", b.build(nil, nil, pos("N", dms(91, 0, 0), "E", dms(120, 0, 0))), 0, "", nil},
		{"minutes out of range", b.build(nil, nil, pos("N", dms(30, 60, 0), "E", dms(120, 0, 0))), 0, "", nil},
		{"too few values", b.build(nil, nil, pos("N", []uint32{30, 1}, "E", dms(120, 0, 0))), 0, "", nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m := parseExif(sc.tiff)
			if m.Orientation != sc.orientation || m.TakenAt != sc.takenAt {
				t.Errorf("orientation %d, taken %q; want %d, %q", m.Orientation, m.TakenAt, sc.orientation, sc.takenAt)
			}
			switch {
			case (m.GPS == nil) != (sc.gps == nil):
				t.Errorf("GPS = %v, want %v", m.GPS, sc.gps)
			case m.GPS != nil && (math.Abs(m.GPS.Lat-sc.gps.Lat) > 1e-9 || math.Abs(m.GPS.Lon-sc.gps.Lon) > 1e-9):
				t.Errorf("GPS = %+v, want %+v", *m.GPS, *sc.gps)
			}
		})
	}
}

func TestJPEGExifFindsExifAmongAPP1Segments(t *testing.T) {
	tiff := cameraExif(binary.LittleEndian, 6, "")
	jpg := withExif(encodeTestJPEG(t, solid(8, 8, color.White)), tiff)
	xmp := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), "<x:xmpmeta/>"...)
	jpg = withSegment(jpg, 0xE1, xmp) // an XMP APP1 before the Exif one
	if got := jpegExif(bytes.NewReader(jpg)); !bytes.Equal(got, tiff) {
		t.Errorf("jpegExif returned %d bytes, want the %d-byte EXIF block", len(got), len(tiff))
	}
	if got := jpegExif(bytes.NewReader(jpg[:40])); got != nil {
		t.Errorf("jpegExif of a truncated JPEG returned %q", got)
	}
}

// withSegment inserts a marker segment right after the SOI.
func withSegment(jpg []byte, marker byte, payload []byte) []byte {
	out := []byte{0xFF, 0xD8, 0xFF, marker}
	out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// FuzzParseExif checks that no EXIF block, however malformed, panics the
// parser or yields values outside their ranges.
func FuzzParseExif(f *testing.F) {
	f.Add(cameraExif(binary.LittleEndian, 6, "+09:00"))
	f.Add(cameraExif(binary.BigEndian, 3, ""))
	f.Add([]byte("II*\x00\x08\x00\x00\x00\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := parseExif(b)
		if m.Orientation < 0 || m.Orientation > 8 {
			t.Fatalf("orientation %d", m.Orientation)
		}
		if m.GPS != nil && (math.Abs(m.GPS.Lat) > 90 || math.Abs(m.GPS.Lon) > 180) {
			t.Fatalf("GPS %+v", *m.GPS)
		}
		jpegExif(bytes.NewReader(append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, byte(len(b))}, b...)))
	})
}
