package photos

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Decoding cost. What image/jpeg and image/png allocate for a photo
// depends on more than its pixel count, and a file of a few hundred
// kilobytes can ask for a gigabyte:
//
//   - a baseline JPEG holds its planes: 1.5 bytes a pixel for YCbCr 4:2:0,
//     3 for 4:4:4, 1 for grey;
//   - a progressive JPEG also holds every coefficient of every block until
//     its last scan: 4 bytes a sample (a [64]int32 per 8×8 block), so 6
//     bytes a pixel for 4:2:0 and 12 for 4:4:4;
//   - a CMYK (4-component) JPEG adds its K plane and an RGBA copy, 4 bytes a
//     pixel; an RGB one (Adobe transform 0) an RGBA copy too;
//   - a PNG decodes to 1 (grey, palette), 4 (8-bit colour) or 8 (16-bit)
//     bytes a pixel, twice that when interlaced (one image per pass, then
//     the whole);
//   - then the large derivative is made by resizing rows first: an NRGBA of
//     the target width and the source height, 4 bytes a pixel.
//
// decodeCost reads this from the headers (JPEG SOF, PNG IHDR) and answers
// the bytes to budget; Uploads admits decodes against a memory budget by
// it.

// decodeCost is what decoding the photo in f, of format, allocates.
func decodeCost(f *os.File, format string) (int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("photos: rewind upload: %w", err)
	}
	if format == "png" {
		cost, _, _, err := pngCost(f)
		if err != nil {
			return 0, server.Errorf(syncproto.CodeNotAnImage, "photo must be a JPEG or PNG image")
		}
		return cost, nil
	}
	fr, err := readJPEGFrame(f)
	if err != nil {
		return 0, server.Errorf(syncproto.CodeNotAnImage, "photo must be a JPEG or PNG image")
	}
	return fr.cost(), nil
}

// jpegFrame is what a JPEG's headers say about its decoding.
type jpegFrame struct {
	progressive   bool
	width, height int
	comps         []jpegComp
	// rgb: three components the decoder turns into an RGBA copy (no JFIF
	// marker, and an Adobe transform of 0 or components named R, G, B).
	rgb bool
}

type jpegComp struct {
	id   byte
	h, v int // sampling factors
}

// errNoFrame is a JPEG without a readable frame header before its scan.
var errNoFrame = errors.New("photos: no JPEG frame header")

// readJPEGFrame walks the JPEG in r, from its SOI to its first scan,
// reading the frame header (SOF), JFIF (APP0) and Adobe (APP14) markers.
func readJPEGFrame(r io.Reader) (jpegFrame, error) {
	br := bufio.NewReader(r)
	if _, err := br.Discard(2); err != nil {
		return jpegFrame{}, errNoFrame
	}
	var f jpegFrame
	var jfif, adobeRGB, seenSOF bool
	for {
		marker, err := skipToMarker(br)
		if err != nil || marker == 0xD9 || marker == 0xDA { // EOI, SOS
			break
		}
		var length [2]byte
		if _, err := io.ReadFull(br, length[:]); err != nil {
			break
		}
		n := int(binary.BigEndian.Uint16(length[:])) - 2
		if n < 0 {
			break
		}
		// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC); APP0; APP14.
		isSOF := marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
		if !(isSOF && !seenSOF) && marker != 0xE0 && marker != 0xEE {
			if _, err := br.Discard(n); err != nil {
				break
			}
			continue
		}
		seg := make([]byte, n)
		if _, err := io.ReadFull(br, seg); err != nil {
			break
		}
		switch {
		case marker == 0xE0:
			jfif = jfif || bytes.HasPrefix(seg, []byte("JFIF\x00"))
		case marker == 0xEE:
			adobeRGB = len(seg) >= 12 && bytes.HasPrefix(seg, []byte("Adobe")) && seg[11] == 0
		default:
			if f, err = parseSOF(marker, seg); err != nil {
				return jpegFrame{}, err
			}
			seenSOF = true
		}
	}
	if !seenSOF {
		return jpegFrame{}, errNoFrame
	}
	if len(f.comps) == 3 && !jfif {
		named := f.comps[0].id == 'R' && f.comps[1].id == 'G' && f.comps[2].id == 'B'
		f.rgb = adobeRGB || named
	}
	return f, nil
}

