package photos

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// variantFiles maps each photo variant to its file name in a blob directory.
var variantFiles = map[string]string{
	syncproto.VariantOriginal: "original",
	syncproto.VariantLarge:    "large.jpg",
	syncproto.VariantThumb:    "thumb.jpg",
}

// staleTemp is how old an unfinished Put must be before NewStore removes it.
const staleTemp = time.Hour

// Store is a content-addressed photo store on the local filesystem. A photo
// lives in root/ab/abcdef…/ (sharded by the first two hex digits of its
// SHA-256) as original, large.jpg and thumb.jpg. Put builds the directory
// under root/tmp and renames it into place, so a photo is either wholly
// present or absent. Files are private to the server's user (0600): the
// photos show people's homes and papers.
type Store struct {
	root string
}

// NewStore opens the store at root, creating it if needed, and removes
// what Puts interrupted more than an hour ago left in root/tmp.
func NewStore(root string) (*Store, error) {
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("photos: create store: %w", err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, fmt.Errorf("photos: read store temp dir: %w", err)
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
			os.RemoveAll(filepath.Join(tmp, e.Name()))
		}
	}
	return &Store{root: root}, nil
}

// dir returns the directory of the photo sha, or an error when sha is not
// 64 lowercase hex characters (so no sha can name a path outside root).
func (s *Store) dir(sha string) (string, error) {
	if !validSHA256(sha) {
		return "", server.Errorf(syncproto.CodeBadRequest, "sha256 must be 64 lowercase hex characters")
	}
	return filepath.Join(s.root, sha[:2], sha), nil
}

// Has reports whether the store holds the photo sha; false for a malformed sha.
func (s *Store) Has(sha string) bool {
	dir, err := s.dir(sha)
	if err != nil {
		return false
	}
	_, err = os.Stat(dir)
	return err == nil
}

// Put stores the photo sha: a copy of the file at originalPath (which the
// caller still owns) and the large and thumb JPEGs. It hashes the original
// while copying it, so the store never holds content under another hash.
// If the photo is already stored, Put does nothing and reports existed.
//
// Errors: bad_request (malformed sha), sha256_mismatch (the original does
// not hash to sha); any other error is internal.
func (s *Store) Put(sha, originalPath string, large, thumb []byte) (existed bool, err error) {
	final, err := s.dir(sha)
	if err != nil {
		return false, err
	}
	if s.Has(sha) {
		return true, nil
	}
	if len(large) == 0 || len(thumb) == 0 {
		return false, errors.New("photos: put: empty derivative")
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), sha[:16]+"-")
	if err != nil {
		return false, fmt.Errorf("photos: put: %w", err)
	}
	defer os.RemoveAll(tmp) // after the rename there is nothing left to remove
	if err := s.fill(tmp, sha, originalPath, large, thumb); err != nil {
		return false, err
	}
	return s.commit(tmp, final, sha)
}

// fill writes the three files of a photo into dir and syncs them.
func (s *Store) fill(dir, sha, originalPath string, large, thumb []byte) error {
	if err := copyVerified(originalPath, filepath.Join(dir, variantFiles[syncproto.VariantOriginal]), sha); err != nil {
		return err
	}
	if err := writeSynced(filepath.Join(dir, variantFiles[syncproto.VariantLarge]), large); err != nil {
		return err
	}
	if err := writeSynced(filepath.Join(dir, variantFiles[syncproto.VariantThumb]), thumb); err != nil {
		return err
	}
	return syncDir(dir)
}

// commit renames the filled temp dir to final. Losing a race with another
// Put of the same photo is not an error: the photo is stored.
func (s *Store) commit(tmp, final, sha string) (existed bool, err error) {
	shard := filepath.Dir(final)
	if err := os.MkdirAll(shard, 0o700); err != nil {
		return false, fmt.Errorf("photos: put: %w", err)
	}
	if err := syncDir(s.root); err != nil {
		return false, err
	}
	if err := os.Rename(tmp, final); err != nil {
		if s.Has(sha) {
			return true, nil
		}
		return false, fmt.Errorf("photos: put: %w", err)
	}
	return false, syncDir(shard)
}

// copyVerified copies src to a new file dst, syncs it, and checks that the
// bytes copied hash to sha.
func copyVerified(src, dst, sha string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("photos: put: open original: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("photos: put: %w", err)
	}
	defer out.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		return fmt.Errorf("photos: put: copy original: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return server.Errorf(syncproto.CodeSHA256Mismatch, "original has sha256 %s, expected %s", got, sha)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("photos: put: sync original: %w", err)
	}
	return out.Close()
}

// writeSynced writes data to a new file and syncs it.
func writeSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("photos: put: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("photos: put: write %s: %w", filepath.Base(name), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("photos: put: sync %s: %w", filepath.Base(name), err)
	}
	return f.Close()
}

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("photos: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("photos: sync dir: %w", err)
	}
	return nil
}

// Remove deletes the photo sha, if stored. It moves the photo's directory
// out of place first, so a photo is never seen half-removed.
//
// Errors: bad_request (malformed sha); any other error is internal.
func (s *Store) Remove(sha string) error {
	dir, err := s.dir(sha)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), sha[:16]+"-rm-")
	if err != nil {
		return fmt.Errorf("photos: remove: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Rename(dir, filepath.Join(tmp, sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("photos: remove: %w", err)
	}
	return nil
}

// Open opens one variant ("original", "large" or "thumb") of the photo sha
// for reading; the FileInfo gives its size and modification time, as
// http.ServeContent wants them. The caller closes the file.
//
// Errors: bad_request (malformed sha), not_found (unknown variant, or the
// photo is not stored); any other error is internal.
func (s *Store) Open(sha, variant string) (*os.File, fs.FileInfo, error) {
	dir, err := s.dir(sha)
	if err != nil {
		return nil, nil, err
	}
	name, ok := variantFiles[variant]
	if !ok {
		return nil, nil, server.Errorf(syncproto.CodeNotFound, "unknown photo variant")
	}
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, server.Errorf(syncproto.CodeNotFound, "photo %s not found", sha)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("photos: open %s/%s: %w", sha, variant, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("photos: stat %s/%s: %w", sha, variant, err)
	}
	return f, info, nil
}
