package photos

import (
	"io"

	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// The EXIF reader lives in internal/exif, shared with clientsdk (which
// writes capture time and position back into the photos it re-encodes).
type exifMeta = exif.Meta

func jpegExif(r io.Reader) []byte { return exif.JPEG(r) }

func parseExif(b []byte) exifMeta { return exif.Parse(b) }

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