func parseSOF(marker byte, seg []byte) (jpegFrame, error) {
	if len(seg) < 6 {
		return jpegFrame{}, errNoFrame
	}
	f := jpegFrame{progressive: marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE,
		height: int(binary.BigEndian.Uint16(seg[1:])), width: int(binary.BigEndian.Uint16(seg[3:]))}
	nc := int(seg[5])
	if nc < 1 || nc > 4 || len(seg) < 6+3*nc {
		return jpegFrame{}, errNoFrame
	}
	for i := range nc {
		c := seg[6+3*i:]
		f.comps = append(f.comps, jpegComp{id: c[0], h: max(int(c[1]>>4), 1), v: max(int(c[1]&15), 1)})
	}
	return f, nil
}

// cost is what image/jpeg allocates to decode f (scan.go makeImg and
// processSOS, reader.go applyBlack and convertToRGB).
func (f jpegFrame) cost() int64 {
	hmax, vmax := 1, 1
	for _, c := range f.comps {
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	mxx := int64((f.width + 8*hmax - 1) / (8 * hmax)) // MCUs across
	myy := int64((f.height + 8*vmax - 1) / (8 * vmax))
	var planes, coeffs, converted int64
	for _, c := range f.comps {
		samples := 64 * mxx * myy * int64(c.h) * int64(c.v)
		planes += samples
		if f.progressive {
			coeffs += 4 * samples // a [64]int32 per block
		}
	}
	if len(f.comps) == 4 || f.rgb {
		converted = 4 * int64(f.width) * int64(f.height) // the CMYK or RGBA copy
	}
	return planes + coeffs + converted
}

// pngCost is what image/png allocates to decode an image with the IHDR
// at the start of the PNG in r, and the image's size.
func pngCost(r io.Reader) (cost int64, width, height int, err error) {
	r = bufio.NewReader(r)
	var hdr [8 + 8 + 13]byte // signature, chunk length and type, IHDR
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[12:16]) != "IHDR" {
		return 0, 0, 0, errors.New("photos: no PNG header")
	}
	ihdr := hdr[16:]
	width, height = int(binary.BigEndian.Uint32(ihdr[0:])), int(binary.BigEndian.Uint32(ihdr[4:]))
	depth, colour, interlaced := ihdr[8], ihdr[9], ihdr[12] == 1
	var bpp int64
	switch {
	case colour == 3: // palette
		bpp = 1
	case colour == 0 && !pngHasTRNS(r): // Gray or Gray16
		bpp = max(1, int64(depth)/8)
	case depth == 16: // RGBA64, NRGBA64 (NRGBA64 for grey with tRNS)
		bpp = 8
	default: // RGBA, NRGBA (NRGBA for grey with tRNS)
		bpp = 4
	}
	pixels := int64(width) * int64(height)
	cost = bpp * pixels
	if interlaced {
		cost *= 2
	}
	// Two rows of filtered bytes, at most 8 bytes a pixel.
	cost += 2 * 8 * int64(width)
	return cost, width, height, nil
}

// pngHasTRNS reports whether a tRNS chunk comes before the image data in
// r, which is just past IHDR's CRC. A grey image with one decodes to
// NRGBA.
func pngHasTRNS(r io.Reader) bool {
	if _, err := io.CopyN(io.Discard, r, 4); err != nil { // IHDR's CRC
		return true
	}
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return true // unreadable: assume the dearer case
		}
		switch string(ch[4:]) {
		case "tRNS":
			return true
		case "IDAT", "IEND":
			return false
		}
		if _, err := io.CopyN(io.Discard, r, int64(binary.BigEndian.Uint32(ch[:]))+4); err != nil {
			return true
		}
	}
}

// deriveCost is what derive allocates for a width×height image fitted in
// edge: the row pass at the target width and the source height, then
// images of the fitted size: the result and the thumbnail's row pass, a
// turned copy when turned, and for a PNG, which may be transparent, the
// white background and the overlay.
func deriveCost(width, height, edge int, turned, png bool) int64 {
	w, h := int64(width), int64(height)
	fw, fh := w, h
	if w > int64(edge) || h > int64(edge) {
		if w >= h {
			fw, fh = int64(edge), max(1, h*int64(edge)/w)
		} else {
			fw, fh = max(1, w*int64(edge)/h), int64(edge)
		}
	}
	copies := int64(2)
	if turned {
		copies++
	}
	if png {
		copies += 2
	}
	return 4*fw*h + copies*4*fw*fh + 1<<20
}
