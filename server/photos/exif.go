package photos

import (
	"io"

	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// The EXIF reader lives in syncproto/exif, shared with clientsdk (which
// writes capture time and position back into the photos it re-encodes).
type exifMeta = exif.Meta

func jpegExif(r io.Reader) []byte { return exif.JPEG(r) }

func parseExif(b []byte) exifMeta { return exif.Parse(b) }
