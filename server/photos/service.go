package photos

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Service serves stored photos: what a client must still upload, and the
// variants of the photos in the caller's subtree. It implements
// server.PhotoService.
type Service struct {
	Store   *Store
	Records server.PhotoRecords
}

var _ server.PhotoService = (*Service)(nil)

// Missing implements server.PhotoService: a photo is missing when it has
// no record or the store lacks its content (both are needed to serve it).
// Hashes are compared in lowercase and answered as sent, once each.
// Codes: validation_failed.
func (s *Service) Missing(ctx context.Context, a *server.Actor, shas []string) ([]string, error) {
	if len(shas) > syncproto.MaxMissingPhotos {
		return nil, server.Errorf(syncproto.CodeValidation, "ask about at most %d photos at once", syncproto.MaxMissingPhotos)
	}
	asked, lower, seen := []string{}, []string{}, map[string]bool{}
	for i, sha := range shas {
		l := strings.ToLower(sha)
		if !validSHA256(l) {
			// The index, not the value: an answer does not echo
			// megabytes of whatever was sent.
			return nil, server.Errorf(syncproto.CodeValidation, "sha256[%d] is not a SHA-256 in hex", i)
		}
		if !seen[l] {
			seen[l] = true
			asked, lower = append(asked, sha), append(lower, l)
		}
	}
	noRecord, err := s.Records.PhotosWithoutRecord(ctx, lower)
	if err != nil {
		return nil, err
	}
	absent := make(map[string]bool, len(noRecord))
	for _, sha := range noRecord {
		absent[sha] = true
	}
	missing := []string{}
	for i, l := range lower {
		if absent[l] || !s.Store.Has(l) {
			missing = append(missing, asked[i])
		}
	}
	return missing, nil
}

// Open implements server.PhotoService. The original is served as
// image/jpeg or image/png after its magic number; large and thumb are
// always JPEG. Code not_found.
func (s *Service) Open(ctx context.Context, a *server.Actor, sha, variant string) (*server.PhotoContent, error) {
	if _, err := s.Records.FindPhoto(ctx, a, sha); err != nil {
		return nil, err
	}
	f, info, err := s.Store.Open(sha, variant)
	if err != nil {
		return nil, err
	}
	ct := "image/jpeg"
	if variant == syncproto.VariantOriginal {
		format := sniff(bufio.NewReaderSize(f, 16))
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("photos: rewind %s: %w", sha, err)
		}
		if format == "png" {
			ct = "image/png"
		}
	}
	return &server.PhotoContent{ReadSeekCloser: f, ContentType: ct, ModTime: info.ModTime()}, nil
}
