package exif

import (
	"bytes"
	"encoding/binary"
	"math"
	"time"
)

// field is one IFD entry to write (big-endian).
type field struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

func ascii(tag uint16, s string) field {
	return field{tag, TypeASCII, uint32(len(s) + 1), append([]byte(s), 0)}
}

func long(tag uint16, v uint32) field {
	return field{tag, TypeLong, 1, binary.BigEndian.AppendUint32(nil, v)}
}

// dms writes |deg| as degrees, minutes and seconds (1/10000 s).
func dms(tag uint16, deg float64) field {
	deg = math.Abs(deg)
	d := math.Floor(deg)
	m := math.Floor((deg - d) * 60)
	s := math.Round(((deg-d)*60 - m) * 60 * 10000)
	var b []byte
	for _, v := range []uint32{uint32(d), 1, uint32(m), 1, uint32(s), 10000} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return field{tag, TypeRational, 3, b}
}

// Segment returns a JPEG APP1 segment (marker included) with an EXIF block
// that holds only takenAt (DateTimeOriginal with its OffsetTimeOriginal;
// none when zero) and gps (none when nil). nil when there is neither.
func Segment(takenAt time.Time, gps *GPS) []byte {
	var exifIFD, gpsIFD []field
	if !takenAt.IsZero() {
		exifIFD = []field{ascii(TagDateTimeOriginal, takenAt.Format("2006:01:02 15:04:05")),
			ascii(TagOffsetTimeOriginal, takenAt.Format("-07:00"))}
	}
	if gps != nil {
		latRef, lonRef := "N", "E"
		if gps.Lat < 0 {
			latRef = "S"
		}
		if gps.Lon < 0 {
			lonRef = "W"
		}
		gpsIFD = []field{ascii(TagGPSLatitudeRef, latRef), dms(TagGPSLatitude, gps.Lat),
			ascii(TagGPSLongitudeRef, lonRef), dms(TagGPSLongitude, gps.Lon)}
	}
	if exifIFD == nil && gpsIFD == nil {
		return nil
	}
	tiff := build(exifIFD, gpsIFD)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	return append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
}

// Insert returns jpg with seg right after its SOI marker.
func Insert(jpg, seg []byte) []byte {
	if len(seg) == 0 || len(jpg) < 2 {
		return jpg
	}
	out := make([]byte, 0, len(jpg)+len(seg))
	return append(append(append(out, jpg[:2]...), seg...), jpg[2:]...)
}

// build lays out IFD0 (pointers only), the Exif IFD and the GPS IFD, each
// followed by its out-of-line values.
func build(exifIFD, gpsIFD []field) []byte {
	var ifd0 []field
	n := 0
	if exifIFD != nil {
		n++
	}
	if gpsIFD != nil {
		n++
	}
	next := 8 + ifdSize(n)
	if exifIFD != nil {
		ifd0 = append(ifd0, long(TagExifIFD, uint32(next)))
		next += ifdSize(len(exifIFD)) + valuesSize(exifIFD)
	}
	if gpsIFD != nil {
		ifd0 = append(ifd0, long(TagGPSIFD, uint32(next)))
	}
	var buf bytes.Buffer
	buf.WriteString("MM\x00*")
	buf.Write(binary.BigEndian.AppendUint32(nil, 8))
	for _, ifd := range [][]field{ifd0, exifIFD, gpsIFD} {
		if ifd != nil {
			writeIFD(&buf, ifd)
		}
	}
	return buf.Bytes()
}

func ifdSize(entries int) int { return 2 + 12*entries + 4 }

func valuesSize(fields []field) int {
	n := 0
	for _, f := range fields {
		if len(f.data) > 4 {
			n += len(f.data) + len(f.data)%2
		}
	}
	return n
}

// writeIFD appends an IFD (no next IFD) at the end of buf, then its values.
func writeIFD(buf *bytes.Buffer, fields []field) {
	data := buf.Len() + ifdSize(len(fields))
	var values []byte
	buf.Write(binary.BigEndian.AppendUint16(nil, uint16(len(fields))))
	for _, f := range fields {
		buf.Write(binary.BigEndian.AppendUint16(nil, f.tag))
		buf.Write(binary.BigEndian.AppendUint16(nil, f.typ))
		buf.Write(binary.BigEndian.AppendUint32(nil, f.count))
		if len(f.data) <= 4 {
			buf.Write(append(f.data, make([]byte, 4-len(f.data))...))
			continue
		}
		buf.Write(binary.BigEndian.AppendUint32(nil, uint32(data+len(values))))
		values = append(values, f.data...)
		if len(f.data)%2 == 1 {
			values = append(values, 0)
		}
	}
	buf.Write([]byte{0, 0, 0, 0})
	buf.Write(values)
}
