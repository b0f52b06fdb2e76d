package clientsdk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG
	_ "image/png"  // DecodeConfig of PNG
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/disintegration/imaging"

	"github.com/ruhu-org/ruhu/syncproto"
	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// PhotoOptions say how a photo is prepared before upload.
type PhotoOptions struct {
	// MaxEdge bounds the longest edge in pixels (default 1600); a
	// negative value keeps the size.
	MaxEdge int
	// Quality is the JPEG quality, 1–100 (default 80).
	Quality int
	// KeepOriginal uploads the file byte for byte. Re-encoding keeps of
	// the original's EXIF only its capture time and GPS position (the
	// evidence of where and when), written into the prepared JPEG.
	KeepOriginal bool
}

// maxPreparePixels refuses to decode images larger than this on the
// tablet (a decompression bomb would exhaust its memory).
const maxPreparePixels = 100_000_000

// maxPhotoFile is the largest file AddPhoto reads.
const maxPhotoFile = 64 << 20

// Prepared is a photo ready for upload.
type Prepared struct {
	Data   []byte
	SHA256 string // lowercase hex of Data
	Width  int
	Height int
}

// PreparePhoto auto-orients a JPEG or PNG from its EXIF orientation,
// scales it down to fit MaxEdge and encodes it as JPEG with an EXIF block
// holding only the original's capture time and GPS position (when it had
// them). Errors: ErrInvalidPhoto.
func PreparePhoto(src io.Reader, o PhotoOptions) (*Prepared, error) {
	raw, err := io.ReadAll(io.LimitReader(src, maxPhotoFile+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxPhotoFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidPhoto, maxPhotoFile)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil || (format != "jpeg" && format != "png") {
		return nil, fmt.Errorf("%w: not a JPEG or PNG image", ErrInvalidPhoto)
	}
	if cfg.Width*cfg.Height > maxPreparePixels {
		return nil, fmt.Errorf("%w: %d×%d pixels is too large", ErrInvalidPhoto, cfg.Width, cfg.Height)
	}
	if o.KeepOriginal {
		return prepared(raw, cfg.Width, cfg.Height), nil
	}
	img, err := imaging.Decode(bytes.NewReader(raw), imaging.AutoOrientation(true))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPhoto, err)
	}
	if edge := o.MaxEdge; edge > 0 && max(img.Bounds().Dx(), img.Bounds().Dy()) > edge {
		img = imaging.Fit(img, edge, edge, imaging.Lanczos)
	}
	var out bytes.Buffer
	if err := imaging.Encode(&out, img, imaging.JPEG, imaging.JPEGQuality(quality(o.Quality))); err != nil {
		return nil, err
	}
	return prepared(exif.Insert(out.Bytes(), evidence(raw)), img.Bounds().Dx(), img.Bounds().Dy()), nil
}

// evidence is an EXIF segment with the capture time and position of the
// JPEG raw, nil when it has neither (or is a PNG).
func evidence(raw []byte) []byte {
	m := exif.Read(bytes.NewReader(raw))
	taken, _ := time.Parse(time.RFC3339, m.TakenAt)
	return exif.Segment(taken, m.GPS)
}

func quality(q int) int {
	if q < 1 || q > 100 {
		return 80
	}
	return q
}

func prepared(data []byte, w, h int) *Prepared {
	sum := sha256.Sum256(data)
	return &Prepared{Data: data, SHA256: hex.EncodeToString(sum[:]), Width: w, Height: h}
}

