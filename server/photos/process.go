package photos

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// Limits bounds what Process accepts and sets what it makes. A zero field
// takes its default.
type Limits struct {
	MaxPixels   int64 // width×height above which a photo is refused; default 50,000,000
	MaxScans    int   // scans above which a (progressive) JPEG is refused; default 100
	LargeEdge   int   // longest edge of the large derivative; default 1024
	ThumbEdge   int   // longest edge of the thumbnail; default 256
	JPEGQuality int   // quality of both derivatives, 1–100; default 82
	// MaxDecodeBytes is the most memory a photo may need to be decoded and
	// resized, as its headers tell (decodeCost); default 192 MiB, which
	// admits a 50 MP baseline JPEG or a 12 MP progressive 4:2:0 one.
	MaxDecodeBytes int64
}

// DefaultMaxDecodeBytes is Limits.MaxDecodeBytes's default.
const DefaultMaxDecodeBytes = 192 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxPixels <= 0 {
		l.MaxPixels = 50_000_000
	}
	if l.MaxScans <= 0 {
		l.MaxScans = 100
	}
	if l.LargeEdge <= 0 {
		l.LargeEdge = 1024
	}
	if l.ThumbEdge <= 0 {
		l.ThumbEdge = 256
	}
	if l.JPEGQuality <= 0 || l.JPEGQuality > 100 {
		l.JPEGQuality = 82
	}
	if l.MaxDecodeBytes <= 0 {
		l.MaxDecodeBytes = DefaultMaxDecodeBytes
	}
	return l
}

// GPS is the position the camera recorded, in degrees as written (WGS-84
// for a phone's own GPS); south and west are negative.
type GPS = exif.GPS

// Result is a verified photo, its metadata and its derivatives.
type Result struct {
	SHA256  string // lowercase hex of the original file
	Format  string // "jpeg" or "png"
	Width   int    // of the upright image, after EXIF orientation
	Height  int
	TakenAt string // EXIF DateTimeOriginal as RFC 3339, or ""
	GPS     *GPS   // nil when the photo carries no usable position
	Large   []byte // JPEG, longest edge ≤ Limits.LargeEdge, no EXIF
	LargeW  int
	LargeH  int
	Thumb   []byte // JPEG made from Large, longest edge ≤ Limits.ThumbEdge, no EXIF
	ThumbW  int
	ThumbH  int
}

// header is what Process learns before decoding any pixel.
type header struct {
	format        string
	width, height int // as stored, before orientation
	meta          exifMeta
	cost          int64 // bytes decoding and resizing will allocate
}

// Process verifies the photo at path against wantSHA256 and makes its
// derivatives. It refuses a photo before decoding it when its header shows
// it is not a JPEG or PNG, has more than lim.MaxPixels pixels, (a JPEG)
// more than lim.MaxScans scans, or would need more than lim.MaxDecodeBytes
// of memory to decode (progressive JPEGs hold every coefficient, CMYK ones
// a copy, 16-bit PNGs 8 bytes a pixel), so a decompression bomb costs only
// a header read (and a scan count, a pass over the file). Callers bound how
// many run at once. Process does not modify the file.
//
// Errors: bad_request (wantSHA256 is not 64 hex characters),
// sha256_mismatch, not_an_image (not a JPEG or PNG, or corrupt),
// image_too_large, image_too_complex; any other error is internal.
func Process(path, wantSHA256 string, lim Limits) (*Result, error) {
	p, err := inspect(path, wantSHA256, lim)
	if err != nil {
		return nil, err
	}
	defer p.close()
	return p.process()
}

// pending is a photo whose content and headers are checked, not decoded.
type pending struct {
	f   *os.File
	h   header
	sha string
	lim Limits
}

// inspect does Process's checks, up to decoding. The caller closes it.
func inspect(path, wantSHA256 string, lim Limits) (*pending, error) {
	lim = lim.withDefaults()
	want := strings.ToLower(wantSHA256)
	if !validSHA256(want) {
		return nil, server.Errorf(syncproto.CodeBadRequest, "sha256 must be 64 hex characters")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("photos: open upload: %w", err)
	}
	if err := verifySHA256(f, want); err != nil {
		f.Close()
		return nil, err
	}
	h, err := readHeader(f, lim)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &pending{f: f, h: h, sha: want, lim: lim}, nil
}

// cost is the memory process will allocate, in bytes.
func (p *pending) cost() int64 { return p.h.cost }

func (p *pending) close() { p.f.Close() }

// process decodes the photo and makes its derivatives.
func (p *pending) process() (*Result, error) {
	img, err := decode(p.f, p.h)
	if err != nil {
		return nil, err
	}
	h := p.h
	res, err := derive(img, h.meta.Orientation, p.lim)
	if err != nil {
		return nil, err
	}
	res.SHA256, res.Format, res.TakenAt, res.GPS = p.sha, h.format, h.meta.TakenAt, h.meta.GPS
	res.Width, res.Height = h.width, h.height
	if h.meta.Orientation >= 5 { // the four orientations that swap the axes
		res.Width, res.Height = h.height, h.width
	}
	return res, nil
}

// validSHA256 reports whether s is 64 lowercase hex characters.
func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// verifySHA256 hashes f from its start and compares with want.
func verifySHA256(f *os.File, want string) error {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("photos: hash upload: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return server.Errorf(syncproto.CodeSHA256Mismatch, "upload has sha256 %s, expected %s", got, want)
	}
	return nil
}

