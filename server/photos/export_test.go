package photos

import (
	"bytes"
	"image"
	"os"

	"github.com/disintegration/imaging"
)

// Test helpers of this package for its external tests (package photos_test,
// which may import server/ruhutest: that imports this package).
var (
	CameraExif      = cameraExif
	WithExif        = withExif
	WithSegment     = withSegment
	EncodeTestJPEG  = encodeTestJPEG
	EncodeTestPNG   = encodeTestPNG
	MarkedLandscape = markedLandscape
	CornerColour    = cornerColour
	PNGBomb         = pngBomb
	Solid           = solid
	Photo12MP       = photo12MP
)

// RawPipeline is BenchmarkRawPipeline12MP's body: decode, the two resizes,
// encode, and nothing else.
func RawPipeline(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	img, err := imaging.Decode(f)
	f.Close()
	if err != nil {
		return err
	}
	large := imaging.Fit(img, 1024, 1024, imaging.Box)
	thumb := imaging.Fit(large, 256, 256, imaging.Lanczos)
	for _, m := range []*image.NRGBA{large, thumb} {
		if err := imaging.Encode(&bytes.Buffer{}, m, imaging.JPEG, imaging.JPEGQuality(82)); err != nil {
			return err
		}
	}
	return nil
}