// Photo is a photo queued on this device.
type Photo struct {
	SHA256      string `json:"sha256"`
	HouseholdID string `json:"household_id"`
	Kind        string `json:"kind"`
	Filename    string `json:"filename"`
	Path        string `json:"path"` // the prepared file
	Size        int64  `json:"size"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	// Status is queued, uploaded or rejected (Error says why).
	Status   string `json:"status"`
	Uploaded int64  `json:"uploaded"` // bytes the server acknowledged
	Error    string `json:"error,omitempty"`
	UserID   string `json:"user_id"`
}

// Photo statuses.
const (
	PhotoQueued   = "queued"
	PhotoUploaded = "uploaded"
	PhotoRejected = "rejected"
)

// AddPhoto prepares the photo file at path (see PhotoOptions) for a
// household and queues it for upload with the next Sync. kind is one of
// syncproto.PhotoKinds. The same picture added twice for one household and
// kind is queued once; for another household or kind it is another filing,
// uploaded and confirmed on its own.
// Errors: ErrNotLoggedIn, ErrNotFound (household), ErrInvalidRecord
// (kind), ErrInvalidPhoto.
func (c *Client) AddPhoto(ctx context.Context, householdID, kind, path string) (*Photo, error) {
	user, err := c.currentUser(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(syncproto.PhotoKinds, kind) {
		return nil, fmt.Errorf("%w: photo kind %q is not one of %v", ErrInvalidRecord, kind, syncproto.PhotoKinds)
	}
	hh, err := c.Get(ctx, syncproto.CollHouseholds, householdID)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := PreparePhoto(f, c.opts.photo)
	if err != nil {
		return nil, err
	}
	ph := &Photo{SHA256: p.SHA256, HouseholdID: hh.ID, Kind: kind, Filename: filepath.Base(path),
		Size: int64(len(p.Data)), Width: p.Width, Height: p.Height, Status: PhotoQueued, UserID: user}
	if ph.Path, err = c.writePhotoFile(p); err != nil {
		return nil, err
	}
	_, err = c.db.ExecContext(ctx, `INSERT INTO photos (sha256, user_id, household_id, kind, filename, path, size, width,
		height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256, household_id, kind) DO NOTHING`,
		ph.SHA256, user, ph.HouseholdID, kind, ph.Filename, ph.Path, ph.Size, ph.Width, ph.Height, c.nowString())
	if err != nil {
		return nil, fmt.Errorf("queue photo: %w", err)
	}
	return c.photo(ctx, ph.SHA256, ph.HouseholdID, kind)
}

// writePhotoFile stores prepared bytes under photos/<sha256>.jpg
// (written to a temporary file, then renamed: never half a photo).
func (c *Client) writePhotoFile(p *Prepared) (string, error) {
	dir := filepath.Join(c.dir, "photos")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, p.SHA256+".jpg")
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(p.Data); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

const photoCols = `rowid, sha256, user_id, household_id, kind, filename, path, size, width, height, upload_url, uploaded, status, error`

// photoRow is a queued filing with its row id and upload URL.
type photoRow struct {
	Photo
	row int64
	URL string
}

// filing is the row's (content, household, kind).
func (p *photoRow) filing() syncproto.PhotoFiling {
	return syncproto.PhotoFiling{SHA256: p.SHA256, HouseholdID: p.HouseholdID, Kind: p.Kind}
}

func scanPhoto(sc interface{ Scan(...any) error }) (*photoRow, error) {
	var p photoRow
	err := sc.Scan(&p.row, &p.SHA256, &p.UserID, &p.HouseholdID, &p.Kind, &p.Filename, &p.Path, &p.Size, &p.Width, &p.Height,
		&p.URL, &p.Uploaded, &p.Status, &p.Error)
	return &p, err
}

func (c *Client) photo(ctx context.Context, sha, household, kind string) (*Photo, error) {
	p, err := scanPhoto(c.db.QueryRowContext(ctx, `SELECT `+photoCols+` FROM photos
		WHERE sha256 = ? AND household_id = ? AND kind = ?`, sha, household, kind))
	if err != nil {
		return nil, err
	}
	return &p.Photo, nil
}

// Photos lists the photos queued on this device with their upload state.
func (c *Client) Photos(ctx context.Context) ([]Photo, error) {
	rows, err := c.photoRows(ctx, `1 = 1`)
	out := make([]Photo, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Photo)
	}
	return out, err
}

func (c *Client) photoRows(ctx context.Context, where string, args ...any) ([]*photoRow, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+photoCols+` FROM photos WHERE `+where+` ORDER BY created_at, sha256, household_id, kind`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*photoRow
	for rows.Next() {
		p, err := scanPhoto(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
