package photos

import (
	"bufio"
	"encoding/binary"
	"io"
)

// jpegScans counts the scans (SOS segments) of the JPEG in r up to its
// first EOI, walking it as image/jpeg does: segments are skipped by their
// length, a scan's entropy-coded data up to the marker that ends it, and
// bytes between segments that are not a marker are ignored. It stops once
// the count passes limit. A stream it cannot follow ends the count; the
// decoder refuses such a stream anyway.
func jpegScans(r io.Reader, limit int) int {
	br := bufio.NewReaderSize(r, 64<<10)
	if _, err := br.Discard(2); err != nil { // SOI, checked by sniff
		return 0
	}
	n := 0
	for n <= limit {
		marker, err := skipToMarker(br)
		if err != nil || marker == 0xD9 { // EOI
			return n
		}
		var length [2]byte
		if _, err := io.ReadFull(br, length[:]); err != nil {
			return n
		}
		if _, err := br.Discard(int(binary.BigEndian.Uint16(length[:])) - 2); err != nil {
			return n
		}
		if marker == 0xDA { // SOS: its entropy-coded data follows
			n++
		}
	}
	return n
}

// skipToMarker reads up to and including the next marker and returns its
// code. Everything else is skipped: entropy-coded data, stuffed "\xff\x00",
// restart markers (which carry no length), fill bytes and stray bytes.
func skipToMarker(br *bufio.Reader) (byte, error) {
	for {
		if _, err := br.ReadSlice(0xFF); err == bufio.ErrBufferFull {
			continue
		} else if err != nil {
			return 0, err
		}
		b, err := br.ReadByte()
		for err == nil && b == 0xFF {
			b, err = br.ReadByte()
		}
		if err != nil {
			return 0, err
		}
		if b != 0x00 && (b < 0xD0 || b > 0xD7) {
			return b, nil
		}
	}
}
