package photos

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
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

// Missing implements server.PhotoService: a content is missing when it
// has no live filing in a's subtree, a filing when it does not exist, and
// either when the store lacks the content (both are needed to serve it).
// Hashes are compared in lowercase and answered as sent, once each.
// Codes: validation_failed.
func (s *Service) Missing(ctx context.Context, a *server.Actor, req syncproto.MissingPhotosRequest) (*syncproto.MissingPhotosResponse, error) {
	if len(req.SHA256)+len(req.Filings) > syncproto.MaxMissingPhotos {
		return nil, server.Errorf(syncproto.CodeValidation, "ask about at most %d photos at once", syncproto.MaxMissingPhotos)
	}
	asked, lower, err := distinctSHAs(req.SHA256)
	if err != nil {
		return nil, err
	}
	filings, err := checkFilings(req.Filings)
	if err != nil {
		return nil, err
	}
	noRecord, err := s.Records.PhotosWithoutRecord(ctx, a, lower)
	if err != nil {
		return nil, err
	}
	absent := make(map[string]bool, len(noRecord))
	for _, sha := range noRecord {
		absent[sha] = true
	}
	res := &syncproto.MissingPhotosResponse{Missing: []string{}}
	for i, l := range lower {
		if absent[l] || !s.Store.Has(l) {
			res.Missing = append(res.Missing, asked[i])
		}
	}
	if res.MissingFilings, err = s.missingFilings(ctx, a, filings); err != nil {
		return nil, err
	}
	return res, nil
}

// missingFilings returns the filings that do not exist or whose content
// the store lacks.
func (s *Service) missingFilings(ctx context.Context, a *server.Actor, filings []syncproto.PhotoFiling) ([]syncproto.PhotoFiling, error) {
	unfiled, err := s.Records.MissingFilings(ctx, a, filings)
	if err != nil {
		return nil, err
	}
	absent := make(map[syncproto.PhotoFiling]bool, len(unfiled))
	for _, f := range unfiled {
		absent[f] = true
	}
	missing := []syncproto.PhotoFiling{}
	for _, f := range filings {
		if absent[f] || !s.Store.Has(f.SHA256) {
			missing = append(missing, f)
		}
	}
	return missing, nil
}

// distinctSHAs checks hashes and returns them once each, as sent and in
// lowercase. Code validation_failed.
func distinctSHAs(shas []string) (asked, lower []string, err error) {
	asked, lower, seen := []string{}, []string{}, map[string]bool{}
	for i, sha := range shas {
		l := strings.ToLower(sha)
		if !validSHA256(l) {
			// The index, not the value: an answer does not echo
			// megabytes of whatever was sent.
			return nil, nil, server.Errorf(syncproto.CodeValidation, "sha256[%d] is not a SHA-256 in hex", i)
		}
		if !seen[l] {
			seen[l] = true
			asked, lower = append(asked, sha), append(lower, l)
		}
	}
	return asked, lower, nil
}

// checkFilings checks the asked filings (hash, household id, kind) and
// returns them once each, hashes in lowercase. Code validation_failed.
func checkFilings(in []syncproto.PhotoFiling) ([]syncproto.PhotoFiling, error) {
	out, seen := []syncproto.PhotoFiling{}, map[syncproto.PhotoFiling]bool{}
	for i, f := range in {
		f.SHA256 = strings.ToLower(f.SHA256)
		if !validSHA256(f.SHA256) || f.HouseholdID == "" || len(f.HouseholdID) > syncproto.MaxRecordIDLen ||
			!slices.Contains(syncproto.PhotoKinds, f.Kind) {
			return nil, server.Errorf(syncproto.CodeValidation, "filings[%d] needs a hex SHA-256, a household_id and a photo kind", i)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
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