// readHeader reads format, dimensions and EXIF without decoding pixels.
func readHeader(f *os.File, lim Limits) (header, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return header{}, fmt.Errorf("photos: rewind upload: %w", err)
	}
	br := bufio.NewReader(f)
	h := header{format: sniff(br)}
	var cfg image.Config
	var err error
	switch h.format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(br)
	case "png":
		cfg, err = png.DecodeConfig(br)
	default:
		err = image.ErrFormat
	}
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return header{}, server.Errorf(syncproto.CodeNotAnImage, "photo must be a JPEG or PNG image")
	}
	if int64(cfg.Width) > lim.MaxPixels/int64(cfg.Height) {
		return header{}, server.Errorf(syncproto.CodeImageTooLarge,
			"photo is %d×%d pixels, more than %d", cfg.Width, cfg.Height, lim.MaxPixels)
	}
	h.width, h.height = cfg.Width, cfg.Height
	if h.format == "jpeg" {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return header{}, fmt.Errorf("photos: rewind upload: %w", err)
		}
		// Decoding visits every block once per scan, and a scan can be
		// coded in a few bytes: count them before decoding.
		if n := jpegScans(f, lim.MaxScans); n > lim.MaxScans {
			return header{}, server.Errorf(syncproto.CodeImageTooLarge, "photo has more than %d scans", lim.MaxScans)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return header{}, fmt.Errorf("photos: rewind upload: %w", err)
		}
		h.meta = parseExif(jpegExif(f))
	}
	if h.cost, err = decodeCost(f, h.format); err != nil {
		return header{}, err
	}
	h.cost += deriveCost(h.width, h.height, lim.LargeEdge, h.meta.Orientation > 1, h.format == "png")
	if h.cost > lim.MaxDecodeBytes {
		return header{}, server.Errorf(syncproto.CodeImageTooComplex,
			"decoding this photo would take %d MB of memory, more than %d MB: send it as a baseline JPEG or with fewer pixels",
			h.cost>>20, lim.MaxDecodeBytes>>20)
	}
	return h, nil
}

// sniff names the format from the magic number, so that only the JPEG and
// PNG decoders ever read an upload: image.DecodeConfig would also hand it
// to the GIF, BMP and TIFF decoders that imaging registers.
func sniff(br *bufio.Reader) string {
	magic, _ := br.Peek(8)
	switch {
	case bytes.HasPrefix(magic, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(magic, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	}
	return ""
}

// decode decodes f with the decoder of the format readHeader checked (not
// by sniffing again), and makes sure it decoded the size that was checked.
func decode(f *os.File, h header) (image.Image, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("photos: rewind upload: %w", err)
	}
	var img image.Image
	var err error
	if h.format == "jpeg" {
		img, err = jpeg.Decode(bufio.NewReader(f))
	} else {
		img, err = png.Decode(bufio.NewReader(f))
	}
	if err != nil || img.Bounds().Dx() != h.width || img.Bounds().Dy() != h.height {
		return nil, server.Errorf(syncproto.CodeNotAnImage, "photo is a corrupt %s image", strings.ToUpper(h.format))
	}
	return img, nil
}

// derive makes the upright large derivative and, from it, the thumbnail.
// It shrinks before it rotates: turning the 1024-pixel image is cheap,
// turning the full-size one would cost another copy of it.
func derive(img image.Image, orientation int, lim Limits) (*Result, error) {
	// Box (area averaging) shrinks a 12 MP photo in 67 ms where Lanczos
	// takes 161 ms (2 cores), and is as good for a 4× reduction; Lanczos
	// keeps the small thumbnail sharp and costs 8 ms.
	large := flatten(orient(imaging.Fit(img, lim.LargeEdge, lim.LargeEdge, imaging.Box), orientation))
	thumb := imaging.Fit(large, lim.ThumbEdge, lim.ThumbEdge, imaging.Lanczos)
	res := &Result{LargeW: large.Rect.Dx(), LargeH: large.Rect.Dy(), ThumbW: thumb.Rect.Dx(), ThumbH: thumb.Rect.Dy()}
	var err error
	if res.Large, err = encodeJPEG(large, lim.JPEGQuality); err != nil {
		return nil, err
	}
	if res.Thumb, err = encodeJPEG(thumb, lim.JPEGQuality); err != nil {
		return nil, err
	}
	return res, nil
}

// orient turns img upright according to an EXIF orientation (1–8).
func orient(img *image.NRGBA, orientation int) *image.NRGBA {
	switch orientation {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}

// flatten puts a PNG with transparency on white, as a page would show it;
// JPEG has no alpha and the encoder would otherwise make it black.
func flatten(img *image.NRGBA) *image.NRGBA {
	if img.Opaque() {
		return img
	}
	bg := imaging.New(img.Rect.Dx(), img.Rect.Dy(), color.White)
	return imaging.Overlay(bg, img, image.Point{}, 1)
}

// encodeJPEG encodes img as a baseline JPEG; the encoder writes no EXIF.
func encodeJPEG(img *image.NRGBA, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := imaging.Encode(&buf, img, imaging.JPEG, imaging.JPEGQuality(quality)); err != nil {
		return nil, fmt.Errorf("photos: encode jpeg: %w", err)
	}
	return buf.Bytes(), nil
}
